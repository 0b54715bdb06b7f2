"""The parsed unit files of the last successful load, kept as one cache entry.

An edit rebuild of a 2,000-unit course used to open, read, hash and verify 2,000 small cache
entries (one per unit file) — a third of a second, ten times what decoding them costs. The pack
holds every unit entry of the last load in one raw entry (``BuildCache.put_raw``): one read and
one hash, then each record is decoded only when the loader asks for it.

A record is the unit file's own cache key (``loader._cached_units``: code, path, bytes, asset
index), so the pack decides nothing by itself: a record whose key is not asked for is never used.
A pack that is missing, truncated or does not verify is empty (every unit is parsed again). The
pack is written only after a load without errors, with the records of that load alone (a deleted
unit's record goes with it), and not written at all when nothing changed.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.cache import BuildCache

_HEAD = struct.Struct("<32sII")
"""Per record: the unit entry's key, the length of the unit's model JSON and of the rest."""


class UnitPack:
    def __init__(self, cache_dir: Path, root: Path):
        from builder import cache

        # A missing cache folder is created only when the pack is saved (a failed load leaves none).
        self.store: BuildCache | None = cache.BuildCache(cache_dir) if cache_dir.is_dir() else None
        self.cache_dir = cache_dir
        # One pack per source folder: two courses built into one output folder keep theirs apart.
        self.key = cache.digest("unit pack", cache.code_fingerprint(), str(root), str(root.resolve()))
        self.old = self._load()
        self.new: dict[bytes, tuple[bytes | memoryview, bytes | memoryview]] = {}
        self.changed = False

    def _load(self) -> dict[bytes, tuple[memoryview, memoryview]]:
        raw = self.store.get_raw(self.key) if self.store is not None else None
        old: dict[bytes, tuple[memoryview, memoryview]] = {}
        if raw is None:
            return old
        view, at = memoryview(raw), 0
        try:
            while at < len(view):
                key, unit_size, rest_size = _HEAD.unpack_from(view, at)
                at += _HEAD.size
                if at + unit_size + rest_size > len(view):
                    return {}
                old[key] = (view[at : at + unit_size], view[at + unit_size : at + unit_size + rest_size])
                at += unit_size + rest_size
        except struct.error:
            return {}
        return old

    def get(self, key: str) -> tuple[memoryview, memoryview] | None:
        """The stored record of the unit entry ``key`` (the unit's model JSON, the rest as JSON),
        kept for this load's pack."""
        record = self.old.get(bytes.fromhex(key))
        if record is not None:
            self.new[bytes.fromhex(key)] = record
        return record

    def drop(self, key: str) -> None:
        """A record that did not decode: parsed again, and replaced by ``put``."""
        self.new.pop(bytes.fromhex(key), None)
        self.changed = True

    def put(self, key: str, unit: bytes, rest: bytes) -> None:
        self.new[bytes.fromhex(key)] = (unit, rest)
        self.changed = True

    def save(self) -> None:
        """Write this load's records, or only mark the pack as used when they are the last one's."""
        from builder.cache import BuildCache

        if self.store is None:
            self.store = BuildCache(self.cache_dir)
        if not self.changed and self.new.keys() == self.old.keys():
            self.store.keep_raw(self.key)
            return

        def chunks():  # type: ignore[no-untyped-def]
            for key, (unit, rest) in self.new.items():
                yield _HEAD.pack(key, len(unit), len(rest))
                yield unit
                yield rest

        self.store.put_raw_stream(self.key, chunks())
