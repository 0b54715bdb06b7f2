"""The one pipeline behind ``check`` and ``build``: render targets → validate the rendered bytes → publish.

``check`` and ``build`` used to validate differently, so ``build`` shipped what ``check`` rejected.
Now both call ``run``: each chosen target is rendered (in parallel worker processes), the checks
registered for it run on exactly those members, and only then — and only for ``build``, and only if
no check found an error — are the archives written to staging and published (``builder.build``).
``check`` is the same run without a place to write. While a target renders, its members go to a
scratch file as they are set (``archive.Members`` inside ``archive.spill_to``), so a package is
never held whole in memory; the archive writers then read them back one at a time, in sorted order.

A check is one function in a list:

* ``COURSE_CHECKS``: ``CourseCheck(name, run(course, options, built) -> diagnostics, targets)``;
  runs once per run in the main process, when any of ``targets`` is built (empty = always);
  ``built`` is the tuple of targets this run builds.
* ``OUTPUT_CHECKS``: ``OutputCheck(name, target, run(output, course, options) -> diagnostics)``;
  runs in the worker on every output of ``target``. Its findings about generated files are mapped
  back to the source file and line (``builder.source_map``).

Worker errors come back as ``WorkerError`` (picklable, with the original type, message and
traceback): an lxml error log, say, cannot be pickled and used to surface as a pickling error.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder import archive, gcpause, progress, spare
from builder.diagnostics import Diagnostic, SourceErrors, escalate
from builder.model import Course
from builder.targets import TARGETS, BuildOptions, Output, prepare, renderer

if TYPE_CHECKING:
    from builder.cache import BuildCache


@dataclass(frozen=True)
class CourseCheck:
    name: str
    run: Callable[[Course, BuildOptions, tuple[str, ...]], Iterable[Diagnostic]]
    targets: frozenset[str] = frozenset()
    """Run only when one of these targets is built; empty means always."""


@dataclass(frozen=True)
class OutputCheck:
    name: str
    target: str
    run: Callable[..., Iterable[Diagnostic]]
    """``run(output, course, options)``, or ``run(output, course, options, memo)`` with ``memo``."""
    cached: bool = False
    """Whether its findings may be reused (``builder.cache``): True only when they follow from the
    members it reads, the output's name and member list, the options and the competence map alone."""
    memo: bool = False
    """Whether ``run`` takes a fourth argument: a ``CheckMemo`` (None without a cache) in which it
    keeps partial results of its own between builds — the OLX check keeps olxcleaner's findings
    per chapter, so an edit re-runs olxcleaner over one chapter, not the course."""


@dataclass(frozen=True)
class SideJob:
    """Work a build does beside its targets (the coverage report), run on the run's workers like a
    target — after the targets, being short — so that it fills a core instead of running alone
    once they are done. ``run(course, staging, cache_dir)`` must pickle (a module-level function);
    what it returns is ``Result.side[name]``. It runs even when a target has errors (its files
    are then left in staging, which is not published)."""

    name: str
    run: Callable[[Course, Path | None, Path | None], Any]


class CheckMemo:
    """A check's own entries in the build cache, remembered by key: the check's entry lists them,
    so that whenever the check's findings are reused its entries are kept from pruning too."""

    def __init__(self, store: BuildCache):
        self.store = store
        self.keys: list[str] = []
        self.hashed: list[tuple[str, Mapping[str, str]]] = []
        """sha256 of members the check hashed anyway, as (prefix, hashes by name under it): the
        check's entry records what it read by these, without reading and hashing them again."""

    def sha(self, name: str) -> str | None:
        for prefix, shas in self.hashed:
            if name.startswith(prefix) and (sha := shas.get(name[len(prefix) :])) is not None:
                return sha
        return None

    def get(self, key: str) -> Any | None:
        if key not in self.keys:
            self.keys.append(key)
        return self.store.get(key)

    def put(self, key: str, body: Any) -> None:
        if key not in self.keys:
            self.keys.append(key)
        self.store.put(key, body)


def _competences(course: Course, options: BuildOptions, built: tuple[str, ...]) -> list[Diagnostic]:
    from builder.validate.competences import check_competences

    return check_competences(course)


def _reader(course: Course, options: BuildOptions, built: tuple[str, ...]) -> list[Diagnostic]:
    return list(course.reader_warnings)


