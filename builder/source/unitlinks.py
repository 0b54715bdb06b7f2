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
from urllib.parse import quote, unquote

from builder.model import Course, Html, Problem, Unit, UnitLink
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
    units: dict[Path, Unit | None]
    """The loaded units, those with links replaced by copies whose links name unit ids."""
    overview_html: str
    links: list[UnitLink]
    """Every link between units with its line, for the model."""


def resolve_unit_links(ctx: ReadContext, loaded: dict[Path, Unit | None], overview_html: str) -> Linked:
    """Report links to files that are no unit; write every unit link in the model's form.

    ``loaded``: every unit file of the outline, read or not (None): a link to a unit whose file
    has errors of its own is not reported again. A unit with links is copied, never changed in
    place: ``coursepack serve`` keeps loaded units and hands them to the next load.
    """
    planned = [ctx.rel(f) for f in loaded]
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
        return Linked(loaded, overview_html, [])
    links = [
        UnitLink(file=file, line=line, target=by_file[rel])
        for file, line, rel, _ in sorted(ctx.unit_links)
        if rel in by_file
    ]
    linking = {file for file, *_ in ctx.unit_links}

    def fix(html: str) -> str:
        if _PLACEHOLDER not in html:
            return html
        return _PENDING.sub(lambda m: _target(by_file, m.group(1)), html)

    units: dict[Path, Unit | None] = {}
    for path, unit in loaded.items():
        if unit is not None and unit.source in linking:
            unit = unit.model_copy(deep=True)
            _rewrite_unit(unit, fix)
        units[path] = unit
    return Linked(units, fix(overview_html), links)


def _target(by_file: dict[str, str], quoted: str) -> str:
    unit_id = by_file.get(unquote(quoted))
    return unit_href(unit_id) if unit_id else "#"  # an error is already reported for it


def _rewrite_unit(unit: Unit, fix: Callable[[str], str]) -> None:
    for c in unit.components:
        if isinstance(c, Html):
            c.html = fix(c.html)
        elif isinstance(c, Problem):
            c.prompt_html = fix(c.prompt_html)
            c.explanation_html = fix(c.explanation_html)
            c.hints_html = [fix(h) for h in c.hints_html]
            for choice in c.choices:
                choice.text_html = fix(choice.text_html)
                choice.feedback_html = fix(choice.feedback_html)


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


def course_unit_links(course: Course) -> dict[str, list[str]]:
    """Unit id → the ids of the units it links to (for targets that must know what is reachable)."""
    from builder.render.links import linked_units

    out: dict[str, list[str]] = {}
    for unit in course.units():
        html = "".join(
            [c.html for c in unit.components if isinstance(c, Html)]
            + [
                h
                for p in unit.problems
                for h in (
                    p.prompt_html,
                    p.explanation_html,
                    *p.hints_html,
                    *(x for ch in p.choices for x in (ch.text_html, ch.feedback_html)),
                )
            ]
        )
        found = linked_units(html)
        if found:
            out[unit.id] = found
    return out
