"""Compiled templates kept between builds, so that a rebuild does not compile them again.

Jinja compiles each template to Python on first use: ~14 templates, ~0.045 s CPU in every build
that renders (a one-unit edit of a 2,000-unit course, 2 % of it). ``SHARED`` is the
``jinja2.BytecodeCache`` of every environment ``builder.templates.environment`` makes; while a build
uses the build cache, it keeps the compiled code in ``<cache>/templates/``, elsewhere it does nothing.

A compiled template is found by the template's name and the sha1 of its source (Jinja's bucket
key and checksum) under ``code_fingerprint()``, which covers the Jinja version, the environment's
options (they are code) and the template folders: a changed template or option compiles afresh.
Each file holds the sha256 of its bytes and is verified on every read: a missing, short or altered
file is a miss, never a different template (Jinja's own file cache would unmarshal whatever code
it found). Only the current fingerprint's folder is kept: others are removed when it is made.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

FOLDER = "templates"


class VerifiedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates in one folder of the build cache, while ``folder`` is set."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self._ready: Path | None = None

    def _folder(self) -> Path | None:
        if self.root is None:
            return None
        from builder.cache import code_fingerprint

        return self.root / FOLDER / code_fingerprint()[:32]

    def _path(self, bucket: Bucket) -> Path | None:
        folder = self._folder()
        if folder is None:
            return None
        name = hashlib.sha256(f"{bucket.key}\0{bucket.checksum}".encode()).hexdigest()
        return folder / name

    def load_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        if path is None:
            return
        try:
            with open(path, "rb") as f:
                sha, data = f.readline(66), f.read()
        except OSError:
            return
        if sha[-1:] != b"\n" or hashlib.sha256(data).hexdigest().encode() != sha[:-1]:
            return
        # Jinja checks its own magic (its bytecode format and Python's version) and the source's
        # checksum again, and resets the bucket when either differs.
        bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        folder = self._folder()
        path = self._path(bucket)
        if folder is None or path is None:
            return
        data = bucket.bytecode_to_string()
        with contextlib.suppress(OSError):
            if self._ready != folder:
                folder.mkdir(parents=True, exist_ok=True)
                for other in folder.parent.iterdir():  # compiled by other code: never read again
                    if other != folder and other.is_dir():
                        shutil.rmtree(other, ignore_errors=True)
                self._ready = folder
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(hashlib.sha256(data).hexdigest().encode() + b"\n")
                    f.write(data)
                os.replace(tmp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def clear(self) -> None:
        folder = self._folder()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


SHARED = VerifiedBytecodeCache()
"""The one instance every template environment uses (``builder.templates.environment``)."""


@contextlib.contextmanager
def kept_in(cache_root: Path | None) -> Iterator[None]:
    """While the block runs, compiled templates are read from and written to ``cache_root``
    (a build cache folder); ``None`` leaves them uncached."""
    previous = SHARED.root
    SHARED.root = cache_root
    try:
        yield
    finally:
        SHARED.root = previous
