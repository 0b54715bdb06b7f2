"""Writers: each target turns the course model into outputs, never re-reading the source.

Every target module exposes the same function::

    def render(course: Course, options: BuildOptions) -> list[Output]

An ``Output`` is an archive (name, format, members) or a single file. Its members are a
``builder.archive.Members``: while the pipeline renders, each member's bytes go to a scratch file
on disk as the target sets them, so a package's memory does not grow with the course.
``builder.build`` writes the outputs atomically, runs targets in parallel processes, and
``coursepack check`` validates the same outputs, so what is checked is exactly what is shipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

from builder.archive import Member, Members
from builder.model import Course

TARGETS: tuple[str, ...] = (
    "olx", "scorm12", "scorm2004", "cmi5", "competences", "moodle-questions", "handbook",
)
"""In build order; ``all`` means every one of them."""


@dataclass(frozen=True)
class BuildOptions:
    scorm_edition: Literal["3rd", "4th"] = "4th"
    sco: Literal["unit", "course"] = "unit"
    """One SCO per unit, or one SCO for the whole course (for LMSs with weak multi-SCO players)."""
    split: Literal["course", "section"] = "course"
    """One SCORM package for the course, or one per section."""
    map_info: bool = False
    """Emit imsss:mapInfo on SCORM 2004 objectives (breaks Moodle 4.5 uploads on PHP 8)."""


@dataclass
class Output:
    filename: str
    """File name inside the output folder, e.g. ``eLead-HTL101-2026_T1.olx.tar.gz``."""
    format: Literal["tar.gz", "zip", "file"]
    members: MutableMapping[str, Member] = field(default_factory=Members)
    """Archive members by path; for ``file``, exactly one member named like ``filename``.
    Targets fill a ``Members`` (spilled to disk during a build); a plain dict also works."""
    summary: str = ""
    """A few words for the build's one-line report, e.g. ``32 units``."""


Renderer = Callable[[Course, BuildOptions], list[Output]]


def _module(name: str) -> Any:
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)} or all")
    # Target names may hold a hyphen (``moodle-questions``); module names cannot.
    return importlib.import_module(f"builder.targets.{name.replace('-', '_')}")


def renderer(name: str) -> Renderer:
    return _module(name).render  # type: ignore[no-any-return]


def prepare(names: Iterable[str], course: Course, options: BuildOptions) -> None:
    """Before worker processes fork: import the targets' modules and let each compute what several
    targets read and remember per process (a module's optional ``prepare(course, options)``).
    Forked workers inherit both; each imported and computed them again (at 2,000 units ~0.1 s CPU
    of a one-unit edit). Changes no output: it only fills memos the targets fill anyway."""
    for name in names:
        prep = getattr(_module(name), "prepare", None)
        if prep is not None:
            prep(course, options)
