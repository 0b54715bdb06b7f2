"""YAML text → a schema model, with every schema error turned into a finding at its line.

Pydantic says *what* is wrong and ``yamlpos`` says *where*; this module joins the two and adds
the hint (the closest known key, the allowed values) that lets an author fix it without the docs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from builder.source import yamlpos
from builder.source.context import ReadContext
from builder.source.files import short

S = TypeVar("S", bound=BaseModel)


def parse(ctx: ReadContext, schema: type[S], text: str, file: str, line_offset: int = 0) -> S | None:
    return parse_with_positions(ctx, schema, text, file, line_offset)[0]


def parse_with_positions(
    ctx: ReadContext, schema: type[S], text: str, file: str, line_offset: int = 0
) -> tuple[S | None, yamlpos.YamlDoc | None]:
    """Validate ``text`` against ``schema``; also return the parsed positions for later messages."""
    try:
        doc = yamlpos.load(text, line_offset)
    except yamlpos.YamlSyntaxError as exc:
        ctx.error(file, exc.line, exc.message, exc.hint, exc.column, code=exc.code)
        return None, None
    for path, line, col in doc.duplicates:
        ctx.error(
            file, line, f"key `{path[-1]}` appears twice", "keep one of them", col, code="duplicate-key"
        )
    if not isinstance(doc.value, dict):
        line, col = doc.position(())
        ctx.error(
            file,
            line,
            f"expected a mapping of keys (like `id: …`), found {type(doc.value).__name__}",
            "see `coursepack docs source-format`",
            col,
            code="not-a-mapping",
        )
        return None, doc
    try:
        return schema.model_validate(doc.value), doc
    except ValidationError as exc:
        for err in exc.errors():
            _schema_error(ctx, schema, err, doc, file, _Source(text, line_offset))
        return None, doc


@dataclass(frozen=True)
class _Source:
    """The YAML text as written, for messages that quote what the author typed (``No``, not False)."""

    text: str
    line_offset: int

    def word_at(self, line: int, col: int) -> str:
        lines = self.text.split("\n")
        index = line - self.line_offset - 1
        if not 0 <= index < len(lines):
            return ""
        m = re.match(r"[^\s,\]}#]+", lines[index][col - 1 :])
        return m.group() if m else ""


SYNONYMS = {
    "question": "prompt",
    "stem": "prompt",
    "body": "prompt",
    "options": "choices",
    "alternatives": "choices",
    "solution": "explanation",
    "rationale": "explanation",
    "points": "weight",
    "score": "weight",
    "attempts": "max_attempts",
    "tries": "max_attempts",
    "assess": "assesses",
    "outcome": "outcomes",
    "objectives": "outcomes",
    "kind": "type",
    "name": "title",
    "label": "title",
    "subtitles": "transcripts",
    "captions": "transcripts",
}
"""Words authors use for a key (from other tools: GIFT, Moodle XML, H5P) → the key meant.
Applied only where that key exists: ``outcomes`` in a problem means ``assesses``, in a unit it is right."""
SYNONYMS_IN_PROBLEM = {"outcomes": "assesses", "objectives": "assesses"}


def _unknown_key_hint(key: str, known: list[str]) -> str:
    if key == "correct" and "choices" in known:
        return "mark the right choice itself: `correct: true` under that item of `choices`"
    meant = (SYNONYMS_IN_PROBLEM if "assesses" in known else {}).get(key) or SYNONYMS.get(key)
    if meant in known:
        return f"did you mean `{meant}`?"
    match = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    return f"did you mean `{match[0]}`?" if match else f"known keys: {', '.join(sorted(known))}"


_YAML11_BOOLS = {"yes", "no", "on", "off", "true", "false"}
_DATE = re.compile(r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})$")


def _iso_example(raw: str, key: str) -> str:
    """The author's own date in ISO 8601, day first unless that cannot be (Europe writes 30/04)."""
    time = "00:00:00Z" if key == "start" else "23:59:00Z"
    m = _DATE.match(raw.strip())
    if m:
        a, b, c = (int(x) for x in m.groups())
        year, first, second = (a, b, c) if a > 31 else (c, a, b)
        day, month = (second, first) if a > 31 or (second > 12 and first <= 12) else (first, second)
        if year < 100:
            year += 2000
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}T{time}"
    return f"2026-04-30T{time}"


