"""Opening an export safely: a ``.tar.gz`` from Studio, or a folder already extracted.

An export may come from anyone, so before any XML is read every archive member is checked and the
archive is refused as a whole when one of them is unsafe: absolute names or ``..`` (path
traversal), links, devices and FIFOs, a member or a total beyond the size caps (tar bombs), too
many members. Members are written by this code, one by one, never with ``tarfile.extractall``.
A folder given directly gets the same checks (no symbolic links, sizes within the caps).
"""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path, PurePosixPath

from builder.importer.olx.errors import ImportRefused

MAX_FILE_BYTES = 200 * 1024 * 1024
"""One file: well above Studio's 20 MB asset upload cap, below anything that is not a course."""
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
"""All files together, decompressed: a tar bomb stops here."""
MAX_MEMBERS = 100_000
CHUNK = 1024 * 1024


def _safe_name(name: str, where: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or any(":" in p for p in path.parts[:1]):
        raise ImportRefused(where, f"member `{name}` points outside the archive", "refusing path traversal")
    if any(ord(c) < 32 for c in name):
        raise ImportRefused(where, f"member `{name!r}` has control characters in its name")
    return path


def extract_tar(archive: Path, into: Path) -> None:
    """Extract ``archive`` into the empty folder ``into``, refusing it whole at the first unsafe member."""
    where = archive.name
    try:
        tar = tarfile.open(archive, mode="r:*")  # noqa: SIM115 — closed by the `with tar:` below
    except (tarfile.TarError, OSError) as exc:
        raise ImportRefused(
            where, f"not a readable tar archive ({exc})", "pass Studio's .tar.gz export"
        ) from None
    total = 0
    count = 0
    with tar:
        try:
            for member in tar:
                count += 1
                if count > MAX_MEMBERS:
                    raise ImportRefused(
                        where, f"more than {MAX_MEMBERS} members", "this is not a course export"
                    )
                rel = _safe_name(member.name, where)
                if member.issym() or member.islnk():
                    raise ImportRefused(
                        where, f"member `{member.name}` is a link", "links could point anywhere; refusing"
                    )
                if member.isdir():
                    (into / rel).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isfile():
                    raise ImportRefused(
                        where, f"member `{member.name}` is a device, FIFO or other special file"
                    )
                if member.size > MAX_FILE_BYTES:
                    raise ImportRefused(
                        where,
                        f"member `{member.name}` is {member.size} bytes",
                        f"the cap is {MAX_FILE_BYTES}",
                    )
                total += member.size
                if total > MAX_TOTAL_BYTES:
                    raise ImportRefused(
                        where,
                        f"the archive unpacks to more than {MAX_TOTAL_BYTES} bytes",
                        "refusing a tar bomb",
                    )
                target = into / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, open(target, "xb") as out:
                    written = 0
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        if written > member.size:
                            raise ImportRefused(
                                where, f"member `{member.name}` is longer than its header says"
                            )
                        out.write(chunk)
        except (tarfile.TarError, EOFError, OSError) as exc:
            if isinstance(exc, FileExistsError):
                raise ImportRefused(where, f"member `{exc.filename}` appears twice") from None
            raise ImportRefused(where, f"the archive is damaged ({exc})") from None


def check_folder(root: Path) -> None:
    """The same rules for an export given as a folder: no links, no special files, sizes capped."""
    total = 0
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise ImportRefused(
                    rel, "symbolic links are not allowed in an export", "replace it with the file"
                )
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise ImportRefused(rel, "is a device, FIFO or other special file")
            count += 1
            size = path.lstat().st_size
            total += size
            if size > MAX_FILE_BYTES:
                raise ImportRefused(rel, f"is {size} bytes", f"the cap is {MAX_FILE_BYTES}")
            if total > MAX_TOTAL_BYTES or count > MAX_MEMBERS:
                raise ImportRefused(str(root), "the export is larger than the import caps allow")


def find_course_root(tree: Path, where: str) -> Path:
    """The one folder that holds ``course.xml`` (Studio exports put it in ``course/``)."""
    found = sorted(p.parent for p in tree.rglob("course.xml") if p.is_file() and not p.is_symlink())
    found = [p for p in found if "static" not in p.relative_to(tree).parts]
    if not found:
        raise ImportRefused(
            where, "no course.xml found", "pass a Studio course export (.tar.gz) or its folder"
        )
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(tree) / "course.xml") for p in found[:5])
        raise ImportRefused(where, f"more than one course.xml ({names})", "export one course at a time")
    return found[0]
