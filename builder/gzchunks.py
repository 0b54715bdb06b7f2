"""One gzip stream deflated in chunks that a later build can copy instead of compressing again.

Why: an edit of one unit changes a few kilobytes of the OLX tarball's 9 MB (2,000 units), yet
compressing the whole tar stream again cost ~0.1 s of CPU, the largest part of the archive's
write. pigz's layout makes compressed bytes reusable without a byte of size: the tar stream is cut
into chunks at member boundaries, each chunk is deflated on its own with the 32 KB of tar stream
before it as the preset dictionary (so it compresses as well as one continuous deflate would), and
ends on a sync flush (byte-aligned, not final). The chunks joined are one deflate stream in one
gzip member, which every gzip reader reads (Open edX's import opens the upload with
``tarfile.open``; GNU tar, Python's ``gzip``); the CRC-32 of the whole comes from the chunks' own
with ``crc32_combine``.

A chunk's compressed bytes follow from its members' names, sizes and contents, those of the chunk
before it (its last 32 KB are the dictionary), the tar epoch and zlib's version (in the cache's
code fingerprint). Chunks end after a member whose name's CRC-32 is divisible by ``CUT_EVERY``,
once they hold ``CHUNK_MIN`` bytes: cuts depend on names, not on sizes (a size rule would move
every later cut when one page grows), so an edit re-deflates its own chunk and the next. Whether
a chunk is reused or deflated, its bytes are the same: a cached build writes the archive a clean
one writes, and ~5 bytes per chunk more than one continuous deflate.
"""

from __future__ import annotations

import zlib

HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
"""gzip header: deflate, no flags (no file name), mtime 0, no extra flags, OS unknown — what
``gzip.GzipFile(filename="", mtime=0, compresslevel=6)`` writes."""

LEVEL = 6
WINDOW = 32 * 1024
"""Deflate's window: the dictionary each chunk is deflated with."""

CUT_EVERY = 256
"""A member whose name's CRC-32 is divisible by this ends a chunk (one in 256 on average: ~45
chunks of ~200 KB at 2,000 units; cuts follow names, not sizes, so an edit moves none of them)."""

CHUNK_MIN = WINDOW
"""…once the chunk holds this much: the next chunk's dictionary then lies in this one alone."""

_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a × b modulo the CRC-32 polynomial (bit-reflected), as zlib's ``multmodp``."""
    m = 1 << 31
    p = 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _x2n_table() -> list[int]:
    p = 1 << 30  # x^1
    table = [p]
    for _ in range(31):
        p = _multmodp(p, p)
        table.append(p)
    return table


_X2N = _x2n_table()


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from CRC-32(A), CRC-32(B) and len(B) (zlib's ``crc32_combine``, which
    Python's ``zlib`` does not expose)."""
    p = 1 << 31  # x^0
    k = 3  # len2 counts bytes: x^(8·len2)
    n = len2
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return _multmodp(p, crc1) ^ crc2


class Chunk:
    """One chunk being deflated: feed it the tar stream's bytes, then ``finish``."""

    def __init__(self, dictionary: bytes, last: bool = False):
        if dictionary:
            self._z = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, dictionary)
        else:
            self._z = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
        self._last = last
        self.out: list[bytes] = []
        self.crc = 0
        self.size = 0
        self.tail = bytearray(dictionary[-WINDOW:])
        """The last 32 KB of the tar stream so far: the next chunk's dictionary."""

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.out.append(self._z.compress(data))
        if len(data) >= WINDOW:
            self.tail[:] = data[-WINDOW:]
        else:
            self.tail += data
            del self.tail[:-WINDOW]

    def finish(self) -> bytes:
        """The chunk's deflate bytes: ending on a sync flush, or the final block when ``last``."""
        self.out.append(self._z.flush(zlib.Z_FINISH if self._last else zlib.Z_SYNC_FLUSH))
        return b"".join(self.out)


def trailer(crc: int, size: int) -> bytes:
    return (crc & 0xFFFFFFFF).to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little")
