"""The handbook's headings speak the course language, for every language the SCO controls speak."""

from __future__ import annotations

import io
import json
from html import unescape
from pathlib import Path

import pypdf
import pytest

from builder.scaffold import scaffold
from builder.source import load_course
from builder.targets.handbook import render_html, render_pdf, strings
from tests.conftest import ROOT

HANDBOOK_I18N = ROOT / "handbook_templates" / "i18n"
SCORM_I18N = ROOT / "scorm_templates" / "i18n"


def test_every_sco_language_has_a_complete_handbook_table() -> None:
    english = set(json.loads((HANDBOOK_I18N / "en.json").read_text(encoding="utf-8")))
    sco_languages = {p.stem for p in SCORM_I18N.glob("*.json")}
    handbook_languages = {p.stem for p in HANDBOOK_I18N.glob("*.json")}
    assert sco_languages <= handbook_languages
    for lang in sorted(handbook_languages):
        table = json.loads((HANDBOOK_I18N / f"{lang}.json").read_text(encoding="utf-8"))
        assert set(table) == english, lang
        if lang != "en":
            # headings a reader sees on every page are really translated, not copied
            for key in ("handbook", "contents", "session_plan", "assessment_guide"):
                assert table[key] != strings("en")[key], (lang, key)


@pytest.mark.parametrize("lang", ["de", "el", "es", "fr", "nl"])
def test_headings_in_the_course_language_in_pdf_and_html(tmp_path: Path, lang: str) -> None:
    src = tmp_path / "src"
    scaffold(src)
    course_yaml = src / "course.yaml"
    course_yaml.write_text(
        course_yaml.read_text(encoding="utf-8").replace("language: en", f"language: {lang}"), encoding="utf-8"
    )
    course = load_course(src)
    table = strings(lang)
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(course)))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    html = unescape(render_html(course).decode("utf-8"))  # autoescape writes ' as &#39;
    for key in ("contents", "competence_map", "session_plan", "assessment_guide", "misconceptions"):
        assert table[key] in text, (lang, key, table[key])
        assert table[key] in html, (lang, key)
    assert f'lang="{lang}"' in html
