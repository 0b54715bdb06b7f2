"""Files of the source tree: reading text, and paths written by authors that must stay inside it.

A course source may come from a partner, and the machine that builds it has other files: no path
may escape the source root, no symbolic link is followed, and every unreadable file becomes a
finding instead of a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from builder.source.context import ReadContext
from builder.source.text import MAX_SOURCE_BYTES, describe, first_invalid_char, line_col

IGNORED_FILES = re.compile(r"^(\._.*|\.DS_Store|.*~|\..*)$")
"""Hidden files, macOS forks and editor backups: Open edX skips them too."""


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
            data = f.read(MAX_SOURCE_BYTES + 1)
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
    try:
        text = data.decode("utf-8-sig")  # editors on Windows may add a BOM
    except UnicodeDecodeError as exc:
        ctx.error(rel, None, f"not valid UTF-8 (byte {exc.start})", "save the file as UTF-8", code="encoding")
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


def inside(ctx: ReadContext, path: Path) -> bool:
    try:
        path.resolve().relative_to(ctx.real_root)
        return True
    except ValueError:
        return False


def did_you_mean_file(ctx: ReadContext, raw: str) -> str:
    import difflib

    # difflib is quadratic: a suggestion for a path longer than any real one is not worth it
    match = difflib.get_close_matches(raw, list(ctx.assets), n=1) if len(raw) <= 300 else []
    return f"did you mean `{match[0]}`?" if match else "check the spelling and that the file is committed"


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


def short(text: str, limit: int = 80) -> str:
    """A value as it may appear in a message: partner input can be arbitrarily long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_read(path: Path) -> str:
    """A file read again only to place a message: any failure just means no better line."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""
