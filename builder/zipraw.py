"""A zip writer that takes members already deflated, so a rebuild reuses unchanged members' bytes.

A zip stores every member as its own deflate stream with its CRC and sizes, so a member whose
content is unchanged can be copied compressed from the previous archive: an edit of one unit
then compresses one page instead of every page of a SCORM package. Python's ``zipfile`` has no
public way to write pre-compressed data (nor do the maintained streaming writers, ``stream-zip``
and ``zipstream-ng``: both compress what they are given), so this writes the few records itself.

The bytes are exactly those ``zipfile.ZipFile.writestr`` gives for the ``ZipInfo`` that
``builder.archive`` used to pass it (deflate level 6, raw stream, no data descriptor, Unix mode,
no extra fields), so archives are unchanged by the switch; ``tests/test_zipraw.py`` compares
the two. Archives past the classic zip limits (4 GiB, 65,535 members) are left to ``zipfile``.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

LEVEL = 6
VERSION = 20
"""The version needed to extract (and made by): 2.0, deflate."""
UNIX = 3
LIMIT = (1 << 31) - 1
"""``zipfile.ZIP64_LIMIT``: past it (any size or offset) zipfile writes zip64 records, which this
writer does not — it raises ``TooBig`` and the caller leaves the archive to zipfile."""
COUNT_LIMIT = 0xFFFF


class TooBig(ValueError):
    """The archive needs zip64 records (sizes, offsets or member count past the classic limits)."""

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


@dataclass(frozen=True)
class Deflated:
    """One member's content as stored: the raw deflate stream, its CRC-32 and original size."""

    crc: int
    size: int
    data: bytes | memoryview | None
    """The deflate stream; None for a member left in ``source`` (``at``, ``stored``), read from
    there only if its record cannot be copied whole."""
    at: int | None = None
    """Where the stream starts in the archive passed to ``write`` as ``source`` (a member reused
    from it): its local record there may be copied whole, with its neighbours', in one write."""
    stored: int = 0
    """The stream's length when ``data`` is None."""

    @property
    def csize(self) -> int:
        return self.stored if self.data is None else len(self.data)


