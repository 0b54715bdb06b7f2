"""``coursepack new``: a small course that builds and checks cleanly, to start from.

The files are ordinary package data (``builder/scaffold_files``), copied as they are, plus a
course image drawn here so that no binary file has to live in the repository twice.
"""

from __future__ import annotations

import struct
import zlib
from importlib.resources import files
from pathlib import Path


def scaffold(dest: Path) -> list[Path]:
    root = files("builder") / "scaffold_files"
    written: list[Path] = []

    def copy(node, rel: Path) -> None:  # type: ignore[no-untyped-def]
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                copy(child, rel / child.name)
            elif child.name.endswith(".tmpl"):
                target = dest / rel / child.name.removesuffix(".tmpl")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(child.read_bytes())
                written.append(target)

    copy(root, Path())
    image = dest / "static" / "images" / "course-image.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(_png(480, 270, (31, 78, 121)))
    written.append(image)
    return written


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain one-colour PNG: enough for a placeholder course image."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
