"""Rules that span files, run once the whole tree is read: grading, references, unique ids."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from builder.model import CompetenceMap, OlxBlock, Problem, Section, Video
from builder.source.context import ReadContext
from builder.source.files import safe_read
from builder.source.parse import key_lines
from builder.source.schema import CourseFile


def check_grading(ctx: ReadContext, meta: CourseFile, sections: list[Section], lines: dict[str, int]) -> None:
    types = [g.type for g in meta.grading.graders]
    line = lines.get("grading")
    for t in {t for t in types if types.count(t) > 1}:
        ctx.error("course.yaml", line, f"grader type `{t}` is defined twice", "keep one", code="grading")
    total = sum(g.weight for g in meta.grading.graders)
    if meta.grading.graders and abs(total - 1.0) > 1e-6:
        ctx.error(
            "course.yaml",
            line,
            f"grader weights sum to {total:g}, not 1",
            "adjust the weights so that they add up to 1",
            code="grading",
        )
    for s in sections:
        for ss in s.subsections:
            if ss.format and ss.format not in types:
                match = difflib.get_close_matches(ss.format, types, n=1)
                hint = (
                    f"did you mean `{match[0]}`?"
                    if match
                    else "define it under grading.graders in course.yaml"
                )
                file, fline = ctx.positions.get(ss.id, ("", None))
                ctx.error(
                    file,
                    key_lines(safe_read(ctx.root / file)).get("format", fline),
                    f"format `{ss.format}` is not a grader type of this course",
                    hint,
                    code="grading",
                )


def check_references(ctx: ReadContext, cmap: CompetenceMap) -> None:
    """Every outcome a unit teaches or a problem assesses is in the competence map."""
    known = {o.id for o in cmap.outcomes()}
    candidates = sorted(known)
    by_case = {k.casefold(): k for k in candidates}

    def check(ids: list[str], file: str, line: Callable[[str], int], what: str) -> None:
        """``line`` is computed only for an unknown id: finding it may mean reading the file."""
        for oid in ids:
            if oid not in known:
                if oid.casefold() in by_case:  # difflib scores HY.U2.K1 against hy.u2.k1 as unlike
                    hint = f"did you mean `{by_case[oid.casefold()]}`? Outcome ids are case-sensitive"
                else:
                    match = difflib.get_close_matches(oid, candidates, n=1, cutoff=0.6)
                    hint = (
                        f"did you mean `{match[0]}`?"
                        if match
                        else "add it to the competence map or fix the id"
                    )
                ctx.error(
                    file,
                    line(oid),
                    f"{what} `{oid}` is not an outcome in the competence map",
                    hint,
                    code="unknown-outcome",
                )

    for u in ctx.units_read:
        check(u.outcomes, u.source, lambda _, u=u: _front_line(ctx.root / u.source, "outcomes"), "outcome")
        for p in u.problems:
            check(
                p.assesses,
                u.source,
                lambda oid, p=p, u=u: _key_line(ctx.root / u.source, p.line, "assesses", oid),
                "assessed outcome",
            )


def check_unique_ids(ctx: ReadContext, sections: list[Section], cmap: CompetenceMap | None) -> None:
    seen: dict[str, str] = {}

    def claim(node_id: str, file: str, line: int | None, kind: str) -> None:
        if node_id in seen:
            ctx.error(
                file,
                line,
                f"{kind} id `{node_id}` is already used in {seen[node_id]}",
                "ids must be unique across the whole course",
                code="duplicate-id",
            )
        else:
            seen[node_id] = f"{file}:{line}" if line else file

    for s in sections:
        claim(s.id, *ctx.positions.get(s.id, ("outline", None)), "section")
        for ss in s.subsections:
            claim(ss.id, *ctx.positions.get(ss.id, ("outline", None)), "subsection")
            for u in ss.units:
                pos = ctx.positions.get(u.id)  # another unit with the same id may have overwritten it
                claim(u.id, u.source, pos[1] if pos and pos[0] == u.source else 2, "unit")
                for c in u.components:
                    if isinstance(c, (Problem, Video, OlxBlock)):
                        claim(c.id, u.source, c.line, c.kind)
                    else:
                        claim(c.id, u.source, None, "text block")


def _key_line(path: Path, fence: int, key: str, value: str) -> int:
    """The line of ``value`` under ``key:`` in the fenced block opening at line ``fence`` — the
    line to edit, not the fence — or the fence when the file changed since it was read."""
    lines = safe_read(path).split("\n")
    at = None
    for i in range(fence, min(len(lines), fence + 500)):
        text = lines[i]
        if text.startswith(("```", "~~~")):
            break
        if at is None:
            if text.startswith(f"{key}:"):
                at = i + 1
                if value in text:
                    return at
        elif text[:1] in (" ", "-") and value in text:
            return i + 1
        elif text[:1] not in (" ", "-", "#", ""):
            break
    return at or fence


def _front_line(path: Path, key: str) -> int:
    for i, line in enumerate(safe_read(path).split("\n")[:60], start=1):
        if line.startswith(f"{key}:"):
            return i
    return 2
