"""``builder.zipraw`` writes the bytes ``zipfile`` wrote before it, and reuses stored members only
when their content is unchanged."""

from __future__ import annotations

import contextlib
import io
import zipfile
from pathlib import Path

from builder import archive, zipraw

STAMP = (2023, 11, 14, 22, 13, 20)


def _zipfile_bytes(members: dict[str, bytes], stamp: tuple[int, ...] = STAMP) -> bytes:
    """The writer ``builder.archive`` used before ``zipraw`` (the reference for every byte)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | archive.FILE_MODE) << 16
            zf.writestr(info, members[name])
    return buf.getvalue()


def _raw_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    zipraw.write(
        buf, [(n, lambda n=n: zipraw.deflate(members[n])) for n in sorted(members)], STAMP, archive.FILE_MODE
    )
    return buf.getvalue()


def test_the_bytes_are_those_zipfile_wrote() -> None:
    members = {
        "imsmanifest.xml": b"<manifest/>" * 500,
        "sco/u-1.html": "<p>Caf\u00e9 \u2014 na\u00efve</p>".encode() * 50,
        "static/empty.txt": b"",
        "static/caf\u00e9.png": bytes(range(256)) * 40,  # a non-ASCII name: the UTF-8 flag
        "shared/big.js": b"x" * 300_000,
    }
    assert _raw_bytes(members) == _zipfile_bytes(members)
    with zipfile.ZipFile(io.BytesIO(_raw_bytes(members))) as zf:
        assert zf.testzip() is None
        assert {i.filename: zf.read(i) for i in zf.infolist()} == members


def test_a_real_package_is_byte_identical(tmp_path: Path) -> None:
    """A SCORM package of the sample course, rewritten member by member by both writers."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    out = tmp_path / "dist"
    src = root / "course_src"
    cmd = [sys.executable, "-m", "builder.cli", "--quiet", "build", str(src), "--out", str(out)]
    subprocess.run([*cmd, "-t", "scorm2004", "--no-cache"], check=True, cwd=root, env=env)
    (package,) = out.glob("*.zip")
    with zipfile.ZipFile(package) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    assert len(members) > 30
    assert package.read_bytes() == _zipfile_bytes(members) == _raw_bytes(members)


