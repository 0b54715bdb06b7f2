"""Files of the source tree: reading text, and paths written by authors that must stay inside it.

A course source may come from a partner, and the machine that builds it has other files: no path
may escape the source root, no symbolic link is followed, and every unreadable file becomes a
finding instead of a traceback.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from builder.source.context import ReadContext, printable_name
from builder.source.text import MAX_SOURCE_BYTES, describe, first_invalid_char, line_col

IGNORED_FILES = re.compile(r"^(\..*|.*~|#.*#|.*\.bak|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)
"""Files no author means to publish: hidden files (``.DS_Store``, macOS ``._`` forks, Vim's
``.x.swp``, Emacs' ``.#x`` locks), editor backups (``x~``, ``#x#``, ``x.bak``) and the folder
files Windows writes (``Thumbs.db``, ``desktop.ini``). Open edX skips hidden files too."""


def refuse_symlink(ctx: ReadContext, rel: str) -> None:
    """A link could point anywhere on the machine that builds the course, so none is followed."""
    ctx.error(
        rel,
        None,
        "symbolic links are not allowed in a course source",
        "replace the link with the file or folder itself",
        code="symlink",
    )


def read_text(ctx: ReadContext, path: Path) -> str | None:
    """The text of a source file, or None with a finding: missing, too big, not UTF-8, or holding
    characters no output can carry (see ``text.py``)."""
    rel = ctx.rel(path)
    if path.is_symlink():
        refuse_symlink(ctx, rel)
        return None
    try:
        with path.open("rb") as f:
            data = _read_at_most(f, MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        ctx.error(rel, None, "file not found", code="missing-file")
        return None
    except OSError as exc:
        ctx.error(rel, None, f"cannot be read ({exc.strerror or exc})", code="unreadable")
        return None
    if len(data) > MAX_SOURCE_BYTES:
        ctx.error(
            rel,
            None,
            f"file is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB",
            "split it into several units, and put large media into static/",
            code="too-large",
        )
        return None
    ctx.read_shas[str(path)] = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")  # editors on Windows may add a BOM
    except UnicodeDecodeError as exc:
        not_utf8(ctx, rel, data, exc)
        return None
    bad = first_invalid_char(text)
    if bad is not None:
        line, col = line_col(text, bad[0])
        ctx.error(
            rel,
            line,
            f"the file contains the control character {describe(bad[1])}, which no output format can carry",
            "delete it (it is invisible in most editors; tab and newline are fine)",
            col,
            code="bad-char",
        )
        return None
    return text


def _read_at_most(f: BinaryIO, limit: int) -> bytes:
    """``f.read(limit)``, without its buffer of ``limit`` bytes: ``read(n)`` allocates all ``n`` first,
    and a 4 MB buffer (mapped, touched and returned for each file) cost more than reading a unit
    file itself. The file's size is asked first; a file that is longer than it said (growing,
    or not a regular file) is read on to ``limit``, so the bytes are those of ``f.read(limit)``."""
    size = os.fstat(f.fileno()).st_size
    first = min(limit, max(size, 0) + 1)  # one byte past the end, to see the end
    data = f.read(first)
    if len(data) == first < limit:
        data += f.read(limit - first)
    return data


def not_utf8(ctx: ReadContext, rel: str, data: bytes, exc: UnicodeDecodeError) -> None:
    """Where decoding failed, as an editor shows it: line, column and the byte itself (a Latin-1
    ``é`` is 0xE9), so the author finds the one character to retype or the file to re-save."""
    start = exc.start
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode("utf-8", "replace")) + 1
    ctx.error(
        rel,
        line,
        f"not valid UTF-8: byte 0x{data[start]:02X} at column {column} (byte offset {start} of the file)",
        "save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8)",
        column,
        code="encoding",
    )


def inside(ctx: ReadContext, path: Path) -> bool:
    try:
        path.resolve().relative_to(ctx.real_root)
        return True
    except ValueError:
        return False


SIMILAR_NAME = 0.75
"""How close a file's name must be to the one written to be offered: ``phto.png`` finds
``photo.png``; ``team-photo.jpg`` never finds ``course-image.png``."""


def similar_file(ctx: ReadContext, rel: str) -> str | None:
    """The static file whose *name* is closest to ``rel``'s, if it is close at all.

    Names, not paths: every file shares the ``static/images/`` prefix, so comparing whole paths
    offered the course logo for any missing image. A folder that matches too wins a tie.
    """
    import difflib

    if len(rel) > 300:  # difflib is quadratic; no real file has a name that long
        return None
    name = PurePosixPath(rel).name
    best: tuple[float, float, str] | None = None
    for candidate in ctx.assets:
        if candidate == rel:
            continue
        score = difflib.SequenceMatcher(None, name, PurePosixPath(candidate).name).ratio()
        if score < SIMILAR_NAME:
            continue
        tie = difflib.SequenceMatcher(None, rel, candidate).ratio()
        if best is None or (score, tie) > best[:2]:
            best = (score, tie, candidate)
    return best[2] if best else None


def static_folder(ctx: ReadContext) -> str:
    """The course's ``static/`` folder as the author sees it, with the real name of the source folder."""
    return f"{printable_name(ctx.root.name)}/static/"


