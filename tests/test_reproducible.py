"""Two builds from two fresh clones must give byte-identical artefacts.

Release pipelines publish sha256 sums; a fresh clone resets every mtime and may lay files down in
another order, so this clones the repository twice (different checkout times, a different umask)
and builds every target in each with the clone's own code.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _clone(dest: Path) -> None:
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(dest)], check=True)


def _build(clone: Path, umask: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(clone)
    old = os.umask(umask)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "builder.cli",
                "--quiet",
                "build",
                "course_src",
                "--target",
                "all",
                "--out",
                "dist",
            ],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        os.umask(old)
    assert done.returncode == 0, f"build in {clone} failed:\n{done.stdout}\n{done.stderr}"
    files = sorted(p for p in (clone / "dist").iterdir() if p.is_file() and not p.name.startswith("."))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.slow
def test_two_fresh_clones_build_identical_artefacts(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    if subprocess.run(
        [
            "git",
            "status",
            "--porcelain",
            "course_src",
            "builder",
            "olx_templates",
            "scorm_templates",
            "handbook_templates",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip():
        pytest.skip("uncommitted changes: a clone would not build what the working tree holds")
    _clone(tmp_path / "a")
    time.sleep(1.1)  # different checkout mtimes for every file
    _clone(tmp_path / "b")
    first = _build(tmp_path / "a", 0o022)
    second = _build(tmp_path / "b", 0o077)
    assert first, "the build wrote nothing"
    kinds = {name.split(".", 1)[1] for name in first}
    expected = {"olx.tar.gz", "scorm12.zip", "scorm2004.zip", "cmi5.zip", "handbook.pdf", "handbook.html"}
    assert expected <= kinds
    assert first == second
