"""Each unit keeps where it is defined, so later checks (outcomes, uniqueness) can point there."""

from __future__ import annotations

from pathlib import Path

from builder.scaffold import scaffold
from builder.source import load_course

UNIT = "outline/01-getting-started/01-first-steps/01-welcome.md"


def test_unit_position_is_the_line_of_its_id(tmp_path: Path) -> None:
    root = tmp_path / "c"
    scaffold(root)
    path = root / UNIT
    path.write_text(path.read_text().replace("---\nid: u-welcome", "---\n# a comment\n\nid: u-welcome", 1))
    course = load_course(root)
    unit = course.units()[0]
    assert unit.source == UNIT
    assert course.positions[unit.id] == (UNIT, 4)
    assert course.positions[unit.problems[0].id] == (UNIT, unit.problems[0].line)
