"""``scorm_common.PageFrames``: a unit page rendered once and shared by the SCORM 1.2, SCORM 2004
and cmi5 packages of one process, with each package's runtime data joined in — the same bytes as
rendering each page whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import pipeline
from builder.archive import Member
from builder.model import Course, Html
from builder.targets import BuildOptions, Output, cmi5, scorm12, scorm2004, scorm_common
from builder.targets.scorm_common import Flavor, render_sco_page, sco_page_context, ui_strings
from tests.factories import make_course


@pytest.fixture(autouse=True)
def fresh_frames() -> None:
    scorm_common.PAGE_FRAMES.forget()


def data(member: Member) -> bytes:
    return member.read_bytes() if isinstance(member, Path) else member


def unit_pages(out: Output) -> dict[str, bytes]:
    return {n: data(m) for n, m in out.members.items() if n.startswith("sco/") and n.endswith(".html")}


def whole_pages(course: Course, flavor: Flavor) -> dict[str, bytes]:
    """Each unit's page rendered whole, as before frames were shared."""
    units = course.units()
    ui = ui_strings(course.language)
    return {
        f"sco/{u.id}.html": render_sco_page(
            sco_page_context(course, flavor, [u], "unit", n, len(units), u.title, ui)
        ).encode("utf-8")
        for n, u in enumerate(units, start=1)
    }


def all_three(course: Course) -> dict[str, dict[str, bytes]]:
    options = BuildOptions()
    return {
        "scorm12": unit_pages(scorm12.render(course, options)[0]),
        "scorm2004": unit_pages(scorm2004.render(course, options)[0]),
        "cmi5": unit_pages(cmi5.render(course, options)[0]),
    }


@pytest.mark.parametrize("which", ["factory", "sample"])
def test_shared_frames_give_the_bytes_of_whole_pages(
    which: str, tmp_path: Path, sample_course: Course
) -> None:
    course = make_course(tmp_path) if which == "factory" else sample_course
    built = all_three(course)
    edition = BuildOptions().scorm_edition
    assert built["scorm12"] == whole_pages(course, Flavor("1.2", None))
    assert built["scorm2004"] == whole_pages(course, Flavor("2004", edition))
    assert built["cmi5"] == built["scorm2004"]
    assert built["scorm12"] != built["scorm2004"]  # the data differs, so it was joined per package


def test_the_three_packages_render_each_unit_page_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = make_course(tmp_path)
    template = scorm_common._sco_template()
    rendered: list[object] = []
    real = type(template).render

    def counting(self: object, *args: object, **kwargs: object) -> str:
        if self is template:
            rendered.append(self)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(template), "render", counting)
    all_three(course)
    assert len(rendered) == len(course.units())


def test_text_holding_the_slot_marker_is_kept_and_the_data_lands_in_its_place(tmp_path: Path) -> None:
    course = make_course(tmp_path)
    unit = course.units()[0]
    slot = str(scorm_common._DATA_SLOT)
    unit.components.insert(0, Html(id=f"{unit.id}.slot", markdown="x", html=f"<p>a{slot}b</p>\n"))
    built = all_three(course)
    name = f"sco/{unit.id}.html"
    assert built["scorm12"][name] == whole_pages(course, Flavor("1.2", None))[name]
    assert built["scorm12"][name].count(slot.encode()) == 1  # the author's, not the data's


def test_past_the_budget_pages_are_rendered_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scorm_common, "FRAME_BUDGET", 0)
    course = make_course(tmp_path)
    built = all_three(course)
    assert scorm_common.PAGE_FRAMES.frames == {}
    assert built["scorm12"] == whole_pages(course, Flavor("1.2", None))
    assert built["cmi5"] == whole_pages(course, Flavor("2004", BuildOptions().scorm_edition))


def test_another_course_never_gets_the_frames_of_the_last(tmp_path: Path) -> None:
    first = make_course(tmp_path / "a")
    second = make_course(tmp_path / "b")
    second.units()[0].title = "Another title"
    all_three(first)
    assert all_three(second)["scorm12"] == whole_pages(second, Flavor("1.2", None))


def test_a_pipeline_run_forgets_the_frames(tmp_path: Path) -> None:
    course = make_course(tmp_path)
    result = pipeline.run(course, ["scorm12", "cmi5"], BuildOptions(), jobs=1)
    assert not result.errors
    assert scorm_common.PAGE_FRAMES.frames == {} and scorm_common.PAGE_FRAMES.course is None
