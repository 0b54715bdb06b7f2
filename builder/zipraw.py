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
    data: bytes | memoryview
    at: int | None = None
    """Where ``data`` starts in the archive passed to ``write`` as ``source`` (a member reused
    from it): its local record there may be copied whole, with its neighbours', in one write."""


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
    source: bytes | None = None,
) -> tuple[str, dict[str, tuple[int, int, int, int]]]:
    """Write a zip of ``members`` (name, a function giving its ``Deflated``) in the order given.

    ``source``: the archive this one replaces. A member taken from it (``Deflated.at``) whose
    local record there is the very record this writer would write (same header bytes: name, time,
    flags, CRC, sizes) is not written on its own: consecutive such records are copied as one byte
    range, so an edit of one page copies the package in a few writes instead of two per member.

    Returns the archive's sha256 and, per member, (offset of its data, compressed size, CRC,
    size): what a later build needs to copy the member's stored bytes out of this archive.
    """
    f = _Hashing(out)
    date, time = _dos_time(stamp)
    attr = (0o100000 | mode) << 16
    central: list[bytes] = []
    where: dict[str, tuple[int, int, int, int]] = {}
    view = memoryview(source) if source is not None else None
    run_start = run_end = 0  # the byte range of ``source`` still to be copied
    pos = 0  # where the next record starts in the archive being written
    for name, get in members:
        d = get()
        try:
            raw, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw, flags = name.encode("utf-8"), 0x800
        if pos > LIMIT or len(d.data) > LIMIT or d.size * 1.05 > LIMIT or len(where) >= COUNT_LIMIT:
            raise TooBig(name)
        sizes = (d.crc, len(d.data), d.size, len(raw))
        local = _LOCAL.pack(b"PK\x03\x04", VERSION, 0, flags, zlib.DEFLATED, time, date, *sizes, 0) + raw
        start = d.at - len(local) if d.at is not None else -1
        if view is not None and start >= 0 and view[start : d.at] == local:
            if start != run_end or run_start == run_end:
                if run_end > run_start:
                    f.write(view[run_start:run_end])
                run_start = start
            run_end = d.at + len(d.data)  # type: ignore[operator]
        else:
            if run_end > run_start:
                f.write(view[run_start:run_end])  # type: ignore[index]
                run_start = run_end = 0
            f.write(local)
            f.write(d.data)
        where[name] = (pos + len(local), len(d.data), d.crc, d.size)
        head = (b"PK\x01\x02", VERSION, UNIX, VERSION, 0, flags, zlib.DEFLATED, time, date)
        central.append(_CENTRAL.pack(*head, *sizes, 0, 0, 0, 0, attr, pos) + raw)
        pos += len(local) + len(d.data)
    if run_end > run_start:
        f.write(view[run_start:run_end])  # type: ignore[index]
    assert f.at == pos
    start = f.at
    if start > LIMIT:
        raise TooBig("central directory")
    for record in central:
        f.write(record)
    f.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), f.at - start, start, 0))
    return f.sha.hexdigest(), where
