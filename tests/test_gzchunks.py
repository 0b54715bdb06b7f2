"""The tar.gz writer's chunked deflate (``builder.gzchunks``): a valid gzip stream of the very tar
``tarfile`` writes, every reader reads it, and chunks reused from the last archive give the bytes
a clean write gives."""

from __future__ import annotations

import gzip
import os
import random
import shutil
import subprocess
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from builder import archive, cache, gzchunks
from tests.test_archive import tarfile_stream

EPOCH = 1767225600


def test_crc32_combine_equals_the_crc_of_the_joined_bytes() -> None:
    rng = random.Random(7)
    for _ in range(300):
        a = rng.randbytes(rng.randrange(0, 3000))
        b = rng.randbytes(rng.choice([0, 1, 7, 512, rng.randrange(0, 70000)]))
        assert gzchunks.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def page(i: int, words: int = 120) -> bytes:
    rng = random.Random(i)
    vocab = ["digital", "strategy", "Società", "<p>", "</p>", "customer", "measure", "é", "R&D", "team"]
    return " ".join(rng.choice(vocab) for _ in range(words)).encode()


def course(tmp_path: Path) -> dict[str, archive.Member]:
    """~3 MB of tar stream: a dozen chunks, with a source file larger than one of them."""
    members: dict[str, archive.Member] = {f"course/html/p{i:04d}.html": page(i) for i in range(2500)}
    members["course/tags.csv"] = b"Name,Type,ID\n" * 2000
    video = tmp_path / "video.bin"
    video.write_bytes(os.urandom(300_000))
    members["course/static/video.mp4"] = video
    return members


def publish(store: cache.BuildCache, out: Path, members: dict[str, archive.Member]) -> bytes:
    """A memoising build's write: into staging inside the output folder, then published."""
    staging = out / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    with cache.pieces(store, "olx"):
        archive.write_tar_gz(members, staging / "c.tar.gz", EPOCH)
    (staging / "c.tar.gz").replace(out / "c.tar.gz")
    return (out / "c.tar.gz").read_bytes()


def clean(tmp_path: Path, members: dict[str, archive.Member]) -> bytes:
    dest = tmp_path / "clean.tar.gz"
    archive.write_tar_gz(members, dest, EPOCH)
    return dest.read_bytes()


def _edit_middle(m: dict[str, archive.Member]) -> None:
    m["course/html/p1200.html"] = bytes(m["course/html/p1200.html"]).replace(b"team", b"teams", 1)  # type: ignore[arg-type]


def _edit_first(m: dict[str, archive.Member]) -> None:
    m["course/html/p0000.html"] = b"<p>short</p>"


def _edit_last(m: dict[str, archive.Member]) -> None:
    m["course/tags.csv"] = b"Name,Type,ID\n"


def _remove(m: dict[str, archive.Member]) -> None:
    for i in range(1000, 1100):
        del m[f"course/html/p{i:04d}.html"]


def _add(m: dict[str, archive.Member]) -> None:
    m["course/html/p1200a.html"] = page(99_999, 3000)


@pytest.mark.parametrize(
    "change",
    [_edit_middle, _edit_first, _edit_last, _remove, _add],
    ids=["middle", "first", "last", "remove", "add"],
)
def test_reused_chunks_give_the_bytes_of_a_clean_write(
    tmp_path: Path, change: Callable[[dict[str, archive.Member]], None]
) -> None:
    store = cache.BuildCache(tmp_path / "cache")
    out = tmp_path / "out"
    members = course(tmp_path)
    assert publish(store, out, members) == clean(tmp_path, members)
    change(members)
    cache.MADE.clear()
    written = publish(store, out, members)
    assert written == clean(tmp_path, members)
    assert cache.MADE["tar-gz-reused"] >= 5, cache.MADE  # most chunks were copied
    assert cache.MADE["tar-gz-deflated"] <= 4, cache.MADE
    # Deleting the cache changes nothing either.
    shutil.rmtree(tmp_path / "cache")
    assert publish(cache.BuildCache(tmp_path / "cache"), out, members) == written


def test_an_unchanged_archive_deflates_nothing(tmp_path: Path) -> None:
    store = cache.BuildCache(tmp_path / "cache")
    members = course(tmp_path)
    first = publish(store, tmp_path / "out", members)
    cache.MADE.clear()
    assert publish(store, tmp_path / "out", members) == first
    assert cache.MADE["tar-gz-deflated"] == 0 and cache.MADE["tar-gz-reused"] >= 10


def test_an_archive_edited_by_hand_reuses_nothing(tmp_path: Path) -> None:
    store = cache.BuildCache(tmp_path / "cache")
    members = course(tmp_path)
    publish(store, tmp_path / "out", members)
    published = tmp_path / "out" / "c.tar.gz"
    data = bytearray(published.read_bytes())
    data[-1] ^= 1  # the length in the trailer: any change gives the archive another sha256
    published.write_bytes(bytes(data))
    cache.MADE.clear()
    assert publish(store, tmp_path / "out", members) == clean(tmp_path, members)
    assert cache.MADE["tar-gz-reused"] == 0


def test_every_reader_reads_the_chunked_stream(tmp_path: Path) -> None:
    """Open edX's import opens the upload with ``tarfile.open`` and extracts it; GNU tar and gzip
    read it too. The tar inside is the one ``tarfile`` writes, in no more bytes than ``GzipFile``
    makes of it (+1 %)."""
    members = course(tmp_path)
    data = clean(tmp_path, members)
    stream = tarfile_stream(members, EPOCH)
    assert gzip.decompress(data) == stream
    assert len(data) <= len(gzip.compress(stream, 6, mtime=0)) * 1.01
    with tarfile.open(tmp_path / "clean.tar.gz") as tar:  # as Open edX's import does
        assert sorted(tar.getnames()) == sorted(members)
        assert tar.extractfile("course/html/p0042.html").read() == page(42)  # type: ignore[union-attr]
    if shutil.which("tar"):
        into = tmp_path / "x"
        into.mkdir()
        subprocess.run(["tar", "xzf", str(tmp_path / "clean.tar.gz"), "-C", str(into)], check=True)
        got = (into / "course/static/video.mp4").read_bytes()
        assert got == members["course/static/video.mp4"].read_bytes()  # type: ignore[union-attr]
    if shutil.which("gzip"):
        subprocess.run(["gzip", "-t", str(tmp_path / "clean.tar.gz")], check=True)
