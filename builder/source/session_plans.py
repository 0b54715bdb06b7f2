"""``session.yaml`` beside ``subsection.yaml``: how a trainer runs that subsection.

Only the trainer's handbook reads session plans. Their rules are checked here, with the line of
the offending value: the activities' minutes add up to the stated duration, and every outcome an
activity serves exists in the competence map. (Whether every subsection has a plan is a warning
of ``coursepack check``, see ``builder.validate.handbook``.)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints

from builder.model import Activity, DeliveryMode, SessionPlan, Subsection
from builder.render import markdown
from builder.source.context import ReadContext
from builder.source.files import read_text
from builder.source.parse import parse_with_positions
from builder.source.schema import Strict
from builder.source.static import link_resolver

FILE = "session.yaml"

Text = Annotated[str, StringConstraints(min_length=1)]


class ActivityBlock(Strict):
    minutes: int = Field(gt=0, le=24 * 60)
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    trainer: str = ""
    """What the trainer does (Markdown)."""
    learners: str = ""
    """What the learners do (Markdown)."""
    outcomes: list[str] = Field(default_factory=list)


class SessionFile(Strict):
    duration: int = Field(gt=0, le=24 * 60)
    """Minutes."""
    mode: DeliveryMode
    preparation: str = ""
    materials: list[Text] = Field(default_factory=list)
    activities: list[ActivityBlock] = Field(min_length=1)


def read_session_plan(ctx: ReadContext, folder: Path) -> SessionPlan | None:
    """The plan in ``folder/session.yaml``, None when there is none or it has errors (reported)."""
    path = folder / FILE
    if not path.exists() and not path.is_symlink():
        return None
    file = ctx.rel(path)
    text = read_text(ctx, path)
    if text is None:
        return None
    block, doc = parse_with_positions(ctx, SessionFile, text, file)
    if block is None or doc is None:
        return None
    resolve = link_resolver(ctx, path)
    total = sum(a.minutes for a in block.activities)
    if total != block.duration:
        line, col = doc.position(("duration",))
        parts = " + ".join(str(a.minutes) for a in block.activities)
        ctx.error(
            file,
            line,
            f"the activities last {parts} = {total} minutes, but `duration` is {block.duration}",
            f"make the activities' minutes add up to {block.duration}, or set `duration: {total}`",
            col,
            code="session-minutes",
        )

    def md(text: str, key: tuple[str | int, ...]) -> str:
        return markdown.render(text, resolve, doc.position(key)[0] - 1) if text else ""

    activities = [
        Activity(
            minutes=a.minutes,
            title=a.title,
            trainer_md=a.trainer,
            trainer_html=md(a.trainer, ("activities", i, "trainer")),
            learners_md=a.learners,
            learners_html=md(a.learners, ("activities", i, "learners")),
            outcomes=a.outcomes,
            line=doc.position(("activities", i))[0],
        )
        for i, a in enumerate(block.activities)
    ]
    return SessionPlan(
        duration=block.duration,
        mode=block.mode,
        preparation_md=block.preparation,
        preparation_html=md(block.preparation, ("preparation",)),
        materials_html=[
            markdown.render_inline(m, resolve, doc.position(("materials", i))[0] - 1)
            for i, m in enumerate(block.materials)
        ],
        activities=activities,
        source=file,
    )


def check_outcomes(ctx: ReadContext, subsections: Iterable[Subsection], known: set[str]) -> None:
    """Every outcome an activity serves is in the competence map (error at the activity's line)."""
    candidates = sorted(known)
    for ss in subsections:
        plan = ss.session_plan
        if plan is None:
            continue
        for act in plan.activities:
            for oid in act.outcomes:
                if oid in known:
                    continue
                match = difflib.get_close_matches(oid, candidates, n=1, cutoff=0.6)
                ctx.error(
                    plan.source,
                    act.line,
                    f"activity `{act.title}` serves `{oid}`, which is not an outcome in the competence map",
                    f"did you mean `{match[0]}`?" if match else "fix the id or add the outcome to the map",
                    code="unknown-outcome",
                )
