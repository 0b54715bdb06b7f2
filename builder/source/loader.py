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

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from builder import cache, course_entry, gcpause
from builder.archive import source_epoch
from builder.diagnostics import Diagnostic, SourceErrors
from builder.model import Asset, Course, Unit
from builder.source.context import ReadContext

# The readers (``load`` and ``_load_units``) are imported where they run: a rebuild of an
# unchanged source takes the whole course from the cache and needs none of them (~0.08 s).

PARALLEL_UNITS = 400
"""Below this many unit files, starting worker processes costs more than it saves."""


UnitsReader = Callable[[ReadContext, list[Path]], dict[Path, Unit | None]]
"""Reads unit files into the context (``load_units``); ``coursepack serve`` passes one that
re-reads only the files that changed since its last load."""


def load_course(
    root: Path | str, read_units: UnitsReader | None = None, cache_dir: Path | None = None
) -> Course:
    """Read and validate a course source folder; raise ``SourceErrors`` with every finding.

    With ``cache_dir`` (a build's ``builder.cache`` folder), a unit file whose bytes, path and asset
    index are unchanged since an earlier successful load is not parsed again. Entries are written
    only once the whole course loaded without errors, so a failed load leaves nothing behind.
    """
    # Without the cycle collector running: a 2,000-unit course is millions of new objects, each
    # batch of which started a collection that walked all the others (validating the cached model
    # took 0.15 s CPU with it, 0.07 s without). Loading makes no cyclic garbage worth collecting
    # meanwhile; the collector is as it was as soon as the model is built (``coursepack build``
    # keeps it paused, then freezes the model before it resumes).
    with gcpause.paused():
        return _load_course(Path(root), read_units, cache_dir)


def _load_course(root: Path, read_units: UnitsReader | None, cache_dir: Path | None) -> Course:
    ctx = ReadContext(root)
    ctx.cache_dir = cache_dir
    key = None
    if cache_dir is not None and read_units is None:
        # The walk hashes every file; the unit entries' keys reuse those hashes (``_cached_units``).
        key = course_entry.source_key(ctx.root, cache_dir, ctx.file_shas)
    if key is not None and cache_dir is not None:
        hit = course_entry.cached_course(cache_dir, key)
        if hit is not None:
            return hit
    course = load(ctx, read_units)
    if key is not None and cache_dir is not None and unchanged_while_loading(ctx):
        course_entry.store_course(cache_dir, key, ctx.cache_keep, course)
    return course


def unchanged_while_loading(ctx: ReadContext) -> bool:
    """Whether every file the readers read had the bytes ``source_key``'s walk hashed. A file saved
    between the walk and its read makes a model of other bytes than the key names; stored, it would
    come back when the file is saved back to what the walk saw (an editor's undo)."""
    walked = ctx.file_shas
    return all(walked.get(path) == sha for path, sha in ctx.read_shas.items())


def load(ctx: ReadContext, read_units: UnitsReader | None = None) -> Course:
    from builder.source.competences import load_competences
    from builder.source.course_file import load_course_file, load_image, load_overview
    from builder.source.crosscheck import check_grading, check_references, check_unique_ids
    from builder.source.handbook import read_handbook
    from builder.source.outline import assemble_outline, plan_outline, unit_files
    from builder.source.session_plans import check_outcomes as check_session_outcomes
    from builder.source.static import scan_static
    from builder.source.unitlinks import resolve_unit_links

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
    if ctx.unit_pack is not None:
        ctx.unit_pack.save()
        ctx.cache_keep += ctx.unit_pack.keys()
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


@dataclass
class _Parsed:
    """One unit file as read: the unit (None when it has errors), its findings, the source
    positions of its ids and its links to other units — everything a cache entry must give back."""

    unit: Unit | None
    diags: list[Diagnostic]
    positions: dict[str, tuple[str, int]]
    links: list[tuple[str, int, str, str]]
    sha: str | None = None
    """The sha256 of the bytes parsed (None when the file could not be read, or for a cached
    parse): not part of the record, it only decides whether the parse may be cached."""

    def to_record(self) -> tuple[bytes, bytes]:
        """The unit's model JSON (empty for None) and the rest as JSON: the model is decoded by
        pydantic straight from its bytes, and those bytes are its ``model_key`` (``from_record``)."""
        unit = self.unit.model_dump_json().encode() if self.unit else b""
        if self.unit:
            cache.remember_model_key(self.unit, unit)
        rest = {
            "diagnostics": [d.to_json() for d in self.diags],
            # pairs, not an object: the order of positions decides the course model
            "positions": [[k, v[0], v[1]] for k, v in self.positions.items()],
            "links": [list(link) for link in self.links],
        }
        return unit, json.dumps(rest, separators=(",", ":")).encode()

    @classmethod
    def from_record(cls, unit_json: bytes | memoryview, rest_json: bytes | memoryview) -> _Parsed:
        text = bytes(unit_json)
        unit = Unit.model_validate_json(text) if text else None
        if unit is not None:
            # The targets key each unit's pieces by the hash of its JSON: these bytes are that JSON
            # (the model follows from them alone), so no target serialises the unit again.
            cache.remember_model_key(unit, text)
        rest = json.loads(bytes(rest_json))
        return cls(
            unit,
            [Diagnostic.from_json(d) for d in rest["diagnostics"]],
            {k: (file, line) for k, file, line in rest["positions"]},
            [(file, line, rel, written) for file, line, rel, written in rest["links"]],
        )