class Source:
    """The archive being replaced, read by place through one open file, never held whole.

    A 20,000-unit SCORM package is ~65 MB; reading it into memory to copy its unchanged records
    was that much of an edit's peak. Records are compared and copied in order, so reads go
    through one window of ``WINDOW`` bytes, and a run of records is copied in chunks of that size.
    The file must not change while it is read (the caller verified its sha256 through this same
    open file; a build replaces a published archive by renaming, which leaves it as it was).
    """

    WINDOW = 1 << 20

    def __init__(self, file: BinaryIO, size: int):
        self.file, self.size = file, size
        self._at, self._window = 0, b""

    @classmethod
    def of(cls, data: bytes | memoryview) -> Source:
        """A source over bytes already in memory (tests, small archives)."""
        return cls(io.BytesIO(data), len(data))

    def _pread(self, offset: int, length: int) -> bytes:
        self.file.seek(offset)
        return self.file.read(max(0, min(length, self.size - offset)))

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` (fewer past the end of the file)."""
        end = offset + length
        if not (self._at <= offset and end <= self._at + len(self._window)):
            if length > self.WINDOW:
                return self._pread(offset, length)
            self._at, self._window = offset, self._pread(offset, self.WINDOW)
        return self._window[offset - self._at : end - self._at]

    def copy(self, write: Callable[[bytes], object], start: int, end: int) -> None:
        """Write bytes ``start``..``end`` in chunks; the caller checked they lie in the file."""
        while start < end:
            chunk = self._pread(start, min(self.WINDOW, end - start))
            if not chunk:
                raise OSError(f"the archive being replaced ended at {start}, before {end}")
            write(chunk)
            start += len(chunk)


def deflate(content: bytes) -> Deflated:
    """What ``zipfile`` stores for ``content`` (one ``compress`` call and a flush, level 6)."""
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return Deflated(zlib.crc32(content), len(content), c.compress(content) + c.flush())


def too_big(total_size: int, count: int) -> bool:
    """Whether ``zipfile`` would write zip64 records, which this writer does not."""
    return total_size * 1.05 > LIMIT or count > COUNT_LIMIT


def _dos_time(stamp: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = stamp
    return (y - 1980) << 9 | mo << 5 | d, h << 11 | mi << 5 | s // 2


class _Hashing:
    """Counts and hashes what is written, so the caller learns the archive's sha256 for free."""

    def __init__(self, out: BinaryIO):
        self.out, self.sha, self.at = out, hashlib.sha256(), 0

    def write(self, data: bytes | memoryview) -> None:
        self.out.write(data)
        self.sha.update(data)
        self.at += len(data)


def write(
    out: BinaryIO,
    members: Iterable[tuple[str, Callable[[], Deflated]]],
    stamp: tuple[int, int, int, int, int, int],
    mode: int,
    source: Source | bytes | None = None,
) -> tuple[str, dict[str, tuple[int, int, int, int]]]:
    """Write a zip of ``members`` (name, a function giving its ``Deflated``) in the order given.

    ``source``: the archive this one replaces (a ``Source``, or its bytes). A member taken from
    it (``Deflated.at``) whose local record there is the very record this writer would write (same
    header bytes: name, time, flags, CRC, sizes) is not written on its own: consecutive such
    records are copied as one byte range, so an edit of one page copies the package in a few
    writes instead of two per member.

    Returns the archive's sha256 and, per member, (offset of its data, compressed size, CRC,
    size): what a later build needs to copy the member's stored bytes out of this archive.
    """
    f = _Hashing(out)
    date, time = _dos_time(stamp)
    attr = (0o100000 | mode) << 16
    central: list[bytes] = []
    where: dict[str, tuple[int, int, int, int]] = {}
    src = Source.of(source) if isinstance(source, bytes | memoryview) else source
    run_start = run_end = 0  # the byte range of ``source`` still to be copied
    pos = 0  # where the next record starts in the archive being written
    for name, get in members:
        d = get()
        try:
            raw, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw, flags = name.encode("utf-8"), 0x800
        csize = d.csize
        if pos > LIMIT or csize > LIMIT or d.size * 1.05 > LIMIT or len(where) >= COUNT_LIMIT:
            raise TooBig(name)
        sizes = (d.crc, csize, d.size, len(raw))
        local = _LOCAL.pack(b"PK\x03\x04", VERSION, 0, flags, zlib.DEFLATED, time, date, *sizes, 0) + raw
        start = d.at - len(local) if d.at is not None else -1
        if src is not None and start >= 0 and src.read(start, len(local)) == local:
            if start != run_end or run_start == run_end:
                if run_end > run_start:
                    src.copy(f.write, run_start, run_end)
                run_start = start
            run_end = d.at + csize  # type: ignore[operator]
        else:
            if run_end > run_start:
                src.copy(f.write, run_start, run_end)  # type: ignore[union-attr]
                run_start = run_end = 0
            f.write(local)
            if d.data is not None:
                f.write(d.data)
            else:
                assert src is not None and d.at is not None
                src.copy(f.write, d.at, d.at + csize)
        where[name] = (pos + len(local), csize, d.crc, d.size)
        head = (b"PK\x01\x02", VERSION, UNIX, VERSION, 0, flags, zlib.DEFLATED, time, date)
        central.append(_CENTRAL.pack(*head, *sizes, 0, 0, 0, 0, attr, pos) + raw)
        pos += len(local) + csize
    if run_end > run_start:
        src.copy(f.write, run_start, run_end)  # type: ignore[union-attr]
    assert f.at == pos
    start = f.at
    if start > LIMIT:
        raise TooBig("central directory")
    for record in central:
        f.write(record)
    f.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), f.at - start, start, 0))
    return f.sha.hexdigest(), where
