"""``pipeline.SideJob``: work beside the targets (the build's coverage report) on the run's workers,
so that it fills a free core instead of running alone after the last target."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from builder import build, pipeline
from builder.model import Course
from builder.pipeline import SideJob, WorkerError, run
from builder.targets import BuildOptions

real_render = pipeline.render_target
LOG = "PIPELINE_SIDE_LOG"


def _log(line: str) -> None:
    with open(os.environ[LOG], "a") as f:
        f.write(line + "\n")


def _logging_render(name, course, options):  # type: ignore[no-untyped-def]
    _log(f"target {name}")
    return real_render(name, course, options)


def _side(course: Course, staging: Path | None, cache_dir: Path | None) -> tuple[int, str]:
    _log("side")
    return len(course.units()), str(staging)


def _failing(course: Course, staging: Path | None, cache_dir: Path | None) -> None:
    raise ValueError("the side job broke")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_side_job_runs_once_after_every_target_started_and_returns_its_value(
    sample_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setenv(LOG, str(tmp_path / "log"))
    monkeypatch.setattr(pipeline, "render_target", _logging_render)
    targets = ["olx", "scorm12", "competences"]
    result = run(sample_course, targets, BuildOptions(), jobs=jobs, side=[SideJob("count", _side)])
    assert result.side == {"count": (len(sample_course.units()), "None")}
    lines = (tmp_path / "log").read_text().splitlines()
    if jobs == 1 or pipeline._pool_context() is None:  # forked workers log too
        assert sorted(lines) == sorted([*(f"target {t}" for t in targets), "side"])
    if jobs == 1:  # queued after the targets (with a worker, its first log may come later)
        assert lines.index("side") == len(targets)
    assert list(result.targets) == targets and not result.errors


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_side_job_fails_the_run_as_a_target_would(sample_course: Course, jobs: int) -> None:
    # as a target's: its own exception in one process, a WorkerError carrying it from a worker
    with pytest.raises((WorkerError, ValueError), match="the side job broke"):
        run(sample_course, ["competences", "olx"], BuildOptions(), jobs=jobs, side=[SideJob("x", _failing)])


def _olx_waits_for_the_report(name, course, options):  # type: ignore[no-untyped-def]
    if name == "olx":
        out = Path(os.environ[LOG])
        deadline = time.monotonic() + 60
        while not any(out.rglob("*.coverage.json")):
            assert time.monotonic() < deadline, "the report was not written while olx rendered"
            time.sleep(0.02)
    return real_render(name, course, options)


def test_the_build_writes_the_report_while_a_target_still_renders(
    sample_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two workers, the report is made on the core a finished target left free, while the
    other target still renders — not after every target, alone (~0.6 s of a 2,000-unit build)."""
    if pipeline._pool_context() is not None:
        pytest.skip("Typst is loaded in this process: workers start from a fork server, unpatched")
    out = tmp_path / "dist"
    monkeypatch.setenv(LOG, str(out))
    monkeypatch.setattr(pipeline, "render_target", _olx_waits_for_the_report)
    result, written = build.build(
        sample_course, out, ["olx", "competences"], BuildOptions(), jobs=2, report=True, cache=False
    )
    assert not result.errors
    reports = sorted(w.path.name for w in written if w.target == "report")
    assert reports == [f"{sample_course.stem}.coverage.{ext}" for ext in ("csv", "html", "json")]
    for w in written:
        assert w.path.stat().st_size == w.size


def test_the_report_built_beside_the_targets_has_the_bytes_of_one_written_alone(
    sample_course: Course, tmp_path: Path
) -> None:
    from builder.report.coverage import write_reports

    alone = tmp_path / "alone"
    alone.mkdir()
    expected = {p.name: p.read_bytes() for p in write_reports(sample_course, alone)}
    for jobs in (1, 2):
        out = tmp_path / f"dist{jobs}"
        _, written = build.build(
            sample_course, out, ["olx", "competences"], BuildOptions(), jobs=jobs, report=True, cache=False
        )
        assert {w.path.name: w.path.read_bytes() for w in written if w.target == "report"} == expected


def test_a_build_with_errors_publishes_no_report(sample_course: Course, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    broken = pipeline.OutputCheck(
        "always fails",
        "competences",
        lambda output, course, options: [
            pipeline.Diagnostic(output.filename, None, None, "broken", "", "error", "test")
        ],
    )
    pipeline.OUTPUT_CHECKS.append(broken)
    try:
        result, written = build.build(
            sample_course, out, ["olx", "competences"], BuildOptions(), jobs=2, report=True, cache=False
        )
    finally:
        pipeline.OUTPUT_CHECKS.remove(broken)
    assert result.errors and written == []
    assert [p for p in out.iterdir() if not p.name.startswith(".")] == []


def test_a_worker_leaves_page_sharing_targets_to_the_process_rendering_one() -> None:
    """scorm12, scorm2004 and cmi5 share unit pages within a process (``scorm_common.PageFrames``):
    while the main process renders one, a free worker takes other work first — but never idles."""
    report = SideJob("report", _side)
    assert pipeline.pick_for_worker(["scorm2004", "cmi5", "moodle-questions", report], "scorm12") == 2
    assert pipeline.pick_for_worker(["cmi5", report], "scorm2004") == 1
    assert pipeline.pick_for_worker(["scorm2004", "cmi5"], "scorm12") == 0  # nothing else to do
    assert pipeline.pick_for_worker(["cmi5", "competences"], "olx") == 0
    assert pipeline.pick_for_worker(["olx", "cmi5"], "scorm12") == 0
    assert pipeline.pick_for_worker(["cmi5", "competences"], None) == 0
    assert pipeline.pick_for_worker(["cmi5", "competences"], report) == 0