def load_units(ctx: ReadContext, files: list[Path]) -> dict[Path, Unit | None]:
    """Read unit files: from the cache when unchanged, else in worker processes when there are
    enough to repay starting them."""
    done: dict[Path, _Parsed] = {}
    keys = _cached_units(ctx, files, done) if ctx.cache_dir is not None else {}
    todo = [f for f in files if f not in done]
    workers = min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_UNITS or workers < 2:
        # one call for all: each call resolves the root, 2% of reading 2,000 files one call each
        chunks = [todo] if todo else []
        results = [_load_units(ctx.root, ctx.assets, ctx.bad_names, chunk) for chunk in chunks]
    else:
        size = -(-len(todo) // workers)
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        # Forked workers would inherit a paused collector (``load_course``); Markdown parses of
        # hundreds of units each are left the collector they would have had.
        with gcpause.running(), ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            results = list(
                pool.map(
                    _load_units,
                    [ctx.root] * len(chunks),
                    [ctx.assets] * len(chunks),
                    [ctx.bad_names] * len(chunks),
                    chunks,
                )
            )
    for chunk, per_file in zip(chunks, results, strict=True):
        for f, parsed in zip(chunk, per_file, strict=True):
            done[f] = parsed
            if parsed.sha is not None:
                ctx.read_shas[str(f)] = parsed.sha
            # Cached under the hash of the bytes the walk saw only if those are the bytes parsed: a
            # unit saved meanwhile (and saved back later) must not bring this parse back.
            if f in keys and ctx.unit_pack is not None and parsed.sha == keys[f][1]:
                ctx.unit_pack.put(keys[f][0], *parsed.to_record())
    for f in files:  # in outline order, as a serial read would: a later duplicate id wins
        parsed = done[f]
        ctx.diags += parsed.diags
        ctx.positions.update(parsed.positions)
        ctx.unit_links += parsed.links
        if parsed.unit:
            ctx.units_read.append(parsed.unit)
    return {f: done[f].unit for f in files}


def _cached_units(
    ctx: ReadContext, files: list[Path], done: dict[Path, _Parsed]
) -> dict[Path, tuple[str, str]]:
    """Fill ``done`` with the units the cache holds; return the cache key of every other file, and
    the hash of the bytes that key stands for.

    A unit's parse depends on its bytes, its path (messages, link resolution), the asset index and
    the refused static names (links into ``static/``), and on coursepack's code (``code_fingerprint``).
    The bytes' hash is the one ``source_key`` took while walking the source, when it did; the
    entries are read from the last load's pack (``unit_pack``), one file for all units.
    """
    from builder import cache
    from builder.source.unit_pack import UnitPack

    assert ctx.cache_dir is not None
    pack = ctx.unit_pack = UnitPack(ctx.cache_dir, ctx.root)
    assets = cache.digest(
        {k: a.model_dump(mode="json") for k, a in sorted(ctx.assets.items())}, sorted(ctx.bad_names)
    )
    fingerprint = cache.code_fingerprint()
    keys: dict[Path, tuple[str, str]] = {}
    for f in files:
        sha = ctx.file_shas.get(str(f))  # a regular file when the walk hashed it, not a link
        if sha is None:
            if f.is_symlink():
                continue  # refused with a finding by the reader; never cached
            try:
                sha = hashlib.sha256(f.read_bytes()).hexdigest()
            except OSError:
                continue
        key = cache.digest("unit", fingerprint, ctx.rel(f), sha, assets)
        record = pack.get(key)
        if record is None:
            keys[f] = (key, sha)
            continue
        try:
            done[f] = _Parsed.from_record(*record)
        except (ValueError, TypeError, KeyError):
            pack.drop(key)
            keys[f] = (key, sha)
    return keys


def _load_units(
    root: Path, assets: dict[str, Asset], bad_names: set[str], files: list[Path]
) -> list[_Parsed]:
    """Load unit files each with its own context (sharing what the static scan found), so that each
    file's findings, positions and links can be cached with it."""
    from builder.source.units import load_unit

    out = []
    real_root = root.resolve()
    for f in files:
        ctx = ReadContext(root, real_root)
        ctx.assets = assets
        ctx.bad_names = bad_names
        unit = load_unit(ctx, f)
        out.append(_Parsed(unit, ctx.diags, ctx.positions, ctx.unit_links, ctx.read_shas.get(str(f))))
    return out
