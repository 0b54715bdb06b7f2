"""One unit file: YAML front matter, then Markdown prose cut at fenced component blocks.

Prose is rendered once here (links resolved to ``/static/…``); each fenced block named in
``blocks.COMPONENTS`` is read by its registered reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markdown_it.token import Token

from builder.model import Html, TrainerNote, Unit
from builder.render import markdown
from builder.source import rawblocks  # noqa: F401 — registers ```raw-html and ```olx
from builder.source.blocks import COMPONENTS, FencedBlock, component_names, near_miss
from builder.source.context import ReadContext
from builder.source.files import read_text, short
from builder.source.parse import parse_with_positions
from builder.source.schema import UnitFrontMatter
from builder.source.static import link_resolver
from builder.source.trainer_notes import FENCE as _TRAINER_NOTES  # noqa: F401 - registers the fence


def load_unit(ctx: ReadContext, path: Path) -> Unit | None:
    file = ctx.rel(path)
    text = read_text(ctx, path)
    if text is None:
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        ctx.error(
            file,
            1,
            "a unit starts with YAML front matter between `---` lines",
            "begin the file with ---, then id:, title:, outcomes:, then ---",
            code="no-front-matter",
        )
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        ctx.error(
            file,
            1,
            "front matter is not closed",
            "add a line `---` after the front matter",
            code="no-front-matter",
        )
        return None
    front, front_doc = parse_with_positions(
        ctx, UnitFrontMatter, "\n".join(lines[1:end]), file, line_offset=1
    )
    body = "\n".join(lines[end + 1 :])
    body_offset = end + 1
    resolve = link_resolver(ctx, path)
    components: list[Any] = []
    notes: list[TrainerNote] = []
    prose_count = 0
    unit_id = front.id if front else "unit"
    for block in markdown.split_blocks(body, component_names()):
        line = body_offset + block.line
        if block.kind == "prose":
            check_fences(ctx, block.tokens, file, body_offset)
            markdown.rewrite_links(block.tokens, resolve, body_offset)
            html = markdown.render_tokens(block.tokens).strip()
            if not html:
                continue
            prose_count += 1
            source = "".join(t.content for t in block.tokens if t.type == "inline")
            components.append(Html(id=f"{unit_id}-text{prose_count}", markdown=source, html=html))
        else:
            component = COMPONENTS[block.kind](ctx, FencedBlock(block.content, file, line, path))
            if isinstance(component, TrainerNote):  # for the handbook only, never a component
                notes.append(component)
                continue
            if isinstance(component, Html) and not component.id:
                prose_count += 1  # a ```raw-html block is a text block like prose, and numbered with it
                component.id = f"{unit_id}-text{prose_count}"
            if component is not None:
                components.append(component)
    if front is None:
        return None
    ctx.positions[front.id] = (file, front_doc.position(("id",))[0] if front_doc else 2)
    unit = Unit(
        id=front.id,
        title=front.title,
        outcomes=front.outcomes,
        components=components,
        source=file,
        trainer_notes=notes,
    )
    ctx.units_read.append(unit)
    return unit


def check_fences(ctx: ReadContext, tokens: list[Token], file: str, body_offset: int) -> None:
    """Refuse code fences that look like components: learners would see them as code."""
    for tok in tokens:
        word = markdown.fence_word(tok)
        if not word:
            continue
        line = body_offset + (tok.map[0] + 1 if tok.map else 1)
        if word in COMPONENTS:  # not cut out by split_blocks, so it is nested
            ctx.error(
                file,
                line,
                f"a ```{word} block inside a list or a quote is not read as a {word}",
                f"start the ```{word} line at the left margin, outside any list or quote",
                code="nested-component",
            )
        elif (meant := near_miss(word)) is not None:
            ctx.error(
                file,
                line,
                f"```{short(word, 40)} is not a component name: learners would see this block as code",
                f"did you mean `{meant}`? Component names are lower case and exact",
                code="unknown-component",
            )
