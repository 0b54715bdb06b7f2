"""Links between units in the rendered packages: what a learner clicks in each LMS.

The source is the scaffold with a second unit beside the first and one in a second section
(``tests.source.test_unit_links.linked_course``): the welcome unit links both, its problem
links the neighbour, and the overview links the welcome unit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builder.archive import Member
from builder.model import Course
from builder.pipeline import run
from builder.source import load_course
from builder.targets import BuildOptions, cmi5, olx, scorm12, scorm2004
from tests.source.test_unit_links import UNIT, linked_course


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return load_course(linked_course(tmp_path / "src"))


def text(member: Member) -> str:
    return (member if isinstance(member, bytes) else Path(member).read_bytes()).decode("utf-8")


def test_olx_links_jump_to_the_unit(course: Course) -> None:
    (out,) = olx.render(course, BuildOptions())
    m = {k: text(v) for k, v in out.members.items() if k.endswith((".html", ".xml"))}
    welcome_text = m[f"course/html/{course.units()[0].components[-1].id}.html"]
    assert '<a href="/jump_to_id/u-hazards#risks">the hazards</a>' in welcome_text
    assert '<a href="/jump_to_id/u-extra">more</a>' in welcome_text
    assert '<a href="/jump_to_id/u-hazards">hazards</a>' in m["course/problem/p-outline-levels.xml"]
    assert '<a href="/jump_to_id/u-welcome">here</a>' in m["course/about/overview.html"]
    assert 'url_name="u-hazards"' in m["course/sequential/ss-first-steps.xml"]  # the jump target exists
    assert not [k for k, v in m.items() if 'href="/unit/' in v]


def test_olx_with_unit_links_passes_the_olx_checks(course: Course) -> None:
    result = run(course, ["olx"], BuildOptions(), jobs=1)
    assert result.errors == [], "\n".join(map(str, result.errors))


@pytest.mark.parametrize("target", [scorm12, scorm2004])
def test_scorm_unit_pages_link_page_to_page(course: Course, target: object) -> None:
    (out,) = target.render(course, BuildOptions())  # type: ignore[attr-defined]
    page = text(out.members["sco/u-welcome.html"])
    assert '<a href="u-hazards.html#risks">the hazards</a>' in page
    assert '<a href="u-extra.html">more</a>' in page
    assert '<a href="u-hazards.html">hazards</a>' in page  # in the problem's prompt
    assert "sco/u-hazards.html" in out.members and "sco/u-extra.html" in out.members
    assert '<a href="u-welcome.html">the start</a>' in text(out.members["sco/u-hazards.html"])


def test_scorm_course_page_links_show_the_unit(course: Course) -> None:
    (out,) = scorm12.render(course, BuildOptions(sco="course"))
    page = text(out.members["sco/course.html"])
    assert '<a href="#unit-u-hazards">the hazards</a>' in page
    assert 'id="unit-u-hazards"' in page
    assert 'a[href^="#unit-"]' in text(out.members["shared/coursepack.js"])


def test_split_section_link_to_another_package_is_plain_text_and_warned(course: Course) -> None:
    options = BuildOptions(split="section")
    outs = {o.filename: o for o in scorm12.render(course, options)}
    first = outs[f"{course.slug}.s-getting-started.scorm12.zip"]
    page = text(first.members["sco/u-welcome.html"])
    assert '<a href="u-hazards.html#risks">the hazards</a>' in page
    assert re.search(r"the hazards</a> and more\.", page), "the link to another package becomes its text"
    result = run(course, ["scorm12"], options, jobs=1)
    (warning,) = [d for d in result.warnings if d.code == "split-unit-link"]
    assert (warning.file, warning.line) == (UNIT, _line(course, "[more]"))
    assert warning.message == (
        "the link to unit `u-extra` (section `s-more`) is plain text in the SCORM packages:"
        " with --split section that unit is in another package"
    )
    assert warning.hint == "link units of the same section, or build without --split section"
    assert not [
        d for d in run(course, ["scorm12"], BuildOptions(), jobs=1).warnings if d.code == "split-unit-link"
    ]


def test_cmi5_au_pages_link_page_to_page(course: Course) -> None:
    (out,) = cmi5.render(course, BuildOptions())
    page = text(out.members["sco/u-welcome.html"])
    assert '<a href="u-hazards.html#risks">the hazards</a>' in page
    assert '<a href="u-extra.html">more</a>' in page


def _line(course: Course, needle: str) -> int:
    root = Path(course.image.source).parents[2]
    lines = (root / UNIT).read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_moodle_questions_keep_a_unit_link_as_text(course: Course) -> None:
    from builder.targets import moodle_questions

    (out,) = moodle_questions.render(course, BuildOptions())
    xml = "".join(text(m) for m in out.members.values())
    assert "(see hazards) How many" in xml
    assert "/unit/" not in xml


def test_handbook_keeps_a_unit_link_in_trainer_notes_as_text(tmp_path: Path) -> None:
    from builder.targets.handbook import render_html

    root = linked_course(tmp_path / "src")
    unit = root / UNIT
    note = "\n```trainer-notes\nAfter this, walk through [the hazards](02-hazards.md) together.\n```\n"
    unit.write_text(unit.read_text(encoding="utf-8") + note, encoding="utf-8")
    page = render_html(load_course(root)).decode("utf-8")
    assert "walk through the hazards together." in page
    assert "/unit/" not in page
