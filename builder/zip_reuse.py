"""The zip package a build replaces, as a source of unchanged members' deflated bytes.

An edit changes a few members of a package of thousands; deflating all of them again was most of
writing it. ``ZipReuse`` reads the published archive by place, beside the index the build that
wrote it kept in the build cache, and ``builder.zipraw`` copies each unchanged member's record
from it: the bytes are those ``zipfile`` writes (``builder.archive``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from builder.cache import FORMAT, MADE, BuildCache, digest, memo_pack


class ZipReuse:
    """The archive this build replaces, to copy unchanged members' stored bytes from.

    That is the file published in the output folder (whatever the last build left there, rendered
    or restored from the cache); an index entry named by the archive's own sha256 gives, per
    member, the sha256 of its content and where its deflated bytes lie. A member is reused only
    when its content hashes the same as in that index; anything else is deflated. An archive
    without an index (deleted cache, edited by hand) reuses nothing.

    A member made by a piece (``piece_and_origin``) carries the piece's *origin*: a digest of the
    code, the target's pack and everything the piece reads. The index records it, and a member
    whose origin is the one recorded is reused without being read or hashed at all — the piece's
    key already says its bytes are those of that member (which the cached build relies on anyway).
    """

    def __init__(self, store: BuildCache, published: Path):
        from builder import zipraw

        self.store = store
        self.index: dict[str, list[Any]] = {}
        self.source: zipraw.Source | None = None
        """The published archive, read by place (never whole: ~65 MB at 20,000 units), through the
        file hashed here: a build publishing meanwhile renames a new file over it, which leaves
        this one as it was."""
        self.shas: dict[str, str] = {}
        self.origins: dict[str, str] = {}
        self._stamp: tuple[int, int] | None = None
        try:
            f = open(published, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        except OSError:
            return
        try:
            self._stamp = self._stat(f)
            h, size = hashlib.sha256(), 0
            buffer = bytearray(zipraw.Source.WINDOW)
            with memoryview(buffer) as view:
                while n := f.readinto(buffer):
                    h.update(view[:n])
                    size += n
            raw = store.get_raw(self.index_key(h.hexdigest()))
            if raw is not None:
                self.index, self.source = json.loads(raw)["members"], zipraw.Source(f, size)
        except (OSError, ValueError, KeyError, TypeError):
            self.source, self.index = None, {}
        if self.source is None:
            f.close()

    @staticmethod
    def _stat(f: Any) -> tuple[int, int]:
        st = os.fstat(f.fileno())
        return st.st_mtime_ns, st.st_size

    def unchanged(self) -> bool:
        """Whether the archive read by place is as it was when hashed. Renaming a new file over it
        leaves the open file as it was; writing into it in place (no build does) does not, and
        then what was copied from it cannot be trusted."""
        if self.source is None:
            return True
        try:
            return self._stat(self.source.file) == self._stamp
        except OSError:
            return False

    def close(self) -> None:
        if self.source is not None:
            self.source.file.close()
            self.source = None

    @staticmethod
    def index_key(archive_sha: str) -> str:
        return digest("zip index", FORMAT, "origins", archive_sha)

    def _stored(self, old: list[Any]) -> Any:
        """The member as the old archive stores it (a view, not a copy), or None if cut short."""
        from builder import zipraw

        _, offset, csize, crc, size = old[:5]
        assert self.source is not None
        if offset + csize > self.source.size:
            return None
        MADE["zip-reused"] += 1
        return zipraw.Deflated(crc, size, None, offset, csize)

    def reused(self, name: str, origin: str) -> Any | None:
        """The stored member, without its content, when the index gives ``name`` this ``origin``."""
        old = self.index.get(name)
        if self.source is None or old is None or len(old) < 6 or old[5] != origin:
            return None
        found = self._stored(old)
        if found is not None:
            self.shas[name], self.origins[name] = old[0], origin
        return found

    def deflated(self, name: str, content: bytes, origin: str | None = None) -> Any:
        from builder import zipraw

        sha = hashlib.sha256(content).hexdigest()
        self.shas[name] = sha
        if origin is not None:
            self.origins[name] = origin
        old = self.index.get(name)
        if self.source is not None and old is not None and old[0] == sha and old[4] == len(content):
            found = self._stored(old)
            if found is not None:
                return found
        MADE["zip-deflated"] += 1
        return zipraw.deflate(content)

    def save(self, archive_sha: str, where: Mapping[str, tuple[int, int, int, int]]) -> None:
        """Index the archive just written; the target's entry lists the index, so a later hit that
        publishes this archive again keeps it for the edit after."""
        key = self.index_key(archive_sha)
        # The old archive's index is done with: at 20,000 units it held ~27 MB beside the new one
        # and its JSON, the peak of writing the SCORM 2004 package.
        self.index = {}
        origins = self.origins
        members = {
            n: [self.shas[n], *where[n], origins[n]] if n in origins else [self.shas[n], *where[n]]
            for n in where
        }
        self.store.put_raw(key, json.dumps({"members": members}).encode())
        pack = memo_pack()
        if pack is not None:
            pack.kept.append(key)


def zip_reuse(dest: Path) -> ZipReuse | None:
    """The reuse source for the zip written at ``dest`` (in the staging folder, which lies inside
    the output folder: ``builder.build``), when a build memoises; else None."""
    pack = memo_pack()
    if pack is None:
        return None
    return ZipReuse(pack.store, dest.parent.parent / dest.name)