def _split_links(course: Course, options: BuildOptions, built: tuple[str, ...]) -> list[Diagnostic]:
    from builder.targets.scorm_common import check_split_links

    return check_split_links(course, options)


def _static(course: Course, options: BuildOptions, built: tuple[str, ...]) -> list[Diagnostic]:
    from builder.source.static import check_static

    return check_static(course)


def _handbook(course: Course, options: BuildOptions, built: tuple[str, ...]) -> list[Diagnostic]:
    from builder.validate.handbook import check_handbook

    return check_handbook(course)


def _advice(course: Course, options: BuildOptions, built: tuple[str, ...]) -> list[Diagnostic]:
    from builder.validate.advice import check_advice

    return check_advice(course, options, built)


def _olx(output: Output, course: Course, options: BuildOptions, memo: CheckMemo | None) -> list[Diagnostic]:
    from builder.validate.olx import check_olx

    with spare.process() as beside:  # olxcleaner's chapters on the core a lone target leaves idle
        return check_olx(output.members, course.competences, memo, spare=beside)


def _cmi5(output: Output, course: Course, options: BuildOptions) -> list[Diagnostic]:
    from builder.validate.cmi5 import check_structure

    return check_structure(output.members, output.filename)


@dataclass(frozen=True)
class _ScormCheck:
    """One SCORM version's manifest check; a picklable callable, unlike a closure."""

    version: str

    def __call__(self, output: Output, course: Course, options: BuildOptions) -> list[Diagnostic]:
        from builder.validate.scorm import check_manifest

        edition = options.scorm_edition if self.version == "scorm2004" else None
        return check_manifest(
            output.members,
            self.version,  # type: ignore[arg-type]
            edition,
            output=output.filename,
            sco_data=False,
        )


@dataclass(frozen=True)
class _ScoDataCheck:
    """The objective ids inside SCO pages: it reads every page, so its findings are never reused
    whole (an edited unit would miss the cache of the manifest check if that read every page
    too); each page's are, by the piece that made the page (``check_sco_data``'s memo)."""

    version: str

    def __call__(
        self, output: Output, course: Course, options: BuildOptions, memo: CheckMemo | None = None
    ) -> list[Diagnostic]:
        from builder.validate.scorm import check_sco_data

        return check_sco_data(output.members, self.version, output.filename, memo)  # type: ignore[arg-type]


PACKAGES = frozenset({"olx", "scorm12", "scorm2004", "cmi5"})
"""Targets that publish ``static/`` files and whose LMS behaviour the advice checks know."""

SPLIT_TARGETS = frozenset({"scorm12", "scorm2004"})
"""Targets that ``--split section`` cuts into one package per section."""

COURSE_CHECKS: list[CourseCheck] = [
    CourseCheck("reader warnings (images without alt text, raw HTML)", _reader),
    CourseCheck("competence map", _competences),
    CourseCheck("links between units across --split section packages", _split_links, SPLIT_TARGETS),
    CourseCheck("static files with script", _static, PACKAGES),
    CourseCheck("LMS behaviour (Open edX dates, Moodle SCORM players)", _advice, PACKAGES),
    CourseCheck("handbook material (session plans)", _handbook, frozenset({"handbook"})),
]
OUTPUT_CHECKS: list[OutputCheck] = [
    OutputCheck("olxcleaner + OLX import rules", "olx", _olx, cached=True, memo=True),
    OutputCheck(
        "SCORM 1.2 manifest (IMS/ADL XSDs + LMS rules)", "scorm12", _ScormCheck("scorm12"), cached=True
    ),
    OutputCheck("SCORM 1.2 runtime objective ids", "scorm12", _ScoDataCheck("scorm12"), memo=True),
    OutputCheck(
        "SCORM 2004 manifest (IMS/ADL XSDs + LMS rules)", "scorm2004", _ScormCheck("scorm2004"), cached=True
    ),
    OutputCheck("SCORM 2004 runtime objective ids", "scorm2004", _ScoDataCheck("scorm2004"), memo=True),
    OutputCheck("cmi5.xml (cmi5 course structure rules)", "cmi5", _cmi5, cached=True),
]


# --------------------------------------------------------------------------- errors from workers


