"""What text a course source may contain: only characters every output format can carry.

Every output is XML or HTML (OLX, SCORM manifests and pages), and XML 1.0 cannot carry the C0
control characters other than tab, newline and carriage return, nor U+FFFE, U+FFFF or a lone
surrogate: one of them makes a whole package non-well-formed. They are never text an author
meant to write, so the reader refuses them with their position instead of letting them through.
"""

from __future__ import annotations

import re

INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

MAX_SOURCE_BYTES = 4 * 1024 * 1024
"""The largest source text file read (course.yaml, a unit, the overview…). A real unit is a few
kilobytes; a bigger file is a mistake or an attack, and parsing it would take minutes of memory."""


def first_invalid_char(text: str) -> tuple[int, str] | None:
    m = INVALID_CHARS.search(text)
    return (m.start(), m.group()) if m else None


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def describe(char: str) -> str:
    return f"U+{ord(char):04X}"
