"""The coverage report speaks the course language: its words come from per-language string tables,
and `report --lang` / `build --lang` write one report per language, named like the packages."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from builder.build import build as run_build
from builder.cli import main
from builder.i18n.apply import translate
from builder.model import Course
from builder.report.coverage import STRINGS_DIR, coverage, strings, to_csv, to_html, to_json
from builder.targets import BuildOptions
from tests.conftest import ROOT
from tests.factories import make_course

SAMPLE = ROOT / "course_src"
SCORM_I18N = ROOT / "scorm_templates" / "i18n"
STEM = "eLead-HTL101-2026_T1"
EXTS = ("csv", "html", "json")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
EMPTY_IN_ENGLISH = {"checks_note"}
"""Keys English leaves empty on purpose: the note that findings are in English is for other languages."""


def _table(lang: str) -> dict[str, str]:
    return json.loads((STRINGS_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def _text(page: bytes) -> str:
    """What a reader sees: text nodes and the attributes browsers show (title, aria-label)."""
    doc = lxml_html.fromstring(page)
    for style in doc.iter("style"):
        style.drop_tree()
    parts = [" ".join(doc.text_content().split())]
    parts += [el.get(a) for a in ("title", "aria-label") for el in doc.iter() if el.get(a)]
    return unescape("\n".join(parts))


def test_every_report_table_has_exactly_the_english_keys_and_placeholders() -> None:
    english = _table("en")
    languages = {p.stem for p in STRINGS_DIR.glob("*.json")}
    # every language the SCO controls speak has a report table too
    assert {p.stem for p in SCORM_I18N.glob("*.json")} <= languages
    assert {"en", "it", "de", "el", "es", "fr", "nl"} <= languages
    for lang in sorted(languages):
        table = _table(lang)
        assert set(table) == set(english), (lang, set(table) ^ set(english))
        for key, text in table.items():
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), (lang, key)
            assert text or (lang == "en" and key in EMPTY_IN_ENGLISH), (lang, key)
        if lang != "en":
            for key in ("heading", "matrix_heading", "gaps_heading", "totals_heading", "course_unit"):
                assert table[key] != english[key], (lang, key)


@pytest.fixture(scope="module")
def italian(sample_course: Course) -> Course:
    it, warnings = translate(sample_course, SAMPLE, "it")
    assert warnings == []
    return it


def test_italian_report_has_italian_words_and_no_english_ones(italian: Course) -> None:
    page = to_html(coverage(italian))
    assert b'<html lang="it">' in page
    seen = _text(page)
    it, en = strings("it"), strings("en")
    for key in (
        "heading",
        "matrix_heading",
        "gaps_heading",
        "checks_heading",
        "totals_heading",
        "outcomes_heading",
        "course_unit",
        "status_row",
        "col_ecvet_points",
        "legend_both",
    ):
        assert it[key] in seen, (key, it[key])
    # Each English string (its literal pieces between placeholders) is absent unless the Italian
    # string shares the piece (e-CF, ESCO, "× EQF"); whole words only, so "Total" ≠ "Totale".
    for key, text in en.items():
        for piece in PLACEHOLDER.split(text)[::2]:
            piece = piece.strip(" ,.:;()–·")
            if len(piece) < 2 or piece in it[key] or not re.search(r"[A-Za-z]", piece):
                continue
            assert not re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", seen), (key, piece)


def test_italian_report_writes_numbers_with_a_decimal_comma(tmp_path: Path) -> None:
    course = make_course(tmp_path)
    ulo = course.competences.units[0]
    ulo.hours, ulo.ecvet_points = 25, 2  # 12.5 hours per point
    assert "12.5" in _text(to_html(coverage(course)))
    italian = course.model_copy(update={"language": "it"})
    seen = _text(to_html(coverage(italian)))
    assert "12,5" in seen and "12.5" not in seen


@pytest.mark.parametrize("lang", ["de", "el", "es", "fr", "nl", "it"])
def test_report_headings_in_each_language(tmp_path: Path, lang: str) -> None:
    course = make_course(tmp_path).model_copy(update={"language": lang})
    page = to_html(coverage(course))
    assert f'<html lang="{lang}">'.encode() in page
    seen = _text(page)
    table = strings(lang)
    for key in ("heading", "matrix_heading", "gaps_heading", "totals_heading", "outcomes_heading"):
        assert table[key] in seen and strings("en")[key] not in seen, (lang, key)


def test_a_language_without_a_table_gets_english_words_and_its_own_lang(tmp_path: Path) -> None:
    course = make_course(tmp_path).model_copy(update={"language": "pt-BR"})
    page = to_html(coverage(course))
    assert b'<html lang="pt-BR">' in page and strings("en")["heading"] in _text(page)
    assert strings("../../en") == strings("en")  # a tag never names a file outside the folder


def test_csv_and_json_keep_machine_names_and_carry_the_translated_text(
    sample_course: Course, italian: Course
) -> None:
    en_cov, it_cov = coverage(sample_course), coverage(italian)
    en_rows = list(csv.reader(io.StringIO(to_csv(en_cov).decode())))
    it_rows = list(csv.reader(io.StringIO(to_csv(it_cov).decode())))
    assert en_rows[0] == it_rows[0]  # header: stable machine names
    assert [r[:3] + r[4:] for r in en_rows] == [r[:3] + r[4:] for r in it_rows]  # ids and T/A cells
    assert [r[3] for r in it_rows[1:]] == [u.title for u in italian.units()]
    assert any(a[3] != b[3] for a, b in zip(en_rows[1:], it_rows[1:], strict=True))
    en_doc, it_doc = json.loads(to_json(en_cov)), json.loads(to_json(it_cov))

    def shape(doc: object) -> object:
        if isinstance(doc, dict):
            return {k: shape(v) for k, v in doc.items()}
        if isinstance(doc, list):
            return [shape(v) for v in doc]
        return type(doc).__name__

    assert shape(en_doc) == shape(it_doc)
    assert it_doc["course"]["title"] == italian.title != en_doc["course"]["title"]
    first = it_doc["units_of_learning_outcomes"][0]["outcomes"][0]
    assert first["statement"] == italian.competences.outcomes()[0].statement
    assert [o["status"] for u in it_doc["units_of_learning_outcomes"] for o in u["outcomes"]] == [
        o["status"] for u in en_doc["units_of_learning_outcomes"] for o in u["outcomes"]
    ]


def test_report_lang_all_writes_each_language_with_fallback_warnings(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    r = CliRunner().invoke(main, ["report", str(SAMPLE), "--lang", "all", "-o", str(out)])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{STEM}{suffix}.coverage.{ext}" for suffix in ("", "-it", "-nl") for ext in ("csv", "html", "json")
    )
    assert "no current nl translation" in r.output  # the Dutch catalog is a third done
    assert "no current it translation" not in r.output
    for suffix, lang in (("", "en"), ("-it", "it"), ("-nl", "nl")):
        page = (out / f"{STEM}{suffix}.coverage.html").read_bytes()
        assert f'<html lang="{lang}">'.encode() in page
        assert strings(lang)["heading"] in _text(page)
    assert r.output.count("Coverage of ") == 3  # the terminal summary stays English, once per language


def test_report_lang_strict_refuses_a_partial_catalog_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    r = CliRunner().invoke(main, ["report", str(SAMPLE), "--lang", "nl", "--strict", "-o", str(out)])
    assert r.exit_code == 1 and "nothing was written" in r.output, r.output
    assert not out.exists() or not any(out.iterdir())
    r = CliRunner().invoke(main, ["report", str(SAMPLE), "--lang", "it", "--strict", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [f"{STEM}-it.coverage.{e}" for e in EXTS]
    r = CliRunner().invoke(main, ["report", str(SAMPLE), "--lang", "qq", "-o", str(out)])
    assert r.exit_code == 2 and "no catalog for language 'qq'" in r.output


def test_build_with_the_report_publishes_it_in_the_build_language(italian: Course, tmp_path: Path) -> None:
    """`build --lang it` with every target stages the report with the translated model."""
    out = tmp_path / "dist"
    result, _ = run_build(italian, out, ["competences"], BuildOptions(), report=True, cache=False)
    assert not result.errors
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert [n for n in names if ".coverage." in n] == [f"{STEM}-it.coverage.{e}" for e in EXTS]
    page = (out / f"{STEM}-it.coverage.html").read_bytes()
    assert b'<html lang="it">' in page and strings("it")["matrix_heading"] in _text(page)
    doc = json.loads((out / f"{STEM}-it.coverage.json").read_bytes())
    assert doc["course"]["title"] == italian.title
