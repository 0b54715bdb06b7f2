"""The whole-course entry: an unchanged source loads as one cached model.

A no-op rebuild used to parse or decode every unit; when every file under the source folder has
the bytes it had (``source_key``), the loader takes the course model stored by the last load
(``store_course``) instead, validated a section at a time (``cached_course``). The entry also
names the raw entries it was read from (the unit pack), so that they survive for the next edit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from builder.cache import BuildCache, code_fingerprint, digest, file_sha256, remember_model_digest


def source_key(root: Path, cache_dir: Path, shas: dict[str, str] | None = None) -> str | None:
    """The whole course's cache key: every file under the source folder (name, kind, bytes), the
    folder's own path (messages name it), the source epoch and coursepack's code.

    An unchanged source then loads as one validated model instead of 2,000 unit entries (most of
    a no-op rebuild). It is a superset of what the loader reads; ``.git`` is left out (the epoch
    stands for it) and so is an output folder inside the source (it changes with every build).
    None when the folder cannot be walked or has no epoch: the ordinary load reports why.

    ``shas``, when given, receives the sha256 of every regular file walked, by its path (the
    folder's path joined with the names): the loader's unit keys need them too.
    """
    from builder.archive import source_epoch

    h = hashlib.sha256()
    skip = {os.path.join(root, ".git")}
    with contextlib.suppress(OSError):
        skip.add(str(cache_dir.resolve().parent))

    def walk(folder: str, rel: str) -> None:
        # os.scandir on strings: its entries carry their kind, so no stat per file (2,000+ files).
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            name = f"{rel}{e.name}"
            if e.is_symlink():
                h.update(f"L\0{name}\0{os.readlink(e.path)}\0".encode())
            elif e.is_dir():
                if e.path in skip or os.path.realpath(e.path) in skip:
                    continue
                h.update(f"D\0{name}/\0".encode())
                walk(e.path, f"{name}/")
            else:
                sha = file_sha256(e.path)  # type: ignore[arg-type]
                if shas is not None:
                    shas[e.path] = sha
                h.update(f"F\0{name}\0{sha}\0".encode())

    try:
        epoch = source_epoch(root)
        h.update(f"{code_fingerprint()}\0{root}\0{root.resolve()}\0{epoch}\0".encode())
        walk(str(root), "")
    except (OSError, ValueError):
        return None
    return digest("course", h.hexdigest())


def cached_course(cache_dir: Path, key: str) -> Any | None:
    """The course model stored under ``key`` (``source_key``), or None. Only ``builder.model`` is
    imported, not the readers: a no-op rebuild needs none of them.

    The entry is verified in chunks and validated a line at a time: the course without its
    sections, then each section (``store_course``). Validating the model's JSON whole held all of
    it (138 MB at 20,000 units) beside the model it was becoming: most of a no-op's peak."""
    if not cache_dir.is_dir():
        return None
    from builder.model import Course, Section

    store = BuildCache(cache_dir)
    entry = store.open_raw(key)
    if entry is None:
        return None
    try:
        lines = entry.lines()
        used_keys = json.loads(next(lines))
        head = next(lines)
        course = Course.model_validate_json(head)
        sections = []
        h = _SplitHash(head)
        for line in lines:
            sections.append(Section.model_validate_json(line))
            h.section(line)
    except (ValueError, OSError, StopIteration):
        return None
    finally:
        entry.close()
    if course.sections or h.prefix is None:
        return None
    course.__dict__["sections"] = sections  # validated above; assignment would validate it again
    for used_key in used_keys:
        store.keep_raw(used_key)  # the unit pack: the next edit parses one unit, not all of them
    remember_model_digest(course, h.hexdigest())
    return course


_SECTIONS = b',"sections":[]'


class _SplitHash:
    """The sha256 of a course's whole JSON (``model_key``), from its head (the course with
    ``sections: []``) and its sections' JSON one by one: the whole text is never joined."""

    def __init__(self, head: bytes):
        self.prefix: bytes | None = None
        at = head.find(_SECTIONS)
        if at < 0 or head.find(_SECTIONS, at + 1) >= 0:
            return
        self.prefix, self.suffix = head[: at + len(_SECTIONS) - 1], head[at + len(_SECTIONS) - 1 :]
        self.sha, self.count = hashlib.sha256(self.prefix), 0

    def section(self, text: bytes) -> None:
        if self.prefix is None:
            return
        if self.count:
            self.sha.update(b",")
        self.sha.update(text)
        self.count += 1

    def hexdigest(self) -> str:
        self.sha.update(self.suffix)
        return self.sha.hexdigest()


def store_course(cache_dir: Path, key: str, used: list[str], course: Any) -> None:
    """Keep a loaded course under ``key`` with the raw entries it was read from (``used``): one
    line of those keys, one of the course without its sections, then one line per section (JSON
    has no raw newlines), so that neither writing nor reading it holds the whole text at once."""
    head = course.__pydantic_serializer__.to_json(course.model_copy(update={"sections": []}))
    h = _SplitHash(head)
    if h.prefix is None:  # a field's JSON looks like the sections' place: not split, not stored
        return
    sections = course.sections

    def chunks() -> Iterator[bytes]:
        yield json.dumps(used).encode() + b"\n"
        yield head
        for section in sections:
            text = section.__pydantic_serializer__.to_json(section)
            h.section(text)
            yield b"\n" + text

    BuildCache(cache_dir).put_raw_stream(key, chunks())
    if h.count == len(sections):  # every section hashed (a failed write may stop early)
        remember_model_digest(course, h.hexdigest())
