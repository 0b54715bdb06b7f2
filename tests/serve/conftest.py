"""Fixtures for the preview tests: a private copy of the sample course that tests may edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_SRC

UNIT = Path("outline/01-digital-strategy/01-why-digital-strategy/02-what-is-digital-strategy.md")
"""A unit with a dropdown problem, a video and outcomes: edited by the live-reload tests."""
UNIT_ID = "u-what-is-digital-strategy"


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "course_src"
    shutil.copytree(SAMPLE_SRC, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
