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
no output. After a successful build, files not used by it are pruned, so the cache holds one
build: its outputs, its pieces (uncompressed: SCO pages, unit files, the handbook) and the whole
course model — about 4× the outputs at 2,000 units (155 MB beside 36 MB), traded for rebuilds
that neither render nor decompress what they reuse.

A third kind, **pieces**, serves a target that must be rendered again (one unit edited): the
rendered pieces of its outputs — a unit's OLX files, a SCO page, a manifest, the handbook — are
memoised by ``piece(kind, parts, make)`` under the digest of everything the piece reads (``parts``:
the unit's model, the course-level context, its neighbours or position where the piece shows them)
plus ``code_fingerprint()``. Each target keeps one *pack* (``builder.record_pack``: a base entry
and a small delta) holding the pieces its last build used: its index is read when the target
starts and each piece by place when asked for (the pack is never in memory whole), and what
changed is written once when the target ends. Outside a build (``check``, ``serve``, library
callers) ``piece`` just calls ``make``.
Which documents are outdated is thus decided per piece, by key, never by comparing timestamps.

Two users of the store live beside it: ``builder.course_entry`` (an unchanged source loads as one
cached model) and ``builder.zip_reuse`` (an edited package copies its unchanged members' deflated
bytes from the one it replaces).

It lives beside the outputs, in ``<out>/.coursepack-cache/`` with a ``.gitignore`` of ``*``. It holds
data only (bytes, JSON, our own packs), never code: compiled templates are not kept there (Jinja
would unmarshal whatever code it found, and a cache folder can arrive with a partner's repository).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from builder import __version__
from builder.record_pack import RecordPack

CACHE_DIR = ".coursepack-cache"
FORMAT = "3"
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
    "typst",
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


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def file_sha256(path: Path | str) -> str:
    """The sha256 of a file's bytes. Plain ``os`` reads, no file object: a build hashes every
    source file (2,234 at 2,000 units), and the object's setup cost a third of the time."""
    h = hashlib.sha256()
    fd = os.open(path, _READ_FLAGS)
    try:
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


OWNER = "owner"
"""The file naming the folder a cache was made in (its device and inode)."""


def _folder_id(root: Path) -> bytes:
    st = os.stat(root)
    return f"{st.st_dev}:{st.st_ino}\n".encode()


def _claim(root: Path) -> None:
    """Use a cache folder only where it was made; start afresh in one copied, restored or checked
    out from elsewhere.

    The cache verifies what it reads against damage, not against forgery: its pieces are rendered
    output, and a folder committed into a partner's repository (or unpacked from an archive)
    could hold pieces keyed for the right code and source — a SCO page with script the escaping
    would never have let through. A folder's device and inode cannot be chosen from outside, so
    a cache carries the ones of the folder it was made in; any other is emptied before use. A
    renamed output folder keeps its cache; a copied one builds cold once.

    Builds that start together on one output folder claim it one at a time (``_claiming``): the
    first to find no owner file makes the folder and writes it; without the lock a second one,
    finding the folder but no owner file yet, moved the first one's folder aside under it."""
    if _owned(root):
        return
    root.parent.mkdir(parents=True, exist_ok=True)
    with _claiming(root.parent):
        if _owned(root):  # claimed by a build that held the lock before this one
            return
        if root.is_symlink():
            root.unlink()  # the link only: whatever it points to is not ours to empty
        elif root.exists():
            # Renamed aside first, so a concurrent build never sees it half-removed.
            aside = root.with_name(f"{root.name}.discarded-{os.getpid()}-{time.monotonic_ns()}")
            with contextlib.suppress(OSError):
                os.rename(root, aside)
                shutil.rmtree(aside, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
        _write_owner(root)


def _owned(root: Path) -> bool:
    try:
        return (root / OWNER).read_bytes() == _folder_id(root)
    except OSError:
        return False


def _write_owner(root: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=root)
    with os.fdopen(fd, "wb") as f:
        f.write(_folder_id(root))
    os.replace(tmp, root / OWNER)


@contextlib.contextmanager
def _claiming(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on the output folder itself (no lock file is left among the outputs)
    while a build claims the cache in it; released when the descriptor closes, also when the build
    dies. Where ``fcntl`` is missing (Windows) claims are not serialised."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class BuildCache:
    """One cache folder; safe to share between concurrent builds and their worker processes."""

    def __init__(self, root: Path):
        self.root = root
        _claim(root)
        (root / "blobs").mkdir(parents=True, exist_ok=True)
        (root / "entries").mkdir(parents=True, exist_ok=True)
        ignore = root / ".gitignore"
        if not ignore.exists():
            self._atomic_write(ignore, b"# coursepack's build cache: safe to delete, never commit\n*\n")

    # ----------------------------------------------------------------------------- plumbing

    @contextlib.contextmanager
    def _atomic_file(self, dest: Path) -> Iterator[BinaryIO]:
        """A temporary file beside ``dest``, renamed into place only if the block succeeds: a
        concurrent build sees a whole entry or none."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _atomic_write(self, dest: Path, data: bytes) -> None:
        with self._atomic_file(dest) as f:
            f.write(data)

    @staticmethod
    def _touch(path: Path) -> None:
        """Mark as used by this build, so ``prune`` keeps it."""
        with contextlib.suppress(OSError):
            os.utime(path)

    def _entry_path(self, key: str) -> Path:
        return _entry_file(self.root, key)

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
            with open(path, "rb") as f:
                sha = f.readline(66)
                f.raw.seek(f.tell())  # the text straight into one object, not read whole and sliced
                text = f.raw.readall()
            if sha[-1:] != b"\n" or text is None or hashlib.sha256(text).hexdigest().encode() != sha[:-1]:
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
        # Written in two parts, not joined: a check entry naming every member of a 20,000-unit
        # package is ~15 MB of text.
        with contextlib.suppress(OSError), self._atomic_file(self._entry_path(key)) as f:
            f.write(hashlib.sha256(text).hexdigest().encode() + b"\n")
            f.write(text)

    def _raw_path(self, key: str) -> Path:
        return self.root / "entries" / key[:2] / f"{key}.bin"

    def get_raw(self, key: str) -> bytes | None:
        """Bytes stored by ``put_raw``, or None when absent or not verifiable (same rules as ``get``).

        The data is read once, into the one ``bytes`` returned: reading the file whole and slicing
        off its lines held three copies of it at once (the course model's JSON: 140 MB each at
        20,000 units, on every no-op rebuild).
        """
        path = self._raw_path(key)
        try:
            with open(path, "rb") as f:
                sha, named = f.readline(66), f.readline(len(key) + 2)
                # The rest straight from the unbuffered file: one read into one object of its size.
                f.raw.seek(f.tell())
                data = f.raw.readall()
        except OSError:
            return None
        if named != key.encode() + b"\n" or sha[-1:] != b"\n" or data is None:
            return None
        h = hashlib.sha256(named)
        h.update(data)
        if h.hexdigest().encode() != sha[:-1]:
            return None
        self._touch(path)
        return data

    def open_raw(self, key: str) -> RawEntry | None:
        """A verified ``put_raw`` entry left on disk, to read by place (``RawEntry.read``), or None.

        The file is hashed in chunks, never held whole, and read later through the same open file:
        a build that replaces the entry meanwhile renames a new file into place, which leaves the
        one verified here as it was.
        """
        path = self._raw_path(key)
        try:
            f = open(path, "rb")  # noqa: SIM115 - owned by the RawEntry, closed by its close()
        except OSError:
            return None
        try:
            sha, named = f.readline(66), f.readline(len(key) + 2)
            if named != key.encode() + b"\n" or sha[-1:] != b"\n":
                f.close()
                return None
            h = hashlib.sha256(named)
            start = f.tell()
            buffer = bytearray(RawEntry.CHUNK)
            view = memoryview(buffer)
            while n := f.readinto(buffer):
                h.update(view[:n])
            view.release()
            size = f.tell() - start
        except OSError:
            f.close()
            return None
        if h.hexdigest().encode() != sha[:-1]:
            f.close()
            return None
        self._touch(path)
        return RawEntry(f, start, size)

    def put_raw(self, key: str, data: bytes) -> None:
        self.put_raw_stream(key, [data])

    def put_raw_stream(self, key: str, chunks: Iterable[bytes | memoryview]) -> None:
        """``put_raw`` of the concatenated ``chunks``, written as they come: a pack of thousands of
        rendered pieces is never joined in memory. The sha256 line is written last, over a
        placeholder of its size, and the file is renamed into place only when whole."""
        with contextlib.suppress(OSError), self._atomic_file(self._raw_path(key)) as f:
            f.write(b"0" * 64 + b"\n")
            sha = hashlib.sha256()
            for chunk in itertools.chain([key.encode() + b"\n"], chunks):
                sha.update(chunk)
                f.write(chunk)
            f.seek(0)
            f.write(sha.hexdigest().encode())

    def keep_raw(self, key: str) -> None:
        self._touch(self._raw_path(key))

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


def _entry_file(root: Path, key: str) -> Path:
    return root / "entries" / key[:2] / f"{key}.json"


def has_entry(root: Path, key: str) -> bool:
    """Whether the cache folder ``root`` holds an entry file for ``key`` (not read, not verified:
    for choosing how to run a build, never for what it contains)."""
    return _entry_file(root, key).is_file()


class RawEntry:
    """A verified raw entry, read by place: only what is asked for is in memory (``open_raw``)."""

    CHUNK = 1 << 20

    def __init__(self, file: BinaryIO, start: int, size: int):
        self._file, self._start, self.size = file, start, size

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` of the entry's data; OSError when they are not all there."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise OSError(f"cache entry has {self.size} bytes, not {offset}+{length}")
        at = self._start + offset
        if _PREAD:  # one call gives it all but at the rare short read: thousands of pieces a build
            chunk = os.pread(self._file.fileno(), length, at)
            if len(chunk) == length:
                return chunk
        parts: list[bytes] = []
        got = 0
        while got < length:
            if _PREAD:
                chunk = os.pread(self._file.fileno(), length - got, at + got)
            else:  # pragma: no cover - Windows
                self._file.seek(at + got)
                chunk = self._file.read(length - got)
            if not chunk:
                raise OSError(f"cache entry is short: {got} of {length} bytes at {offset}")
            parts.append(chunk)
            got += len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def lines(self) -> Iterator[bytes]:
        """The entry's data line by line (each without its newline), one line in memory at a time."""
        f, left = self._file, self.size
        f.seek(self._start)
        while left > 0:
            line = f.readline(left)
            if not line:
                raise OSError(f"cache entry is short: {left} bytes missing")
            left -= len(line)
            yield line[:-1] if line.endswith(b"\n") else line

    def close(self) -> None:
        self._file.close()


_PREAD = hasattr(os, "pread")


class RecordingMembers(Mapping[str, Any]):
    """A read-only view of an output's members that remembers which ones a check read.

    Listing names or asking ``in`` is not a read (the names are part of the check's key already);
    fetching a value is.
    """

    def __init__(self, members: Mapping[str, Any]):
        self._members = members
        self.read: set[str] = set()
        """The members fetched (``reads`` adds those whose sha was taken instead)."""
        self._known: list[tuple[str, Mapping[str, str]]] = []

    def __getitem__(self, name: str) -> Any:
        value = self._members[name]
        self.read.add(name)
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def note_read(self, names: Iterable[str]) -> None:
        """Count ``names`` as read: another process read them for the check (``builder.spare``)."""
        self.read.update(names)

    def known_shas(self, prefix: str = "") -> dict[str, str]:
        """The sha256 of every member under ``prefix`` (named without it) that the members know
        without reading it (``known_shas``), each counted as read: the check's verdict depends on
        those bytes all the same, so its entry must list them."""
        known = getattr(self._members, "known_shas", None)
        shas: dict[str, str] = known(prefix) if known is not None else {}
        # Named in full only by ``reads``, once the check is over: 120,000 names joined to their
        # prefix at 20,000 units held ~13 MB through the OLX check, its peak.
        self._known.append((prefix, shas))
        return shas

    def reads(self) -> set[str]:
        """Every member the check read: fetched, or known by its sha (``known_shas``)."""
        out = set(self.read)
        for prefix, shas in self._known:
            out.update(prefix + name for name in shas)
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)


# --------------------------------------------------------------------------- pieces

T = TypeVar("T")

MADE: Counter[str] = Counter()
"""Pieces rendered (not reused) in this process, by kind: what tests count to prove an edit
re-rendered only the pieces it touched."""


class Pieces:
    """The rendered pieces of one target, reused from its last build when their key matches.

    Values are ``bytes``, ``str``, a list of ``str`` (stored as lengths and UTF-8, no JSON to
    decode), or JSON-able structures (lists, not tuples, so that what comes back is what was
    made). They are records of one ``RecordPack`` per target (base and delta, read by place:
    reading the pack whole held every SCO page of the last build in a worker's heap, 160 MB per
    target at 20,000 units), under the sha256 of the pack's key, the kind and ``repr(parts)``.
    That digest names the code, the target and everything the piece reads, so it is also the
    piece's *origin* (``piece_and_origin``) as it is.
    """

    DELTA_SHARE = RecordPack.DELTA_SHARE

    def __init__(self, store: BuildCache, namespace: str):
        self.store = store
        self.key = digest("pieces", code_fingerprint(), namespace)
        self.pack = RecordPack(store, self.key)
        self.delta_key = self.pack.delta_key
        self._seed = hashlib.sha256(f"{self.key}\0".encode())
        self.kept: list[str] = []
        """Other raw entries of this target (zip indexes, ``zip_reuse``) that a hit must keep."""

    def keys(self) -> list[str]:
        """The raw entries this target used: what its target entry lists for ``keep_raw``."""
        return self.pack.keys() + self.kept

    def key_of(self, kind: str, parts: tuple[object, ...]) -> bytes:
        """The piece's key: repr is unambiguous for the JSON-able parts, and fast."""
        h = self._seed.copy()
        h.update(f"{kind}\0{parts!r}".encode())
        return h.digest()

    def get(self, kind: str, parts: tuple[object, ...], make: Callable[[], T]) -> T:
        return self.get_by_key(self.key_of(kind, parts), kind, make)

    def get_by_key(self, key: bytes, kind: str, make: Callable[[], T]) -> T:
        found = self.pack.lookup(key)
        if found is None:
            value = make()
            MADE[kind] += 1
            tag, data = _encode(value)
            self.pack.put(key, tag, data)
            return value
        try:
            return _decode(*found)  # type: ignore[no-any-return]
        except (ValueError, struct.error):  # verified, so not damaged: written by other code
            self.pack.drop(key)
            return self.get_by_key(key, kind, make)

    def save(self) -> None:
        """Keep the pieces this build used for the next (``RecordPack.save``): nothing made writes
        nothing, few made write a delta, many a new base."""
        self.pack.save()

    def close(self) -> None:
        """Drop the scratch file (and the last build's pack held for reuse)."""
        self.pack.close()


_TEXTS = struct.Struct("<I")


def _encode(value: Any) -> tuple[bytes, bytes]:
    """A piece's type byte and bytes: bytes and str as they are, a list of str as its count, the
    UTF-8 length of each and the texts (an OLX unit's files; JSON decoding them was most of what
    reusing them cost), anything else as JSON."""
    if isinstance(value, bytes):
        return b"b", value
    if isinstance(value, str):
        return b"s", value.encode()
    if isinstance(value, list) and value and all(type(v) is str for v in value):
        encoded = [v.encode() for v in value]
        head = struct.pack(f"<I{len(encoded)}I", len(encoded), *map(len, encoded))
        return b"t", head + b"".join(encoded)
    return b"j", json.dumps(value, separators=(",", ":")).encode()


def _decode(tag: bytes, data: bytes | memoryview) -> Any:
    if tag == b"b":
        return bytes(data)
    if tag == b"s":
        return str(data, "utf-8")
    if tag == b"t":
        view = memoryview(data)
        (count,) = _TEXTS.unpack_from(view, 0)
        sizes = struct.unpack_from(f"<{count}I", view, _TEXTS.size)
        at = _TEXTS.size * (count + 1)
        texts = []
        for size in sizes:
            texts.append(str(view[at : at + size], "utf-8"))
            at += size
        return texts
    return json.loads(bytes(data))


_PIECES: Pieces | None = None


def memo_pack() -> Pieces | None:
    """The pack of the target being built when the build memoises, else None: archive writers
    reuse from its ``store`` and list their indexes in its ``kept`` (``archive.TarGzReuse``)."""
    return _PIECES


@contextlib.contextmanager
def pieces(store: BuildCache | None, namespace: str) -> Iterator[Pieces | None]:
    """While the block runs, ``piece`` memoises into ``namespace`` (a target and its options);
    the pack is written when the block ends without an exception. ``store=None``: no memo.

    Yields the pack, whose ``key`` a target entry lists: a later hit of that entry must
    ``keep_raw`` it, or a no-op rebuild would prune the pieces the next edit needs."""
    global _PIECES
    previous = _PIECES
    current = _PIECES = Pieces(store, namespace) if store is not None else None
    try:
        yield current
        if current is not None:
            current.save()
    finally:
        if current is not None:
            current.close()
        _PIECES = previous
        if len(_MODELS) > 200_000:  # a long-lived process building many courses
            _MODELS.clear()


def piece_and_origin(
    kind: str, parts: Callable[[], tuple[object, ...]], make: Callable[[], T]
) -> tuple[T, str | None]:
    """``piece(kind, parts, make)`` and its origin: a digest of the code, the target's pack and the
    piece's key, which an archive member made from the value carries (``zip_reuse.ZipReuse``), or None
    when the build does not memoise."""
    if _PIECES is None:
        return make(), None
    key = _PIECES.key_of(kind, parts())  # names the code, the target's pack and what the piece reads
    return _PIECES.get_by_key(key, kind, make), key.hex()


def piece_stored(kind: str, parts: tuple[object, ...]) -> bool:
    """Whether ``piece(kind, …)`` would find its value stored (False when the build does not
    memoise): work that only a miss needs can then be started early, elsewhere (``builder.spare``)."""
    return _PIECES is not None and _PIECES.pack.holds(_PIECES.key_of(kind, parts))


def piece(kind: str, parts: Callable[[], tuple[object, ...]], make: Callable[[], T]) -> T:
    """``make()``, or the value it gave in the last build for the same ``kind`` and ``parts()``.

    ``parts()`` must hold everything ``make`` reads (JSON-able; hash big texts with ``text_key``,
    models with ``model_key``) — a read missing from them would let a cached build differ from a
    clean one. It is called only when a build memoises, so other callers pay nothing for keys.
    """
    if _PIECES is None:
        return make()
    return _PIECES.get(kind, parts(), make)


def text_key(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


_MODELS: dict[tuple[int, str], tuple[Any, str]] = {}


_NO_DUMP_OPTIONS = json.dumps({})


def model_key(model: Any, **dump: Any) -> str:
    """The sha256 of a pydantic model's JSON, remembered per object for this process (models are
    not changed once loaded): a unit's key is asked by several targets and pieces."""
    ident = (id(model), json.dumps(dump, sort_keys=True, default=sorted) if dump else _NO_DUMP_OPTIONS)
    hit = _MODELS.get(ident)
    if hit is not None and hit[0] is model:
        return hit[1]
    value = text_key(model.model_dump_json(**dump))
    _MODELS[ident] = (model, value)
    return value


COURSE_WIDE = frozenset({"sections", "handbook", "positions", "unit_links", "reader_warnings"})
"""The course model's fields that hold every unit (or facts about them): left out of
``course_context``, so that editing one unit leaves the other units' pieces valid. A piece that
reads any of them must put what it reads into its own key."""


def outline_facts(
    course: Any, unit: Callable[[Any], list[Any]], subsection: Callable[[Any], list[Any]] = lambda ss: []
) -> list[Any]:
    """The outline as nested lists for a key: per section its id, title and subsections; per
    subsection its id, title, ``subsection(ss)``'s facts and, per unit, ``unit(u)``'s. A course-wide
    document keyed by the facts it shows (the handbook, the report, ``cmi5.xml``) names only those."""
    def facts(ss: Any) -> list[Any]:
        return [ss.id, ss.title, *subsection(ss), [unit(u) for u in ss.units]]

    return [[s.id, s.title, [facts(ss) for ss in s.subsections]] for s in course.sections]


_CONTEXT: list[tuple[Any, str]] = []


def course_context(course: Any) -> str:
    """The course-level facts a per-unit piece may read (title, language, grading, competences,
    assets' names…): the course model without ``COURSE_WIDE``. Remembered for the last course
    asked (every piece of every unit asks: 8,000 times in a 2,000-unit build)."""
    if _CONTEXT and _CONTEXT[0][0] is course:
        return _CONTEXT[0][1]
    key = model_key(course, exclude=set(COURSE_WIDE))
    _CONTEXT[:] = [(course, key)]
    return key


def remember_model_key(model: Any, text: bytes) -> None:
    """Let ``model_key(model)`` be the sha256 of ``text``, the JSON ``model`` was just dumped to or
    validated from (a unit of the unit pack; ``course_entry`` for the whole course): the pipeline's
    course key then does not serialise a 2,000-unit course once more (~0.1 s of every rebuild).
    The model follows from that JSON alone, so its hash is as good a key for it as the hash of a
    fresh dump."""
    remember_model_digest(model, text_key(text))


def remember_model_digest(model: Any, sha: str) -> None:
    """``remember_model_key`` for a JSON text hashed piece by piece (``course_entry``)."""
    _MODELS[(id(model), _NO_DUMP_OPTIONS)] = (model, sha)