def no_similar_file(ctx: ReadContext) -> str:
    return (
        f"no file in `{static_folder(ctx)}` has a similar name; "
        "check the spelling and that the file was copied there"
    )


def did_you_mean_file(ctx: ReadContext, raw: str) -> str:
    """A hint for a path written in YAML (relative to the source root) that names no file."""
    match = similar_file(ctx, raw)
    return f"did you mean `{match}`?" if match and match != raw else no_similar_file(ctx)


def safe_path(ctx: ReadContext, raw: str, file: str, line: int | None, what: str) -> Path | None:
    """Resolve a path written in YAML relative to the source root, refusing any escape."""
    shown = short(raw)
    if not raw or raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw):
        ctx.error(
            file,
            line,
            f"{what} `{shown}` must be a relative path inside the course source",
            "write it relative to the folder that holds course.yaml, e.g. static/images/x.png",
            code="unsafe-path",
        )
        return None
    try:
        candidate = ctx.root / raw
        if ".." in PurePosixPath(raw).parts or not inside(ctx, candidate):
            ctx.error(
                file,
                line,
                f"{what} `{shown}` points outside the course source",
                "keep every file inside the course folder",
                code="unsafe-path",
            )
            return None
        if candidate.is_symlink():
            ctx.error(
                file, line, f"{what} `{shown}` is a symbolic link", "use the file itself", code="symlink"
            )
            return None
        exists = candidate.is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte: not a usable path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        ctx.error(
            file,
            line,
            f"{what} `{shown}` is not a usable path ({reason})",
            "use a short relative path such as static/images/x.png",
            code="unsafe-path",
        )
        return None
    if not exists:
        ctx.error(
            file, line, f"{what} `{shown}` does not exist", did_you_mean_file(ctx, raw), code="missing-file"
        )
        return None
    return candidate


def normalise(posix: str) -> str:
    """Collapse ``.`` and ``..`` without touching the file system."""
    parts: list[str] = []
    for p in posix.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    return ("/" if posix.startswith("/") else "") + "/".join(parts)


def safe_name(name: str) -> str:
    """A name Open edX keeps as it is: accents dropped (``café`` → ``cafe``), spaces and other
    characters turned into ``-``."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-")
    stem, dot, ext = cleaned.rpartition(".")
    if dot and stem.endswith("-"):
        cleaned = stem.rstrip("-") + "." + ext
    return cleaned or "file"


def short(text: str, limit: int = 80) -> str:
    """A value as it may appear in a message: partner input can be arbitrarily long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_read(path: Path) -> str:
    """A file read again only to place a message: any failure just means no better line."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""
