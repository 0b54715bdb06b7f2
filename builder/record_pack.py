"""Keyed records kept from one build to the next in two raw cache entries: a base and a delta.

Two things need the same store: the loader's parsed unit files (``source.unit_pack``) and each
target's rendered pieces (``cache.Pieces``). Both ask for thousands of small records by a
sha256 key that names everything the record was made from, so a record is either the right
answer for its key or never asked for: the pack decides nothing by itself, and a stale record
costs space, never correctness. Two copies of this mechanism had grown apart (one read its pack
whole, the other by place; one emptied its delta when folding it into the base, the other left
it; one threw away a delta whose base was damaged, though its records were as good), so it lives
here once.

Layout of one pack (the data of a ``BuildCache.put_raw_stream`` entry, which is hashed and
verified as a whole when opened): the record count, then per record its 32-byte key, a type byte
chosen by the user and the value's length, then the values in index order. The index is read
when the first record is asked for; a value is read when it is asked for, by place
(``BuildCache.open_raw``: the pack is never in memory whole) or, with ``whole=True``, from the
entry read into memory once. That saves only a system call per record, even when every record is
used: the unit pack read whole held ~145 MB at 20,000 units beside the model built from it (the
load's peak), so both users now read by place.

Rewriting a 20 MB pack for one edited unit cost more than reading it, so a build that made few
new records writes only the records outside the base into the *delta*, a second pack read on
top of the base; the base is rewritten, with exactly the records this build used, once the delta
would hold more than 1/``DELTA_SHARE`` of it. A build that made nothing writes nothing (it only
marks both entries used, for ``BuildCache.prune``). A base or delta that is missing, truncated or
does not verify holds no records: only its records are made again.

New values go to an unnamed scratch file as they are made (``builder.scratch``): only key,
offset and length stay in memory, so a pack adds nothing that grows with the course but its
index to a process's heap.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from builder.scratch import ScratchFile

if TYPE_CHECKING:
    from builder.cache import BuildCache

_COUNT = struct.Struct("<I")
_HEAD = struct.Struct("<32scQ")
_CHUNK = 1 << 20

BASE, DELTA, MADE = 0, 1, 2
"""Where a record's bytes lie: in the base pack, in the delta pack, in this build's scratch file."""

Place = tuple[bytes, int, int, int]
"""A record's type byte, where its bytes lie (``BASE``/``DELTA``/``MADE``), offset and length."""


class _Source(Protocol):
    size: int

    def read(self, offset: int, length: int) -> bytes | memoryview: ...

    def close(self) -> None: ...


class _InMemory:
    """A pack read whole: values are views of the one ``bytes`` read (no copy per record)."""

    def __init__(self, data: bytes):
        self._view, self.size = memoryview(data), len(data)

    def read(self, offset: int, length: int) -> memoryview:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise OSError(f"pack has {self.size} bytes, not {offset}+{length}")
        return self._view[offset : offset + length]

    def close(self) -> None:
        """Nothing held open: the views stay valid after the entry is replaced."""


