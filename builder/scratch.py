"""An unnamed scratch file that bytes are appended to and read back from by place.

Two things hold rendered bytes while a target runs — an output's archive members
(``archive.Members``) and the build cache's new rendered pieces (``cache.Pieces``) — and both would
otherwise keep every page of a large course in memory at once. They keep only (offset, length)
here instead. One unnamed file (``O_TMPFILE`` where the system allows) is gone with the process
however it ends, and needs no file name per item.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


class ScratchFile:
    def __init__(self, folder: Path | str | None, prefix: str = ".coursepack-scratch-"):
        self._file = tempfile.TemporaryFile(dir=folder, prefix=prefix)  # noqa: SIM115 - closed by close()
        self._end = 0

    def append(self, data: bytes | memoryview) -> tuple[int, int]:
        """Write ``data`` at the end; return where it lies: (offset, length)."""
        at = self._end
        self._file.seek(at)
        self._file.write(data)
        self._end += len(data)
        return at, len(data)

    def read(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        data = self._file.read(length)
        if len(data) != length:
            raise OSError(f"scratch file is short: {len(data)} of {length} bytes at {offset}")
        return data

    def close(self) -> None:
        self._file.close()
