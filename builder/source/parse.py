"""YAML text → a schema model, with every schema error turned into a finding at its line.

Pydantic says *what* is wrong and ``yamlpos`` says *where*; this module joins the two and adds
the hint (the closest known key, the allowed values) that lets an author fix it without the docs.
"""

from __future__ import annotations

import difflib
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
            _schema_error(ctx, schema, err, doc, file)
        return None, doc


def _schema_error(
    ctx: ReadContext, schema: type[BaseModel], err: Any, doc: yamlpos.YamlDoc, file: str
) -> None:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        line, col = doc.key_positions.get(loc) or doc.position(loc)
        known = _fields_at(schema, loc[:-1])
        match = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
        hint = f"did you mean `{match[0]}`?" if match else f"known keys: {', '.join(sorted(known))}"
        ctx.error(file, line, f"unknown key `{dotted(loc)}`", hint, col, code="unknown-key")
        return
    line, col = doc.position(loc)
    where = f"`{dotted(loc)}`" if loc else "this block"
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
            "ids use letters, digits, '.', '_' and '-' and start with a letter or digit",
            col,
            code="bad-id" if loc and loc[-1] == "id" else "bad-value",
        )
    else:
        msg = err["msg"].removeprefix("Value error, ")
        ctx.error(file, line, f"{where}: {msg}", "", col, code=f"invalid.{kind}")


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
