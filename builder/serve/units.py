"""Re-read only the unit files that changed: the loader's unit reader, with a memory.

Parsing unit Markdown is most of a load, and an author saves one file at a time. A unit's model
depends only on its file's bytes and on which static files exist (its links resolve against
them), so a cached result is reused while the file's (mtime, size) and the static index are
unchanged. What ``load_unit`` reports into the context (findings, id positions, units read) is
recorded with the unit and replayed, so a cached load equals a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.diagnostics import Diagnostic
from builder.model import Unit
from builder.source.context import ReadContext
from builder.source.units import load_unit


@dataclass(frozen=True)
class _Read:
    stamp: tuple[int, int]
    assets: tuple[tuple[str, int], ...]
    unit: Unit | None
    diags: tuple[Diagnostic, ...]
    positions: tuple[tuple[str, tuple[str, int]], ...]


class CachedUnitReader:
    """A ``UnitsReader`` (see ``builder.source.loader``) that remembers each file's result."""

    def __init__(self) -> None:
        self._cache: dict[Path, _Read] = {}
        self.reread: list[Path] = []
        """The files the last call actually parsed (the rest came from the cache)."""

    def __call__(self, ctx: ReadContext, files: list[Path]) -> dict[Path, Unit | None]:
        assets = tuple(sorted((k, a.size) for k, a in ctx.assets.items()))
        self.reread = []
        out: dict[Path, Unit | None] = {}
        for path in files:
            try:
                st = path.stat()
                stamp = (st.st_mtime_ns, st.st_size)
            except OSError:
                stamp = (-1, -1)
            read = self._cache.get(path)
            if read is None or read.stamp != stamp or read.assets != assets or stamp[0] < 0:
                scratch = ReadContext(ctx.root)
                scratch.assets = ctx.assets
                unit = load_unit(scratch, path)
                read = _Read(stamp, assets, unit, tuple(scratch.diags), tuple(scratch.positions.items()))
                self._cache[path] = read
                self.reread.append(path)
            ctx.diags.extend(read.diags)
            ctx.positions.update(read.positions)
            if read.unit is not None:
                ctx.units_read.append(read.unit)
            out[path] = read.unit
        for gone in set(self._cache) - set(files):
            del self._cache[gone]
        return out
