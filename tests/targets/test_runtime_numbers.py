"""How the SCO runtime reads a numeric answer, in English and in decimal-comma languages.

The "numbers" section of ``scorm_templates/runtime/engine.js`` holds no DOM code, so it runs here
alone in Node: every rule documented there (and in docs/translation.md) is one row below. The
browser tests (tests/browser/test_decimal_comma.py) check the same rules on real pages and LMSs.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import pytest

from builder.targets.scorm_runtime import runtime_source

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

AMBIGUOUS = "ambiguous"
NOT_A_NUMBER = None


def _numbers_section() -> str:
    source = runtime_source("engine.js")
    start = source.index("// ------------------------------------------------------------------ numbers")
    end = source.index("// ------------------------------------------------------------------ grading")
    section = source[start:end]
    assert "document" not in section.replace("<html lang>", "")  # runs without a page
    return section


def _run(expression: str) -> object:
    script = _numbers_section() + f"\nprocess.stdout.write(JSON.stringify({expression}));\n"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


ENGLISH = [
    ("2.5", 2.5),
    (" 2.5 ", 2.5),
    ("-2.5", -2.5),
    ("+3", 3),
    (".5", 0.5),
    ("2.", 2),
    ("1e3", 1000),
    ("1.000", 1.0),
    ("12.345", 12.345),  # a point is decimal, as before
    ("2,5", NOT_A_NUMBER),
    ("1,000", NOT_A_NUMBER),
    ("1.000,5", NOT_A_NUMBER),
    ("1 000", NOT_A_NUMBER),
    ("", NOT_A_NUMBER),
    ("abc", NOT_A_NUMBER),
    ("1e999", NOT_A_NUMBER),
]

COMMA = [
    ("2,5", 2.5),
    ("+2,5", 2.5),
    ("-2,5", -2.5),
    (",5", 0.5),
    ("2,", 2),
    ("2,5e3", 2500),
    ("14,4", 14.4),
    ("0,125", 0.125),
    ("1,000", 1.0),  # the comma is the decimal separator in these languages
    ("2.5", 2.5),
    ("0.125", 0.125),
    ("1234.5", 1234.5),
    ("1.2345", 1.2345),
    ("92575", 92575),
    ("1.000.000", 1000000),
    ("1.000,5", 1000.5),
    ("12.345.678,9", 12345678.9),
    ("-1.000,5", -1000.5),
    ("1 000", 1000),
    ("1\u00a0000,5", 1000.5),
    ("92\u202f575", 92575),
    ("1.000", AMBIGUOUS),
    ("12.345", AMBIGUOUS),
    ("100.000", AMBIGUOUS),
    ("92.575", AMBIGUOUS),
    ("1,000.5", NOT_A_NUMBER),
    ("1.5,2", NOT_A_NUMBER),
    ("1.000.", NOT_A_NUMBER),
    ("1.00.000", NOT_A_NUMBER),
    ("1 00", NOT_A_NUMBER),
    ("1 000.5", NOT_A_NUMBER),
    ("2,5,1", NOT_A_NUMBER),
    ("", NOT_A_NUMBER),
]


def _same(got: object, want: object) -> bool:
    if isinstance(want, float | int) and isinstance(got, float | int):
        return math.isclose(got, want, rel_tol=0, abs_tol=1e-12)
    return got == want


def test_english_reads_only_the_decimal_point_as_before() -> None:
    got = _run(f"{json.dumps([c for c, _ in ENGLISH])}.map(function (s) {{ return parseNumber(s, false); }})")
    wrong = [(s, want, g) for (s, want), g in zip(ENGLISH, got, strict=True) if not _same(g, want)]
    assert wrong == []


def test_decimal_comma_languages_read_both_separators_and_flag_ambiguity() -> None:
    got = _run(f"{json.dumps([c for c, _ in COMMA])}.map(function (s) {{ return parseNumber(s, true); }})")
    wrong = [(s, want, g) for (s, want), g in zip(COMMA, got, strict=True) if not _same(g, want)]
    assert wrong == []


@pytest.mark.parametrize(
    ("tag", "comma"),
    [
        ("it", True),
        ("nl", True),
        ("de", True),
        ("es", True),
        ("fr", True),
        ("el", True),
        ("nl-BE", True),
        ("de-AT", True),
        ("fr-CA", True),
        ("pt-BR", True),
        ("it_IT", True),
        ("en", False),
        ("en-GB", False),
        ("", False),
        ("x-none", False),
        ("ja", False),
        ("de-CH", False),
        ("it-CH", False),
        ("es-MX", False),
        ("es-419", False),
    ],
)
def test_the_page_language_decides_the_decimal_separator(tag: str, comma: bool) -> None:
    assert _run(f"decimalComma({json.dumps(tag)})") is comma