class WorkerError(Exception):
    """An exception raised in a worker, carried back as plain text so it always pickles."""

    def __init__(self, type_name: str, message: str, details: str = ""):
        super().__init__(type_name, message, details)
        self.type_name, self.message, self.details = type_name, message, details

    def __str__(self) -> str:
        return self.message

    @classmethod
    def wrap(cls, exc: BaseException) -> WorkerError:
        if isinstance(exc, WorkerError):
            return exc
        return cls(type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)))


# --------------------------------------------------------------------------- one run


class _Tally:
    """Units rendered per target, capped at the course's unit count; topped up when a target ends,
    so the progress total is exactly units × targets whatever each renderer reports."""

    def __init__(self, units: int, on_units: Callable[[int], None] | None):
        self.units, self.on_units = units, on_units
        self.done: dict[str, int] = {}
        self.lock = threading.Lock()

    def add(self, target: str, n: int) -> None:
        with self.lock:
            before = self.done.get(target, 0)
            after = min(self.units, before + n)
            self.done[target] = after
        if self.on_units and after > before:
            self.on_units(after - before)

    def finish(self, target: str) -> None:
        self.add(target, self.units)


def _read_progress(queue: Any, tally: _Tally) -> None:
    while (item := queue.get()) is not None:
        tally.add(*item)


@dataclass
class Written:
    target: str
    path: Path
    size: int
    summary: str


@dataclass
class TargetResult:
    target: str
    diagnostics: list[Diagnostic]
    files: list[tuple[str, int, str]] = field(default_factory=list)
    """(file name in staging, size, summary) — empty for ``check`` or when the target has errors."""
    checks: list[str] = field(default_factory=list)


@dataclass
class Result:
    diagnostics: list[Diagnostic]
    checks: list[str]
    """Names of the checks that ran, for ``check`` to say plainly what was validated."""
    targets: dict[str, TargetResult]
    side: dict[str, Any] = field(default_factory=dict)
    """What each ``SideJob`` of the run returned, by name."""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def notes(self) -> list[Diagnostic]:
        """Advice about an LMS's behaviour, not a fault of the course; ``--strict`` leaves them."""
        return [d for d in self.diagnostics if d.severity == "note"]


def expand_targets(names: Iterable[str]) -> list[str]:
    chosen: list[str] = []
    for name in names:
        for n in TARGETS if name == "all" else (name,):
            if n not in TARGETS:
                raise ValueError(f"unknown target {n!r}; choose from {', '.join(TARGETS)} or all")
            if n not in chosen:
                chosen.append(n)
    return chosen


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


_COURSE_KEY: tuple[Course, str] | None = None


def course_key(course: Course) -> str:
    """The course's part of every target key: the whole model and the bytes of its static files.

    Computed once per course, in the main process (serialising the model costs ~0.1 s at 2,000
    units, and a cached load has done it already: ``cache.remember_model_key``); the build's
    coverage report asks for it again.
    """
    global _COURSE_KEY
    from builder import cache

    if _COURSE_KEY is not None and _COURSE_KEY[0] is course:
        return _COURSE_KEY[1]
    assets = {a.flat_name: cache.file_sha256(a.source) for a in [course.image, *course.assets]}
    # The sha256 of the model's JSON; the loader already knows it when it cached the course.
    key = cache.digest(cache.model_key(course), assets)
    _COURSE_KEY = (course, key)
    return key


def _target_key(name: str, course_digest: str, options: BuildOptions) -> str:
    """Everything a target's files and findings follow from (see ``builder.cache``)."""
    from builder import cache

    return cache.digest("target", cache.code_fingerprint(), name, asdict(options), course_digest)


def _member_sha(member: archive.Member) -> str:
    from builder import cache

    if isinstance(member, Path):
        return cache.file_sha256(member)
    return hashlib.sha256(member).hexdigest()


