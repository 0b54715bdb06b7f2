"""``course.yaml`` and what it names directly: the overview page and the course image."""

from __future__ import annotations

from dataclasses import dataclass

from builder.model import Asset
from builder.render import markdown
from builder.source.context import ReadContext
from builder.source.files import read_text, safe_path
from builder.source.parse import parse_with_positions, top_lines
from builder.source.schema import CourseFile
from builder.source.static import asset, link_resolver

FILE = "course.yaml"


@dataclass
class CourseMeta:
    meta: CourseFile | None
    lines: dict[str, int]
    """Line of each top-level key of course.yaml, for messages about values that passed the schema."""


def load_course_file(ctx: ReadContext) -> CourseMeta:
    text = read_text(ctx, ctx.root / FILE)
    if text is None:
        return CourseMeta(None, {})
    meta, doc = parse_with_positions(ctx, CourseFile, text, FILE)
    return CourseMeta(meta, top_lines(doc))


def load_overview(ctx: ReadContext, cm: CourseMeta) -> str:
    """The overview page rendered to HTML ("" when it cannot be read: the finding is recorded)."""
    if cm.meta is None:
        return ""
    ov = safe_path(ctx, cm.meta.overview, FILE, cm.lines.get("overview"), "overview")
    if ov is None or (text := read_text(ctx, ov)) is None:
        return ""
    return markdown.render(text, link_resolver(ctx, ov))


def load_image(ctx: ReadContext, cm: CourseMeta) -> Asset | None:
    if cm.meta is None:
        return None
    return asset(ctx, cm.meta.image, FILE, cm.lines.get("image"), "course image")