class _Counting(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        self.writes += 1
        return super().write(data)


Where = dict[str, tuple[int, int, int, int]]


def _written(members: dict[str, bytes]) -> tuple[bytes, Where]:
    out = io.BytesIO()
    _, where = zipraw.write(
        out, [(n, lambda n=n: zipraw.deflate(members[n])) for n in sorted(members)], STAMP, archive.FILE_MODE
    )
    return out.getvalue(), where


def _reusing(old: bytes, where: Where, members: dict[str, bytes], stamp) -> _Counting:  # type: ignore[no-untyped-def]
    """``members`` written with every member ``old`` holds taken from it (``Deflated.at``)."""

    def get(name: str) -> zipraw.Deflated:
        if name in where:
            at, csize, crc, size = where[name]
            return zipraw.Deflated(crc, size, memoryview(old)[at : at + csize], at)
        return zipraw.deflate(members[name])

    out = _Counting()
    pairs = [(n, lambda n=n: get(n)) for n in sorted(members)]
    zipraw.write(out, pairs, stamp, archive.FILE_MODE, source=old)
    return out


def test_unchanged_members_are_copied_as_byte_ranges_of_the_old_archive() -> None:
    """An edit of one page: the members before it and after it are copied in one write each, and
    the archive is still exactly what zipfile writes."""
    members = {f"sco/u{i:03}.html": f"<p>page {i}</p>".encode() * (i + 1) for i in range(100)}
    first, where = _written(members)
    edited = dict(members)
    edited["sco/u050.html"] = b"<p>edited</p>"
    del where["sco/u050.html"]
    out = _reusing(first, where, edited, STAMP)
    assert out.getvalue() == _zipfile_bytes(edited)
    # before the edited page, its header and data, after it, the central directory and its end
    assert out.writes <= 5 + len(edited)


def test_a_stored_record_is_not_copied_when_its_header_would_differ() -> None:
    """Another timestamp (a new commit): the stored deflate streams are reused, the headers are
    written anew, and the bytes are zipfile's for the new time."""
    members = {"a.html": b"a" * 5000, "b.html": b"b" * 5000}
    first, where = _written(members)
    later = (2024, 1, 2, 3, 4, 6)
    out = _reusing(first, where, members, later)
    assert out.getvalue() == _zipfile_bytes(members, later)


def test_a_members_origin_goes_with_the_content_it_was_set_with() -> None:
    members = archive.Members()
    members.set("sco/a.html", b"a", "origin-a")
    members.set("sco/b.html", b"b", None)
    assert members.origins == {"sco/a.html": "origin-a"}
    members["sco/a.html"] = b"other bytes"  # written over by something that is not that piece
    assert members.origins == {}
    members.set("sco/a.html", b"a", "origin-a")
    del members["sco/a.html"]
    assert members.origins == {}


def test_the_old_archive_is_read_by_place_in_bounded_reads(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Records copied from the archive being replaced come from the file through reads of at most
    one window, never from the whole archive in memory; the bytes are still zipfile's."""
    members = {f"sco/u{i:03}.html": f"<p>page {i}</p>".encode() * (40 + i) for i in range(200)}
    first, where = _written(members)
    old = tmp_path / "old.zip"
    old.write_bytes(first)
    monkeypatch.setattr(zipraw.Source, "WINDOW", 512)
    reads: list[int] = []
    real = zipraw.Source._pread

    def pread(self, offset: int, length: int) -> bytes:  # type: ignore[no-untyped-def]
        reads.append(length)
        return real(self, offset, length)

    monkeypatch.setattr(zipraw.Source, "_pread", pread)
    edited = dict(members)
    edited["sco/u100.html"] = b"<p>edited</p>"
    del where["sco/u100.html"]

    def get(name: str) -> zipraw.Deflated:
        if name in where:
            at, csize, crc, size = where[name]
            return zipraw.Deflated(crc, size, None, at, csize)
        return zipraw.deflate(edited[name])

    out = io.BytesIO()
    with open(old, "rb", buffering=0) as f:
        source = zipraw.Source(f, len(first))
        zipraw.write(out, [(n, lambda n=n: get(n)) for n in sorted(edited)], STAMP, archive.FILE_MODE, source)
    assert out.getvalue() == _zipfile_bytes(edited)
    assert reads and max(reads) <= 512 < len(first)


def test_a_stored_member_whose_header_differs_is_read_from_the_old_file() -> None:
    """A new timestamp: no record can be copied whole, so each stored stream is read from the old
    archive by place (``Deflated.data`` None) and written behind the new header."""
    members = {"a.html": b"a" * 5000, "b.html": bytes(range(256)) * 30}
    first, where = _written(members)
    later = (2024, 1, 2, 3, 4, 6)

    def get(name: str) -> zipraw.Deflated:
        at, csize, crc, size = where[name]
        return zipraw.Deflated(crc, size, None, at, csize)

    out = io.BytesIO()
    zipraw.write(out, [(n, lambda n=n: get(n)) for n in sorted(members)], later, archive.FILE_MODE, first)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert {i.filename: zf.read(i) for i in zf.infolist()} == members
        assert {i.date_time for i in zf.infolist()} == {later}


def test_the_old_archives_index_is_let_go_before_the_new_one_is_stored(tmp_path: Path) -> None:
    """The index of the archive being replaced is done with once the new one is written: held
    beside the new index and its JSON, it was the SCORM 2004 writer's peak at 20,000 units."""
    from builder.cache import BuildCache
    from builder.zip_reuse import ZipReuse

    store = BuildCache(tmp_path / "cache")
    members = {"a.txt": b"x" * 100, "b.txt": b"y" * 50}
    published = tmp_path / "p.zip"

    def write(reuse: ZipReuse, out: io.BytesIO | None = None) -> None:
        with open(published, "wb") if out is None else contextlib.nullcontext(out) as f:
            pairs = [(n, lambda n=n: reuse.deflated(n, members[n])) for n in sorted(members)]
            sha, where = zipraw.write(f, pairs, STAMP, archive.FILE_MODE, source=reuse.source)
        reuse.save(sha, where)

    write(ZipReuse(store, published))
    second = ZipReuse(store, published)
    assert set(second.index) == set(members)
    write(second, io.BytesIO())
    assert second.index == {}
    second.close()
