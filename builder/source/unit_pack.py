"""The parsed unit files of the last successful load, kept as one cache entry (and a small delta).

An edit rebuild of a 2,000-unit course used to open, read, hash and verify 2,000 small cache
entries (one per unit file) — a third of a second, ten times what decoding them costs. The pack
holds every unit entry of the last load in one raw entry (``BuildCache.put_raw``): one read and
one hash, then each record is decoded only when the loader asks for it.

A record is stored under the unit file's own cache key (``loader._cached_units``: code, path,
bytes, asset index), so the pack decides nothing by itself: a record whose key is not asked for
is never used, and any record is a valid answer for its key. A pack that is missing, truncated or
does not verify is empty (every unit is parsed again).

Rewriting the whole pack (14 MB at 2,000 units) for one edited unit cost as much as reading it,
so a load whose new records are few writes them alone into the *delta*, a second entry read on
top of the *base*; the base is rewritten, whole and with only the records in use, once the delta
outgrows an eighth of it. Nothing is written after a load with errors, nor when nothing changed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.cache import BuildCache

_COUNT = struct.Struct("<I")
_HEAD = struct.Struct("<32sII")
"""Per record, in the index at the start: the key, the length of the unit's model JSON and of
the rest. The records' bytes follow the index in the same order."""

Record = tuple[bytes | memoryview, bytes | memoryview]


class UnitPack:
    def __init__(self, cache_dir: Path, root: Path):
        from builder import cache

        # A missing cache folder is created only when the pack is saved (a failed load leaves none).
        self.store: BuildCache | None = cache.BuildCache(cache_dir) if cache_dir.is_dir() else None
        self.cache_dir = cache_dir
        # One pack per source folder: two courses built into one output folder keep theirs apart.
        self.key = cache.digest("unit pack", cache.code_fingerprint(), str(root), str(root.resolve()))
        self.delta_key = cache.digest("unit pack delta", self.key)
        self.base_size = 0
        self.old: dict[bytes, Record] = self._read(self.key)
        self.in_base = set(self.old)
        if self.old:
            self.base_size = sum(len(u) + len(r) for u, r in self.old.values())
            self.old.update(self._read(self.delta_key))
        self.new: dict[bytes, Record] = {}
        self.changed = False

    def keys(self) -> list[str]:
        """The raw entries this load used: a whole-course entry lists them, to keep them."""
        return [self.key, self.delta_key]

    def _read(self, key: str) -> dict[bytes, Record]:
        raw = self.store.get_raw(key) if self.store is not None else None
        if not raw:
            return {}
        view = memoryview(raw)
        try:
            (count,) = _COUNT.unpack_from(view, 0)
            end = _COUNT.size + count * _HEAD.size
            index = list(_HEAD.iter_unpack(view[_COUNT.size : end]))
        except struct.error:
            return {}
        records: dict[bytes, Record] = {}
        at = end
        for key_bytes, unit_size, rest_size in index:
            middle, stop = at + unit_size, at + unit_size + rest_size
            records[key_bytes] = (view[at:middle], view[middle:stop])
            at = stop
        if at != len(view):
            return {}  # not what ``_write`` wrote
        return records

    def get(self, key: str) -> Record | None:
        """The stored record of the unit entry ``key`` (the unit's model JSON, the rest as JSON),
        kept for this load's pack."""
        record = self.old.get(bytes.fromhex(key))
        if record is not None:
            self.new[bytes.fromhex(key)] = record
        return record

    def drop(self, key: str) -> None:
        """A record that did not decode: parsed again, and replaced by ``put``."""
        self.new.pop(bytes.fromhex(key), None)
        self.in_base.discard(bytes.fromhex(key))
        self.changed = True

    def put(self, key: str, unit: bytes, rest: bytes) -> None:
        self.new[bytes.fromhex(key)] = (unit, rest)
        self.changed = True

    def save(self) -> None:
        """Write this load's records that the base lacks into the delta, or everything into a new
        base when they are many; only mark the entries as used when nothing changed."""
        from builder.cache import BuildCache

        if self.store is None:
            self.store = BuildCache(self.cache_dir)
        if not self.changed and self.new.keys() == self.old.keys():
            self.store.keep_raw(self.key)
            self.store.keep_raw(self.delta_key)
            return
        extra = {k: v for k, v in self.new.items() if k not in self.in_base}
        if self.base_size and sum(len(u) + len(r) for u, r in extra.values()) <= self.base_size // 8:
            self.store.keep_raw(self.key)
            self.store.put_raw_stream(self.delta_key, _write(extra))
        else:
            self.store.put_raw_stream(self.key, _write(self.new))
            self.store.put_raw(self.delta_key, b"")


def _write(records: dict[bytes, Record]) -> Iterator[bytes | memoryview]:
    yield _COUNT.pack(len(records))
    for key, (unit, rest) in records.items():
        yield _HEAD.pack(key, len(unit), len(rest))
    for unit, rest in records.values():
        yield unit
        yield rest
