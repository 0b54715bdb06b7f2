"""Read ``course_src/`` into one validated ``Course``, collecting every error on the way.

Authors fix all their mistakes in one round when they see all of them, so nothing here stops
at the first problem: each file is read once, checked, and every finding carries the file, the
line (and column where the parser gives one), what is wrong and how to fix it. Cross-file rules
(references, uniqueness, grading) run once the whole tree is read.

This module only orchestrates; each part of the source has its reader module, all sharing one
``ReadContext`` (``context.py``):

- ``static.py`` — ``static/`` and links into it; ``files.py`` — safe paths and reading text;
- ``course_file.py`` — ``course.yaml``, overview, image; ``competences.py`` — the competence map;
- ``outline.py`` — sections and subsections; ``units.py`` — unit files;
- ``blocks.py`` — fenced component blocks (the ``COMPONENTS`` registry);
- ``crosscheck.py`` — rules across files;
- for the trainer's handbook only: ``trainer_notes.py`` (a fenced block), ``session_plans.py``
  (``session.yaml`` beside ``subsection.yaml``), ``handbook.py`` (the ``handbook/`` chapters).

Adding a part of the source is one module with a ``load_<part>(ctx, …)`` function that reports
through ``ctx.error``, called from ``load`` below before the cross-checks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from builder.archive import source_epoch
from builder.diagnostics import Diagnostic, SourceErrors
from builder.model import Asset, Course, Unit
from builder.source.competences import load_competences
from builder.source.context import ReadContext
from builder.source.course_file import load_course_file, load_image, load_overview
from builder.source.crosscheck import check_grading, check_references, check_unique_ids
from builder.source.handbook import read_handbook
from builder.source.outline import assemble_outline, plan_outline, unit_files
from builder.source.session_plans import check_outcomes as check_session_outcomes
from builder.source.static import scan_static
from builder.source.unitlinks import resolve_unit_links
from builder.source.units import load_unit

PARALLEL_UNITS = 400
"""Below this many unit files, starting worker processes costs more than it saves."""


UnitsReader = Callable[[ReadContext, list[Path]], dict[Path, Unit | None]]
"""Reads unit files into the context (``load_units``); ``coursepack serve`` passes one that
re-reads only the files that changed since its last load."""


def load_course(root: Path | str, read_units: UnitsReader | None = None) -> Course:
    """Read and validate a course source folder; raise ``SourceErrors`` with every finding."""
    return load(ReadContext(Path(root)), read_units)


def load(ctx: ReadContext, read_units: UnitsReader | None = None) -> Course:
    if not ctx.root.is_dir():
        raise SourceErrors(
            [
                Diagnostic(
                    str(ctx.root),
                    None,
                    None,
                    "course source folder not found",
                    "pass the folder that holds course.yaml",
                    code="no-source",
                )
            ]
        )
    scan_static(ctx)
    cm = load_course_file(ctx)
    meta = cm.meta
    cmap = load_competences(
        ctx, meta.competence_map if meta else "competences.yaml", cm.lines.get("competence_map")
    )
    # Pass 1: the outline's shape and metadata. Pass 2: every unit file, in parallel for large
    # courses (parsing Markdown is most of the load time). Pass 3: assemble in outline order.
    plan = plan_outline(ctx)
    loaded: dict[Path, Unit | None] = {}
    if plan is not None:
        loaded = (read_units or load_units)(ctx, unit_files(plan))
    sections = assemble_outline(ctx, plan, loaded.__getitem__) if plan is not None else []
    image = load_image(ctx, cm)
    # Links between units, once every unit's id is known and all Markdown is read.
    linked = resolve_unit_links(
        ctx, [ctx.rel(f) for f in loaded], sections, load_overview(ctx, cm), read_handbook(ctx)
    )
    sections = linked.sections
    if meta:
        check_grading(ctx, meta, sections, cm.lines)
    if cmap:
        check_references(ctx, cmap)
        check_session_outcomes(ctx, [ss for s in sections for ss in s.subsections], set(cmap.outcome_index()))
    check_unique_ids(ctx, sections, cmap)
    if ctx.errors or meta is None or cmap is None or image is None:
        # warnings too: an author fixing errors sees every finding in one round
        unexplained = Diagnostic("course.yaml", None, None, "course could not be loaded", code="not-loaded")
        raise SourceErrors(ctx.diags or [unexplained])
    return Course(
        org=meta.org,
        number=meta.number,
        run=meta.run,
        title=meta.title,
        language=meta.language,
        start=meta.start,
        end=meta.end,
        pacing=meta.pacing,
        short_description=meta.short_description,
        overview_html=linked.overview_html,
        image=image,
        license=meta.license,
        grading=meta.grading,
        competences=cmap,
        sections=sections,
        handbook=linked.handbook,
        assets=sorted(ctx.assets.values(), key=lambda a: a.flat_name),
        source_epoch=source_epoch(ctx.root),
        positions=ctx.positions,
        unit_links=linked.links,
        reader_warnings=ctx.warnings,
    )


def load_units(ctx: ReadContext, files: list[Path]) -> dict[Path, Unit | None]:
    """Read unit files, in worker processes when there are enough to repay starting them."""
    workers = min(os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_UNITS or workers < 2:
        return {f: load_unit(ctx, f) for f in files}
    size = -(-len(files) // workers)
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    loaded: dict[Path, Unit | None] = {}
    with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
        for chunk, (units, diags, positions, links) in zip(
            chunks, pool.map(_load_unit_chunk, [(ctx.root, ctx.assets, c) for c in chunks]), strict=True
        ):
            loaded.update(zip(chunk, units, strict=True))
            ctx.diags += diags
            ctx.positions.update(positions)
            ctx.unit_links += links
            ctx.units_read += [u for u in units if u]
    return loaded


def _load_unit_chunk(
    args: tuple[Path, dict[str, Asset], list[Path]],
) -> tuple[list[Unit | None], list[Diagnostic], dict[str, tuple[str, int]], list[tuple[str, int, str, str]]]:
    """Worker: load some unit files with a context that shares the parent's asset index."""
    root, assets, files = args
    ctx = ReadContext(root)
    ctx.assets = assets
    units = [load_unit(ctx, f) for f in files]
    return units, ctx.diags, ctx.positions, ctx.unit_links
