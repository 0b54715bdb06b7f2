"""The two escape hatches an import writes: ```raw-html (sanitised HTML) and ```olx (kept OLX).

What matters is what reaches a learner: no script, handler, style or frame from a ```raw-html
block in any target; the ```olx element written back byte-for-byte equivalent in the OLX target
and replaced by a visible notice (never its XML) in SCORM pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import xmlsafe
from builder.diagnostics import SourceErrors
from builder.model import Html, OlxBlock
from builder.scaffold import scaffold
from builder.source import load_course
from builder.targets import BuildOptions, olx, scorm12
from builder.validate.olx import check_olx

UNIT = "outline/01-getting-started/01-first-steps/01-welcome.md"

RAW = """
```raw-html
<table class="grid"><tr><td colspan="2" onclick="steal()" style="position:fixed">Merged</td></tr></table>
<script>alert(1)</script><iframe src="https://evil.example/"></iframe>
<p id="cp-submit"><a href="javascript:alert(1)">x</a> <a href="/static/notes.txt">notes</a>
<img src="../../../static/notes.txt" alt="n"></p>
```
"""

DND = """
```olx
<drag-and-drop-v2 url_name="dnd-1" display_name="Sort the cards &amp; things" data="{&quot;a&quot;: 1}"/>
```
"""

CUSTOM = """
```olx
<problem url_name="p-custom" display_name="Custom check">
<customresponse cfn="check"><script type="loncapa/python">
def check(expect, ans):
    return ans == "42"
</script><textline/></customresponse>
</problem>
```
"""


def _src(tmp_path: Path, extra: str) -> Path:
    root = tmp_path / "course_src"
    scaffold(root)
    (root / "static").mkdir(exist_ok=True)
    (root / "static" / "notes.txt").write_text("notes\n", encoding="utf-8")
    unit = root / UNIT
    unit.write_text(unit.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return root


def test_raw_html_is_sanitised_and_links_resolved(tmp_path: Path) -> None:
    course = load_course(_src(tmp_path, RAW))
    unit = course.units()[0]
    raw = [c for c in unit.components if isinstance(c, Html) and "Merged" in c.html]
    assert len(raw) == 1
    html = raw[0].html
    assert raw[0].id == f"{unit.id}-text{len([c for c in unit.components if isinstance(c, Html)])}"
    assert 'colspan="2"' in html and 'class="grid"' in html
    for banned in ("onclick", "style=", "<script", "alert", "<iframe", "javascript:", 'id="cp-submit"'):
        assert banned not in html, banned
    assert 'href="/static/notes.txt"' in html and 'src="/static/notes.txt"' in html


def test_raw_html_local_link_outside_static_is_an_error(tmp_path: Path) -> None:
    root = _src(tmp_path, "\n```raw-html\n<a href=\"/etc/passwd\">x</a>\n```\n")
    with pytest.raises(SourceErrors) as exc:
        load_course(root)
    assert any(d.code == "bad-link" and d.file == UNIT for d in exc.value.diagnostics)


def test_olx_block_round_trips_through_the_olx_target(tmp_path: Path) -> None:
    course = load_course(_src(tmp_path, DND + CUSTOM))
    blocks = [c for c in course.units()[0].components if isinstance(c, OlxBlock)]
    assert [(b.tag, b.id, b.title) for b in blocks] == [
        ("drag-and-drop-v2", "dnd-1", "Sort the cards & things"),
        ("problem", "p-custom", "Custom check"),
    ]
    members = olx.build_members(course)
    # a built-in block: pointer + its own file; a pure XBlock: inline, as Studio exports them
    custom = xmlsafe.parse(members["course/problem/p-custom.xml"])
    assert 'return ans == "42"' in custom.findtext("customresponse/script")
    assert "url_name" not in custom.attrib
    assert "course/drag-and-drop-v2/dnd-1.xml" not in members
    vertical = xmlsafe.parse(members[f"course/vertical/{course.units()[0].id}.xml"])
    assert [(c.tag, dict(c.attrib)) for c in vertical][-2:] == [
        (
            "drag-and-drop-v2",
            {"display_name": "Sort the cards & things", "data": '{"a": 1}', "url_name": "dnd-1"},
        ),
        ("problem", {"url_name": "p-custom"}),
    ]
    assert b'"drag-and-drop-v2","dnd-1"' in members["course/tags.csv"]
    assert not [d for d in check_olx(members, course.competences) if d.severity == "error"]


def test_olx_block_becomes_a_notice_in_scorm(tmp_path: Path) -> None:
    course = load_course(_src(tmp_path, DND + CUSTOM))
    [out] = scorm12.render(course, BuildOptions())
    page = next(v for k, v in out.members.items() if k.endswith(f"{course.units()[0].id}.html"))
    text = page.decode("utf-8") if isinstance(page, bytes) else Path(page).read_text()
    assert "is available in the Open edX version of this course" in text
    assert "Sort the cards &amp; things" in text
    assert "loncapa/python" not in text and "drag-and-drop-v2" not in text


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><problem url_name="a">&e;</problem>', "DOCTYPE"),  # noqa: E501
        ('<problem display_name="no id"/>', "url_name"),
        ('<problem url_name="../x"/>', "url_name"),
        ('<vertical url_name="v"/>', "root <vertical>"),
        ("<problem url_name='a'>", "well-formed"),
    ],
)
def test_bad_olx_blocks_are_refused(tmp_path: Path, body: str, needle: str) -> None:
    root = _src(tmp_path, f"\n```olx\n{body}\n```\n")
    with pytest.raises(SourceErrors) as exc:
        load_course(root)
    found = [d for d in exc.value.diagnostics if d.code == "bad-olx-block"]
    assert found and needle in found[0].message and found[0].file == UNIT


def test_duplicate_olx_id_is_an_error(tmp_path: Path) -> None:
    root = _src(tmp_path, DND + DND)
    with pytest.raises(SourceErrors) as exc:
        load_course(root)
    assert any(d.code == "duplicate-id" and "dnd-1" in d.message for d in exc.value.diagnostics)

