# ruff: noqa: E501 — one capa problem per line reads best
"""The import's readers one by one: capa problems, HTML, course settings, tags, ids.

Each case is what Studio writes in the wild (older markup forms included) and what the source gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from builder.importer.olx.capa import NotConvertible, ProblemReader
from builder.importer.olx.competences import OutcomeIndex, Tags
from builder.importer.olx.course import grading, licence, parse_date
from builder.importer.olx.files import Export
from builder.importer.olx.html import convert, to_markdown
from builder.importer.olx.ids import Ids
from builder.importer.olx.report import ImportReport
from builder.importer.olx.static import StaticFiles
from builder.render import markdown


@pytest.fixture
def env(tmp_path: Path) -> tuple[StaticFiles, ImportReport]:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a b.png").write_bytes(b"x")
    report = ImportReport()
    return StaticFiles(Export(tmp_path), report), report


def read(env: tuple[StaticFiles, ImportReport], xml: str) -> dict[str, Any]:
    static, report = env
    return ProblemReader(static, report).read(etree.fromstring(xml), "p1", "problem/p1")


def test_older_dropdown_form_with_options_attribute(env: tuple[StaticFiles, ImportReport]) -> None:
    data = read(
        env,
        "<problem><optionresponse><p>Pick</p><optioninput options=\"('Red','Blue','It''s')\" correct=\"Blue\"/>"
        "</optionresponse></problem>",
    )
    assert data["type"] == "dropdown" and data["prompt"] == "Pick"
    assert data["choices"][1] == {"text": "Blue", "correct": True}


def test_text_answers_are_case_sensitive_unless_ci(env: tuple[StaticFiles, ImportReport]) -> None:
    data = read(
        env,
        '<problem><stringresponse answer="Paris"><label>Capital?</label><textline/></stringresponse></problem>',
    )
    assert data["case_sensitive"] is True and data["answers"] == ["Paris"]
    data = read(
        env,
        '<problem><stringresponse answer="Paris" type="ci"><label>Q</label><textline/></stringresponse></problem>',
    )
    assert "case_sensitive" not in data


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (
            '<problem><stringresponse answer="a.*" type="ci regexp"><label>Q</label></stringresponse></problem>',
            "regular",
        ),
        (
            '<problem><numericalresponse answer="[1, 2)"><label>Q</label></numericalresponse></problem>',
            "range",
        ),
        (
            "<problem><multiplechoiceresponse><label>A</label><choicegroup><choice correct='true'>x</choice>"
            "<choice>y</choice></choicegroup></multiplechoiceresponse><stringresponse answer='b'><label>B</label>"
            "</stringresponse></problem>",
            "2 responses",
        ),
        (
            "<problem><multiplechoiceresponse><label>A</label><choicegroup><choice correct='true'>x</choice>"
            "<choice correct='true'>y</choice></choicegroup></multiplechoiceresponse></problem>",
            "exactly one choice",
        ),
        ("<problem><p>Just text</p></problem>", "no response"),
        (
            "<problem><choiceresponse><label>Q</label><checkboxgroup><choice correct='partial'>x</choice>"
            "</checkboxgroup></choiceresponse></problem>",
            "partial",
        ),
    ],
)
def test_problems_that_are_kept_as_pass_through(
    env: tuple[StaticFiles, ImportReport], xml: str, reason: str
) -> None:
    with pytest.raises(NotConvertible, match=reason):
        read(env, xml)


def test_weight_zero_and_unknown_settings_are_reported(env: tuple[StaticFiles, ImportReport]) -> None:
    data = read(
        env,
        '<problem weight="0" max_attempts="" rerandomize="always" showanswer="finished">'
        '<numericalresponse answer="2.5"><label>Q</label><responseparam type="tolerance" default="0.1"/>'
        "<correcthint>Yes</correcthint></numericalresponse></problem>",
    )
    assert data["answer"] == 2.5 and data["tolerance"] == "0.1"
    assert "weight" not in data and "max_attempts" not in data
    dropped = " ".join(what for _, what, _ in env[1].dropped)
    assert 'weight="0"' in dropped and 'rerandomize="always"' in dropped and "<correcthint>" in dropped
    assert "showanswer" not in dropped


def test_prompt_keeps_text_before_the_response_and_images(env: tuple[StaticFiles, ImportReport]) -> None:
    data = read(
        env,
        '<problem><p>Look at <img src="/static/a%20b.png" alt="pic"/></p><multiplechoiceresponse>'
        "<label>Which?</label><choicegroup><choice correct='true'>A</choice><choice correct='false'>B</choice>"
        "</choicegroup></multiplechoiceresponse></problem>",
    )
    assert data["prompt"] == "Look at ![pic](/static/a-b.png)\n\nWhich?"


def test_html_without_a_markdown_form_becomes_raw_html(env: tuple[StaticFiles, ImportReport]) -> None:
    static, report = env
    out = convert('<p class="x">Hi</p>', static, report, "html/h")
    assert out is not None and out.kind == "raw-html"
    out = convert('<p>Hi <em>you</em></p><ol start="3"><li>c</li></ol>', static, report, "html/h")
    assert out is not None and out.kind == "prose"
    assert markdown.render(out.text) == '<p>Hi <em>you</em></p>\n<ol start="3">\n<li>c</li>\n</ol>'
    assert convert("<p>  </p><!-- x -->", static, report, "html/h") is None


@pytest.mark.parametrize(
    "html",
    [
        "<p>1. not a list</p>",
        "<p># not a heading</p>",
        "<p>- not a bullet</p>",
        "<p>&lt;b&gt;not bold&lt;/b&gt; *nor* _this_ `code`</p>",
        "<p>&gt; not a quote</p>",
    ],
)
def test_markdown_escapes_keep_text_as_text(html: str) -> None:
    assert markdown.render(to_markdown(html)) == html


def test_licence_dates_and_grading(tmp_path: Path) -> None:
    report = ImportReport()
    assert licence("creative-commons: ver=4.0 BY NC SA", report) == "CC-BY-NC-SA-4.0"
    assert licence("", report) == "all-rights-reserved"
    assert parse_date('"2013-02-05T05:00:00+00:00"').isoformat() == "2013-02-05T05:00:00+00:00"  # type: ignore[union-attr]
    assert parse_date("null") is None
    (tmp_path / "policies" / "r").mkdir(parents=True)
    (tmp_path / "policies" / "r" / "grading_policy.json").write_text(
        '{"GRADER": [{"type": "HW", "min_count": 1, "drop_count": 0, "weight": 2},'
        ' {"type": "Exam", "short_label": "EX", "min_count": 1, "drop_count": 0, "weight": 2}],'
        ' "GRADE_CUTOFFS": {"A": 0.9, "B": 0.7, "Pass": 0.55}}',
        encoding="utf-8",
    )
    got = grading(Export(tmp_path), "r", report)
    assert got["pass_cutoff"] == 0.55
    assert [(g["type"], g["short_label"], g["weight"]) for g in got["graders"]] == [
        ("HW", "HW", 0.5),
        ("Exam", "EX", 0.5),
    ]
    assert any("scaled" in n for n in report.notes)
    assert any("letter grades" in what for _, what, _ in report.dropped)


def test_ids_are_made_valid_and_unique() -> None:
    report = ImportReport()
    ids = Ids(report)
    assert ids.claim("unit", "abc", "x") == "abc"
    assert ids.claim("problem", "abc", "x") == "abc-2"  # unique across kinds, as the loader wants
    assert ids.claim("unit", "Ünit één", "x") == "Unit-een"
    assert ids.claim("unit", None, "unit-3") == "unit-3"
    assert ids.claim("unit", "_x", "f") == "x"
    assert ("problem", "abc", "abc-2") in report.renamed_ids


def test_free_text_tags_become_slug_ids() -> None:
    tags = Tags()
    tags.read_csv('"Name","Type","ID","difficulty"\r\n"u","vertical","v1","Easy; Very hard"\r\n')
    index = OutcomeIndex(tags, ImportReport())
    assert index.outcomes("vertical", "v1") == ["Easy", "Very-hard"]
    cmap = index.competences_yaml("T", "en", "org-num")
    assert cmap["framework"]["id"] == "difficulty"
    assert [o["statement"] for o in cmap["units"][0]["outcomes"]] == ["Easy", "Very hard"]


def test_control_characters_from_html_files_do_not_reach_the_source(tmp_path: Path) -> None:
    """HTML files may hold characters XML cannot carry; the loader refuses them, so they go."""
    from builder.importer.olx import import_olx
    from builder.source import load_course
    from tests.importer import studio_export as sx

    tree = sx.write_export(tmp_path / "tree")
    (tree / "html" / f"{sx.HTML1}.html").write_text("<p>Tab\tand vertical\x0btab\x01.</p>", encoding="utf-8")
    (tree / "problem" / f"{sx.P_SINGLE}.xml").write_text(
        '<problem display_name="Q\u2028"><multiplechoiceresponse><label>Pick</label><choicegroup>'
        '<choice correct="true">A</choice><choice correct="false">B</choice></choicegroup>'
        "</multiplechoiceresponse></problem>",
        encoding="utf-8",
    )
    import_olx(tree.parent, tmp_path / "src")
    unit = load_course(tmp_path / "src").units()[0]
    assert unit.components[0].html == "<p>Tab and verticaltab.</p>"  # type: ignore[union-attr]


def test_an_untagged_export_gets_an_empty_competence_map_and_a_note(tmp_path: Path) -> None:
    from builder.importer.olx import REPORT_FILE, import_olx
    from builder.source import load_course
    from tests.importer import studio_export as sx

    tree = sx.write_export(tmp_path / "tree")
    (tree / "tags.csv").unlink()
    import_olx(tree.parent, tmp_path / "src")
    course = load_course(tmp_path / "src")
    assert course.competences.units == [] and course.competences.framework.id == "TestOrg-ALL101"
    assert all(u.outcomes == [] for u in course.units())
    assert "carries no outcome tags" in (tmp_path / "src" / REPORT_FILE).read_text(encoding="utf-8")


def test_url_names_outside_the_id_rule_are_renamed_everywhere_and_reported(tmp_path: Path) -> None:
    from builder.importer.olx import REPORT_FILE, import_olx
    from builder.source import load_course
    from builder.targets import olx
    from tests.importer import studio_export as sx

    tree = sx.write_export(tmp_path / "tree")
    seq = tree / "sequential" / f"{sx.SEQ1}.xml"
    seq.write_text(seq.read_text(encoding="utf-8").replace(sx.V1, "Wélcome unit"), encoding="utf-8")
    (tree / "vertical" / f"{sx.V1}.xml").rename(tree / "vertical" / "Wélcome unit.xml")
    import_olx(tree.parent, tmp_path / "src")
    course = load_course(tmp_path / "src")
    assert course.units()[0].id == "Welcome-unit"
    assert "course/vertical/Welcome-unit.xml" in olx.build_members(course)
    report = (tmp_path / "src" / REPORT_FILE).read_text(encoding="utf-8")
    assert "| unit | Wélcome unit | Welcome-unit |" in report


def test_text_after_the_response_and_old_hints_are_reported(env: tuple[StaticFiles, ImportReport]) -> None:
    read(
        env,
        "<problem><optionresponse><label>Q</label><optioninput><option correct='True'>a</option>"
        "<option correct='False'>b</option></optioninput><hintgroup/></optionresponse><p>Footnote</p>"
        "<demandhint><hint>h</hint></demandhint></problem>",
    )
    dropped = [what for _, what, _ in env[1].dropped]
    assert dropped == ["<p> after the question", "<hintgroup>"]


def test_an_xblocks_own_markup_is_kept_not_read_as_pointers(tmp_path: Path) -> None:
    from builder.importer.olx import import_olx
    from builder.model import OlxBlock
    from builder.source import load_course
    from tests.importer import studio_export as sx

    tree = sx.write_export(tmp_path / "tree")
    vertical = tree / "vertical" / f"{sx.V4}.xml"
    deep = "<a>" * 20 + "x" + "</a>" * 20
    custom = f'<myblock url_name="mb1" display_name="Mine"><part url_name="p1"/>{deep}</myblock>'
    vertical.write_text(
        vertical.read_text(encoding="utf-8").replace("</vertical>", custom + "</vertical>"), "utf-8"
    )
    import_olx(tree.parent, tmp_path / "src")
    blocks = {
        c.id: c
        for u in load_course(tmp_path / "src").units()
        for c in u.components
        if isinstance(c, OlxBlock)
    }
    assert '<part url_name="p1"/>' in blocks["mb1"].xml and deep in blocks["mb1"].xml


def test_an_unknown_xblock_kept_from_an_import_passes_the_olx_check(tmp_path: Path) -> None:
    from builder.importer.olx import import_olx
    from builder.source import load_course
    from builder.targets import olx
    from builder.validate.olx import check_olx
    from tests.importer import studio_export as sx

    tree = sx.write_export(tmp_path / "tree")
    vertical = tree / "vertical" / f"{sx.V5}.xml"
    custom = '<myblock url_name="mb1" display_name="Mine" xblock-family="xblock.v1"/>'
    vertical.write_text(
        vertical.read_text(encoding="utf-8").replace("</vertical>", custom + "</vertical>"), "utf-8"
    )
    import_olx(tree.parent, tmp_path / "src")
    course = load_course(tmp_path / "src")
    errors = [d for d in check_olx(olx.build_members(course), course.competences) if d.severity == "error"]
    assert [d.code for d in errors] == [
        "olxcleaner.LTIError"
    ]  # the fixture's known one, nothing about myblock
