"""Fenced blocks in a unit's Markdown that are components, not code: ```problem, ```video, ….

``COMPONENTS`` is the one registry of fenced component names: the unit reader cuts the Markdown
at these names, and the near-miss check refuses fences that look like one. A new kind of block is
one reader function added with ``register_component``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from builder.model import Choice, Problem, Transcript, Video
from builder.render import markdown
from builder.source.context import ReadContext
from builder.source.parse import parse
from builder.source.schema import ProblemBlock, VideoBlock
from builder.source.static import asset, link_resolver


@dataclass(frozen=True)
class FencedBlock:
    """One fenced component block as found in a unit file."""

    content: str
    """The block's body: YAML."""
    file: str
    """The unit file, relative to the source root."""
    line: int
    """1-based line of the opening fence in ``file``."""
    md_file: Path
    """The unit file itself, for resolving relative links in the block's Markdown."""


ComponentReader = Callable[[ReadContext, FencedBlock], object | None]
"""Reads one block into a model component, reporting through ``ctx``; None when it has errors."""

COMPONENTS: dict[str, ComponentReader] = {}
"""Fence info word → reader. Exact, lower-case names; anything close to one is refused."""


def register_component(name: str, reader: ComponentReader) -> None:
    """Make ```name a component fence read by ``reader``."""
    if name in COMPONENTS and COMPONENTS[name] is not reader:
        raise ValueError(f"component `{name}` is already registered")
    COMPONENTS[name] = reader


def component_names() -> frozenset[str]:
    return frozenset(COMPONENTS)


NEAR_MISS_CUTOFF = 0.75
"""``problme``, ``Problem``, ``problems``, ``vidoe`` are refused; ``python``, ``prolog``, ``yaml``
and ``vim`` stay code blocks."""


def near_miss(word: str) -> str | None:
    """The component a fence's info word was probably meant to name, if it is not one itself.

    A misspelt ```problem fence would otherwise be shipped as a code block, showing learners the
    problem's YAML, answers included.
    """
    if not word or word in COMPONENTS:
        return None
    cand = word.lower().strip("{}.:=`~")
    if cand in COMPONENTS:
        return cand
    match = difflib.get_close_matches(cand, list(COMPONENTS), n=1, cutoff=NEAR_MISS_CUTOFF)
    return match[0] if match else None


def read_problem(ctx: ReadContext, fb: FencedBlock) -> Problem | None:
    block = parse(ctx, ProblemBlock, fb.content, fb.file, line_offset=fb.line)
    if block is None:
        return None
    ctx.positions[block.id] = (fb.file, fb.line)
    resolve = link_resolver(ctx, fb.md_file)
    line = fb.line

    def md(text: str) -> str:
        return markdown.render(text, resolve, line)

    def inline(text: str) -> str:
        return markdown.render_inline(text, resolve, line)

    return Problem(
        id=block.id,
        type=block.type,
        title=block.title,
        prompt_md=block.prompt,
        prompt_html=md(block.prompt),
        choices=[
            Choice(
                text_md=c.text,
                text_html=inline(c.text),
                correct=c.correct,
                feedback_md=c.feedback,
                feedback_html=inline(c.feedback),
            )
            for c in block.choices
        ],
        answer=block.answer,
        tolerance=str(block.tolerance),
        answers=[a.strip() for a in block.answers],
        case_sensitive=block.case_sensitive,
        hints_md=block.hints,
        hints_html=[md(h) for h in block.hints],
        explanation_md=block.explanation,
        explanation_html=md(block.explanation),
        max_attempts=block.max_attempts,
        weight=block.weight,
        assesses=block.assesses,
        line=line,
    )


def read_video(ctx: ReadContext, fb: FencedBlock) -> Video | None:
    block = parse(ctx, VideoBlock, fb.content, fb.file, line_offset=fb.line)
    if block is None:
        return None
    file, line = fb.file, fb.line
    ctx.positions[block.id] = (file, line)
    transcripts = []
    for lang, raw in sorted(block.transcripts.items()):
        found = asset(ctx, raw, file, line, f"transcript `{lang}`")
        if found and not found.rel_path.endswith(".srt"):
            ctx.error(
                file,
                line,
                f"transcript `{raw}` is not an .srt file",
                "Open edX reads SubRip (.srt)",
                code="bad-transcript",
            )
        elif found:
            transcripts.append(Transcript(language=lang, asset=found))
    return Video(
        id=block.id,
        title=block.title,
        youtube_id=block.youtube,
        mp4_url=block.mp4,
        transcripts=transcripts,
        start=block.start,
        end=block.end,
        line=line,
    )


register_component("problem", read_problem)
register_component("video", read_video)