def _run_check(
    check: OutputCheck,
    output: Output,
    course: Course,
    options: BuildOptions,
    store: BuildCache | None,
    used: list[str],
) -> list[Diagnostic]:
    """Run one output check, or reuse its findings when every member it read is unchanged.

    The key of the check entry is appended to ``used``: a target entry lists them, so that a later
    target hit keeps them from being pruned (an edit after a no-op rebuild still reuses them).
    """
    from builder import cache

    if store is not None and check.memo and not check.cached:
        # Never reused whole, but its partial results are: its entries are kept like its own.
        own = CheckMemo(store)
        found = list(check.run(output, course, options, own))
        used += own.keys
        return found
    if store is None or not check.cached:
        return list(
            check.run(output, course, options, None) if check.memo else check.run(output, course, options)
        )
    key = cache.digest(
        "check",
        cache.code_fingerprint(),
        check.name,
        output.filename,
        output.format,
        sorted(output.members),
        asdict(options),
        course.competences.model_dump_json(),
    )
    used.append(key)
    entry = store.get(key)
    shas: dict[str, str] = {}  # each member hashed once, though asked for before and after the run
    known = getattr(output.members, "known_sha", None)  # the OLX target hashes members as it sets them

    def sha_of(name: str) -> str:
        if name not in shas:
            shas[name] = (known(name) if known is not None else None) or _member_sha(output.members[name])
        return shas[name]

    if entry is not None:
        reads: dict[str, str] = entry["reads"]
        if all(n in output.members and sha_of(n) == sha for n, sha in reads.items()):
            for own in entry.get("memo", []):
                store.keep(own)
            used += entry.get("memo", [])
            return [Diagnostic.from_json(d) for d in entry["diagnostics"]]
        # Not kept while the check runs: the OLX check's entry names every file of the package
        # with its sha256 (120,000 of them at 20,000 units, ~40 MB as a dict).
        entry = reads = None  # type: ignore[assignment]
    recording = cache.RecordingMembers(output.members)
    seen = replace(output, members=recording)
    memo = CheckMemo(store) if check.memo else None
    found = list(check.run(seen, course, options, memo) if memo else check.run(seen, course, options))
    if memo is not None:
        reads = {n: shas.get(n) or memo.sha(n) or sha_of(n) for n in sorted(recording.reads())}
        memo.hashed.clear()  # the check's own hashes (~25 MB at 20,000 units), not held while stored
    else:
        reads = {n: sha_of(n) for n in sorted(recording.reads())}
    del recording, seen
    own = memo.keys if memo else []
    used += own
    store.put(key, {"reads": reads, "diagnostics": [d.to_json() for d in found], "memo": own})
    return found


def run_target(
    name: str,
    course: Course,
    options: BuildOptions,
    staging: Path | None,
    cache_dir: Path | None = None,
    course_digest: str | None = None,
) -> TargetResult:
    """Render one target, check its outputs, and (if ``staging`` and no errors) write them there.

    With ``cache_dir`` (only for builds), an unchanged target is copied from the cache instead, and
    checks whose inputs did not change reuse their findings (``builder.cache``).
    """
    from builder import cache
    from builder.cache import BuildCache

    store = BuildCache(cache_dir) if cache_dir is not None and staging is not None else None
    key = _target_key(name, course_digest or course_key(course), options) if store is not None else ""
    if store is not None and staging is not None:
        hit = _restore_target(store, key, name, staging)
        if hit is not None:
            return hit
    used: list[str] = []
    # Rendered pieces (a unit's files, a SCO page…) are reused by key within the target (``builder.cache``).
    # One pack per target, options and course stem (a translated build is a course of its own).
    with cache.pieces(store, cache.digest(name, asdict(options), course.stem)) as memo:
        result = _render_and_check(name, course, options, staging, store, used)
    if store is not None and staging is not None:
        files = [(f, store.store_file(staging / f), size, summary) for f, size, summary in result.files]
        store.put(
            key,
            {
                "diagnostics": [d.to_json() for d in result.diagnostics],
                "checks": result.checks,
                "files": files,
                "check_entries": used,
                "pieces": memo.keys() if memo is not None else [],
            },
        )
    return result


def _restore_target(store: BuildCache, key: str, name: str, staging: Path) -> TargetResult | None:
    entry = store.get(key)
    if entry is None:
        return None
    result = TargetResult(
        name, [Diagnostic.from_json(d) for d in entry["diagnostics"]], checks=list(entry["checks"])
    )
    for check_key in entry.get("check_entries", []):
        store.keep(check_key)
    for pack in entry.get("pieces", []):
        store.keep_raw(pack)
    for filename, sha, size, summary in entry["files"]:
        dest = staging / archive.check_member_name(filename)
        if not store.restore_file(sha, dest):
            for f, *_ in result.files:
                (staging / f).unlink(missing_ok=True)
            return None
        result.files.append((filename, size, summary))
    return result


