"""Publish one pipeline run into the output folder, all at once or not at all.

The pipeline (``builder.pipeline``) renders and checks every target and writes the archives of a
clean run into a staging folder inside the output folder. Only when no check found an error and
every target succeeded are the files renamed into place: ``dist/`` never holds a half-written or
unchecked build, and a failed one leaves the previous artefacts untouched.

Staging folders are named ``.coursepack-<pid>-<random>`` and hold an exclusive POSIX record lock
(``lockf``) on a lock file inside them while the build runs; unlike ``flock``, forked worker
processes do not inherit it, so an orphaned worker cannot keep a killed build's folder alive. A
build killed with SIGKILL cannot clean up, so each build first removes staging folders whose lock
nobody holds and whose process is gone (``clean_stale``) — only ours, by that name pattern, and
never one a concurrent build is using.

The output folder may not be, or lie inside, the source folder (each build would be packed into
the next, or the outline would change), nor be the filesystem root or the home folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from builder.cache import CACHE_DIR, BuildCache
from builder.model import Course
from builder.pipeline import Result, SideJob, Written, course_key, expand_targets, run
from builder.targets import BuildOptions

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to the pid in the folder name
    fcntl = None  # type: ignore[assignment]

__all__ = ["OutDirError", "Written", "build", "check_out_dir", "clean_stale", "expand_targets"]

STAGING_PREFIX = ".coursepack-"
STAGING_RE = re.compile(r"^\.coursepack-(?:(\d+)-)?[A-Za-z0-9_]+$")
LOCK_NAME = ".lock"
LEGACY_STALE_AFTER = 3600
"""Seconds after which a staging folder without lock or pid (older versions) counts as abandoned."""


READ_FOLDERS = ("outline", "static")
"""The folders of a course source the loader reads everything in (the root it reads by name)."""


class OutDirError(ValueError):
    """The output folder would damage the source or the system; a usage error."""


def check_out_dir(src: Path, out: Path) -> None:
    """Refuse output folders equal to or inside the source, or the filesystem root or home folder."""
    s, o = src.resolve(), out.resolve()
    if o == Path(o.anchor):
        raise OutDirError(f"--out {out} is the filesystem root; choose a folder such as ./dist")
    if o == Path.home().resolve():
        raise OutDirError(f"--out {out} is your home folder; choose a folder such as ./dist")
    if o == s:
        raise OutDirError(f"--out {out} is the source folder; choose a folder outside {src}, e.g. ./dist")
    if any(o.is_relative_to(s / read) for read in READ_FOLDERS):
        raise OutDirError(
            f"--out {out} is inside the source folder {src}'s {', '.join(READ_FOLDERS)} folders: every "
            "build would be packed into the next; choose a folder outside them, e.g. ./dist"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_ACTIVE: set[Path] = set()
"""This process's own staging folders: probing their lock here would release it (POSIX locks are
dropped when the owning process closes any descriptor of the file)."""


def _lock_held(folder: Path) -> bool:
    """Whether a running build holds the staging folder's lock (False when there is none to hold)."""
    lock = folder / LOCK_NAME
    if folder.resolve() in _ACTIVE:
        return True
    if fcntl is None or not lock.is_file():
        return False
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return True  # cannot tell: leave it alone
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases the probe's lock
    return False


def _is_stale(folder: Path) -> bool:
    """Nobody holds its lock, and its build process is gone (or it is older than an hour).

    The pid check also covers the instant between creating the lock file and locking it.
    """
    if _lock_held(folder):
        return False
    old = time.time() - folder.stat().st_mtime > LEGACY_STALE_AFTER
    m = STAGING_RE.match(folder.name)
    if m and m.group(1):
        return old or not _pid_alive(int(m.group(1)))
    return old


def clean_stale(out: Path) -> list[Path]:
    """Remove staging folders left in ``out`` by killed builds; return what was removed."""
    removed = []
    if not out.is_dir():
        return removed
    for folder in sorted(out.iterdir()):
        if folder.name == CACHE_DIR:  # matches the staging pattern, but is the build cache
            continue
        if folder.is_dir() and not folder.is_symlink() and STAGING_RE.match(folder.name):
            with contextlib.suppress(OSError):
                if _is_stale(folder):
                    shutil.rmtree(folder)
                    removed.append(folder)
    return removed


