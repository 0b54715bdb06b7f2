"""Reproducible tar.gz and zip writers, and the spill that keeps a package's members out of memory.

Release pipelines compare sha256 sums, so every byte must follow from the source alone: entries
sorted, one timestamp for all of them, fixed owner and modes, no gzip file name or time, and no
directory entries whose order or metadata could vary. Writers go to a temporary file beside the
destination and rename it into place, so an interrupted build never leaves half an archive.

Writers take members as a mapping or as a stream of ``(name, member)`` pairs in sorted order, and
write each one as it comes: only the member being written is in memory. Targets put what they
render into ``Members``, which — inside ``spill_to`` (the pipeline's build and check runs) — appends
each member's bytes to a scratch file at once and keeps only its place: a 20,000-unit package used
to be held whole in memory (~25 KB per unit per target) until it was written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from builder.scratch import ScratchFile

Member = bytes | Path
"""An archive member's content: bytes in memory, or a source file copied as it is."""

FALLBACK_EPOCH = 315532800
"""1980-01-01T00:00:00Z: the earliest time a zip entry can carry."""

FILE_MODE = 0o644


class EpochError(ValueError):
    """The archive timestamp cannot be derived from the source alone; the user must say it."""


def _in_git_checkout(src: Path) -> bool:
    return any((folder / ".git").exists() for folder in [src.resolve(), *src.resolve().parents])


def source_epoch(src: Path) -> int:
    """SOURCE_DATE_EPOCH, else the source tree's last git commit time, else a constant.

    Never the wall clock or file mtimes: a fresh clone resets mtimes. Inside a git checkout whose
    commit time cannot be read (no ``git`` on PATH, or git refusing the repository) this raises
    instead of falling back: the same commit must not give other bytes on a machine without git.
    """
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        try:
            return max(int(env), FALLBACK_EPOCH)
        except ValueError:
            raise EpochError(f"SOURCE_DATE_EPOCH must be an integer, got {env!r}") from None
    problem = ""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", "."],
            cwd=src,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if out.returncode == 0:
            return max(int(out.stdout.strip()), FALLBACK_EPOCH) if out.stdout.strip() else FALLBACK_EPOCH
        problem = (out.stderr.strip().splitlines() or [f"git exited with {out.returncode}"])[0]
    except FileNotFoundError:
        problem = "git is not on PATH"
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if _in_git_checkout(src):
        raise EpochError(
            f"{src} is in a git checkout but its last commit time cannot be read ({problem}); "
            "install git or set SOURCE_DATE_EPOCH, so that the archives carry the commit's time"
        )
    return FALLBACK_EPOCH


def check_member_name(name: str) -> str:
    """Refuse names that would escape the extraction folder or vary between systems."""
    # The rule PurePosixPath gave (empty, absolute, "..", or not in normal form: "a//b", "./a", "a/"),
    # on plain strings: it runs for every member of every archive (tens of thousands per build).
    if not name or name[0] == "/" or "\\" in name:
        raise ValueError(f"unsafe archive member name: {name!r}")
    if name != "." and any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"unsafe archive member name: {name!r}")
    return name


def _bytes(member: Member) -> bytes:
    return member.read_bytes() if isinstance(member, Path) else member


@contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` only if the block succeeds."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, FILE_MODE)
        os.replace(tmp_path, dest)
    finally:
        tmp_path.unlink(missing_ok=True)


MemberSource = Mapping[str, Member] | Iterable[tuple[str, Member]]
"""What the writers take: a mapping (written in sorted name order), or ``(name, member)`` pairs
already in sorted order — a generator, say, so that no caller has to hold every member at once."""


def entries(members: MemberSource) -> Iterator[tuple[str, Member]]:
    """``(name, member)`` in the order every archive lists them: sorted by name, each name once.

    A mapping is sorted here and read one member at a time; a stream must arrive sorted (an archive
    in arrival order would differ between runs that render in another order), else ValueError.
    """
    if isinstance(members, Mapping):
        for name in sorted(members):
            yield check_member_name(name), members[name]
        return
    last: str | None = None
    for name, member in members:
        if last is not None and not name > last:
            raise ValueError(f"archive members must come sorted and once each: {name!r} after {last!r}")
        last = name
        yield check_member_name(name), member


def _size(member: Member) -> int:
    return member.stat().st_size if isinstance(member, Path) else len(member)


@contextmanager
def _reader(member: Member) -> Iterator[IO[bytes]]:
    """The member's bytes as a file: a source file is streamed, never read whole (videos…)."""
    if isinstance(member, Path):
        with open(member, "rb") as f:
            yield f
    else:
        yield io.BytesIO(member)


_BLOCK = 512
_RECORD = 20 * _BLOCK
"""tarfile's block and record sizes: members are padded to blocks, the archive to a record."""

_USTAR_MAX = 8**11
"""Sizes and times from here on need a pax record (tarfile writes them that way too)."""


def _ustar_header(name: bytes, size: int, mtime: int) -> bytes:
    """The header block ``tarfile`` writes (PAX_FORMAT) for a plain file whose name is ASCII and
    fits the 100-byte field, owned by uid/gid 0 with empty owner names and ``FILE_MODE``: no pax
    record then, just a ustar block. Built here because ``TarInfo.tobuf`` costs ~40 µs a member
    (half of a one-unit edit's OLX archive at 2,000 units); anything else goes to ``tobuf``."""
    size_field = b"%011o\0" % size
    head = b"".join(
        (
            name.ljust(100, b"\0"),
            _USTAR_MODE_IDS,
            size_field,
            b"%011o\0" % mtime,
        )
    )
    chksum = _USTAR_TAIL_SUM + sum(head)
    return head + b"%06o\0" % chksum + _USTAR_TAIL


_USTAR_MODE_IDS = b"%07o\0" % FILE_MODE + b"%07o\0" % 0 + b"%07o\0" % 0
_USTAR_TAIL = (
    b" " + tarfile.REGTYPE + b"\0" * 100 + tarfile.POSIX_MAGIC + b"\0" * (32 + 32) + b"\0" * (8 + 8 + 155)
)
_USTAR_TAIL = _USTAR_TAIL.ljust(_BLOCK - 148 - 7, b"\0")
_USTAR_TAIL_SUM = 8 * ord(" ") + sum(_USTAR_TAIL) - ord(" ")
"""The checksum counts its own 8-byte field as spaces: 7 of them plus the tail's leading space
(which is the field's last byte, after the 6 digits and a NUL)."""


def tar_header(name: str, size: int, mtime: int) -> bytes:
    """The header block(s) ``tarfile`` (PAX_FORMAT) writes for a regular file member."""
    if size < _USTAR_MAX and 0 <= mtime < _USTAR_MAX and len(name) <= 100 and name.isascii():
        return _ustar_header(name.encode("ascii"), size, mtime)
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, FILE_MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")


_GZ_CHUNK = 1 << 20


class _Record:
    """One member on its way into the tar stream: its name, size and (fetched when needed) bytes."""

    __slots__ = ("_source", "length", "member", "name", "size")

    def __init__(
        self, name: str, size: int, epoch: int, member: Member | None, source: Mapping[str, Member] | None
    ):
        self.name, self.size, self.member, self._source = name, size, member, source
        if size < _USTAR_MAX and 0 <= epoch < _USTAR_MAX and len(name) <= 100 and name.isascii():
            head = _BLOCK  # what ``tar_header`` makes of it, without making it
        else:
            head = len(tar_header(name, size, epoch))
        self.length = head + size + (-size % _BLOCK)
        """The member's bytes in the tar stream: header, content, padding."""

    def get(self) -> Member:
        if self.member is not None:
            return self.member
        assert self._source is not None
        return self._source[self.name]

    def pieces(self, epoch: int) -> Iterator[bytes]:
        """The member's bytes in the tar stream: header, content (a source file in 1 MB reads), padding."""
        yield tar_header(self.name, self.size, epoch)
        member = self.get()
        if isinstance(member, Path):
            with open(member, "rb") as f:
                left = self.size
                while left:
                    chunk = f.read(min(left, _GZ_CHUNK))
                    if not chunk:
                        raise OSError(f"{member} shrank while it was archived")
                    yield chunk
                    left -= len(chunk)
        else:
            yield member
        if self.size % _BLOCK:
            yield bytes(-self.size % _BLOCK)


def _records(members: MemberSource, epoch: int) -> Iterator[_Record]:
    """The members in archive order; a mapping's bytes are fetched only when they are written (a
    chunk reused from the last build reads none of its members back from the spill)."""
    if isinstance(members, Mapping):
        size_of = getattr(members, "size", None)
        for name in sorted(members):
            check_member_name(name)
            size = size_of(name) if size_of is not None else _size(members[name])
            yield _Record(name, size, epoch, None, members)
        return
    for name, member in entries(members):
        yield _Record(name, _size(member), epoch, member, None)


def write_tar_gz(members: MemberSource, dest: Path, epoch: int) -> None:
    """What ``tarfile`` (PAX_FORMAT) writes, byte for byte, with the headers made by ``tar_header``,
    in one gzip stream deflated in chunks (``builder.gzchunks``): when a build memoises, a chunk
    whose members are unchanged is copied from the archive this one replaces (``TarGzReuse``)."""
    from builder import gzchunks

    reuse = _tar_gz_reuse(members, dest, epoch)
    index: dict[str, list[int]] = {}
    with atomic_path(dest) as tmp, open(tmp, "wb") as raw:
        out = _Out(raw)
        out.write(gzchunks.HEADER)
        crc = total = 0
        previous: list[_Record] = []
        previous_key = ""
        tail: bytes | None = b""  # the tar stream's last 32 KB before the chunk (None: not at hand)
        chunk: list[_Record] = []
        filled = 0
        deflater: gzchunks.Chunk | None = None  # without reuse, each member is deflated as it comes

        def flush() -> None:
            nonlocal crc, total, tail, previous, previous_key, chunk, filled, deflater
            own = reuse.members_key(chunk) if reuse is not None else ""
            key = reuse.key(previous_key, own) if reuse is not None else ""
            hit = reuse.get(key) if reuse is not None else None
            if hit is not None:
                data, chunk_crc, size = hit
                tail = None
            else:
                if deflater is None:
                    if tail is None:  # the chunk before was copied: its last 32 KB are read back
                        tail = _tail(previous, epoch, gzchunks.WINDOW)
                    deflater = gzchunks.Chunk(tail)
                    for record in chunk:
                        for piece in record.pieces(epoch):
                            deflater.feed(piece)
                data, chunk_crc, size = deflater.finish(), deflater.crc, deflater.size
                tail = bytes(deflater.tail)
            if reuse is not None:
                index[key] = [out.offset, len(data), chunk_crc, size]
            out.write(data)
            crc = gzchunks.crc32_combine(crc, chunk_crc, size)
            total += size
            previous, previous_key, chunk, filled, deflater = chunk, own, [], 0, None

        for record in _records(members, epoch):
            if reuse is None:
                if deflater is None:
                    deflater = gzchunks.Chunk(tail or b"")
                for piece in record.pieces(epoch):
                    deflater.feed(piece)
                record.member = None  # written: not held until the chunk ends
            chunk.append(record)
            filled += record.length
            if filled >= gzchunks.CHUNK_MIN and zlib.crc32(record.name.encode()) % gzchunks.CUT_EVERY == 0:
                flush()
        if chunk:
            flush()
        # The end-of-archive blocks and tarfile's record padding: always deflated, on their own.
        end = 2 * _BLOCK
        end += -(total + end) % _RECORD
        last = gzchunks.Chunk(b"", last=True)
        last.feed(bytes(end))
        out.write(last.finish())
        crc = gzchunks.crc32_combine(crc, last.crc, end)
        out.write(gzchunks.trailer(crc, total + end))
    if reuse is not None:
        reuse.save(out.sha.hexdigest(), index)


class _Out:
    """The archive file being written: where the next byte goes, and the sha256 so far."""

    def __init__(self, raw: IO[bytes]):
        self.raw, self.offset, self.sha = raw, 0, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.raw.write(data)
        self.sha.update(data)
        self.offset += len(data)


def _tail(records: list[_Record], epoch: int, size: int) -> bytes:
    """The last ``size`` bytes of these members' part of the tar stream (read from as few of the
    last members as hold them): the dictionary of the chunk after a reused one."""
    start = len(records)
    held = 0
    while start and held < size:
        start -= 1
        held += records[start].length
    return b"".join(piece for r in records[start:] for piece in r.pieces(epoch))[-size:]


def _tar_gz_reuse(members: MemberSource, dest: Path, epoch: int) -> TarGzReuse | None:
    if not isinstance(members, Mapping):
        return None
    from builder import cache

    pack = cache.memo_pack()
    if pack is None:
        return None
    return TarGzReuse(pack.store, dest.parent.parent / dest.name, members, epoch, pack.kept)


class TarGzReuse:
    """The tarball this build replaces, to copy unchanged chunks' deflated bytes from.

    That is the file published in the output folder (whatever the last build left there); an
    index entry named by its sha256 lists, per chunk key, where the chunk's bytes lie and their
    CRC-32 and length. A chunk's key covers what its bytes follow from (``builder.gzchunks``): the
    names, sizes and sha256 of its members and of the chunk before it, the epoch, the format. An
    archive without an index (deleted cache, edited by hand) reuses nothing.
    """

    def __init__(
        self, store: Any, published: Path, members: Mapping[str, Member], epoch: int, kept: list[str]
    ):
        from builder import cache

        self.store, self.members, self.kept = store, members, kept
        self.known = getattr(members, "known_sha", None)
        self.shas: dict[str, str] = {}
        self.index: dict[str, list[int]] = {}
        self.published: Path | None = None
        try:
            raw = store.get_raw(self.index_key(cache.file_sha256(published)))
            if raw is not None:
                self.index, self.published = json.loads(raw)["chunks"], published
        except (OSError, ValueError, KeyError, TypeError):
            self.index, self.published = {}, None
        self.epoch = epoch

    @staticmethod
    def index_key(archive_sha: str) -> str:
        from builder import cache, gzchunks

        return cache.digest(
            "tar.gz index", cache.code_fingerprint(), gzchunks.LEVEL, gzchunks.CHUNK_MIN, archive_sha
        )

    def _sha(self, record: _Record) -> str:
        sha = self.shas.get(record.name)
        if sha is None:
            sha = self.known(record.name) if self.known is not None else None
            if sha is None:
                from builder import cache

                member = record.get()
                if isinstance(member, Path):
                    sha = cache.file_sha256(member)
                else:
                    sha = hashlib.sha256(member).hexdigest()
            self.shas[record.name] = sha
        return sha

    def members_key(self, chunk: list[_Record]) -> str:
        """What a chunk's part of the tar stream follows from: its members' names, sizes, shas."""
        text = "\0".join(f"{r.name}\0{r.size}\0{self._sha(r)}" for r in chunk)
        return hashlib.sha256(text.encode()).hexdigest()

    def key(self, previous: str, own: str) -> str:
        """A chunk's key: its members, those of the chunk before (whose last 32 KB are its
        dictionary), the epoch in every header; the format and zlib are in the index key."""
        return hashlib.sha256(f"{self.epoch}\0{previous}\0{own}".encode()).hexdigest()

    def get(self, key: str) -> tuple[bytes, int, int] | None:
        from builder import cache

        where = self.index.get(key)
        if where is None or self.published is None:
            cache.MADE["tar-gz-deflated"] += 1
            return None
        offset, length, crc, size = where
        try:
            with open(self.published, "rb") as f:
                f.seek(offset)
                data = f.read(length)
        except OSError:
            return None
        if len(data) != length:
            cache.MADE["tar-gz-deflated"] += 1
            return None
        cache.MADE["tar-gz-reused"] += 1
        return data, crc, size

    def save(self, archive_sha: str, index: dict[str, list[int]]) -> None:
        """Index the archive just written; the target's entry lists the index (``kept``), so a
        later hit that publishes this archive again keeps it for the edit after."""
        key = self.index_key(archive_sha)
        self.store.put_raw(key, json.dumps({"chunks": index}).encode())
        self.kept.append(key)


class _LeaveToZipfile(Exception):
    """The raw writer met a member or an archive it leaves to ``zipfile`` (zip64, huge files), or
    the archive it copied from changed while it was read: ``zipfile`` writes the same bytes anew."""


RAW_MEMBER_MAX = 64 << 20
"""A source file above this is streamed by ``zipfile`` rather than read whole to be deflated."""


def _write_zip_raw(members: Mapping[str, Member], dest: Path, stamp: tuple[int, ...], reuse: object) -> None:
    """The cached build's writer (``builder.zipraw``): unchanged members' deflated bytes come from
    the archive this one replaces (``builder.zip_reuse.ZipReuse``); the bytes are ``zipfile``'s."""
    from builder import zip_reuse, zipraw

    assert isinstance(reuse, zip_reuse.ZipReuse)

    origins = members.origins if isinstance(members, Members) else {}

    def deflated(name: str) -> zipraw.Deflated:
        origin = origins.get(name)
        if origin is not None and (found := reuse.reused(name, origin)) is not None:
            return found  # type: ignore[no-any-return]
        member = members[name]
        if isinstance(member, Path) and member.stat().st_size > RAW_MEMBER_MAX:
            raise _LeaveToZipfile(name)
        return reuse.deflated(name, _bytes(member), origin)  # type: ignore[no-any-return]

    names = [check_member_name(n) for n in sorted(members)]
    try:
        with atomic_path(dest) as tmp:
            with open(tmp, "wb") as f:
                try:
                    # One member at a time: a list of 60,000 closures was ~12 MB at 20,000 units.
                    pairs = ((n, lambda n=n: deflated(n)) for n in names)
                    blob, where = zipraw.write(f, pairs, stamp, FILE_MODE, source=reuse.source)
                except zipraw.TooBig as exc:
                    raise _LeaveToZipfile(str(exc)) from None
            if not reuse.unchanged():
                # Written over in place while its records were copied (a rename leaves the open
                # file as it was): the copied bytes may be neither old nor new. Never published.
                raise _LeaveToZipfile(f"{dest.name} changed while it was read")
            reuse.save(blob, where)
    finally:
        reuse.close()


def write_zip(members: MemberSource, dest: Path, epoch: int) -> None:
    stamp = _zip_time(epoch)
    if isinstance(members, Mapping):
        from builder import zip_reuse

        reuse = zip_reuse.zip_reuse(dest)
        if reuse is not None:
            try:
                _write_zip_raw(members, dest, stamp, reuse)
                return
            except _LeaveToZipfile:
                pass  # zipfile below writes the very same bytes, with zip64 records where needed
    with atomic_path(dest) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, member in entries(members):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so external_attr carries the mode everywhere
                info.external_attr = (0o100000 | FILE_MODE) << 16
                # What ``writestr`` does, with the data copied in chunks: the same bytes.
                info.file_size = _size(member)
                with _reader(member) as src, zf.open(info, mode="w") as out:
                    shutil.copyfileobj(src, out, 1 << 20)


_SPILL: list[Path | None] = []
"""The folders of the active ``spill_to`` blocks, innermost last (None: the system's temp folder)."""


@contextmanager
def spill_to(folder: Path | None) -> Iterator[None]:
    """Within this block, ``Members`` created in this process keep their bytes in a scratch file
    in ``folder`` (the build's staging folder, on the output's disk), not in memory."""
    _SPILL.append(folder)
    try:
        yield
    finally:
        _SPILL.pop()


class Members(MutableMapping[str, Member]):
    """An output's members by name, as targets render them; bytes spilled to disk inside ``spill_to``.

    Within ``spill_to``, each ``bytes`` member is appended to one unnamed scratch file the moment
    it is set, and only its name, offset and length stay in memory — a package of 20,000 pages
    then costs a few hundred bytes per member, not the pages. A ``Path`` (a source file copied as
    it is) is kept as the path. Reading a member gives its bytes (or that path) as before, so
    checks, tests and the archive writers see a plain mapping; outside ``spill_to`` (unit tests,
    the preview) it is one. One scratch file rather than a file per member: member names need
    not be valid, distinct file names on every system (case-insensitive disks, ``CON`` on Windows).
    """

    def __init__(self, members: Mapping[str, Member] | None = None):
        self._where: dict[str, Member | tuple[int, int]] = {}
        self.origins: dict[str, str] = {}
        """Per member made by a build-cache piece, that piece's origin (``cache.piece_and_origin``):
        the zip writer reuses the member stored under the same origin without reading it."""
        self._spill = ScratchFile(_SPILL[-1], prefix=".coursepack-members-") if _SPILL else None
        if members:
            self.update(members)

    @property
    def spilled(self) -> bool:
        """Whether bytes set here go to disk (for tests that prove nothing is held)."""
        return self._spill is not None

    def set(self, name: str, member: Member, origin: str | None) -> None:
        """``self[name] = member``, made by the piece of ``origin`` (None: no piece, or no cache)."""
        self[name] = member
        if origin is not None:
            self.origins[name] = origin

    def __setitem__(self, name: str, member: Member) -> None:
        self.origins.pop(name, None)  # whatever made the member before, it is not this one
        if self._spill is None or isinstance(member, Path):
            self._where[name] = member
            return
        self._where[name] = self._spill.append(member)

    def __getitem__(self, name: str) -> Member:
        where = self._where[name]
        if not isinstance(where, tuple):
            return where
        assert self._spill is not None
        return self._spill.read(*where)

    def __delitem__(self, name: str) -> None:
        del self._where[name]
        self.origins.pop(name, None)  # its bytes stay in the scratch file until it is closed

    def __contains__(self, name: object) -> bool:
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def held(self) -> int:
        """Bytes of member content held in memory (0 when spilled: only names and places are)."""
        return sum(len(m) for m in self._where.values() if isinstance(m, bytes))

    def size(self, name: str) -> int:
        where = self._where[name]
        return where[1] if isinstance(where, tuple) else _size(where)

    def close(self) -> None:
        """Drop the scratch file and every member (also done when the object is collected)."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        self._where.clear()
        self.origins.clear()

    def __repr__(self) -> str:
        return f"Members({len(self)} members{', spilled' if self.spilled else ''})"


def write_file(data: bytes, dest: Path) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def extract_to(members: Mapping[str, Member], root: Path, empty_under: tuple[str, ...] = ()) -> None:
    """Lay members out as files under ``root`` (used by checks that need a directory).

    Members whose name starts with one of ``empty_under`` are written empty: for tools that only
    ask whether they exist (olxcleaner and ``static/``), copying course media would be wasted I/O.
    Plain ``os`` calls on strings: a 2,000-unit OLX tree is 12,000 files, and ``Path.write_bytes``
    cost a third more than the system calls themselves.
    """
    made: set[str] = set()
    base = str(root)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    for name in sorted(members):
        target = f"{base}/{check_member_name(name)}"
        parent = target.rpartition("/")[0]
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        data = b"" if name.startswith(empty_under) else _bytes(members[name])
        fd = os.open(target, flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


RAM_SCRATCH = Path("/dev/shm")
"""A RAM-backed folder (Linux): laying out thousands of small files there is an order of magnitude
faster than on a busy disk. Only scratch copies for checks go there, never anything published."""


@contextmanager
def extracted(
    members: Mapping[str, Member], prefix: str, empty_under: tuple[str, ...] = ()
) -> Iterator[Path]:
    """Members laid out in a temporary folder, removed afterwards; in RAM when there is room."""
    sized = members.size if isinstance(members, Members) else lambda name: _size(members[name])
    size = sum(0 if name.startswith(empty_under) else sized(name) for name in members)
    where: str | None = None
    try:
        if RAM_SCRATCH.is_dir() and os.access(RAM_SCRATCH, os.W_OK):
            where = str(RAM_SCRATCH) if 4 * size + (64 << 20) < shutil.disk_usage(RAM_SCRATCH).free else None
    except OSError:
        where = None
    with tempfile.TemporaryDirectory(prefix=prefix, dir=where) as tmp:
        extract_to(members, Path(tmp), empty_under)
        yield Path(tmp)


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    import time

    t = time.gmtime(max(epoch, FALLBACK_EPOCH))
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec - t.tm_sec % 2)
