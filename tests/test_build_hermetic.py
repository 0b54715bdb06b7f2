"""A build's bytes follow from the commit alone: not from PATH tools, caches, HOME or ../shared.

The same source is built twice: once from this checkout with the developer's environment (npm on
PATH, a warm ~/.cache, maybe a ../shared folder beside it), and once from a copy of the repository
in a bare temporary folder, with PATH cut down to Python's own bin folder and empty HOME and
XDG_CACHE_HOME. Every file in both dist/ folders must have the same sha256, and the SCORM packages
must carry their control documents in both.

SOURCE_DATE_EPOCH is fixed for both builds: the archive timestamp is the commit time, which a copy
without .git cannot know; that input is covered by tests/test_reproducible.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
COPIED = ("builder", "course_src", *sorted(p.name for p in ROOT.glob("*_templates")))
"""The package and every template folder beside it (a new target's templates come along)."""


def _build(cwd: Path, out: Path, env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "builder.cli", "--quiet", "build", "course_src", "--out", str(out)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"build in {cwd} failed:\n{done.stdout}\n{done.stderr}"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.mark.slow
def test_same_bytes_without_npm_cache_home_or_shared(tmp_path: Path) -> None:
    usual = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(ROOT)}
    first = _build(ROOT, tmp_path / "dist-usual", usual)

    bare = tmp_path / "bare" / "coursepack"  # nothing beside it: no ../shared
    for name in COPIED:
        shutil.copytree(ROOT / name, bare / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "home").mkdir()
    (tmp_path / "cache").mkdir()
    stripped = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONPATH": str(bare),
        "SOURCE_DATE_EPOCH": EPOCH,
        "LANG": "C.UTF-8",
    }
    assert shutil.which("npm", path=stripped["PATH"]) is None
    second = _build(bare, tmp_path / "dist-bare", stripped)

    assert first == second
    assert list((tmp_path / "home").iterdir()) == [] and list((tmp_path / "cache").iterdir()) == []
    for name in first:
        if name.endswith((".scorm12.zip", ".scorm2004.zip")):
            with zipfile.ZipFile(tmp_path / "dist-bare" / name) as zf:
                root_files = [n for n in zf.namelist() if "/" not in n]
            assert "imscp_rootv1p1p2.xsd" in root_files or "imscp_v1p1.xsd" in root_files, name


def test_a_checkout_without_git_on_path_is_refused_not_dated_1980(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without git the commit time is unknown; falling back would change every archive's bytes."""
    from click.testing import CliRunner

    from builder import archive
    from builder.cli import main
    from builder.scaffold import scaffold

    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    src = tmp_path / "repo" / "course"
    scaffold(src)
    assert archive.source_epoch(src) == archive.FALLBACK_EPOCH  # an export: no commit to follow

    (tmp_path / "repo" / ".git").mkdir()
    with pytest.raises(archive.EpochError, match=r"git is not on PATH.*SOURCE_DATE_EPOCH"):
        archive.source_epoch(src)
    result = CliRunner().invoke(main, ["build", str(src), "-o", str(tmp_path / "dist")])
    assert result.exit_code == 2
    assert "set SOURCE_DATE_EPOCH" in result.output
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert archive.source_epoch(src) == int(EPOCH)
