"""```trainer-notes blocks inside units: advice for trainers that learners never see.

A note is a fenced block like ```problem and ```video, so authors keep it beside the content it is
about. Its body is Markdown. The loader hands each such fence here; the result goes to
``Unit.trainer_notes``, which no learner target reads. A fence spelled almost like it (```trainer,
```instructor-notes…) is an error rather than a code block: a misspelt note would otherwise be
shown to learners as code.
"""

from __future__ import annotations

from pathlib import Path

from builder.model import TrainerNote
from builder.render import markdown
from builder.source.reader_api import LoaderApi

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

FENCES = frozenset({FENCE, *NEAR_MISSES})
"""Every fence word this module claims from the unit's Markdown."""


def read_note(
    ld: LoaderApi, kind: str, content: str, file: str, line: int, md_file: Path
) -> TrainerNote | None:
    """Turn one claimed fence into a note, or report a near miss / an empty note at ``file:line``."""
    if kind != FENCE:
        ld.error(
            file,
            line,
            f"unknown block ```{kind}",
            f"trainer notes are written ```{FENCE}; learners would otherwise see this text",
            code="unknown-block",
        )
        return None
    if not content.strip():
        ld.error(
            file,
            line,
            "empty trainer notes",
            "write the advice for trainers, or remove the block",
            code="empty",
        )
        return None
    html = markdown.render(content, ld.link_resolver(md_file), line)
    return TrainerNote(markdown=content, html=html, line=line)
