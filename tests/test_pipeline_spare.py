"""``builder.spare``: a build of one target uses the core it used to leave idle.

Issue 9: ``coursepack build -t olx`` ran in one process on a 2-core machine, the OLX check's
~20 olxcleaner chapters (~0.7 s of ~1 s at 2,000 units) included. Now, when ``--jobs`` (or the
course's size) allows two processes and the run has only one, those chapters run in a forked
process beside the rules' scan (``olx_shards.Started``). These tests prove that the work really
moves to another process, that findings and files are those of ``-j 1``, that ``-j 1`` and small
courses never fork, that a job failing there fails as in one process, and that a spare process
that dies fails the build.
"""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder import pipeline, spare
from builder.build import build
from builder.cache import CACHE_DIR
from builder.cli import main
from builder.model import Course
from builder.pipeline import run
from builder.targets import BuildOptions
from builder.targets import olx as olx_target
from builder.validate import olx_shards

LOG = "PIPELINE_SPARE_LOG"
real_shard = olx_shards.run_shard


def _logging_shard(folder, the_plan, shard, allowed):  # type: ignore[no-untyped-def]
    with open(os.environ[LOG], "a") as f:
        f.write(f"{os.getpid()} {shard.chapters[0]}\n")
    return real_shard(folder, the_plan, shard, allowed)


def _shard_pids(log: Path) -> dict[int, int]:
    """Which process ran each chapter, from the log."""
    out: dict[int, int] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        pid, chapter = map(int, line.split())
        assert chapter not in out, f"chapter {chapter} ran twice"
        out[chapter] = pid
    return out


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each olxcleaner chapter logs the process it ran in; the sample course (32 units, 6
    chapters) counts as large enough to fork for; workers are forked (so they see the patches:
    see ``test_build_pipeline._forked_workers``)."""
    path = tmp_path / "shards.log"
    monkeypatch.setenv(LOG, str(path))
    monkeypatch.setattr(olx_shards, "run_shard", _logging_shard)
    monkeypatch.setattr(olx_shards, "SPARE_MIN_FILES", 0)
    monkeypatch.setattr(olx_target, "SPARE_MIN_UNITS", 1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_UNITS", 1)
    monkeypatch.setattr(pipeline, "_pool_context", lambda: None)
    monkeypatch.setattr(pipeline, "_cores", lambda: 2)
    return path


@pytest.mark.parametrize("jobs", [None, 2])
def test_a_lone_olx_target_checks_chapters_in_a_second_process_with_the_findings_of_j1(
    sample_course: Course, log: Path, jobs: int | None
) -> None:
    serial = run(sample_course, ["olx"], BuildOptions(), jobs=1)
    assert set(_shard_pids(log).values()) == {os.getpid()}
    log.unlink()
    result = run(sample_course, ["olx"], BuildOptions(), jobs=jobs)
    pids = _shard_pids(log)
    assert sorted(pids) == list(range(6))  # every chapter once
    assert set(pids.values()) - {os.getpid()}, "no chapter ran in another process"
    # (the sample course has no OLX findings: ``test_olx_shards`` compares a corpus of them)
    assert result.diagnostics == serial.diagnostics and result.checks == serial.checks


def test_a_lone_olx_target_renders_units_in_a_second_process_to_the_bytes_of_j1(
    sample_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "_pool_context", lambda: None)
    monkeypatch.setattr(olx_target, "SPARE_MIN_UNITS", 1)
    monkeypatch.setenv(LOG, str(tmp_path / "units.log"))
    real = olx_target._make_unit

    def logging_unit(unit, tagger):  # type: ignore[no-untyped-def]
        with open(os.environ[LOG], "a") as f:
            f.write(f"{os.getpid()} {unit.id}\n")
        return real(unit, tagger)

    monkeypatch.setattr(olx_target, "_make_unit", logging_unit)
    build(sample_course, tmp_path / "one", ["olx"], BuildOptions(), jobs=1, cache=False)
    lines = (tmp_path / "units.log").read_text().split()
    assert set(lines[0::2]) == {str(os.getpid())}
    (tmp_path / "units.log").unlink()
    build(sample_course, tmp_path / "two", ["olx"], BuildOptions(), jobs=2, cache=False)
    lines = (tmp_path / "units.log").read_text().split()
    assert sorted(lines[1::2]) == sorted(u.id for u in sample_course.units())  # each unit once
    assert set(lines[0::2]) - {str(os.getpid())}, "no unit was rendered in another process"
    (built,) = (tmp_path / "one").glob("*.olx.tar.gz")
    assert (tmp_path / "two" / built.name).read_bytes() == built.read_bytes()


def test_j1_and_small_courses_never_fork(
    sample_course: Course, log: Path, monkeypatch: pytest.MonkeyPatch, pools: list[int]
) -> None:
    run(sample_course, ["olx"], BuildOptions(), jobs=2)
    assert pools and set(pools) == {1}  # (the counting works: a spare process beside the lone target)
    pools.clear()
    log.unlink()
    run(sample_course, ["olx"], BuildOptions(), jobs=1)
    assert pools == []
    assert set(_shard_pids(log).values()) == {os.getpid()}
    log.unlink()
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_UNITS", 100)  # the real threshold: 32 units is small
    run(sample_course, ["olx"], BuildOptions())
    assert pools == []
    assert set(_shard_pids(log).values()) == {os.getpid()}
    assert pipeline.spare_cores(sample_course, 1, 1) == 0
    assert pipeline.spare_cores(sample_course, None, 1) == 0
    assert pipeline.spare_cores(sample_course, 2, 2) == 0  # two workers fill two cores
    assert pipeline.spare_cores(sample_course, 4, 1) == 3


def test_no_spare_when_the_workers_fill_the_cores(sample_course: Course, log: Path) -> None:
    """Two targets on two jobs: each process checks its own target's chapters."""
    run(sample_course, ["olx", "scorm12"], BuildOptions(), jobs=2)
    assert len(set(_shard_pids(log).values())) == 1


