"""The build cache: content-addressed results of earlier builds, so a rebuild redoes only what changed.

A rebuild of an unchanged course used to cost as much as the first build, and validating every
output (olxcleaner, the SCORM XSDs) doubled that. The cache keeps two kinds of entries:

* a **target entry** per (target, options, course model, static file contents, code fingerprint):
  the files the target wrote and the findings of its checks. A hit copies the files back and
  replays the findings; nothing is rendered, compressed or validated.
* a **check entry** per output check: the check's findings plus the content hash of every member
  the check actually read (recorded while it ran, see ``RecordingMembers``). When a target must be
  rendered again, a check whose read members are byte-identical is not run again — e.g. editing a
  unit's text leaves a SCORM manifest as it was, so its XSD validation is reused.

Every key includes ``code_fingerprint()``: coursepack's version, the hash of the ``builder`` package's
own files (code, XSDs) and of the template folders, the versions of the libraries that shape the
bytes, and zlib's version. Changing any of them invalidates everything.

The cache never decides what a build contains, only whether work can be skipped: blobs are named
by their sha256 and verified on every read, entries carry the sha256 of their body, and anything
that is missing, unreadable or does not verify is a miss. Writes go to a temporary file and are
renamed into place, so concurrent builds see whole entries or none. Deleting the folder changes
no output. After a successful build, files not used by it are pruned, so the cache stays as large
as one build's outputs plus its small entries.

It lives beside the outputs, in ``<out>/.coursepack-cache/`` with a ``.gitignore`` of ``*``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from builder import __version__

CACHE_DIR = ".coursepack-cache"
FORMAT = "2"
"""Bumped when the layout or the meaning of entries changes."""

_LIBRARIES = (
    "jinja2",
    "markupsafe",
    "markdown-it-py",
    "mdit-py-plugins",
    "lxml",
    "xmlschema",
    "olxcleaner",
    "pydantic",
)


def _hash_tree(h: Any, root: Path) -> None:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())


@cache
def code_fingerprint() -> str:
    """What, besides the course and the options, decides the bytes of a build and its findings."""
    from builder.templates import template_dir

    h = hashlib.sha256(f"coursepack {__version__} cache {FORMAT}\0".encode())
    _hash_tree(h, Path(__file__).resolve().parent)
    for name in ("olx_templates", "scorm_templates", "moodle_templates", "handbook_templates"):
        h.update(name.encode() + b"\0")
        _hash_tree(h, template_dir(name))
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=absent\0".encode())
    h.update(f"zlib={zlib.ZLIB_RUNTIME_VERSION} python={sys.version_info[:3]}".encode())
    return h.hexdigest()


def digest(*parts: object) -> str:
    """A key from JSON-able parts (sorted keys, so dict order never matters)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class BuildCache:
    """One cache folder; safe to share between concurrent builds and their worker processes."""

    def __init__(self, root: Path):
        self.root = root
        (root / "blobs").mkdir(parents=True, exist_ok=True)
        (root / "entries").mkdir(parents=True, exist_ok=True)
        ignore = root / ".gitignore"
        if not ignore.exists():
            self._atomic_write(ignore, b"# coursepack's build cache: safe to delete, never commit\n*\n")

    # ----------------------------------------------------------------------------- plumbing

    def _atomic_write(self, dest: Path, data: bytes) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @staticmethod
    def _touch(path: Path) -> None:
        """Mark as used by this build, so ``prune`` keeps it."""
        with contextlib.suppress(OSError):
            os.utime(path)

    def _entry_path(self, key: str) -> Path:
        return self.root / "entries" / key[:2] / f"{key}.json"

    def _blob_path(self, sha: str) -> Path:
        return self.root / "blobs" / sha[:2] / sha

    # ----------------------------------------------------------------------------- entries

    def get(self, key: str) -> Any | None:
        """The body stored under ``key``, or None when absent or not verifiable.

        An entry file is the sha256 of its JSON text, a newline, then the JSON text: verifying it
        hashes bytes once, rather than serialising the body again (a third of a no-op rebuild).
        """
        path = self._entry_path(key)
        try:
            raw = path.read_bytes()
            sha, _, text = raw.partition(b"\n")
            if hashlib.sha256(text).hexdigest().encode() != sha:
                return None
            entry = json.loads(text)
            if entry.get("key") != key:
                return None
            body = entry["body"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        self._touch(path)
        return body

    def keep(self, key: str) -> None:
        """Mark an entry as used without reading it (e.g. the check entries behind a target hit)."""
        self._touch(self._entry_path(key))

    def put(self, key: str, body: Any) -> None:
        text = json.dumps({"key": key, "body": body}, separators=(",", ":")).encode()
        data = hashlib.sha256(text).hexdigest().encode() + b"\n" + text
        with contextlib.suppress(OSError):
            self._atomic_write(self._entry_path(key), data)

    # ----------------------------------------------------------------------------- blobs

    def store_file(self, path: Path) -> str:
        """Keep a copy of ``path`` (hard-linked when possible) under its sha256; return the hash."""
        sha = file_sha256(path)
        dest = self._blob_path(sha)
        if dest.exists():
            self._touch(dest)
            return sha
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.parent / f".tmp-{os.getpid()}-{sha[:16]}-{time.monotonic_ns()}"
        try:
            try:
                os.link(path, tmp)
            except OSError:
                shutil.copyfile(path, tmp)
            os.replace(tmp, dest)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return sha

    def restore_file(self, sha: str, dest: Path) -> bool:
        """Put the blob ``sha`` at ``dest`` if it exists and still hashes to ``sha``."""
        blob = self._blob_path(sha)
        try:
            try:
                os.link(blob, dest)
            except OSError:
                shutil.copyfile(blob, dest)
            if file_sha256(dest) != sha:
                dest.unlink()
                with contextlib.suppress(OSError):
                    blob.unlink()  # corrupted: never trust it again
                return False
        except OSError:
            with contextlib.suppress(OSError):
                dest.unlink()
            return False
        self._touch(blob)
        return True

    # ----------------------------------------------------------------------------- bounds

    def prune(self, since: float) -> int:
        """Remove entries and blobs not used since ``since`` (the start of the last build)."""
        removed = 0
        limit = since - 2  # filesystems with coarse timestamps round down
        for sub in ("entries", "blobs"):
            for path in (self.root / sub).glob("*/*"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < limit:
                        path.unlink()
                        removed += 1
        return removed


class RecordingMembers(Mapping[str, Any]):
    """A read-only view of an output's members that remembers which ones a check read.

    Listing names or asking ``in`` is not a read (the names are part of the check's key already);
    fetching a value is.
    """

    def __init__(self, members: Mapping[str, Any]):
        self._members = members
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        value = self._members[name]
        self.read.add(name)
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)
