"""``builder.zipraw`` writes the bytes ``zipfile`` wrote before it, and reuses stored members only
when their content is unchanged."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from builder import archive, zipraw

STAMP = (2023, 11, 14, 22, 13, 20)


def _zipfile_bytes(members: dict[str, bytes]) -> bytes:
    """The writer ``builder.archive`` used before ``zipraw`` (the reference for every byte)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=STAMP)
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