def test_the_spare_is_forked_only_for_enough_work(
    sample_course: Course, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(olx_shards, "SPARE_MIN_FILES", 10**6)  # as if the chapters were tiny
    run(sample_course, ["olx"], BuildOptions(), jobs=2)
    assert set(_shard_pids(log).values()) == {os.getpid()}


def test_built_files_are_the_bytes_of_j1_cached_or_clean(
    sample_course: Course, log: Path, tmp_path: Path
) -> None:
    def files(out: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}

    build(sample_course, tmp_path / "one", ["olx"], BuildOptions(), jobs=1, cache=False)
    log.unlink()
    build(sample_course, tmp_path / "two", ["olx"], BuildOptions(), jobs=2)
    assert set(_shard_pids(log).values()) - {os.getpid()}
    assert files(tmp_path / "two") == files(tmp_path / "one")
    # A cached rebuild of an edited course: the chapters not edited come from the cache.
    retitled = Course.model_validate(sample_course.model_dump() | {"title": sample_course.title + " (2)"})
    build(retitled, tmp_path / "two", ["olx"], BuildOptions(), jobs=2)
    build(retitled, tmp_path / "clean", ["olx"], BuildOptions(), jobs=1, cache=False)
    assert files(tmp_path / "two") == files(tmp_path / "clean")


def _failing_shard(folder, the_plan, shard, allowed):  # type: ignore[no-untyped-def]
    raise ValueError("the chapter broke")


def _dying_shard(folder, the_plan, shard, allowed):  # type: ignore[no-untyped-def]
    if os.getpid() != int(os.environ["PIPELINE_SPARE_MAIN"]):
        os._exit(9)  # killed: no exception comes back
    return real_shard(folder, the_plan, shard, allowed)


def test_a_job_that_fails_in_the_spare_process_fails_as_in_one_process(
    sample_course: Course, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run again here, it raises its own exception, as with ``-j 1`` (not a WorkerError)."""
    monkeypatch.setattr(olx_shards, "run_shard", _failing_shard)
    for jobs in (1, 2):
        with pytest.raises(ValueError, match="the chapter broke"):
            run(sample_course, ["olx"], BuildOptions(), jobs=jobs)


def test_a_spare_process_that_dies_fails_the_build(
    sample_course: Course, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_SPARE_MAIN", str(os.getpid()))
    monkeypatch.setattr(olx_shards, "run_shard", _dying_shard)
    with pytest.raises(BrokenProcessPool):
        run(sample_course, ["olx"], BuildOptions(), jobs=2)
    src = Path(__file__).resolve().parent.parent / "course_src"
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", str(src), "-t", "olx", "-j", "2", "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert "build failed: BrokenProcessPool" in result.output and "nothing was published" in result.output
    assert [p for p in out.iterdir() if p.name != CACHE_DIR] == []


def test_only_units_the_cache_lacks_are_shared_and_an_edit_builds_the_bytes_of_a_clean_build(
    sample_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "_pool_context", lambda: None)
    monkeypatch.setattr(olx_target, "SPARE_MIN_UNITS", 1)
    shared: list[list[int]] = []
    real_share = spare.Spare.share

    def counting(self, fn, todo, count):  # type: ignore[no-untyped-def]
        shared.append(list(todo))
        return real_share(self, fn, todo, count)

    monkeypatch.setattr(spare.Spare, "share", counting)
    out = tmp_path / "dist"
    build(sample_course, out, ["olx"], BuildOptions(), jobs=2)
    units = len(sample_course.units())
    assert shared[0] == list(range(units))  # a cold cache: every unit
    edited = sample_course.model_copy(deep=True)
    edited.sections[0].subsections[0].units[1].title = "Edited title"
    shared.clear()
    build(edited, out, ["olx"], BuildOptions(), jobs=2)
    assert shared[0] == [1]  # the one unit whose files the cache lacks
    build(edited, tmp_path / "clean", ["olx"], BuildOptions(), jobs=1, cache=False)
    (built,) = (tmp_path / "clean").glob("*.olx.tar.gz")
    assert (out / built.name).read_bytes() == built.read_bytes()
