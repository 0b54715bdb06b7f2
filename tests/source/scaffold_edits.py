"""Break one thing in a fresh scaffold course and read what the reader says about it.

The reader's error tests all start from ``coursepack new``'s course, edit one line, and assert on
the finding an author would see; these helpers are that shared start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.diagnostics import Diagnostic, SourceErrors
from builder.source import load_course

UNIT = "outline/01-getting-started/01-first-steps/01-welcome.md"
SUBSECTION = "outline/01-getting-started/01-first-steps/subsection.yaml"
SECTION = "outline/01-getting-started/section.yaml"
COMPETENCES = "competences.yaml"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the first ``old`` in ``rel``; fail loudly if the scaffold no longer has it."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture drifted: {old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(root: Path, rel: str, needle: str) -> int:
    for i, line in enumerate((root / rel).read_text(encoding="utf-8").split("\n"), start=1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {rel}")


def errors(root: Path) -> list[Diagnostic]:
    """Every finding of a load that must fail."""
    with pytest.raises(SourceErrors) as exc:
        load_course(root)
    return exc.value.diagnostics