class RecordPack:
    """The records of the last builds under ``key`` (base and delta), and those of this build.

    ``lookup`` a record, ``put`` one made anew, ``drop`` one that did not decode; ``save`` when
    the build succeeded, ``close`` always. ``store`` is a ``BuildCache`` or a cache folder that
    may not exist yet: it is then created only by ``save`` (a failed load leaves none).
    """

    DELTA_SHARE = 8
    """The delta is folded into a new base once it would hold more than 1/``DELTA_SHARE`` of it."""

    def __init__(self, store: BuildCache | Path, key: str, whole: bool = False):
        self._store: BuildCache | None = None
        self._folder: Path
        if isinstance(store, Path):
            self._folder = store
        else:
            self._store, self._folder = store, store.root
        self.key = key
        self.delta_key = hashlib.sha256(f"record pack delta\0{key}".encode()).hexdigest()
        self.whole = whole
        self._index: dict[bytes, Place] | None = None
        """Per record of the last builds: its type byte and where it lies (read on first use)."""
        self._sources: list[_Source | None] = [None, None]
        self.used: dict[bytes, Place] = {}
        """Per record of this build: its type byte and where it lies (a pack or the scratch file)."""
        self.changed = False
        self._spill: ScratchFile | None = None

    def keys(self) -> list[str]:
        """The raw entries of this pack, when the build used it: what a whole-build entry lists so
        that a later hit keeps them (``BuildCache.keep_raw``) for the edit after."""
        return [self.key, self.delta_key] if self.used else []

    # ----------------------------------------------------------------------------- reading

    def _store_if_any(self) -> BuildCache | None:
        if self._store is None and self._folder.is_dir():
            from builder.cache import BuildCache

            self._store = BuildCache(self._folder)
        return self._store

    def _open(self, key: str, which: int, index: dict[bytes, Place]) -> None:
        """Add a pack's index to ``index``. A pack whose index does not add up to its size is no
        pack: none of its records is used."""
        store = self._store_if_any()
        if store is None:
            return
        source: _Source | None
        if self.whole:
            data = store.get_raw(key)
            source = _InMemory(data) if data is not None else None
        else:
            source = store.open_raw(key)
        if source is None:
            return
        found: dict[bytes, Place] = {}
        try:
            (count,) = _COUNT.unpack(source.read(0, _COUNT.size))
            heads = source.read(_COUNT.size, count * _HEAD.size)
            at = _COUNT.size + len(heads)
            for record, tag, size in _HEAD.iter_unpack(heads):
                found[record] = (tag, which, at, size)
                at += size
        except (OSError, struct.error):
            at = -1
        if at != source.size:
            source.close()
            return
        index.update(found)
        self._sources[which] = source

    def _load(self) -> dict[bytes, Place]:
        if self._index is None:
            index: dict[bytes, Place] = {}
            self._open(self.key, BASE, index)
            self._open(self.delta_key, DELTA, index)  # on top: a record in both is the same record
            self._index = index
        return self._index

    def _read(self, where: int, at: int, size: int) -> bytes | memoryview:
        if where == MADE:
            assert self._spill is not None
            return self._spill.read(at, size)
        source = self._sources[where]
        if source is None:
            raise OSError("pack closed")
        return source.read(at, size)

    def holds(self, key: bytes) -> bool:
        """Whether the record ``key`` is there (``lookup`` may still miss it, should a read fail)."""
        return key in self.used or key in (self._index if self._index is not None else self._load())

    def lookup(self, key: bytes) -> tuple[bytes, bytes | memoryview] | None:
        """The type byte and value of the record ``key``, kept for this build's pack; or None."""
        place = self.used.get(key)
        if place is None:
            place = (self._index if self._index is not None else self._load()).get(key)
            if place is None:
                return None
        tag, where, at, size = place
        try:
            data = self._read(where, at, size)
        except OSError:  # verified when opened; a read that fails now is a miss all the same
            return None
        self.used[key] = place
        return tag, data

    def stored(self) -> int:
        """How many records the last builds left (base and delta)."""
        return len(self._load())

    # ----------------------------------------------------------------------------- writing

    def put(self, key: bytes, tag: bytes, data: bytes | memoryview) -> None:
        """Keep a record made by this build (its bytes go to the scratch file at once)."""
        if self._spill is None:
            self._spill = ScratchFile(self._folder if self._folder.is_dir() else None)
        self.used[key] = (tag, MADE, *self._spill.append(data))
        self.changed = True

    def drop(self, key: bytes) -> None:
        """Forget a record that did not decode: made again, and kept by ``put``."""
        self.used.pop(key, None)
        self._load().pop(key, None)
        self.changed = True

    def save(self) -> None:
        """Keep the records this build used for the next one.

        Nothing made: the packs stay as they are, marked used. Few made: the records not in the
        base go to a new delta. Else one new base holds exactly the records used (and the delta
        is emptied)."""
        if not self.used:
            return
        base = self._sources[BASE]
        store = self._store_if_any()
        if not self.changed and base is not None and store is not None:
            store.keep_raw(self.key)
            store.keep_raw(self.delta_key)
            return
        if store is None:
            from builder.cache import BuildCache

            store = self._store = BuildCache(self._folder)
        outside = {k: p for k, p in self.used.items() if p[1] != BASE}
        if base is not None and sum(p[3] for p in outside.values()) * self.DELTA_SHARE <= base.size:
            self._release(outside, DELTA)
            store.put_raw_stream(self.delta_key, self._chunks(outside))
            store.keep_raw(self.key)
            return
        self._release(self.used, BASE, DELTA)
        store.put_raw_stream(self.key, self._chunks(self.used))
        store.put_raw_stream(self.delta_key, self._chunks({}))

    def _release(self, records: dict[bytes, Place], *packs: int) -> None:
        """Close ``packs`` before their entries are replaced, first copying the records of
        ``records`` that lie in them into the scratch file (Windows renames nothing over an open
        file; a pack read whole holds no file)."""
        for key, (tag, where, at, size) in list(records.items()):
            source = self._sources[where] if where in packs else None
            if source is not None and not isinstance(source, _InMemory):
                data = self._read(where, at, size)
                self.put(key, tag, data)
                records[key] = self.used[key]
        for which in packs:
            source = self._sources[which]
            if source is not None and not isinstance(source, _InMemory):
                source.close()
                self._sources[which] = None

    def _chunks(self, records: dict[bytes, Place]) -> Iterator[bytes | memoryview]:
        """A pack: the index of ``records``, then their values."""
        yield _COUNT.pack(len(records))
        index = bytearray()
        for key, (tag, _where, _at, size) in records.items():
            index += _HEAD.pack(key, tag, size)
            if len(index) >= _CHUNK:
                yield bytes(index)
                index.clear()
        yield bytes(index)
        for _tag, where, at, size in records.values():
            for start in range(at, at + size, _CHUNK):
                yield self._read(where, start, min(_CHUNK, at + size - start))

    def close(self) -> None:
        """Drop the scratch file and the packs held open."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        for which, source in enumerate(self._sources):
            if source is not None:
                source.close()
                self._sources[which] = None
        self._index = None
