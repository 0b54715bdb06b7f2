"""Large courses read their unit files in worker processes; the result must not depend on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import builder.source.loader as loader
from builder.diagnostics import SourceErrors
from builder.source import load_course

SAMPLE = Path(__file__).resolve().parents[2] / "course_src"


def _load(root: Path, parallel: bool, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(loader, "PARALLEL_UNITS", 1 if parallel else 10**9)
    monkeypatch.setattr(loader.os, "cpu_count", lambda: 3)  # three chunks even on a two-core machine
    try:
        return load_course(root)
    except SourceErrors as exc:
        return [str(d) for d in exc.diagnostics]


def test_parallel_load_gives_the_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    serial = _load(SAMPLE, False, monkeypatch)
    parallel = _load(SAMPLE, True, monkeypatch)
    assert parallel.model_dump() == serial.model_dump()
    assert parallel.positions == serial.positions


def test_parallel_load_reports_the_same_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "c"
    shutil.copytree(SAMPLE, root)
    units = sorted((root / "outline").rglob("*.md"))
    for unit in (units[0], units[len(units) // 2], units[-1]):  # one per worker chunk
        unit.write_text(unit.read_text().replace("title:", "titel:", 1))
    serial = _load(root, False, monkeypatch)
    parallel = _load(root, True, monkeypatch)
    assert isinstance(serial, list) and len(serial) >= 3
    assert parallel == serial