@contextlib.contextmanager
def staging_dir(out: Path) -> Iterator[Path]:
    """A locked staging folder inside ``out``, removed afterwards whatever happens."""
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out)).resolve()
    _ACTIVE.add(staging)
    fd = os.open(staging / LOCK_NAME, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    try:
        if fcntl is not None:
            fcntl.lockf(fd, fcntl.LOCK_EX)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(fd)
        _ACTIVE.discard(staging)


def _write_reports(course: Course, staging: Path, cache_dir: Path | None) -> list[Path]:
    """The coverage report, copied from the cache when what it shows is unchanged.

    Its three files follow from ``coverage(course)`` and the course-level fields the templates name;
    the coverage in turn reads, per unit, only its id, title, source, outcomes and its problems' ids
    and ``assesses``, plus the outline's ids and titles, the competence map and the competence
    findings. Those facts key it (``report_facts``): computing the coverage (and a repr of its
    50,000 cells) just to key it was most of the report's cost on an edit; now it is computed
    only when the report is written.
    """
    from builder import cache

    if cache_dir is None:
        from builder.report.coverage import write_reports

        return write_reports(course, staging)
    store = BuildCache(cache_dir)

    def restore(key: str) -> list[Path] | None:
        entry = store.get(key)
        if entry is None:
            return None
        paths = [staging / name for name, _ in entry]
        if all(store.restore_file(sha, path) for (_, sha), path in zip(entry, paths, strict=True)):
            return paths
        for path in paths:
            path.unlink(missing_ok=True)
        return None

    # First by the whole course (free: the targets' keys computed it), then by what the report shows.
    whole = cache.digest("coverage report of", cache.code_fingerprint(), course_key(course))
    via = store.get(whole)
    if isinstance(via, str):
        # It names the coverage entry rather than copying it, so that restoring marks that entry as
        # used too: a no-op rebuild must not let it be pruned before the next prose edit needs it.
        paths = restore(via)
        if paths is not None:
            return paths
    key = cache.digest(
        "coverage report",
        cache.code_fingerprint(),
        cache.text_key(report_facts(course)),
        cache.course_context(course),  # title, slug, language (the report's words), competences…
    )
    paths = restore(key)
    if paths is None:
        from builder.report.coverage import write_reports  # not needed when the report is reused

        paths = write_reports(course, staging)
    store.put(key, [[p.name, store.store_file(p)] for p in paths])
    store.put(whole, key)
    return paths


def _report_job(course: Course, staging: Path | None, cache_dir: Path | None) -> list[str]:
    """``_write_reports`` as the build's side job (``pipeline.SideJob``): it runs on whichever core
    a target leaves free, instead of alone after the targets (~0.6 s of a 2,000-unit build's wall
    time). Returns the file names, relative to ``staging``."""
    assert staging is not None
    return [p.name for p in _write_reports(course, staging, cache_dir)]


REPORT_JOB = SideJob("coverage report", _report_job)


def report_facts(course: Course) -> str:
    """Everything ``coverage(course)`` reads besides the course-level context, as one JSON text:
    the outline (ids and titles), per unit its id, title, source, outcomes and its problems' ids
    and ``assesses``, and the competence findings (which name files and lines from
    ``course.positions``). A unit's prose is no part of it."""
    import json

    from builder.cache import outline_facts
    from builder.validate.competences import check_competences

    outline = outline_facts(
        course, lambda u: [u.id, u.title, u.source, u.outcomes, [[p.id, p.assesses] for p in u.problems]]
    )
    findings = [d.to_json() for d in check_competences(course)]
    return json.dumps([outline, findings], ensure_ascii=False, separators=(",", ":"))


def build(
    course: Course,
    out: Path,
    targets: list[str],
    options: BuildOptions,
    on_done: Callable[[str], None] | None = None,
    jobs: int | None = None,
    report: bool = False,
    cache: bool = True,
    started: float | None = None,
    on_units: Callable[[int], None] | None = None,
) -> tuple[Result, list[Written]]:
    """Run the pipeline and publish into ``out`` only if no check found an error.

    With ``report`` the coverage report (``<slug>.coverage.html/.csv/.json``) is staged and
    published with the packages, so a full build never leaves a report about an older course.

    With ``cache`` (the default), ``out/.coursepack-cache/`` lets an unchanged target be copied and
    an unchanged output skip its checks (``builder.cache``); after a successful build, cache files
    it did not use are pruned — used since ``started``, which must be taken before the course was
    loaded with the same cache (the loader's unit entries count as used). ``cache=False`` neither
    reads nor writes the cache.

    Returns the run's findings and the files written (none when ``Result.errors`` is not empty).
    Any exception (a bug, an I/O error, a ``WorkerError``) propagates and publishes nothing.
    """
    out.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    started = time.time() if started is None else started
    cache_dir = out / CACHE_DIR if cache else None
    if cache_dir is not None:
        BuildCache(cache_dir)  # creates it and its .gitignore once, before workers race to
    with staging_dir(out) as staging:
        result = run(
            course,
            targets,
            options,
            staging=staging,
            jobs=jobs,
            on_done=on_done,
            cache_dir=cache_dir,
            on_units=on_units,
            side=[REPORT_JOB] if report else [],
        )
        if result.errors:
            return result, []
        staged = [(name, *f) for name in targets for f in result.targets[name].files]
        if report:
            for filename in result.side[REPORT_JOB.name]:
                staged.append(("report", filename, (staging / filename).stat().st_size, "coverage report"))
        written = []
        for name, filename, size, summary in staged:
            os.replace(staging / filename, out / filename)
            written.append(Written(name, out / filename, size, summary))
    if cache_dir is not None:
        BuildCache(cache_dir).prune(started)
    return result, written
