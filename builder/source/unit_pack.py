"""The parsed unit files of the last successful load, kept as one record pack (``record_pack``).

An edit rebuild of a 2,000-unit course used to open, read, hash and verify 2,000 small cache
entries (one per unit file) — a third of a second, ten times what decoding them costs. The pack
holds every unit entry of the last load in one raw entry, hashed once when opened; each record
is read by place (``RecordPack``: an index, then one ``pread`` per record) only when the loader
asks for it, and decoded at once; an edit writes its few new records into the pack's delta, not
the whole pack again.

Not read whole, though every record is asked for: the pack's bytes (~145 MB at 20,000 units)
would sit in memory beside the course model being built from them, the peak of a load; by place,
only one record's bytes are in hand at a time, at the cost of one system call per unit (~5 µs).

A record is stored under the unit file's own cache key (``loader._cached_units``: code, path,
bytes, asset index), so the pack decides nothing by itself: a record whose key is not asked for
is never used, and any record is a valid answer for its key. A pack that is missing, truncated or
does not verify is empty (every unit is parsed again). Nothing is written after a load with
errors (``save`` is not called), nor when nothing changed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from builder.record_pack import RecordPack

_UNIT = struct.Struct("<I")
"""A record's value: the length of the unit's model JSON, that JSON, then the rest as JSON."""
_TAG = b"u"

Record = tuple[bytes | memoryview, bytes | memoryview]


class UnitPack:
    def __init__(self, cache_dir: Path, root: Path):
        from builder import cache

        # One pack per source folder: two courses built into one output folder keep theirs apart.
        key = cache.digest("unit pack", cache.code_fingerprint(), str(root), str(root.resolve()))
        self.pack = RecordPack(cache_dir, key)

    def keys(self) -> list[str]:
        """The raw entries this load used: a whole-course entry lists them, to keep them."""
        return self.pack.keys()

    def get(self, key: str) -> Record | None:
        """The stored record of the unit entry ``key`` (the unit's model JSON, the rest as JSON),
        kept for this load's pack; None when absent or not a unit record."""
        found = self.pack.lookup(bytes.fromhex(key))
        if found is None:
            return None
        tag, data = found
        try:
            (size,) = _UNIT.unpack_from(data, 0)
        except struct.error:
            size = -1
        if tag != _TAG or size < 0 or _UNIT.size + size > len(data):
            self.drop(key)
            return None
        view = memoryview(data)
        return view[_UNIT.size : _UNIT.size + size], view[_UNIT.size + size :]

    def drop(self, key: str) -> None:
        """A record that did not decode: parsed again, and replaced by ``put``."""
        self.pack.drop(bytes.fromhex(key))

    def put(self, key: str, unit: bytes, rest: bytes) -> None:
        self.pack.put(bytes.fromhex(key), _TAG, _UNIT.pack(len(unit)) + unit + rest)

    def save(self) -> None:
        """Keep this load's records for the next (``RecordPack.save``), then let go of the pack."""
        try:
            self.pack.save()
        finally:
            self.pack.close()
