"""UI string tables: the words coursepack itself writes around a course, in the course language.

The SCO controls (``scorm_templates/i18n``), the handbook headings (``handbook_templates/i18n``) and
the coverage report (``builder/report/templates/i18n``) each keep their strings beside their own
templates, where a course team finds them, as one JSON object per language named by the primary
subtag of a BCP 47 tag (``it.json``, ``nl.json``). They share this one loader, so all three pick a
table, fall back and fill placeholders the same way:

* ``nl-BE`` uses ``nl.json``; a language without a table uses English (``en.json``);
* a key a table lacks keeps its English text (tests hold every table to the English keys);
* ``{name}`` placeholders are filled by ``fill``; strings are plain text, escaped by the templates.

The subtag is checked against ``[a-z]{2,8}`` before it names a file, so no language tag, however
it was written, reaches outside the folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

FALLBACK = "en"

_SUBTAG = re.compile(r"[a-z]{2,8}")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def primary_subtag(language: str) -> str:
    """``nl-BE`` → ``nl``: the tables are per language, not per region."""
    return language.strip().replace("_", "-").split("-", 1)[0].lower()


def table_language(folder: Path, language: str) -> str:
    """The table ``language`` uses in ``folder``: its primary subtag's if shipped, else English."""
    primary = primary_subtag(language)
    if _SUBTAG.fullmatch(primary) and (folder / f"{primary}.json").is_file():
        return primary
    return FALLBACK


@cache
def load(folder: Path, name: str) -> Mapping[str, str]:
    """One table as shipped (no fallback); a table that is not an object of strings is a bug."""
    path = folder / f"{name}.json"
    table = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError(f"{path} must be one JSON object of strings")
    return table


def strings(folder: Path, language: str) -> dict[str, str]:
    """The table for ``language``; keys a translation lacks keep their English text."""
    return {**load(folder, FALLBACK), **load(folder, table_language(folder, language))}


def fill(text: str, values: Mapping[str, object]) -> str:
    """Fill ``{name}`` placeholders; a missing value is a template bug, so it raises KeyError.

    Plain ``str`` (not Markup) on purpose: Jinja autoescapes the result like any other text.
    """
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def helper(table: Mapping[str, str]) -> Callable[..., str]:
    """``t(key, **values)`` for templates: the string of ``key`` with its placeholders filled."""

    def t(key: str, **values: object) -> str:
        return fill(table[key], values)

    return t
