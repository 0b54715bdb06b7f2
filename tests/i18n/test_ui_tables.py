"""The one loader of UI string tables (SCO controls, handbook headings, coverage report)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.i18n import ui
from builder.report.coverage import STRINGS_DIR
from builder.targets import handbook, scorm_common
from tests.conftest import ROOT


def _folder(tmp_path: Path, **tables: dict[str, str]) -> Path:
    for lang, table in tables.items():
        (tmp_path / f"{lang}.json").write_text(json.dumps(table), encoding="utf-8")
    return tmp_path


def test_a_key_a_translation_lacks_and_a_language_without_a_table_keep_english(tmp_path: Path) -> None:
    folder = _folder(tmp_path, en={"a": "Apple", "b": "Bread {n}"}, it={"a": "Mela"})
    assert ui.strings(folder, "it-IT") == {"a": "Mela", "b": "Bread {n}"}
    assert ui.strings(folder, "pt") == {"a": "Apple", "b": "Bread {n}"}
    assert ui.table_language(folder, "../it") == "en" and ui.table_language(folder, "IT_ch") == "it"
    assert ui.helper(ui.strings(folder, "it"))("b", n=3) == "Bread 3"
    with pytest.raises(KeyError):
        ui.helper(ui.strings(folder, "it"))("b")


def test_a_table_that_is_not_an_object_of_strings_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, en={"a": 1})
    with pytest.raises(ValueError, match="one JSON object of strings"):
        ui.strings(folder, "en")


def test_sco_handbook_and_report_read_their_tables_through_the_one_loader() -> None:
    for folder, read in (
        (ROOT / "scorm_templates" / "i18n", scorm_common.ui_strings),
        (ROOT / "handbook_templates" / "i18n", handbook.strings),
        (STRINGS_DIR, lambda lang: ui.strings(STRINGS_DIR, lang)),
    ):
        for lang in ("en", "it", "nl-BE", "zz"):
            assert read(lang) == ui.strings(folder, lang), (folder, lang)
