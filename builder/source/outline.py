"""``outline/``: sections and subsections as numbered folders, units as numbered ``.md`` files.

The outline is read in two passes so that unit files, most of the load time, can be read in
parallel by the caller: ``plan_outline`` reads the shape and the folder metadata,
``assemble_outline`` builds the sections from the units once they are loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from builder.model import Section, Subsection, Unit
from builder.source.context import ReadContext, is_utf8_name
from builder.source.files import IGNORED_FILES, read_text, refuse_symlink
from builder.source.parse import parse
from builder.source.schema import SectionFile, SubsectionFile
from builder.source.session_plans import FILE as SESSION_FILE
from builder.source.session_plans import read_session_plan

S = TypeVar("S", bound=BaseModel)

ORDER_PREFIX = re.compile(r"^(\d+)-")

SubPlan = tuple[Path, SubsectionFile | None, list[Path]]
SectionPlan = tuple[Path, SectionFile | None, list[SubPlan]]


def ordered(ctx: ReadContext, folder: Path, want_dirs: bool) -> list[Path]:
    """The entries of ``folder`` in their numeric order, refusing anything that has no place."""
    items: list[tuple[int, str, Path]] = []
    # os.scandir: each entry knows its kind without a stat (2,000 unit files per load).
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        name = entry.name
        if IGNORED_FILES.match(name):
            continue
        if name in ("section.yaml", "subsection.yaml", SESSION_FILE):
            continue
        child = folder / name
        if entry.is_symlink():
            refuse_symlink(ctx, ctx.rel(child))
            continue
        if not is_utf8_name(name):
            ctx.error(ctx.rel(child), None, "file name is not valid UTF-8", "rename it", code="encoding")
            continue
        m = ORDER_PREFIX.match(name)
        is_md_file = entry.is_file() and name.endswith(".md") and child.suffix == ".md"
        is_wanted = entry.is_dir() if want_dirs else is_md_file
        if not is_wanted and want_dirs and is_md_file:
            _misplaced_unit(ctx, ctx.rel(child), folder)
            continue
        if not is_wanted:
            expected = "a folder" if want_dirs else "a unit file ending in .md"
            ctx.error(
                ctx.rel(child),
                None,
                f"unexpected {'folder' if entry.is_dir() else 'file'} here, expected {expected}",
                "move or remove it",
                code="unexpected-entry",
            )
            continue
        if not m:
            ctx.error(
                ctx.rel(child),
                None,
                "name has no numeric order prefix",
                f"rename it like `01-{child.name}` to place it in the outline",
                code="no-prefix",
            )
            continue
        items.append((int(m.group(1)), child.name, child))
    seen: dict[int, str] = {}
    for num, name, child in sorted(items):
        if num in seen:
            ctx.error(
                ctx.rel(child),
                None,
                f"order prefix {num} is also used by `{seen[num]}`",
                "give each entry its own number",
                code="duplicate-prefix",
            )
        seen.setdefault(num, name)
    return [c for _, _, c in sorted(items)]


def _misplaced_unit(ctx: ReadContext, rel: str, folder: Path) -> None:
    """A unit file one level too high: say where units go, with this section's real folder name."""
    if folder == ctx.root / "outline":
        where, hint = "the outline folder", "units go in outline/NN-section/NN-subsection/NN-unit.md"
    else:
        where = "a section folder"
        hint = f"units go in a subsection folder: {ctx.rel(folder)}/NN-subsection/NN-unit.md"
    ctx.error(rel, None, f"a unit file directly in {where} is not read", hint, code="misplaced-unit")


def load_meta(ctx: ReadContext, folder: Path, name: str, schema: type[S]) -> S | None:
    path = folder / name
    if not path.exists():
        ctx.error(
            ctx.rel(folder),
            None,
            f"missing {name}",
            f"add {name} with at least `id:` and `title:`",
            code="missing-file",
        )
        return None
    text = read_text(ctx, path)
    return None if text is None else parse(ctx, schema, text, ctx.rel(path))


def plan_outline(ctx: ReadContext) -> list[SectionPlan] | None:
    """Pass 1: the outline's shape and metadata; None when there is no outline at all."""
    outline = ctx.root / "outline"
    if not outline.is_dir():
        ctx.error(
            "outline",
            None,
            "missing outline/ folder",
            "create outline/01-<section>/01-<subsection>/01-<unit>.md",
            code="missing-file",
        )
        return None
    plan: list[SectionPlan] = []
    for sdir in ordered(ctx, outline, want_dirs=True):
        meta = load_meta(ctx, sdir, "section.yaml", SectionFile)
        subs: list[SubPlan] = []
        for ssdir in ordered(ctx, sdir, want_dirs=True):
            ssmeta = load_meta(ctx, ssdir, "subsection.yaml", SubsectionFile)
            subs.append((ssdir, ssmeta, ordered(ctx, ssdir, want_dirs=False)))
        plan.append((sdir, meta, subs))
    return plan


def unit_files(plan: list[SectionPlan]) -> list[Path]:
    return [f for _, _, subs in plan for _, _, files in subs for f in files]


def assemble_outline(
    ctx: ReadContext, plan: list[SectionPlan], loaded: Callable[[Path], Unit | None]
) -> list[Section]:
    """Pass 3: sections in outline order from the loaded units."""
    sections = []
    for sdir, meta, subs in plan:
        subsections = []
        for ssdir, ssmeta, files in subs:
            units = [u for f in files if (u := loaded(f))]
            if ssmeta:
                ctx.positions[ssmeta.id] = (ctx.rel(ssdir / "subsection.yaml"), 1)
                if not files:  # a unit that failed to load has its own error
                    ctx.error(
                        ctx.rel(ssdir),
                        None,
                        "subsection has no units",
                        "add at least one NN-unit.md",
                        code="empty",
                    )
                subsections.append(
                    Subsection(
                        id=ssmeta.id,
                        title=ssmeta.title,
                        graded=bool(ssmeta.format),
                        format=ssmeta.format,
                        due=ssmeta.due,
                        units=units,
                        session_plan=read_session_plan(ctx, ssdir),
                    )
                )
        if meta:
            ctx.positions[meta.id] = (ctx.rel(sdir / "section.yaml"), 1)
            if not subsections:
                ctx.error(
                    ctx.rel(sdir),
                    None,
                    "section has no subsections",
                    "add a folder 01-<subsection> with subsection.yaml",
                    code="empty",
                )
            sections.append(Section(id=meta.id, title=meta.title, subsections=subsections))
    if not sections and not ctx.diags:
        ctx.error(
            "outline",
            None,
            "the outline is empty",
            "add a section folder such as 01-introduction",
            code="empty",
        )
    return sections
