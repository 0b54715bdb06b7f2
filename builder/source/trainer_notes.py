"""```trainer-notes blocks inside units: advice for trainers that learners never see.

A note is a fenced block like ```problem and ```video, registered in ``blocks.COMPONENTS`` so the
unit reader cuts it out of the prose. Its body is Markdown. The unit reader puts the result in
``Unit.trainer_notes``, never among the components, and no learner target reads that field. Fence
words that mean the same thing but are too far from ``trainer-notes`` for the registry's generic
near-miss check (```trainer, ```instructor-notes…) are registered too, with a reader that reports
them: a misspelt note would otherwise be shown to learners as a code block.
"""

from __future__ import annotations

from collections.abc import Callable

from builder.model import TrainerNote
from builder.render import markdown
from builder.source.blocks import FencedBlock, register_component
from builder.source.context import ReadContext
from builder.source.static import link_resolver

FENCE = "trainer-notes"
NEAR_MISSES = frozenset(
    {
        "trainer",
        "trainer-note",
        "trainer_notes",
        "trainernotes",
        "trainers-notes",
        "trainer-notes:",
        "instructor",
        "instructor-notes",
        "teacher-notes",
        "facilitator-notes",
        "notes",
    }
)
"""Fence words that almost certainly meant ``trainer-notes``."""


def read_note(ctx: ReadContext, fb: FencedBlock) -> TrainerNote | None:
    """One ```trainer-notes block; an empty one is an error at the fence's line."""
    if not fb.content.strip():
        ctx.error(
            fb.file,
            fb.line,
            "empty trainer notes",
            "write the advice for trainers, or remove the block",
            code="empty",
        )
        return None
    html = markdown.render(fb.content, link_resolver(ctx, fb.md_file), fb.line)
    return TrainerNote(markdown=fb.content, html=html, line=fb.line)


def _refuse(word: str) -> Callable[[ReadContext, FencedBlock], None]:
    def reader(ctx: ReadContext, fb: FencedBlock) -> None:
        ctx.error(
            fb.file,
            fb.line,
            f"```{word} is not a component name: learners would see this block as code",
            f"trainer notes are written ```{FENCE}",
            code="unknown-component",
        )

    return reader


register_component(FENCE, read_note)
for _word in sorted(NEAR_MISSES):
    register_component(_word, _refuse(_word))
