"""``handbook/``: the trainer's handbook's own chapters, listed in ``handbook/index.yaml``.

Front matter (approach, delivery, assessment, SMEs…) comes before the course chapters, back
matter (glossary, annexes) after them. Chapter files are plain Markdown in ``handbook/`` itself,
named in the index by file name only, so no path can leave the folder; a Markdown file the index
does not list is an error, because it would silently be missing from the book.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints

from builder.model import Handbook, HandbookChapter
from builder.render import markdown
from builder.source.context import ReadContext
from builder.source.files import read_text
from builder.source.parse import parse_with_positions
from builder.source.schema import Strict
from builder.source.static import link_resolver

FOLDER = "handbook"
INDEX = "index.yaml"
CHAPTER_FILE = r"^[A-Za-z0-9][A-Za-z0-9._-]*\.md$"


class ChapterEntry(Strict):
    file: Annotated[str, StringConstraints(pattern=CHAPTER_FILE)]
    """A Markdown file in ``handbook/`` (no folders)."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]


class HandbookIndex(Strict):
    title: str = ""
    """The book's title on its cover; default: "Trainer's handbook" in the course language."""
    front: list[ChapterEntry] = Field(default_factory=list)
    back: list[ChapterEntry] = Field(default_factory=list)


def read_handbook(ctx: ReadContext) -> Handbook | None:
    """The handbook's chapters, or None when the course has no ``handbook/`` folder."""
    folder = ctx.root / FOLDER
    if not folder.is_dir():
        return None
    index_path = folder / INDEX
    index_file = ctx.rel(index_path)
    if not index_path.exists():
        ctx.error(
            ctx.rel(folder),
            None,
            f"missing {INDEX}",
            "add handbook/index.yaml listing the chapters under `front:` and `back:`",
            code="missing-file",
        )
        return None
    text = read_text(ctx, index_path)
    if text is None:
        return None
    index, doc = parse_with_positions(ctx, HandbookIndex, text, index_file)
    if index is None or doc is None:
        return None
    listed: set[str] = set()
    parts: dict[str, list[HandbookChapter]] = {"front": [], "back": []}
    for part, entries in (("front", index.front), ("back", index.back)):
        for i, entry in enumerate(entries):
            line, col = doc.position((part, i, "file"))
            if entry.file in listed:
                ctx.error(
                    index_file,
                    line,
                    f"chapter `{entry.file}` is listed twice",
                    "list it once",
                    col,
                    code="duplicate-id",
                )
                continue
            listed.add(entry.file)
            path = folder / entry.file
            if not path.is_file() and not path.is_symlink():
                ctx.error(
                    index_file,
                    line,
                    f"chapter file handbook/{entry.file} not found",
                    "create it or fix the name",
                    col,
                    code="missing-file",
                )
                continue
            body = read_text(ctx, path)
            if body is None:
                continue
            chapter_id = "hb-" + re.sub(r"[^A-Za-z0-9-]+", "-", entry.file.removesuffix(".md")).strip("-")
            parts[part].append(
                HandbookChapter(
                    id=chapter_id,
                    title=entry.title,
                    html=markdown.render(body, link_resolver(ctx, path)),
                    source=ctx.rel(path),
                )
            )
    for child in sorted(folder.iterdir()):
        if child.suffix == ".md" and child.name not in listed and not child.name.startswith("."):
            ctx.error(
                ctx.rel(child),
                None,
                "chapter is not listed in handbook/index.yaml",
                "add it under `front:` or `back:`, or remove the file",
                code="unlisted-chapter",
            )
    return Handbook(title=index.title, front=parts["front"], back=parts["back"])
