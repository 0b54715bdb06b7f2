"""``competences.yaml``: the competence map, with the position of every unit and outcome id."""

from __future__ import annotations

from builder.model import CompetenceMap
from builder.source.context import ReadContext
from builder.source.files import read_text, safe_path
from builder.source.parse import parse_with_positions
from builder.source.schema import CompetencesFile


def load_competences(ctx: ReadContext, raw: str, line: int | None) -> CompetenceMap | None:
    """``raw``: the path course.yaml names; ``line``: where it names it, for messages about the path."""
    path = safe_path(ctx, raw, "course.yaml", line, "competence map")
    if path is None:
        return None
    text = read_text(ctx, path)
    if text is None:
        return None
    file = ctx.rel(path)
    parsed, doc = parse_with_positions(ctx, CompetencesFile, text, file)
    if parsed is None or doc is None:
        return None
    units = []
    for ui, unit in enumerate(parsed.units):
        ctx.positions[unit.id] = (file, doc.position(("units", ui, "id"))[0])
        outcomes = []
        for oi, o in enumerate(unit.outcomes):
            ctx.positions[o.id] = (file, doc.position(("units", ui, "outcomes", oi, "id"))[0])
            outcomes.append(o.model_copy(update={"unit_id": unit.id}))
        units.append(unit.model_copy(update={"outcomes": outcomes}))
    seen: dict[str, int] = {}
    for node_id, (_, id_line) in [(u.id, ctx.positions[u.id]) for u in units] + [
        (o.id, ctx.positions[o.id]) for u in units for o in u.outcomes
    ]:
        if node_id in seen:
            ctx.error(
                file,
                id_line,
                f"id `{node_id}` is already used on line {seen[node_id]}",
                "ids in the competence map must be unique",
                code="duplicate-id",
            )
        seen.setdefault(node_id, id_line)
    return CompetenceMap(framework=parsed.framework, units=units)
