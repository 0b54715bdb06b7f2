"""Publishing: where a build may write, and what a killed build leaves behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.build import clean_stale
from builder.cache import CACHE_DIR
from builder.cli import main
from builder.scaffold import scaffold

ROOT = Path(__file__).resolve().parent.parent
DEAD_PID = 4_194_304 + 4321  # above Linux's pid_max: never a live process


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    scaffold(src)
    return src


def _is_staging(p: Path) -> bool:
    return p.name.startswith(".coursepack-") and p.name != CACHE_DIR


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    "out", ["SRC", "SRC/outline", "SRC/outline/01-x", "SRC/static", "SRC/static/dist", "/", "HOME"]
)
def test_out_folders_that_would_damage_the_source_or_system_are_refused(
    course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    before = _tree(course_dir)
    target = out.replace("SRC", str(course_dir)).replace("HOME", str(home))
    result = CliRunner().invoke(main, ["build", str(course_dir), "-t", "olx", "--out", target])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and (
        "source folder" in result.output or "choose a folder" in result.output
    )
    assert _tree(course_dir) == before
    assert list(home.iterdir()) == []


def test_report_refuses_an_out_folder_inside_the_source(course_dir: Path) -> None:
    before = _tree(course_dir)
    result = CliRunner().invoke(main, ["report", str(course_dir), "--out", str(course_dir / "static")])
    assert result.exit_code == 2
    assert "inside the source folder" in result.output
    assert _tree(course_dir) == before


def test_out_folder_above_the_source_is_allowed(course_dir: Path) -> None:
    before = _tree(course_dir)
    result = CliRunner().invoke(
        main, ["build", str(course_dir), "-t", "olx", "--out", str(course_dir.parent)]
    )
    assert result.exit_code == 0, result.output
    assert _tree(course_dir) == before
    assert (course_dir.parent / "MyOrg-C101-2026_T1.olx.tar.gz").is_file()


def _staging(out: Path, name: str, age: float = 0) -> Path:
    folder = out / name
    folder.mkdir(parents=True)
    (folder / "half.zip.part").write_bytes(b"PK")
    if age:
        old = time.time() - age
        os.utime(folder, (old, old))
    return folder


def test_stale_staging_folders_are_removed_but_not_busy_or_foreign_ones(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    dead = _staging(out, f".coursepack-{DEAD_PID}-abc123")
    (dead / ".lock").touch()
    legacy_old = _staging(out, ".coursepack-k3j_x9", age=2 * 3600)
    legacy_new = _staging(out, ".coursepack-q8w_z1")
    mine = _staging(out, f".coursepack-{os.getpid()}-live01")
    busy = _staging(out, f".coursepack-{DEAD_PID}-busy01")  # pid unknown here (another container)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(busy / '.lock')!r}, os.O_CREAT | os.O_RDWR)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        foreign = [out / ".coursepack.keep", out / "coursepack-1-abc"]
        for path in foreign:
            path.mkdir()
        (out / ".coursepack-77-file").write_text("not a folder")
        removed = clean_stale(out)
        assert sorted(removed) == sorted([dead, legacy_old])
        for kept in [legacy_new, mine, busy, *foreign, out / ".coursepack-77-file"]:
            assert kept.exists(), kept
    finally:
        holder.kill()
        holder.wait()
    assert clean_stale(out) == [busy]  # once its build is gone


def test_the_next_build_cleans_a_stale_staging_folder(course_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    _staging(out, f".coursepack-{DEAD_PID}-abc123")
    result = CliRunner().invoke(main, ["build", str(course_dir), "-t", "olx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir() if p.name != CACHE_DIR] == ["MyOrg-C101-2026_T1.olx.tar.gz"]


@pytest.mark.slow
def test_a_build_killed_mid_way_is_cleaned_up_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "builder.cli", "-q", "build", str(ROOT / "course_src"), "-o", str(out)]
    for _attempt in range(5):
        proc = subprocess.Popen(argv, env=env, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            if out.is_dir() and any(_is_staging(p) for p in out.iterdir()):
                break
            time.sleep(0.005)
        killed = proc.poll() is None
        if killed:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()  # reap it: a zombie's pid still answers kill(pid, 0)
        if killed and any(_is_staging(p) for p in out.iterdir()):
            break
    else:
        pytest.skip("the build finished before it could be killed")
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    names = [p.name for p in out.iterdir() if p.name != CACHE_DIR]
    assert not [n for n in names if n.startswith(".")], names
    assert any(n.endswith(".scorm2004.zip") for n in names)
