"""Shared fixtures: the sample course loaded once, and a headless Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.model import Course

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SRC = ROOT / "course_src"
ARTIFACTS = ROOT / "tests" / "artifacts"
"""Screenshots and other files a person may want to look at after a run (git-ignored)."""

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def sample_course() -> Course:
    from builder.source import load_course

    return load_course(SAMPLE_SRC)


SAMPLE_EPOCH = "1700000000"
"""The source date the cache tests build with: the same every run, so builds compare byte for byte."""


@pytest.fixture
def sample_src(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample course that a test may edit, built at ``SAMPLE_EPOCH``."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
    folder = tmp_path / "src"
    shutil.copytree(SAMPLE_SRC, folder)
    return folder


@pytest.fixture
def src(sample_src: Path) -> Path:
    """The course a test edits: the sample course, unless a folder's conftest chooses another
    (``tests/source``: a fresh scaffold)."""
    return sample_src


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A Playwright Chromium browser using the system's Debian chromium (no browser download)."""
    exe = chromium_path()
    if not exe:
        pytest.skip("chromium is not installed (apt-get install chromium); scripts/test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ``max_workers`` of every process pool the pipeline and the spare process open, in order
    (the pools still fork: only their sizes are recorded)."""
    import concurrent.futures

    from builder import pipeline, spare

    sizes: list[int] = []

    class CountingPool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs):  # type: ignore[no-untyped-def]
            sizes.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(spare, "ProcessPoolExecutor", CountingPool)
    return sizes
