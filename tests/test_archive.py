"""The archive writer: byte-stable output, safe member names, atomic publication, epoch choice."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from builder import archive

EPOCH = 1767225600  # 2026-01-01T00:00:00Z


def members(tmp_path: Path) -> dict[str, archive.Member]:
    asset = tmp_path / "asset.bin"
    asset.write_bytes(bytes(range(256)) * 4)
    return {"course/b.xml": b"<b/>", "course/a.xml": "<a>é</a>".encode(), "course/static/asset.bin": asset}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tar_gz_is_sorted_and_carries_fixed_metadata(tmp_path: Path) -> None:
    dest = tmp_path / "out.tar.gz"
    archive.write_tar_gz(members(tmp_path), dest, EPOCH)
    raw = dest.read_bytes()
    assert raw[3] & 0x08 == 0, "gzip header must not carry a file name (FNAME flag)"
    assert raw[4:8] == b"\0\0\0\0", "gzip header time must be zero"
    with tarfile.open(dest) as tar:
        infos = tar.getmembers()
        assert [i.name for i in infos] == ["course/a.xml", "course/b.xml", "course/static/asset.bin"]
        for i in infos:
            assert (i.mtime, i.mode, i.uid, i.gid, i.uname, i.gname) == (EPOCH, 0o644, 0, 0, "", "")
            assert i.isfile()
        assert tar.extractfile("course/a.xml").read() == "<a>é</a>".encode()  # type: ignore[union-attr]
    assert oct(dest.stat().st_mode & 0o777) == oct(0o644)


def test_zip_is_sorted_and_carries_fixed_metadata(tmp_path: Path) -> None:
    dest = tmp_path / "out.zip"
    archive.write_zip(members(tmp_path), dest, EPOCH)
    with zipfile.ZipFile(dest) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["course/a.xml", "course/b.xml", "course/static/asset.bin"]
        for i in infos:
            assert i.date_time == (2026, 1, 1, 0, 0, 0)
            assert (i.external_attr >> 16) & 0o777 == 0o644
        assert zf.testzip() is None


@pytest.mark.parametrize("writer", [archive.write_tar_gz, archive.write_zip])
def test_same_members_in_any_order_give_identical_bytes(tmp_path: Path, writer) -> None:  # type: ignore[no-untyped-def]
    m = members(tmp_path)
    writer(m, tmp_path / "one", EPOCH)
    writer(dict(reversed(list(m.items()))), tmp_path / "two", EPOCH)
    assert sha(tmp_path / "one") == sha(tmp_path / "two")
    writer(m, tmp_path / "three", EPOCH + 60)
    assert sha(tmp_path / "one") != sha(tmp_path / "three"), "the epoch must reach the archive"


@pytest.mark.parametrize("name", ["../evil", "/etc/passwd", "a/../../b", "a\\b", "", "a//b"])
def test_unsafe_member_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="unsafe archive member name"):
        archive.write_zip({name: b"x"}, tmp_path / "x.zip", EPOCH)
    assert not (tmp_path / "x.zip").exists()


def test_failure_leaves_neither_archive_nor_temp_file(tmp_path: Path) -> None:
    dest = tmp_path / "dist" / "pkg.zip"
    missing = tmp_path / "does-not-exist.bin"
    with pytest.raises(FileNotFoundError):
        archive.write_zip({"a.txt": b"a", "b.bin": missing}, dest, EPOCH)
    assert list(dest.parent.iterdir()) == []


def test_failure_keeps_the_previous_archive(tmp_path: Path) -> None:
    dest = tmp_path / "pkg.tar.gz"
    archive.write_tar_gz({"a.txt": b"old"}, dest, EPOCH)
    before = sha(dest)
    with pytest.raises(FileNotFoundError):
        archive.write_tar_gz({"a.txt": tmp_path / "gone"}, dest, EPOCH)
    assert sha(dest) == before


def test_gzip_stream_is_plain_gzip(tmp_path: Path) -> None:
    dest = tmp_path / "x.tar.gz"
    archive.write_tar_gz({"a": b"abc"}, dest, EPOCH)
    assert gzip.decompress(dest.read_bytes())[:1] == b"a"


def test_epoch_prefers_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert archive.source_epoch(tmp_path) == 1700000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        archive.source_epoch(tmp_path)


def test_epoch_falls_back_to_last_commit_then_constant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert archive.source_epoch(outside) == archive.FALLBACK_EPOCH
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_DATE": "@1760000000 +0000", "GIT_COMMITTER_DATE": "@1760000000 +0000"}
    run = lambda *a: subprocess.run(["git", *a], cwd=repo, env=env, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (repo / "f").write_text("x")
    run("add", "f")
    run("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    assert archive.source_epoch(repo) == 1760000000


def test_extracted_lays_out_members_in_ram_when_there_is_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ram = tmp_path / "ram"
    ram.mkdir()
    monkeypatch.setattr(archive, "RAM_SCRATCH", ram)
    members = {"course/course.xml": b"<course/>", "course/static/movie.mp4": b"x" * 1000}
    with archive.extracted(members, "t-", empty_under=("course/static/",)) as tmp:
        assert tmp.parent == ram
        assert (tmp / "course/course.xml").read_bytes() == b"<course/>"
        assert (tmp / "course/static/movie.mp4").read_bytes() == b""  # exists, not copied
    assert list(ram.iterdir()) == []

    class Full:
        free = 10

    monkeypatch.setattr(archive.shutil, "disk_usage", lambda _p: Full())
    with archive.extracted(members, "t-") as tmp:
        assert tmp.parent != ram and (tmp / "course/static/movie.mp4").stat().st_size == 1000


def test_member_names_follow_the_posix_path_rule() -> None:
    """The string check refuses exactly what the PurePosixPath rule it replaced refused (every name
    of up to four pieces from a hostile alphabet), at a tenth of the cost per member."""
    import itertools
    from pathlib import PurePosixPath

    def posix_rule(name: str) -> bool:
        p = PurePosixPath(name)
        return not (not name or p.is_absolute() or ".." in p.parts or "\\" in name or name != p.as_posix())

    def accepted(name: str) -> bool:
        try:
            archive.check_member_name(name)
        except ValueError:
            return False
        return True

    pieces = ["a", "/", ".", "..", "\\", "b.c", " ", "//"]
    for n in range(1, 5):
        for combo in itertools.product(pieces, repeat=n):
            name = "".join(combo)
            assert accepted(name) == posix_rule(name), name


# --------------------------------------------------------------------------- streaming (issue 9)


def _old_write_zip(members: dict[str, archive.Member], dest: Path, epoch: int) -> None:
    """The writer as it was before members were streamed: every member read whole, ``writestr``."""
    stamp = archive._zip_time(epoch)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | 0o644) << 16
            m = members[name]
            zf.writestr(info, m.read_bytes() if isinstance(m, Path) else m)


def test_streamed_zip_has_the_bytes_of_the_writer_before_streaming(tmp_path: Path) -> None:
    m = members(tmp_path)
    m["course/empty.txt"] = b""
    _old_write_zip(m, tmp_path / "old.zip", EPOCH)
    archive.write_zip(m, tmp_path / "new.zip", EPOCH)
    assert sha(tmp_path / "new.zip") == sha(tmp_path / "old.zip")


@pytest.mark.parametrize("writer", [archive.write_tar_gz, archive.write_zip])
def test_writers_take_a_sorted_stream_and_write_each_member_before_asking_for_the_next(
    tmp_path: Path, writer
) -> None:  # type: ignore[no-untyped-def]
    """Each member exists only until the writer asks for the next one: a writer that held members
    (or needed the whole mapping) would find the file gone."""
    expected = {f"course/p{i:03d}.html": f"<p>page {i}</p>".encode() * (i + 1) for i in range(40)}
    alive: list[int] = []

    def stream():  # type: ignore[no-untyped-def]
        previous: Path | None = None
        for i, (name, data) in enumerate(expected.items()):
            page = tmp_path / f"rendered-{i}"
            page.write_bytes(data)
            alive.append(len(list(tmp_path.glob("rendered-*"))))
            yield name, page
            if previous is not None:
                previous.unlink()  # the writer asked for this one: the one before must be written
            previous = page

    writer(stream(), tmp_path / "streamed", EPOCH)
    writer(expected, tmp_path / "mapped", EPOCH)
    assert max(alive) <= 2
    assert sha(tmp_path / "streamed") == sha(tmp_path / "mapped")


@pytest.mark.parametrize("writer", [archive.write_tar_gz, archive.write_zip])
def test_writers_refuse_a_stream_out_of_order(tmp_path: Path, writer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="sorted and once each"):
        writer(iter([("b", b"1"), ("a", b"2")]), tmp_path / "x", EPOCH)
    with pytest.raises(ValueError, match="sorted and once each"):
        writer(iter([("a", b"1"), ("a", b"2")]), tmp_path / "x", EPOCH)
    assert not (tmp_path / "x").exists()


def test_members_spill_their_bytes_to_disk_as_they_are_set(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    asset = tmp_path / "asset.bin"
    asset.write_bytes(b"static")
    with archive.spill_to(spill):
        m = archive.Members()
    assert m.spilled
    m["b.html"] = b"<b/>" * 1000
    m["a.html"] = b"<a/>"
    m["static/asset.bin"] = asset
    assert m.held() == 0, "bytes set inside spill_to must not stay in memory"
    assert m["b.html"] == b"<b/>" * 1000 and m["a.html"] == b"<a/>" and m["static/asset.bin"] == asset
    m["a.html"] = b"<a>again</a>"
    assert m["a.html"] == b"<a>again</a>" and m.size("a.html") == 12
    del m["b.html"]
    assert sorted(m) == ["a.html", "static/asset.bin"] and "b.html" not in m
    archive.write_zip(m, tmp_path / "spilled.zip", EPOCH)
    archive.write_zip(dict(m.items()), tmp_path / "plain.zip", EPOCH)
    assert sha(tmp_path / "spilled.zip") == sha(tmp_path / "plain.zip")
    m.close()
    assert len(m) == 0
    assert list(spill.iterdir()) == [], "the scratch file has no name to leave behind"


def test_members_outside_a_spill_are_a_plain_mapping() -> None:
    m = archive.Members({"a": b"x"})
    assert not m.spilled and m.held() == 1 and dict(m) == {"a": b"x"}


def tarfile_stream(members: dict[str, archive.Member], epoch: int) -> bytes:
    """The tar stream as ``tarfile`` writes it, member by member: what our own headers must equal."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            m = members[name]
            data = m.read_bytes() if isinstance(m, Path) else m
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), epoch, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _tarfile_tar_gz(members: dict[str, archive.Member], dest: Path, epoch: int) -> None:
    """The tar.gz writer as it was before it built its own headers: ``tarfile`` into ``GzipFile``."""
    with (
        open(dest, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
    ):
        gz.write(tarfile_stream(members, epoch))


TRICKY_NAMES = [
    "a",
    "x" * 99,
    "x" * 100,  # fills the ustar name field: no NUL after it
    "x" * 101,  # needs a pax path record
    "d/" + "long-directory-name/" * 8 + "file.xml",
    "caffè/società.html",  # not ASCII: pax path record in UTF-8
    "日本/語.txt",
    "space name/with ~ tilde.txt",
]


@pytest.mark.parametrize("epoch", [EPOCH, archive.FALLBACK_EPOCH, 8**11 + 5])
def test_tar_gz_has_the_bytes_tarfile_writes(tmp_path: Path, epoch: int) -> None:
    """The writer builds its own header blocks (``tarfile.TarInfo.tobuf`` was half an edit's OLX
    archive): every byte must still be what ``tarfile`` writes, for short, exactly-100, long and
    non-ASCII names, empty, block-sized and odd-sized members, source files, and times beyond ustar."""
    m = members(tmp_path)
    sizes = [0, 1, 511, 512, 513, 10240, 70000]
    for i, name in enumerate(TRICKY_NAMES):
        m[f"course/{name}"] = bytes(i % 7 for _ in range(sizes[i % len(sizes)]))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))  # more than one compression chunk, from a source file
    m["course/static/big.bin"] = big
    _tarfile_tar_gz(m, tmp_path / "old.tar.gz", epoch)
    archive.write_tar_gz(m, tmp_path / "new.tar.gz", epoch)
    assert_same_tar(tmp_path / "new.tar.gz", tmp_path / "old.tar.gz")


