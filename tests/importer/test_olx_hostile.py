"""Hostile exports are refused cleanly: a clear message, exit 1, and nothing written to DEST.

Each case starts from the valid Studio fixture and adds one attack: path traversal in archive
names and in url_names or file names, XML entities and DTDs (XXE, entity bombs), oversized files,
tar bombs, links and special files in the archive or the folder.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import main
from builder.importer.olx import ImportRefused, archive, files, import_olx
from tests.importer import studio_export as sx


def tarball(tmp_path: Path, extra: list[tuple[tarfile.TarInfo, bytes | None]] = (), **replace: str) -> Path:  # type: ignore[assignment]
    """The fixture as a tar.gz, with some files replaced and hostile members appended."""
    tree = sx.write_export(tmp_path / "tree")
    for rel, text in replace.items():
        (tree / rel.replace("__", "/")).write_text(text, encoding="utf-8")
    path = tmp_path / "hostile.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tree, arcname="course")
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"x", link: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.linkname = link
    return info, data if kind == tarfile.REGTYPE else None


def refused(src: Path, dest: Path, needle: str) -> None:
    with pytest.raises(ImportRefused) as exc:
        import_olx(src, dest)
    assert needle in str(exc.value), str(exc.value)
    assert not dest.exists(), "nothing may be written to DEST"
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}.importing-")]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (member("course/../../evil.txt"), "points outside the archive"),
        (member("/etc/evil.txt"), "points outside the archive"),
        (member("course/static/link.png", tarfile.SYMTYPE, link="/etc/passwd"), "is a link"),
        (member("course/static/hard.png", tarfile.LNKTYPE, link="course/course.xml"), "is a link"),
        (member("course/static/dev", tarfile.CHRTYPE), "special file"),
        (member("course/static/fifo", tarfile.FIFOTYPE), "special file"),
        (member("course/course.xml", data=b"<course/>"), "appears twice"),
    ],
)
def test_unsafe_archive_members_are_refused(tmp_path: Path, extra: tuple, needle: str) -> None:
    refused(tarball(tmp_path, [extra]), tmp_path / "dest", needle)


def test_a_member_beyond_the_file_cap_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 1000)
    refused(
        tarball(tmp_path, [member("course/static/big.bin", data=b"0" * 1001)]), tmp_path / "d", "the cap is"
    )


def test_a_tar_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 50_000)
    bombs = [member(f"course/static/z{i}.bin", data=b"\0" * 9_000) for i in range(8)]
    refused(tarball(tmp_path, bombs), tmp_path / "d", "tar bomb")


def test_not_a_tarball_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "x.tar.gz"
    fake.write_bytes(b"PK\x03\x04 not a tar")
    refused(fake, tmp_path / "d", "not a readable tar archive")


XXE = '<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<course>&x;</course>\n'
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
    "<problem>&lol2;</problem>\n"
)


@pytest.mark.parametrize(
    ("rel", "text"),
    [
        (f"course__{sx.RUN}.xml", XXE),
        (f"problem__{sx.P_NUM}.xml", LAUGHS),
        (f"vertical__{sx.V1}.xml", '<!DOCTYPE vertical SYSTEM "http://evil.example/x.dtd"><vertical/>'),
    ],
)
def test_dtds_and_entities_are_refused(tmp_path: Path, rel: str, text: str) -> None:
    refused(tarball(tmp_path, **{rel: text}), tmp_path / "dest", "declares a DOCTYPE or entities")


@pytest.mark.parametrize(
    ("rel", "text"),
    [
        (
            f"chapter__{sx.CH1}.xml",
            '<chapter display_name="x"><sequential url_name="../../../etc/passwd"/></chapter>',
        ),
        (f"chapter__{sx.CH1}.xml", '<chapter display_name="x"><sequential url_name="a:..:..:b"/></chapter>'),
        (f"html__{sx.HTML1}.xml", '<html filename="../../../../etc/hostname" display_name="t"/>'),
        (f"course__{sx.RUN}.xml", '<course display_name="x"><chapter url_name="/etc/passwd"/></course>'),
    ],
)
def test_traversal_in_url_names_and_file_names_is_refused(tmp_path: Path, rel: str, text: str) -> None:
    refused(tarball(tmp_path, **{rel: text}), tmp_path / "dest", "unsafe name")


def test_a_pointer_cycle_is_refused(tmp_path: Path) -> None:
    loop = f'<library_content display_name="l"><library_content url_name="{sx.LIBRARY}"/></library_content>'
    src = tarball(tmp_path, **{f"library_content__{sx.LIBRARY}.xml": loop})
    refused(src, tmp_path / "dest", "points back to itself")


def test_an_oversized_xml_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_XML_BYTES", 2000)
    big = '<problem display_name="big"><p>' + "x" * 3000 + "</p></problem>"
    refused(tarball(tmp_path, **{f"problem__{sx.P_NUM}.xml": big}), tmp_path / "dest", "too large")


def test_a_folder_with_a_symlink_is_refused(tmp_path: Path) -> None:
    tree = sx.write_export(tmp_path / "tree")
    os.symlink("/etc/passwd", tree / "static" / "passwd.txt")
    refused(tree.parent, tmp_path / "dest", "symbolic links are not allowed")


def test_a_non_empty_destination_is_refused_and_left_alone(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ImportRefused, match="exists and is not empty"):
        import_olx(sx.write_tarball(tmp_path), dest)
    assert [p.name for p in dest.iterdir()] == ["mine.txt"]


def test_an_empty_destination_is_filled(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    import_olx(sx.write_tarball(tmp_path), dest)
    assert (dest / "course.yaml").is_file()


def test_cli_refusal_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    src = tarball(tmp_path, [member("course/../../evil.txt")])
    result = CliRunner().invoke(main, ["import", "olx", str(src), str(tmp_path / "dest")])
    assert result.exit_code == 1
    assert (
        "import refused: hostile.tar.gz: member `course/../../evil.txt` points outside the archive"
        in result.output
    )
    assert "nothing was written" in result.output
    assert not (tmp_path / "dest").exists()
    assert not (tmp_path.parent / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
