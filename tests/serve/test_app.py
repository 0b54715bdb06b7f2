"""The preview's HTTP routes (Starlette TestClient, no watcher): what is served, escaped, refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from builder.serve.app import create_app
from builder.serve.server import allowed_hosts
from builder.serve.site import Change, PreviewSite
from builder.targets.scorm_runtime import runtime_script
from tests.serve.conftest import UNIT, UNIT_ID, edit


@pytest.fixture
def site(course_copy: Path) -> PreviewSite:
    s = PreviewSite(course_copy)
    s.refresh()
    return s


@pytest.fixture
def client(site: PreviewSite) -> Iterator[TestClient]:
    with TestClient(create_app(site, watch=False), base_url="http://127.0.0.1:8000") as c:
        yield c


def test_shell_lists_the_outline_in_order(client: TestClient, site: PreviewSite) -> None:
    page = client.get("/").text
    positions = [page.index(f'data-unit="{u.id}"') for u in site.units()]
    assert positions == sorted(positions)
    assert "Coverage report" in page and 'href="/_preview/report"' in page
    assert "Course overview" in page


def test_unit_pages_use_the_version_runtime(client: TestClient) -> None:
    page = client.get(f"/scorm2004/sco/{UNIT_ID}.html")
    assert page.status_code == 200
    assert '<script src="../shared/coursepack.js"></script>' in page.text
    assert client.get("/scorm2004/shared/coursepack.js").content == runtime_script("2004")
    assert client.get("/scorm12/shared/coursepack.js").content == runtime_script("1.2")
    assert client.get("/scorm12/shared/coursepack.css").status_code == 200
    assert client.get("/scorm12/shared/coursepack-ui.js").text.startswith("window.COURSEPACK_UI")


def test_static_files_and_captions_are_served_by_published_name(
    client: TestClient, site: PreviewSite
) -> None:
    asset = site.course.image
    assert client.get(f"/static/{asset.flat_name}").content == asset.source.read_bytes()
    assert client.get(f"/scorm2004/static/{asset.flat_name}").content == asset.source.read_bytes()
    page = client.get(f"/scorm2004/sco/{UNIT_ID}.html").text
    track = page.split('<track kind="captions" src="../', 1)[1].split('"', 1)[0]
    vtt = client.get(f"/scorm2004/{track}")
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")


@pytest.mark.parametrize(
    "url",
    [
        "/static/../course.yaml",
        "/static/..%2Fcourse.yaml",
        "/static/%2e%2e%2fcourse.yaml",
        "/scorm2004/static/..%2F..%2Fcourse.yaml",
        "/scorm2004/sco/..%2Fcourse.html",
        "/scorm2004/shared/..%2F..%2Fcourse.yaml",
        "/scorm2004/shared/captions/..%2F..%2Fcourse.yaml",
        "/_preview/static/..%2Fapp.py",
        "/_preview/static/app.py",
        "/scorm3000/sco/u-welcome.html",
        "/scorm2004/sco/u-missing.html",
        "/outline/01-digital-strategy/section.yaml",
        "/course.yaml",
    ],
)
def test_nothing_outside_the_indexed_files_is_served(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "HTL" not in response.text and "def " not in response.text


def test_foreign_host_names_are_refused(client: TestClient) -> None:
    """DNS rebinding: a page elsewhere cannot reach the preview through its own host name."""
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200


def test_allowed_hosts_are_loopback_unless_asked() -> None:
    assert "attacker.example" not in allowed_hosts("127.0.0.1")
    assert "192.168.1.5" in allowed_hosts("192.168.1.5")
    assert allowed_hosts("0.0.0.0") == ("*",)


def test_course_text_is_escaped_everywhere(course_copy: Path) -> None:
    edit(
        course_copy / UNIT,
        "title: What a digital strategy is (and is not)",
        """title: '<script>alert(1)</script> & "Q"'""",
    )
    site = PreviewSite(course_copy)
    site.refresh()
    with TestClient(create_app(site, watch=False), base_url="http://127.0.0.1") as c:
        for url in ("/", "/_preview/outline", f"/scorm2004/sco/{UNIT_ID}.html"):
            text = c.get(url).text
            assert "<script>alert(1)" not in text, url
            assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in text, url


def test_errors_are_reported_with_file_line_and_fix_and_escaped(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    edit(course_copy / UNIT, "type: dropdown", "type: <dropdwn>")
    site.refresh()
    with TestClient(create_app(site, watch=False), base_url="http://127.0.0.1") as c:
        state = c.get("/_preview/state").json()
        (error,) = state["errors"]
        assert error["location"].startswith(f"{UNIT.as_posix()}:")
        assert error["hint"]
        shell = c.get("/").text
        embedded = shell.split('<script type="application/json" id="pv-state">', 1)[1].split("</script>", 1)[
            0
        ]
        assert "<dropdwn>" not in embedded  # every "<" is \u003c inside the script element
        assert json.loads(embedded)["errors"] == state["errors"]
        assert c.get(f"/scorm2004/sco/{UNIT_ID}.html").status_code == 200  # the last good course


def test_a_course_that_never_loaded_answers_503_with_the_errors(course_copy: Path) -> None:
    (course_copy / "course.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    site = PreviewSite(course_copy)
    site.refresh()
    with TestClient(create_app(site, watch=False), base_url="http://127.0.0.1") as c:
        assert c.get("/").status_code == 200  # the shell shows the overlay
        page = c.get(f"/scorm2004/sco/{UNIT_ID}.html")
        assert page.status_code == 503 and "course.yaml" in page.text
        assert c.get("/_preview/report").status_code == 503


def test_overview_and_report(client: TestClient, site: PreviewSite) -> None:
    overview = client.get("/_preview/overview").text
    assert site.course.title in overview and "About this course" in overview
    report = client.get("/_preview/report")
    assert report.status_code == 200 and "HTL.U1.K1" in report.text


def test_change_events_carry_units_outline_and_errors(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    edit(course_copy / UNIT, "A website is a tool.", "A website is a tool, not a strategy.")
    change: Change = site.refresh()
    assert json.loads(change.to_json()) == {
        "generation": 2,
        "units": [UNIT_ID],
        "outline": False,
        "errors": [],
    }
