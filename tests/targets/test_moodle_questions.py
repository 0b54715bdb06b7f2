"""The Moodle question bank file, checked against the paths Moodle's importer reads.

The structure asserted here is what moodle/moodle reads (read, not re-implemented):

- ``question/format/xml/format.php`` (``qformat_xml``): ``readquestions()`` reads ``quiz/question``
  and dispatches on ``@type`` (``import_question()``); ``import_category()`` reads
  ``category/text`` and ``info/@format`` + ``info/text``; ``import_headers()`` reads ``name/text``,
  ``questiontext`` and ``generalfeedback`` through ``import_text_with_files()`` (``@format``,
  ``text``, ``file/@name``, ``file/@path``, base64 content), ``defaultgrade``, ``penalty``,
  ``idnumber`` and ``tags/tag/text`` (``import_question_tags()``); ``import_multichoice()`` reads
  ``single``, ``answer/@fraction``, answer ``text`` + ``file`` and ``feedback``;
  ``import_shortanswer()`` reads ``usecase``; ``import_numerical()`` reads ``answer/tolerance``;
  ``import_hints()`` reads ``hint``. ``getpath(..., istext=true)`` rejects a ``text`` element that
  has child elements, which is why HTML must arrive as character data.
- ``question/format.php`` (``qformat_default``): ``importprocess()`` matches every fraction against
  ``question_bank::fraction_options_full()`` (``question/engine/bank.php``) within 0.00001 and stops
  on any other value; ``split_category_path()`` splits on a single ``/`` and turns ``//`` into ``/``.
- ``question/type/multichoice/questiontype.php``: a single-answer question needs a best fraction of
  exactly 1, a multiple-answer question positive fractions that round (2 dp) to 1.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from builder import xmlsafe
from builder.cli import main
from builder.model import Course, Problem
from builder.scaffold import scaffold
from builder.targets import TARGETS, BuildOptions, renderer
from builder.targets.competences import moodle_rows
from builder.targets.moodle_questions import (
    GRADE_FRACTIONS,
    category_path,
    penalty,
    render,
    split_fraction,
)
from tests.factories import PNG_1X1, make_course

# --------------------------------------------------------------------------- facts read from Moodle

FRACTION_OPTIONS_FULL = {
    0.0,
    1.0,
    *(
        sign * f
        for sign in (1, -1)
        for f in (
            0.9,
            0.8333333,
            0.8,
            0.75,
            0.7,
            0.6666667,
            0.6,
            0.5,
            0.4,
            0.3333333,
            0.3,
            0.25,
            0.2,
            0.1666667,
            0.1428571,
            0.125,
            0.1111111,
            0.1,
            0.05,
        )
    ),
    -1.0,
}
"""``question_bank::ensure_fraction_options_initialised()``, question/engine/bank.php."""

TEXT_FORMATS = {"moodle_auto_format", "html", "plain_text", "wiki_like", "markdown"}
"""The names ``qformat_xml::trans_format()`` knows; anything else is imported as html with a warning."""

QUESTION_TYPES = {"category", "multichoice", "numerical", "shortanswer"}
HEADER_PATHS = (
    "name/text",
    "questiontext/text",
    "generalfeedback/text",
    "defaultgrade",
    "penalty",
    "idnumber",
)


def on_grade_list(percent: str) -> bool:
    """``match_grade_options($gradeoptionsfull, $fraction, 'error')`` would accept it."""
    value = float(percent) / 100
    return any(abs(value - option) < 0.00001 for option in FRACTION_OPTIONS_FULL)


def split_category_path(path: str) -> list[str]:
    """``qformat_default::split_category_path()`` without PARAM_TEXT cleaning."""
    return [name.replace("//", "/").strip() for name in re.split(r"(?<!/)/(?!/)", path)]


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path)


def xml_bytes(course: Course) -> bytes:
    (output,) = render(course, BuildOptions())
    (data,) = output.members.values()
    assert isinstance(data, bytes)
    return data


def parse(course: Course) -> etree._Element:
    return xmlsafe.parse(xml_bytes(course))


def questions(root: etree._Element) -> dict[str, etree._Element]:
    return {q.findtext("idnumber"): q for q in root.findall("question") if q.get("type") != "category"}


def fractions(q: etree._Element) -> list[str]:
    return [a.get("fraction") for a in q.findall("answer")]


def problem(course: Course, pid: str) -> Problem:
    return next(p for p in course.problems() if p.id == pid)


def file_data(element: etree._Element) -> dict[str, bytes]:
    files = element.findall("file")
    for f in files:
        assert f.get("path") == "/" and f.get("encoding") == "base64"
    return {f.get("name"): base64.b64decode(f.text, validate=True) for f in files}


# --------------------------------------------------------------------------- the file and its structure


def test_one_xml_file_named_for_the_course(course: Course) -> None:
    (output,) = render(course, BuildOptions())
    assert output.filename == "TestOrg-T101-2026_T1.moodle-questions.xml"
    assert output.format == "file"
    assert list(output.members) == [output.filename]
    assert output.summary == "5 questions"
    data = xml_bytes(course)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    assert b"<!DOCTYPE" not in data and b"<!ENTITY" not in data


def test_target_is_registered_for_all_and_the_cli(tmp_path: Path) -> None:
    assert "moodle-questions" in TARGETS
    assert renderer("moodle-questions") is render
    src = tmp_path / "src"
    scaffold(src)
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", str(src), "-t", "moodle-questions", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir() if p.name != ".coursepack-cache"] == [
        "MyOrg-C101-2026_T1.moodle-questions.xml"
    ]


def test_structure_is_what_qformat_xml_reads(sample_course: Course) -> None:
    root = xmlsafe.parse(xml_bytes(sample_course))
    assert root.tag == "quiz"
    assert {q.get("type") for q in root.findall("question")} == QUESTION_TYPES
    for q in root.findall("question"):
        if q.get("type") == "category":
            assert q.findtext("category/text").startswith("$course$/top/")
            assert q.find("info").get("format") == "html" and q.findtext("info/text")
            continue
        for path in HEADER_PATHS:
            assert q.find(path) is not None, (q.findtext("idnumber"), path)
        assert q.findtext("name/text").strip()
        for tag in ("questiontext", "generalfeedback", "hint", "answer/feedback"):
            for element in q.findall(tag):
                assert element.get("format") in TEXT_FORMATS
        assert q.find("questiontext").get("format") == "html"
        assert q.findall("answer"), "every type here reads question['#']['answer'] without a default"
        if q.get("type") == "multichoice":
            assert q.findtext("single") in ("true", "false")
            assert all(a.get("format") == "html" for a in q.findall("answer"))
        if q.get("type") == "numerical":
            assert all(a.find("tolerance") is not None for a in q.findall("answer"))
        if q.get("type") == "shortanswer":
            assert q.findtext("usecase") in ("0", "1")
    # getpath(…, istext=true) needs a string: no <text> may hold elements.
    assert all(len(t) == 0 for t in root.iter("text"))


def test_every_problem_of_the_sample_course_with_the_right_answers(sample_course: Course) -> None:
    found = questions(xmlsafe.parse(xml_bytes(sample_course)))
    assert list(found) == [p.id for p in sample_course.problems()]
    kinds = {"single": "multichoice", "multiple": "multichoice", "dropdown": "multichoice"}
    kinds |= {"numeric": "numerical", "text": "shortanswer"}
    for p in sample_course.problems():
        q = found[p.id]
        assert q.get("type") == kinds[p.type], p.id
        assert all(on_grade_list(f) for f in fractions(q)), p.id
        if p.type in ("single", "multiple", "dropdown"):
            assert len(q.findall("answer")) == len(p.choices)
            right = [float(f) > 0 for f in fractions(q)]
            assert right == [c.correct for c in p.choices], p.id
            assert [a.findtext("text") for a in q.findall("answer")] == [
                c.text_html.strip() for c in p.choices
            ]
        if p.type in ("single", "dropdown"):
            assert q.findtext("single") == "true"
            assert sorted(fractions(q)) == ["0"] * (len(p.choices) - 1) + ["100"]
        if p.type == "multiple":
            assert q.findtext("single") == "false"
            positive = sum(float(f) / 100 for f in fractions(q) if float(f) > 0)
            assert round(positive, 2) == 1, p.id
        if p.type == "numeric":
            (a,) = q.findall("answer")
            assert float(a.findtext("text")) == p.answer
            assert float(a.findtext("tolerance")) == pytest.approx(p.tolerance_value())
        if p.type == "text":
            assert [a.findtext("text") for a in q.findall("answer")] == p.answers
            assert q.findtext("usecase") == ("1" if p.case_sensitive else "0")


# --------------------------------------------------------------------------- categories


def test_one_category_per_section_and_subsection_in_outline_order(course: Course) -> None:
    root = parse(course)
    filed: dict[str, str] = {}
    paths: list[str] = []
    for q in root.findall("question"):
        if q.get("type") == "category":
            paths.append(q.findtext("category/text"))
        else:
            filed[q.findtext("idnumber")] = paths[-1]
    assert paths == [
        "$course$/top/Section one",
        "$course$/top/Section one/Intro",
        "$course$/top/Section one/Practice",
        "$course$/top/Section two",
        "$course$/top/Section two/Final",
    ]
    assert filed == {
        "p-single": "$course$/top/Section one/Intro",
        "p-multiple": "$course$/top/Section one/Practice",
        "p-numeric": "$course$/top/Section one/Practice",
        "p-text": "$course$/top/Section two/Final",
        "p-dropdown": "$course$/top/Section two/Final",
    }


def test_sections_without_problems_get_no_category(course: Course) -> None:
    course.sections[1].subsections[0].units[0].components = []
    paths = [q.findtext("category/text") for q in parse(course).findall("question[@type='category']")]
    assert not any("Section two" in p for p in paths)


def test_slashes_in_titles_survive_moodles_category_path_split() -> None:
    path = category_path("Plan / do", "/check/", "act//")
    assert path == "$course$/top/Plan // do/ //check// /act//// "
    assert split_category_path(path) == ["$course$", "top", "Plan / do", "/check/", "act//"]


# --------------------------------------------------------------------------- grades


def test_single_choice_has_one_100_and_zeros(course: Course) -> None:
    q = questions(parse(course))["p-single"]
    assert q.get("type") == "multichoice" and q.findtext("single") == "true"
    assert fractions(q) == ["100", "0"]


def test_multiple_choice_right_share_plus_100_wrong_share_minus_100(course: Course) -> None:
    q = questions(parse(course))["p-multiple"]
    assert q.findtext("single") == "false"
    assert fractions(q) == ["50", "-100", "50"]


def test_multiple_choice_thirds_and_sevenths_use_moodles_rounded_grades(course: Course) -> None:
    p = problem(course, "p-multiple")
    base = p.choices[0]
    p.choices = [base.model_copy(update={"correct": i < 3}) for i in range(10)]
    q = questions(parse(course))["p-multiple"]
    assert fractions(q) == ["33.33333"] * 3 + ["-14.28571"] * 7
    assert all(on_grade_list(f) for f in fractions(q))


@pytest.mark.parametrize("count", range(1, 21))
def test_split_fraction_stays_on_moodles_grade_list_and_adds_up(count: int) -> None:
    shares = split_fraction(count)
    assert len(shares) == count
    assert all(s in GRADE_FRACTIONS for s in shares)
    assert round(sum(shares) / 10_000_000, 2) == 1
    assert all(on_grade_list(str(s / 100_000)) for s in shares)


def test_split_fraction_beyond_twenty_is_a_clear_error() -> None:
    assert split_fraction(11) == [1_000_000] * 9 + [500_000] * 2
    with pytest.raises(ValueError, match="21 answers cannot share 100%"):
        split_fraction(21)


def test_dropdown_is_a_single_answer_multichoice_without_numbering(course: Course) -> None:
    q = questions(parse(course))["p-dropdown"]
    assert q.get("type") == "multichoice"
    assert q.findtext("single") == "true"
    assert q.findtext("answernumbering") == "none"
    assert fractions(q) == ["0", "100"]
    assert [a.findtext("feedback/text") for a in q.findall("answer")] == ["<p>No</p>", "<p>Yes</p>"]


# --------------------------------------------------------------------------- numeric and text


def test_numeric_relative_tolerance_becomes_absolute(course: Course) -> None:
    q = questions(parse(course))["p-numeric"]
    assert q.get("type") == "numerical"
    (a,) = q.findall("answer")
    assert a.get("fraction") == "100"
    assert a.findtext("text") == "24"
    assert a.findtext("tolerance") == "1.2"  # 5 % of 24


@pytest.mark.parametrize(
    ("answer", "tolerance", "text", "tol"),
    [
        (24, "0.5", "24", "0.5"),
        (3.5, "0", "3.5", "0"),
        (-0.3, "10%", "-0.3", "0.03"),
        (92575, "1%", "92575", "925.75"),
    ],
)
def test_numeric_answer_and_tolerance_text(
    course: Course, answer: float, tolerance: str, text: str, tol: str
) -> None:
    p = problem(course, "p-numeric")
    p.answer, p.tolerance = answer, tolerance
    (a,) = questions(parse(course))["p-numeric"].findall("answer")
    assert (a.findtext("text"), a.findtext("tolerance")) == (text, tol)


def test_shortanswer_accepts_every_answer_with_the_case_rule(course: Course) -> None:
    q = questions(parse(course))["p-text"]
    assert q.get("type") == "shortanswer"
    assert q.findtext("usecase") == "0"
    assert fractions(q) == ["100", "100", "100"]
    assert [a.findtext("text") for a in q.findall("answer")] == problem(course, "p-text").answers
    problem(course, "p-text").case_sensitive = True
    assert questions(parse(course))["p-text"].findtext("usecase") == "1"


def test_shortanswer_star_is_literal_not_moodles_wildcard(course: Course) -> None:
    problem(course, "p-text").answers = ["5*3", "anything"]
    q = questions(parse(course))["p-text"]
    assert [a.findtext("text") for a in q.findall("answer")] == ["5\\*3", "anything"]


# --------------------------------------------------------------------------- feedback, hints, grade, tags


def test_choice_feedback_general_feedback_and_hints(course: Course) -> None:
    q = questions(parse(course))["p-single"]
    assert [a.findtext("feedback/text") for a in q.findall("answer")] == [
        "<p>Yes.</p>",
        "<p>No, see <em>above</em>.</p>",
    ]
    assert q.findtext("generalfeedback/text") == "<p>Because.</p>"
    assert q.findtext("questiontext/text") == "<p>Which is <strong>right</strong>?</p>"
    hints = questions(parse(course))["p-numeric"].findall("hint")
    assert [(h.get("format"), h.findtext("text")) for h in hints] == [
        ("html", "<p>Divide by ten.</p>"),
        ("html", "<p>240 / 10</p>"),
    ]


def test_defaultgrade_from_weight_and_penalty_from_attempts(course: Course) -> None:
    found = questions(parse(course))
    assert found["p-numeric"].findtext("defaultgrade") == "2"
    assert found["p-single"].findtext("defaultgrade") == "1"
    assert found["p-single"].findtext("penalty") == "0.5"  # max_attempts 2
    assert found["p-multiple"].findtext("penalty") == "0"  # unlimited attempts
    problem(course, "p-text").weight = 2.5
    assert questions(parse(course))["p-text"].findtext("defaultgrade") == "2.5"


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (None, "0"),
        (1, "1"),
        (2, "0.5"),
        (3, "0.3333333"),
        (4, "0.25"),
        (5, "0.2"),
        (7, "0.1"),
        (10, "0.1"),
        (20, "0.1"),
        (21, "0"),
    ],
)
def test_penalty_rule(attempts: int | None, expected: str) -> None:
    assert penalty(attempts) == expected


def test_idnumber_is_the_problem_id_and_names_are_unique(sample_course: Course) -> None:
    found = questions(xmlsafe.parse(xml_bytes(sample_course)))
    names = [q.findtext("name/text") for q in found.values()]
    assert len(set(names)) == len(names)
    assert "Name the concept (p-tco-acronym)" in names  # a shared title gets the id
    assert (
        found["p-eleadership-definition"].findtext("name/text") == "Check your understanding — e-leadership"
    )


def test_blank_title_becomes_the_id_because_moodle_needs_a_name(course: Course) -> None:
    problem(course, "p-single").title = "  "
    assert questions(parse(course))["p-single"].findtext("name/text") == "p-single"


def test_tags_are_the_outcome_ids_of_the_competency_framework(sample_course: Course) -> None:
    found = questions(xmlsafe.parse(xml_bytes(sample_course)))
    competency_ids = {row[1] for row in moodle_rows(sample_course.competences)[2:]}
    framework_csv = list(csv.reader(io.StringIO(_competency_csv(sample_course))))
    assert competency_ids == {row[1] for row in framework_csv[2:]}
    for p in sample_course.problems():
        tags = [t.findtext("text") for t in found[p.id].findall("tags/tag")]
        assert tags == p.assesses, p.id
        assert set(tags) <= competency_ids


def _competency_csv(course: Course) -> str:
    (output,) = [o for o in renderer("competences")(course, BuildOptions()) if "moodle" in o.filename]
    (data,) = output.members.values()
    assert isinstance(data, bytes)
    return data.decode("utf-8")


def test_outcome_id_longer_than_a_moodle_tag_is_a_clear_error(course: Course) -> None:
    long_id = "TM.U1." + "K" * 60
    course.competences.units[0].outcomes[0].id = long_id
    problem(course, "p-single").assesses = [long_id]
    course.positions[long_id] = ("competences.yaml", 12)
    with pytest.raises(ValueError, match=r"competences\.yaml:12: outcome id TM\.U1\.K+ is longer than 50"):
        xml_bytes(course)


def test_problem_id_longer_than_a_moodle_idnumber_is_a_clear_error(course: Course) -> None:
    problem(course, "p-single").id = "p-" + "x" * 110
    with pytest.raises(ValueError, match="longer than 100 characters"):
        xml_bytes(course)


# --------------------------------------------------------------------------- files


def test_images_and_links_are_embedded_where_they_are_used(course: Course) -> None:
    img = '<img src="/static/images_diagram.png" alt="d">'
    link = '<a href="/static/downloads_guide.pdf">guide</a>'
    p = problem(course, "p-single")
    p.prompt_html = f"<p>Look: {img}</p>"
    p.explanation_html = f"<p>Read the {link}.</p>"
    p.hints_html = [f"<p>{img}</p>"]
    p.choices[0].text_html = f"<p>{img}</p>"
    p.choices[1].feedback_html = f"<p>See {img} and {link}</p>"
    q = questions(parse(course))["p-single"]
    png = {"images_diagram.png": PNG_1X1}
    both = {"images_diagram.png": PNG_1X1, "downloads_guide.pdf": b"%PDF-1.4\n%%EOF\n"}
    pluginfile = '<img src="@@PLUGINFILE@@/images_diagram.png" alt="d">'
    assert q.findtext("questiontext/text") == f"<p>Look: {pluginfile}</p>"
    assert file_data(q.find("questiontext")) == png
    assert "@@PLUGINFILE@@/downloads_guide.pdf" in q.findtext("generalfeedback/text")
    assert file_data(q.find("generalfeedback")) == {"downloads_guide.pdf": both["downloads_guide.pdf"]}
    assert file_data(q.find("hint")) == png
    first, second = q.findall("answer")
    assert first.findtext("text") == f"<p>{pluginfile}</p>"
    assert file_data(first) == png
    assert file_data(first.find("feedback")) == {}
    assert file_data(second.find("feedback")) == both
    assert "/static/" not in xml_bytes(course).decode()


def test_reference_to_a_missing_file_fails(course: Course) -> None:
    problem(course, "p-single").prompt_html = '<p><img src="/static/nope.png" alt=""></p>'
    with pytest.raises(ValueError, match=r"problem p-single refers to /static/nope\.png"):
        xml_bytes(course)


# --------------------------------------------------------------------------- escaping and reproducibility

NASTY = 'Ünïcode “quotes” & <script>alert("x")</script> ]]> end ]]]]> 🙂'


def test_every_field_is_escaped_and_round_trips(course: Course) -> None:
    html = "<p>" + NASTY.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + " ]]></p>"
    course.sections[0].title = NASTY
    course.sections[0].subsections[0].title = NASTY
    p = problem(course, "p-single")
    p.title = NASTY
    p.prompt_html = p.explanation_html = html
    p.hints_html = [html]
    p.choices[0].text_html = p.choices[0].feedback_html = html
    problem(course, "p-text").answers = [NASTY]
    root = parse(course)
    q = questions(root)["p-single"]
    for path in ("name/text",):
        assert q.findtext(path) == NASTY
    for path in (
        "questiontext/text",
        "generalfeedback/text",
        "hint/text",
        "answer/text",
        "answer/feedback/text",
    ):
        assert q.findtext(path) == html, path
    assert questions(root)["p-text"].findtext("answer/text") == NASTY
    cats = root.findall("question[@type='category']")
    escaped = NASTY.replace("/", "//")
    assert cats[1].findtext("category/text") == f"$course$/top/{escaped}/{escaped}"
    assert split_category_path(cats[1].findtext("category/text"))[2:] == [NASTY, NASTY]
    assert NASTY.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in cats[0].findtext(
        "info/text"
    )
    assert not list(root.iter("script"))
    assert all(len(t) == 0 for t in root.iter("text"))


def test_control_characters_are_dropped_not_written(course: Course) -> None:
    problem(course, "p-single").title = "Bell\x07 and\ttab"
    problem(course, "p-text").answers = ["a\x07b\tc"]
    found = questions(parse(course))
    assert found["p-single"].findtext("name/text") == "Bell and tab"  # names are one line
    assert found["p-text"].findtext("answer/text") == "ab\tc"


def test_two_builds_are_byte_identical(course: Course, sample_course: Course) -> None:
    assert xml_bytes(course) == xml_bytes(course)
    assert xml_bytes(sample_course) == xml_bytes(sample_course)


def test_the_scaffold_course_builds(tmp_path: Path) -> None:
    from builder.source import load_course

    src = tmp_path / "new"
    scaffold(src)
    scaffolded = load_course(src)
    found = questions(xmlsafe.parse(xml_bytes(scaffolded)))
    assert list(found) == [p.id for p in scaffolded.problems()]
    assert found


def test_text_is_cdata_never_entity_references(course: Course) -> None:
    """Moodle's xmlize skips every character-data chunk that is only whitespace, and the parser
    hands over ``&lt; &gt;`` as three chunks, so the space between two entity references is lost
    (checked with Moodle's core_xml_parser on PHP 8.2). Inside CDATA there are no such chunks."""
    problem(course, "p-single").title = "A & <b> c"
    data = xml_bytes(course).decode("utf-8")
    outside_cdata = re.sub(r"<!\[CDATA\[.*?\]\]>", "", data, flags=re.DOTALL)
    assert "&" not in outside_cdata
    assert "<![CDATA[A & <b> c]]>" in data


def test_each_subsections_questions_are_made_as_the_bank_is_written(
    course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subsection's questions (a piece of the build cache) are rendered or fetched while the
    document is written, not all before it: the whole bank's pieces (23 MB at 20,000 units) then
    sat in memory beside the document being written, the edit build's peak."""
    from builder.targets import moodle_questions

    writing: list[bool] = []
    made: list[bool] = []
    real_render, real_piece = moodle_questions.render_bytes, moodle_questions.piece

    def render(template, **context):  # type: ignore[no-untyped-def]
        writing.append(True)
        return real_render(template, **context)

    def piece(kind, parts, make):  # type: ignore[no-untyped-def]
        made.append(bool(writing))
        return real_piece(kind, parts, make)

    monkeypatch.setattr(moodle_questions, "render_bytes", render)
    monkeypatch.setattr(moodle_questions, "piece", piece)
    expected = xml_bytes(course)
    assert len(made) > 1 and all(made)
    monkeypatch.undo()
    assert xml_bytes(course) == expected
