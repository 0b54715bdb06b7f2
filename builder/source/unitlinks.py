"""Links from one unit (or the overview) to another unit file: ``[see](02-hazards.md#risks)``.

Unit files are read in parallel and a unit's id is known only once its file is read, so a link
is resolved in two steps: while Markdown is rendered, the link gets a placeholder naming the
target *file* and is recorded with its line; once every unit is read, ``resolve_unit_links``
turns each placeholder into the model's ``/unit/<unit id>`` (``builder.render.links``) or reports
a link to a file that is no unit of the course, with the closest unit file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, unquote

from pydantic import BaseModel

from builder.model import Handbook, Section, UnitLink
from builder.render.links import unit_href
from builder.source.context import ReadContext
from builder.source.files import short

_PLACEHOLDER = "/unit/@"
_PENDING = re.compile(r"/unit/@([^\"#<>\s]*)")


def unit_link(ctx: ReadContext, file: str, line: int, rel: str, written: str, fragment: str) -> str:
    """The placeholder for a link to the unit file ``rel`` (relative to the source root)."""
    ctx.unit_links.append((file, line, rel, written))
    return _PLACEHOLDER + quote(rel, safe="/") + (f"#{fragment}" if fragment else "")


@dataclass
class Linked:
    sections: list[Section]
    overview_html: str
    handbook: Handbook | None
    links: list[UnitLink]
    """Every link between units with its line, for the model."""


def resolve_unit_links(
    ctx: ReadContext,
    planned: list[str],
    sections: list[Section],
    overview_html: str,
    handbook: Handbook | None,
) -> Linked:
    """Report links to files that are no unit; write every unit link in the model's form.

    Runs once everything with Markdown is read (units, session plans, the overview, the handbook).
    ``planned``: every unit file of the outline, read or not: a link to a unit whose file has errors
    of its own is not reported again. Whatever holds a link is copied, never changed in place:
    ``coursepack serve`` keeps loaded units and hands them to the next load.
    """
    by_file = {u.source: u.id for u in ctx.units_read}
    known = set(planned)
    for file, line, rel, written in ctx.unit_links:
        if rel in known:
            continue
        ctx.error(
            file,
            line,
            f"link `{short(written)}` does not lead to a unit of this course",
            _closest_unit(ctx, file, rel, planned),
            code="missing-unit",
        )
    if not ctx.unit_links:
        return Linked(sections, overview_html, handbook, [])
    links = [
        UnitLink(file=file, line=line, target=by_file[rel])
        for file, line, rel, _ in sorted(ctx.unit_links)
        if rel in by_file
    ]

    def fix(html: str) -> str:
        if _PLACEHOLDER not in html:
            return html
        return _PENDING.sub(lambda m: _target(by_file, m.group(1)), html)

    return Linked(
        [_fixed(s, fix) for s in sections],
        fix(overview_html),
        _fixed(handbook, fix) if handbook is not None else None,
        links,
    )


def _target(by_file: dict[str, str], quoted: str) -> str:
    unit_id = by_file.get(unquote(quoted))
    return unit_href(unit_id) if unit_id else "#"  # an error is already reported for it


T = TypeVar("T")


def _fixed(value: T, fix: Callable[[str], str]) -> T:
    """``value`` with ``fix`` applied to every string in it: the same object where nothing changed,
    a copy of each model on the way to a change."""
    if isinstance(value, str):
        return fix(value)  # type: ignore[return-value]
    if isinstance(value, list):
        new = [_fixed(v, fix) for v in value]
        return new if any(n is not o for n, o in zip(new, value, strict=True)) else value  # type: ignore[return-value]
    if isinstance(value, BaseModel):
        updates = {}
        for name in type(value).model_fields:
            old = getattr(value, name)
            new_value = _fixed(old, fix)
            if new_value is not old:
                updates[name] = new_value
        return value.model_copy(update=updates) if updates else value
    return value


def _closest_unit(ctx: ReadContext, file: str, rel: str, planned: list[str]) -> str:
    """The unit file most like the one written, as a path relative to the linking file's folder."""
    if len(rel) <= 300:
        names = {Path(p).name: p for p in planned}
        match = difflib.get_close_matches(Path(rel).name, list(names), n=1, cutoff=0.6)
        if match:
            path = names[match[0]]
            written = os.path.relpath(ctx.root / path, (ctx.root / file).parent).replace(os.sep, "/")
            return f"did you mean `{written}`?"
    return "link a unit file of the outline, e.g. `02-next-unit.md` beside this one"