def assert_same_tar(new: Path, old: Path) -> None:
    """The tar stream ``tarfile`` writes, byte for byte, in a gzip stream of (nearly) the size
    ``GzipFile`` makes of it: the deflate is chunked (``builder.gzchunks``), the tar is not."""
    assert gzip.decompress(new.read_bytes()) == gzip.decompress(old.read_bytes())
    assert new.read_bytes()[:10] == old.read_bytes()[:10]  # the gzip header: no name, no time
    assert abs(new.stat().st_size - old.stat().st_size) <= max(64, old.stat().st_size // 100)


@pytest.mark.parametrize("count", [0, 1, 19, 20, 21])
def test_tar_gz_pads_to_tarfiles_record_size(tmp_path: Path, count: int) -> None:
    m: dict[str, archive.Member] = {f"f{i:02d}": b"" for i in range(count)}
    _tarfile_tar_gz(m, tmp_path / "old.tar.gz", EPOCH)
    archive.write_tar_gz(m, tmp_path / "new.tar.gz", EPOCH)
    assert_same_tar(tmp_path / "new.tar.gz", tmp_path / "old.tar.gz")


def test_extract_to_lays_out_every_member_as_a_file_with_its_bytes(tmp_path: Path) -> None:
    """``extract_to`` writes with plain ``os`` calls now: the tree must hold every member, nested
    folders made once, bytes (also from a source file, and a member larger than one write) intact,
    ``empty_under`` members empty, files with the ordinary mode, and unsafe names still refused."""
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(5 << 20))
    m: dict[str, archive.Member] = {
        "course/course.xml": b"<course/>",
        "course/html/a/b/c.html": "<p>é</p>".encode(),
        "course/empty.txt": b"",
        "course/static/movie.mp4": b"x" * 1000,
        "course/big.bin": src,
    }
    root = tmp_path / "out"
    root.mkdir()
    archive.extract_to(m, root, empty_under=("course/static/",))
    found = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert found == {
        "course/course.xml": b"<course/>",
        "course/html/a/b/c.html": "<p>é</p>".encode(),
        "course/empty.txt": b"",
        "course/static/movie.mp4": b"",
        "course/big.bin": src.read_bytes(),
    }
    umask = os.umask(0)
    os.umask(umask)
    assert (root / "course/course.xml").stat().st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(ValueError, match="unsafe"):
        archive.extract_to({"../escape": b"x"}, root)
    assert not (tmp_path / "escape").exists()
