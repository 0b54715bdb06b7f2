"""Reproducible tar.gz and zip writers, fed straight from memory.

Release pipelines compare sha256 sums, so every byte must follow from the source alone: entries
sorted, one timestamp for all of them, fixed owner and modes, no gzip file name or time, and no
directory entries whose order or metadata could vary. Writers go to a temporary file beside the
destination and rename it into place, so an interrupted build never leaves half an archive.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

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


def write_tar_gz(members: Mapping[str, Member], dest: Path, epoch: int) -> None:
    with atomic_path(dest) as tmp, open(tmp, "wb") as raw:
        # mtime=0 and no filename: the gzip header then depends on nothing but the data.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for name in sorted(members):
                    data = _bytes(members[check_member_name(name)])
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    info.mtime = epoch
                    info.mode = FILE_MODE
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    tar.addfile(info, io.BytesIO(data))


def write_zip(members: Mapping[str, Member], dest: Path, epoch: int) -> None:
    """Members sorted, deflated by ``builder.zipraw`` (copied from the last build's archive when
    unchanged and a build cache is active, ``builder.cache.zip_reuse``)."""
    from builder import cache, zipraw

    stamp = _zip_time(epoch)
    names = sorted(check_member_name(n) for n in members)
    with atomic_path(dest) as tmp:
        size = sum(len(m) if isinstance(m, bytes) else m.stat().st_size for m in members.values())
        if not zipraw.too_big(size, len(names)):
            reuse = cache.zip_reuse(dest)
            get = reuse.deflated if reuse is not None else lambda name, content: zipraw.deflate(content)
            with open(tmp, "wb") as f:
                blob, where = zipraw.write(
                    f, [(n, lambda n=n: get(n, _bytes(members[n]))) for n in names], stamp, FILE_MODE
                )
            if reuse is not None:
                reuse.save(blob, where)
            return
    with atomic_path(dest) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name in sorted(members):
                info = zipfile.ZipInfo(check_member_name(name), date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so external_attr carries the mode everywhere
                info.external_attr = (0o100000 | FILE_MODE) << 16
                zf.writestr(info, _bytes(members[name]))


def write_file(data: bytes, dest: Path) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def extract_to(members: Mapping[str, Member], root: Path, empty_under: tuple[str, ...] = ()) -> None:
    """Lay members out as files under ``root`` (used by checks that need a directory).

    Members whose name starts with one of ``empty_under`` are written empty: for tools that only
    ask whether they exist (olxcleaner and ``static/``), copying course media would be wasted I/O.
    """
    made: set[Path] = set()
    for name in sorted(members):
        target = root / check_member_name(name)
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(b"" if name.startswith(empty_under) else _bytes(members[name]))


RAM_SCRATCH = Path("/dev/shm")
"""A RAM-backed folder (Linux): laying out thousands of small files there is an order of magnitude
faster than on a busy disk. Only scratch copies for checks go there, never anything published."""


@contextmanager
def extracted(
    members: Mapping[str, Member], prefix: str, empty_under: tuple[str, ...] = ()
) -> Iterator[Path]:
    """Members laid out in a temporary folder, removed afterwards; in RAM when there is room."""
    size = sum(
        0 if name.startswith(empty_under) else len(m) if isinstance(m, bytes) else m.stat().st_size
        for name, m in members.items()
    )
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
