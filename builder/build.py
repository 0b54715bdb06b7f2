"""Run targets over one loaded course and publish their outputs all at once.

Targets are independent, so they run in parallel processes, each rendering in memory and writing
its archives into a staging folder inside the output folder. Only when every target succeeded are
the files renamed into place: ``dist/`` never holds a half-written build, and a failed target
leaves the previous artefacts untouched.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from builder import archive
from builder.model import Course
from builder.targets import TARGETS, BuildOptions, Output, renderer


@dataclass(frozen=True)
class Written:
    target: str
    path: Path
    size: int
    summary: str


def render_target(name: str, course: Course, options: BuildOptions) -> list[Output]:
    return renderer(name)(course, options)


def write_output(output: Output, folder: Path, epoch: int) -> Path:
    dest = folder / archive.check_member_name(output.filename)
    if output.format == "tar.gz":
        archive.write_tar_gz(output.members, dest, epoch)
    elif output.format == "zip":
        archive.write_zip(output.members, dest, epoch)
    else:
        (data,) = output.members.values()
        archive.write_file(data if isinstance(data, bytes) else data.read_bytes(), dest)
    return dest


def _run_target(
    name: str, course: Course, options: BuildOptions, staging: Path
) -> list[tuple[str, int, str]]:
    """Worker: render one target and write its files into ``staging``; return (name, size, summary)."""
    done = []
    for output in render_target(name, course, options):
        path = write_output(output, staging, course.source_epoch)
        done.append((path.name, path.stat().st_size, output.summary))
    return done


def _pool_context() -> multiprocessing.context.BaseContext | None:
    """How target workers start: forked (fast), unless Typst is loaded in this process.

    A fork of a process whose native threads hold locks deadlocks in the child; Typst keeps a
    thread pool once it has typeset the handbook, so a process that did so (a test, a library
    caller) starts workers from a clean fork server instead. The CLI never loads Typst before it
    builds, so its workers are still forked.
    """
    return multiprocessing.get_context("forkserver") if "typst" in sys.modules else None


def expand_targets(names: Iterable[str]) -> list[str]:
    chosen: list[str] = []
    for name in names:
        for n in TARGETS if name == "all" else (name,):
            if n not in TARGETS:
                raise ValueError(f"unknown target {n!r}; choose from {', '.join(TARGETS)} or all")
            if n not in chosen:
                chosen.append(n)
    return chosen


def build(
    course: Course,
    out: Path,
    targets: list[str],
    options: BuildOptions,
    on_done: Callable[[str], None] | None = None,
    jobs: int | None = None,
) -> list[Written]:
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".coursepack-", dir=out))
    try:
        results: dict[str, list[tuple[str, int, str]]] = {}
        workers = max(1, min(len(targets), jobs or os.cpu_count() or 1))
        if workers == 1:
            for name in targets:
                results[name] = _run_target(name, course, options, staging)
                if on_done:
                    on_done(name)
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
                futures = {pool.submit(_run_target, n, course, options, staging): n for n in targets}
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    if on_done:
                        on_done(futures[fut])
        written = []
        for name in targets:
            for filename, size, summary in results[name]:
                os.replace(staging / filename, out / filename)
                written.append(Written(name, out / filename, size, summary))
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
