"""Links between units resolve to the linked unit's id in the model (``/unit/<id>``), from prose,
problems and the overview, in files read serially or by worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.model import Html
from builder.scaffold import scaffold
from builder.source import load_course
from builder.source import loader as loader_module

SUBDIR = "outline/01-getting-started/01-first-steps"
UNIT = f"{SUBDIR}/01-welcome.md"


def linked_course(root: Path) -> Path:
    """The scaffold with a second unit beside the first and a unit in a second section."""
    scaffold(root)
    (root / SUBDIR / "02-hazards.md").write_text(
        "---\nid: u-hazards\ntitle: Hazards\n---\nBack to [the start](01-welcome.md).\n", encoding="utf-8"
    )
    other = root / "outline/02-more/01-other"
    other.mkdir(parents=True)
    (root / "outline/02-more/section.yaml").write_text("id: s-more\ntitle: More\n", encoding="utf-8")
    (other / "subsection.yaml").write_text("id: ss-other\ntitle: Other\n", encoding="utf-8")
    (other / "01-extra.md").write_text("---\nid: u-extra\ntitle: Extra\n---\nThe end.\n", encoding="utf-8")
    unit = root / UNIT
    text = unit.read_text(encoding="utf-8")
    text = text.replace("prompt: How many", "prompt: (see [hazards](02-hazards.md)) How many")
    text += "\nRead [the hazards](02-hazards.md#risks) and [more](../../02-more/01-other/01-extra.md).\n"
    unit.write_text(text, encoding="utf-8")
    overview = root / "overview.md"
    overview.write_text(
        overview.read_text(encoding="utf-8")
        + "\nStart [here](outline/01-getting-started/01-first-steps/01-welcome.md).\n",
        encoding="utf-8",
    )
    return root


def test_links_resolve_to_unit_ids(tmp_path: Path) -> None:
    course = load_course(linked_course(tmp_path / "src"))
    welcome, hazards, _ = course.units()
    prose = welcome.components[-1]
    assert isinstance(prose, Html)
    assert '<a href="/unit/u-hazards#risks">the hazards</a>' in prose.html
    assert '<a href="/unit/u-extra">more</a>' in prose.html
    assert '<a href="/unit/u-hazards">hazards</a>' in welcome.problems[0].prompt_html
    assert '<a href="/unit/u-welcome">the start</a>' in hazards.components[0].html  # type: ignore[union-attr]
    assert '<a href="/unit/u-welcome">here</a>' in course.overview_html


def test_links_resolve_when_units_load_in_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader_module, "PARALLEL_UNITS", 1)
    monkeypatch.setattr(loader_module.os, "cpu_count", lambda: 2)
    course = load_course(linked_course(tmp_path / "src"))
    assert '<a href="/unit/u-extra">more</a>' in course.units()[0].components[-1].html  # type: ignore[union-attr]