def _render_and_check(
    name: str,
    course: Course,
    options: BuildOptions,
    staging: Path | None,
    store: BuildCache | None,
    used: list[str],
) -> TargetResult:
    checks = [c for c in OUTPUT_CHECKS if c.target == name]
    # Members are spilled to a scratch file in staging (on the output's disk; the system's temp
    # folder for ``check``) as the target renders them: memory stays flat however large the course.
    with archive.spill_to(staging):
        try:
            outputs = render_target(name, course, options)
        except SourceErrors as exc:
            # A target that meets content it cannot render (an image Typst cannot decode…) says so
            # as findings about the course, not as a crashed build.
            return TargetResult(name, list(exc.diagnostics), checks=[c.name for c in checks])
    try:
        return _check_and_write(name, outputs, checks, course, options, staging, store, used)
    finally:
        for output in outputs:
            if isinstance(output.members, archive.Members):
                output.members.close()


def _check_and_write(
    name: str,
    outputs: list[Output],
    checks: list[OutputCheck],
    course: Course,
    options: BuildOptions,
    staging: Path | None,
    store: BuildCache | None,
    used: list[str],
) -> TargetResult:
    from builder.source_map import SourceMap

    diags: list[Diagnostic] = []
    where: SourceMap | None = None
    for output in outputs:
        for check in checks:
            found = _run_check(check, output, course, options, store, used)
            if found:
                where = where or SourceMap.of(course)
                diags += [where.locate(d, output) for d in found]
    result = TargetResult(name, diags, checks=[c.name for c in checks])
    if staging is not None and not any(d.severity == "error" for d in diags):
        for output in outputs:
            path = write_output(output, staging, course.source_epoch)
            result.files.append((path.name, path.stat().st_size, output.summary))
    return result


_FORKED: Course | None = None
"""The course, set before the worker pool forks: workers inherit it instead of unpickling a copy
(pickling the model to every worker cost ~15 % of a build)."""


_QUEUE: Any = None
"""Progress from forked workers: (target, units) pairs, read by a thread in the main process."""


def _worker(
    name: str,
    course: Course | None,
    options: BuildOptions,
    staging: Path | None,
    cache_dir: Path | None,
    course_digest: str | None,
) -> TargetResult:
    """``run_target`` in a worker process: any exception comes back as a picklable WorkerError."""
    queue = _QUEUE
    sink = _Batched(lambda n: queue.put((name, n))) if queue is not None else None
    if sink is not None:
        progress.set_sink(sink)
    try:
        return run_target(name, course or _FORKED, options, staging, cache_dir, course_digest)  # type: ignore[arg-type]
    except BaseException as exc:
        raise WorkerError.wrap(exc) from None
    finally:
        if sink is not None:
            sink.flush()
        _give_back_memory()


def _side_job(job: SideJob, course: Course | None, staging: Path | None, cache_dir: Path | None) -> Any:
    """A ``SideJob`` in a worker process (``course`` None: the one it inherited) or in the main
    process beside the workers, like ``_worker`` and ``_here``."""
    try:
        return job.run(course or _FORKED, staging, cache_dir)  # type: ignore[arg-type]
    except BaseException as exc:
        raise WorkerError.wrap(exc) from None
    finally:
        _give_back_memory()


class _Batched:
    """A target's progress, passed on at most every ``interval`` seconds: a message per unit (2,000
    per target at 2,000 units) cost a worker ~0.05 s CPU to pickle and write, and the main process
    as much to read; in the main process, a locked count per unit cost 0.015 s of a one-unit edit.
    A bar cannot show more than a few steps a second, and each target is topped up when it ends."""

    def __init__(
        self, send: Callable[[int], None], interval: float = 0.1, clock: Callable[[], float] = time.monotonic
    ):
        self.send, self.interval, self.clock = send, interval, clock
        self.pending = 0
        self.last = -interval  # the first unit goes at once: the bar moves as soon as a target does

    def __call__(self, n: int) -> None:
        self.pending += n
        now = self.clock()
        if now - self.last >= self.interval:
            self.flush()
            self.last = now

    def flush(self) -> None:
        if self.pending:
            n, self.pending = self.pending, 0
            self.send(n)


