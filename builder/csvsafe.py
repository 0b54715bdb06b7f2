"""CSV cells that a spreadsheet will not run: every CSV coursepack writes goes through here.

Trainers open the exports in Excel or LibreOffice, which treat a cell starting with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return before one) as a formula: ``=HYPERLINK(…)`` in a unit
title would become a live link, ``=cmd|…`` worse. As OWASP recommends ("CSV Injection"), such a
cell gets a leading single quote, which spreadsheets show as text. Ids and tag values start with a
letter or digit (``model.ID_PATTERN``, ``taxonomy``), so escaping never changes a value that an
importer (Moodle, Open edX) matches on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def dumps(rows: Iterable[Iterable[object]], **fmt: object) -> str:
    """Rows as CSV text, every cell escaped; ``fmt`` goes to ``csv.writer`` (line ending, quoting)."""
    buf = io.StringIO()
    writer = csv.writer(buf, **fmt)  # type: ignore[arg-type]
    writer.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue()