def _id_hint(value: str) -> str:
    """What is wrong with an id, naming the first letter that is not ASCII, with an ASCII form."""
    other = next((ch for ch in value if ord(ch) > 127), None)
    rule = "ids use ASCII letters (a-z, A-Z), digits, '.', '_' and '-'"
    if other is None:
        return rule + " and start with a letter or digit"
    import unicodedata

    ascii_form = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    ascii_form = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_form).strip("-._")
    example = f"; e.g. `{ascii_form}`" if ascii_form else ""
    return f"{rule}: `{other}` is not one{example}"


def _schema_error(
    ctx: ReadContext, schema: type[BaseModel], err: Any, doc: yamlpos.YamlDoc, file: str, src: _Source
) -> None:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        line, col = doc.key_positions.get(loc) or doc.position(loc)
        hint = _unknown_key_hint(str(loc[-1]), _fields_at(schema, loc[:-1]))
        ctx.error(file, line, f"unknown key `{dotted(loc)}`", hint, col, code="unknown-key")
        return
    line, col = doc.position(loc)
    where = f"`{dotted(loc)}`" if loc else "this block"
    value = err.get("input")
    if kind == "string_type" and isinstance(value, bool):
        written = src.word_at(line, col)
        if written.lower() in _YAML11_BOOLS:
            ctx.error(
                file,
                line,
                f"{where}: YAML read `{written}` as {str(value).lower()}",
                f"quote it: '{written}'",
                col,
                code="yaml-bool",
            )
            return
    if kind.startswith("datetime") and isinstance(value, str):
        ctx.error(
            file,
            line,
            f"{where}: `{short(value)}` is not a date in the form YAML and coursepack read",
            f"write it as {_iso_example(value, str(loc[-1]) if loc else '')}"
            " (year-month-day, then the time in UTC)",
            col,
            code="bad-date",
        )
        return
    if kind == "missing":
        ctx.error(
            file,
            line,
            f"missing required key `{dotted(loc)}`",
            f"add `{loc[-1]}: …` (see `coursepack docs source-format`)",
            col,
            code="missing-key",
        )
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        ctx.error(
            file,
            line,
            f"{where}: {short(repr(err['input']))} is not allowed",
            f"use one of {expected}",
            col,
            code="bad-value",
        )
    elif kind == "string_pattern_mismatch":
        ctx.error(
            file,
            line,
            f"{where}: {short(repr(err['input']))} has characters that are not allowed",
            _id_hint(str(err["input"])),
            col,
            code="bad-id" if loc and loc[-1] == "id" else "bad-value",
        )
    else:
        msg = err["msg"].removeprefix("Value error, ")
        hint = str(err.get("ctx", {}).get("hint", ""))
        ctx.error(file, line, f"{where}: {msg}", hint, col, code=f"invalid.{kind}")


def _fields_at(schema: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed at ``loc`` in ``schema``, following nested models and lists."""
    model: Any = schema
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _inner_model(field.annotation)
    return list(getattr(model, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def top_lines(doc: yamlpos.YamlDoc | None) -> dict[str, int]:
    """Line of each top-level key, for messages about values that passed schema validation."""
    if doc is None:
        return {}
    return {str(p[0]): pos[0] for p, pos in doc.key_positions.items() if len(p) == 1}


def key_lines(text: str) -> dict[str, int]:
    """As ``top_lines``, for a file read again only to place an error message."""
    try:
        return top_lines(yamlpos.load(text))
    except yamlpos.YamlSyntaxError:
        return {}
