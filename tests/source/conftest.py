"""The reader's tests start from a fresh scaffold course (see ``scaffold_edits``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.scaffold import scaffold


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "course_src"
    scaffold(root)
    return root