def _in_thread(fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """``fn(*args)`` in a daemon thread, as a future: Ctrl-C stops the main thread's wait and the
    process exits without waiting for the target (a thread pool would join it first, minutes at
    20,000 units; the worker processes get the interrupt themselves)."""
    fut: Future[Any] = Future()

    def body() -> None:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:
            fut.set_exception(exc)

    label = args[0].name if isinstance(args[0], SideJob) else args[0]
    threading.Thread(target=body, name=f"coursepack-{label}", daemon=True).start()
    return fut


def _here(
    name: str,
    course: Course,
    options: BuildOptions,
    staging: Path | None,
    cache_dir: Path | None,
    course_digest: str | None,
    tally: _Tally,
) -> TargetResult:
    """``run_target`` in the main process, beside the workers: its errors come back as a worker's
    would, so a parallel run reports a failure the same way wherever the target ran."""
    previous = progress.set_sink(_Batched(lambda n: tally.add(name, n)))
    try:
        return run_target(name, course, options, staging, cache_dir, course_digest)
    except BaseException as exc:
        raise WorkerError.wrap(exc) from None
    finally:
        progress.set_sink(previous)
        _give_back_memory()


def _give_back_memory() -> None:
    """Return a finished target's freed heap to the system (glibc keeps it otherwise).

    A worker that has finished its target waits, idle, while the other one typesets or validates;
    whatever the finished target's pages and parse trees left in the heap would count in the
    build's peak beside it (olx at 2,000 units: 146 MB PSS after its checks, 65 MB after a trim).
    """
    gc.collect()
    _trim_heap()


def _trim_heap() -> None:
    """Return the heap a finished target freed to the system before the next target starts.

    glibc keeps freed memory for reuse, but the next target's allocations do not fit the holes
    the last one left: at 20,000 units each target left 25–40 MB behind, and the build's peak
    came three targets later (an edit build, one process: 514 MB, 475 MB with a trim after each
    target). No collection first: the model is frozen, and what the targets leave is freed by
    reference counting; the trim costs ~15 ms at 20,000 units, ~1 ms at 2,000."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        ctypes.CDLL(None).malloc_trim(0)  # the C library this process runs on


def _forget_shared_renders() -> None:
    """Drop what the targets of a run shared in this process (``scorm_common.PAGE_FRAMES``: unit
    pages without their runtime data), so that a long-lived process (``coursepack serve``, a
    library caller) does not hold a built course's pages after its run."""
    scorm = sys.modules.get("builder.targets.scorm_common")
    if scorm is not None:
        scorm.PAGE_FRAMES.forget()


PARALLEL_MIN_UNITS = 100
"""Below this many units a run stays in one process: on a 2-core machine starting workers and
sending each a copy of the course costs more than rendering the targets side by side saves
(sample course, 32 units: 0.53 s serial vs 0.58 s with 2 workers; a 150-unit course: 0.60 s vs
0.45 s; 400 units: 1.55 s vs 1.14 s — medians, ``pipeline.run``, all targets)."""


def default_jobs(course: Course, targets: list[str]) -> int:
    """Worker processes when ``--jobs`` is not given: 1 for small courses, else one per core."""
    return max(1, min(len(targets), _cores_for(course)))


def _cores_for(course: Course) -> int:
    """The processes a run without ``--jobs`` may use: one for a small course, else every core."""
    return 1 if len(course.units()) < PARALLEL_MIN_UNITS else _cores()


def spare_cores(course: Course, jobs: int | None, workers: int) -> int:
    """Cores a run of ``workers`` processes leaves idle that ``--jobs`` (or, without it, the course's
    size, as ``default_jobs`` decides) would let it use: a build of one target (``-t olx``, or all
    targets but one restored from the cache) runs in one process, and its second core idled
    (``builder.spare``)."""
    if workers != 1:
        return 0
    allowed = jobs if jobs else _cores_for(course)
    return max(0, allowed - workers)


def choose_workers(
    course: Course,
    targets: list[str],
    options: BuildOptions,
    jobs: int | None,
    cache_dir: Path | None,
    digest: str | None,
) -> int:
    """Processes for this run: ``jobs`` (an upper bound) or ``default_jobs``, and no more than the
    targets the build cache cannot restore. A restored target is a copy of its files; forking a
    worker for it cost more than it saves (a no-op rebuild at 2,000 units: ~0.08 s CPU and
    ~0.15 s wall more with 2 workers than in one process). Which process renders a target never
    changes its bytes, so a cache entry that then fails to restore costs time, not correctness."""
    most = max(1, min(len(targets), jobs)) if jobs else default_jobs(course, targets)
    if most > 1 and cache_dir is not None and digest is not None:
        from builder.cache import has_entry

        outdated = [n for n in targets if not has_entry(cache_dir, _target_key(n, digest, options))]
        most = max(1, min(most, len(outdated)))
    return most


COST_ORDER: tuple[str, ...] = (
    "handbook", "olx", "scorm12", "scorm2004", "cmi5", "moodle-questions", "competences",
)  # fmt: skip
"""Targets from the most CPU to the least (2,000 units: typesetting the handbook ~7 s, OLX with
olxcleaner ~3 s, each SCORM flavour ~1.5 s, the rest < 0.5 s). Workers take them in this order, so
the longest starts first and the short ones fill the other core: in build order, the handbook
came last and ran alone while the other core idled."""


SHARED_PAGES = frozenset({"scorm12", "scorm2004", "cmi5"})
"""Targets whose unit pages one process renders once for them all (``scorm_common.PageFrames``)."""


def pick_for_worker(pending: list[str | SideJob], here: str | SideJob | None) -> int:
    """Which pending job a worker takes, given what the main process renders (``here``): the next
    one, unless that is a target sharing unit pages with the one ``here`` — the main process will
    render it for a third of the cost — while other work is pending; then the first such work."""
    if here in SHARED_PAGES and pending and pending[0] in SHARED_PAGES:
        for i, item in enumerate(pending):
            if item not in SHARED_PAGES:
                return i
    return 0


def by_cost(targets: list[str]) -> list[str]:
    """``targets`` longest first (``COST_ORDER``; an unknown name keeps its place at the end)."""
    rank = {name: i for i, name in enumerate(COST_ORDER)}
    return sorted(targets, key=lambda n: rank.get(n, len(rank)))


def _before_fork(course: Course, targets: list[str], options: BuildOptions) -> None:
    """Load here what every process would load for itself: the targets' modules and their shared
    memos (``targets.prepare``), and ctypes for ``_give_back_memory``; forked workers inherit them."""
    import ctypes  # noqa: F401

    prepare(targets, course, options)


def _cores() -> int:
    """Cores this process may use (its affinity mask, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _pool_context() -> mp.context.BaseContext | None:
    """How target workers start: forked (fast), unless Typst is loaded in this process.

    A fork of a process whose native threads hold locks deadlocks in the child; Typst keeps a
    thread pool once it has typeset the handbook, so a process that did so (a test, a library
    caller, ``coursepack serve``) starts workers from a clean fork server instead. The CLI never
    loads Typst before it builds, so its workers are still forked.
    """
    return mp.get_context("forkserver") if "typst" in sys.modules else None


def run(
    course: Course,
    targets: list[str],
    options: BuildOptions,
    staging: Path | None = None,
    strict: bool = False,
    jobs: int | None = None,
    on_done: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
    on_units: Callable[[int], None] | None = None,
    side: Iterable[SideJob] = (),
) -> Result:
    """Render and check ``targets``; with ``staging``, also write the outputs of error-free targets there.
    ``side`` jobs run beside them, after them in the queue (``SideJob``).

    The caller publishes (``builder.build``) only when ``Result.errors`` is empty.
    """
    results: dict[str, TargetResult] = {}
    side_results: dict[str, Any] = {}
    side = list(side)
    digest = course_key(course) if cache_dir is not None and staging is not None else None
    workers = choose_workers(course, targets, options, jobs, cache_dir, digest)
    tally = _Tally(len(course.units()), on_units)
    if workers == 1:
        # A target running alone may fork for part of its work (``builder.spare``).
        allow = spare.allowed(spare_cores(course, jobs, workers))
        # The course and everything loaded so far live until the run ends: out of the collector's
        # reach (as before a fork, below), the full collections that the targets' allocations set
        # off no longer walk the model's millions of objects (~0.3 s of a one-unit edit at 2,000
        # units, a tenth of it). Nested in the CLI's freeze, it leaves the thawing to it.
        with gcpause.frozen(), allow:
            try:
                for name in targets:
                    previous = progress.set_sink(_Batched(lambda n, name=name: tally.add(name, n)))
                    try:
                        results[name] = run_target(name, course, options, staging, cache_dir, digest)
                    finally:
                        progress.set_sink(previous)
                        _trim_heap()
                    tally.finish(name)
                    if on_done:
                        on_done(name)
                for job in side:
                    side_results[job.name] = job.run(course, staging, cache_dir)
            finally:
                _forget_shared_renders()
    else:
        global _FORKED, _QUEUE
        # Forked workers inherit the course; with Typst loaded, a fork server (``_pool_context``)
        # starts them and the course is pickled to each.
        fork = "fork" in mp.get_all_start_methods() and _pool_context() is None
        context = mp.get_context("fork") if fork else _pool_context()
        _FORKED = course if fork else None
        _QUEUE = context.SimpleQueue() if fork and context is not None and on_units is not None else None
        reader = None
        if _QUEUE is not None:
            reader = threading.Thread(target=_read_progress, args=(_QUEUE, tally), daemon=True)
            reader.start()
        thaw = contextlib.ExitStack()
        if fork:
            _before_fork(course, targets, options)
            # What exists now is shared with the forked workers: out of the collector's reach, its
            # pages are not copied into each worker by the collector's bookkeeping.
            thaw.enter_context(gcpause.frozen())
        try:
            # One target at a time runs here, beside ``workers - 1`` forked workers: a worker's
            # first writes copy the course's pages into it (its refcounts), so each worker holds
            # a model of its own; the main process, idle while it waited, was one copy too many.
            pending: list[str | SideJob] = [*by_cost(targets), *side]
            with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
                sent = None if fork else course
                running: dict[Future[Any], tuple[str | SideJob, bool]] = {}

                def start() -> None:
                    busy = [local for _name, local in running.values()]
                    here = next((item for item, local in running.values() if local), None)
                    while pending and busy.count(False) < workers - 1:
                        item = pending.pop(pick_for_worker(pending, here))
                        if isinstance(item, SideJob):
                            fut = pool.submit(_side_job, item, sent, staging, cache_dir)
                        else:
                            fut = pool.submit(_worker, item, sent, options, staging, cache_dir, digest)
                        running[fut] = (item, False)
                        busy.append(False)
                    if pending and True not in busy:
                        item = pending.pop(0)
                        if isinstance(item, SideJob):
                            running[_in_thread(_side_job, item, course, staging, cache_dir)] = (item, True)
                        else:
                            job = (item, course, options, staging, cache_dir, digest, tally)
                            running[_in_thread(_here, *job)] = (item, True)

                start()
                try:
                    while running:
                        done, _ = wait(running, return_when=FIRST_COMPLETED)
                        for fut in done:
                            item, _local = running.pop(fut)
                            if isinstance(item, SideJob):
                                side_results[item.name] = fut.result()
                                continue
                            results[item] = fut.result()
                            tally.finish(item)
                            if on_done:
                                on_done(item)
                        start()
                except Exception:
                    # A failed target ends the run, but not under the target still rendering
                    # here (into staging and the cache); the pool waits for its own likewise.
                    wait([fut for fut, (_name, local) in running.items() if local])
                    raise
        finally:
            _forget_shared_renders()
            thaw.close()
            if _QUEUE is not None:
                _QUEUE.put(None)
                if reader is not None:
                    reader.join(timeout=5)
                _QUEUE.close()
            _FORKED = _QUEUE = None
    diags: list[Diagnostic] = []
    ran: list[str] = []
    for check in COURSE_CHECKS:
        if not check.targets or check.targets & set(targets):
            diags += check.run(course, options, tuple(targets))
            ran.append(check.name)
    for name in targets:
        diags += results[name].diagnostics
        ran += results[name].checks
    if strict:  # warnings become errors; notes (advice about an LMS) stay notes
        diags = escalate(diags)
    diags = sorted(set(diags), key=lambda d: (d.file, d.line or 0, d.column or 0, d.message))
    return Result(diags, ran, {n: results[n] for n in targets}, side_results)
