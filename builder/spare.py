"""A process beside a target that runs alone, for the independent parts of its work.

Why: a build of one target (``-t olx``, the peer benchmark's build; or all targets but one
restored from the cache) runs in one process (``pipeline.choose_workers``), and on a 2-core
machine the second core idled through the whole target: at 2,000 units the OLX unit files
(~0.55 s) and olxcleaner's ~20 chapters (~0.7 s) ran one after another. Those are lists of
independent jobs (a unit's files read only the unit and the course context; a chapter's
olxcleaner run only the course context and the chapter), so they can be ``share``d: a forked
process takes them from the last, this one from the first, until the two meet (``Claims``) —
whichever is slower (this one also does the work between, the other one starts ~20 ms late)
simply does fewer. Results are used in job order here, so what is made is what one process
makes, byte for byte.

When: ``pipeline.run`` allows it (``allowed``) for a run of one process when ``--jobs`` (or,
without it, the course's size: ``pipeline.default_jobs``' rule) would let it use more — never with
``-j 1`` or for a small course — and ``process()`` gives none once Typst is loaded (forking a
process whose native threads hold locks can deadlock, as ``pipeline._pool_context`` says). The
caller also shares only enough work to pay for the fork.

Failures: a job that raises in the spare process is run again here, where it raises what one
process would (a renderer's ValueError stays one); a process that dies is ``BrokenProcessPool``,
raised where this process needs a result: the run fails.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.sharedctypes
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from builder import gcpause
from builder.scratch import ScratchFile


def _spill_folder() -> Path | None:
    """Where the running target spills its members (the staging folder), else the temp folder."""
    from builder import archive

    return archive._SPILL[-1] if archive._SPILL else None

_ALLOWED = 0
"""Spare processes the current run allows (``allowed``); 0 outside a run and in its workers."""


@contextlib.contextmanager
def allowed(count: int) -> Iterator[None]:
    """While the block runs, ``process()`` may fork up to ``count`` processes (one is used)."""
    global _ALLOWED
    before, _ALLOWED = _ALLOWED, count
    try:
        yield
    finally:
        _ALLOWED = before


@contextlib.contextmanager
def process() -> Iterator[Spare | None]:
    """A ``Spare`` when the run allows one and this process can fork for it; else None, and the
    caller does all the work itself."""
    from builder import pipeline

    if _ALLOWED < 1 or "fork" not in multiprocessing.get_all_start_methods() or pipeline._pool_context():
        yield None
        return
    beside = Spare()
    try:
        yield beside
    finally:
        beside.close()


class Claims:
    """Which jobs a process has taken, in memory shared with a process forked after it was made:
    whichever asks first takes a job, so none runs twice."""

    WAIT = 60.0
    """Seconds to wait for the lock before calling the other process dead."""

    def __init__(self, count: int):
        self.taken = multiprocessing.sharedctypes.RawArray("b", count)
        self.lock = multiprocessing.Lock()

    def take(self, index: int) -> bool:
        with self._locked():
            if self.taken[index]:
                return False
            self.taken[index] = 1
            return True

    def take_all(self) -> None:
        with self._locked():
            for i in range(len(self.taken)):
                self.taken[i] = 1

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Held for a few instructions; a process killed while holding it must not hang the other.
        if not self.lock.acquire(timeout=self.WAIT):
            raise RuntimeError("the spare process stopped while it held the job claims")
        try:
            yield
        finally:
            self.lock.release()


_AHEAD: tuple[Callable[[int], Any], Claims, ScratchFile] | None = None
"""The job function and claims of the share being forked for: the process inherits them (a
closure over the caller's state need not pickle)."""


Places = dict[int, tuple[int, int] | None]
"""Per job the spare process ran, where its pickled result lies in the scratch file (None: it raised)."""


def _run_ahead(order: list[int]) -> Places:
    """In the spare process: ``fn(i)`` for ``order`` (last first) until a job is taken already.
    Each result goes, pickled, to the share's scratch file (the place is returned, not the
    result: at 20,000 units half the units' OLX files would be tens of MB in one message, held
    whole); None for a job that raised."""
    from builder.pipeline import WorkerError

    assert _AHEAD is not None, "jobs were sent to a process that was not forked for them"
    fn, claims, scratch = _AHEAD
    done: Places = {}
    try:
        for i in order:
            if not claims.take(i):
                break  # the other process has come this far: the rest is its
            try:
                value = fn(i)
            except Exception:
                done[i] = None  # run again there, to fail as one process would
                continue
            done[i] = scratch.append(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        scratch.flush()
    except BaseException as exc:  # an interrupt, a claims lock that timed out, a full disk
        raise WorkerError.wrap(exc) from None
    return done


class Spare:
    """Shares lists of jobs with a process forked for each (``share``)."""

    def __init__(self) -> None:
        self._shares: list[Shared] = []

    def share(self, fn: Callable[[int], Any], todo: list[int], count: int) -> Shared:
        """Fork a process that runs ``fn(i)`` for ``todo`` (indexes below ``count``), last first,
        while this one runs them from the first (``Shared.here``). ``fn`` runs in the forked
        process as it is at this call, with what this process holds now."""
        shared = Shared(fn, todo, count)
        self._shares.append(shared)
        return shared

    def close(self) -> None:
        for shared in self._shares:
            shared.close()
        self._shares.clear()


class Shared:
    """One list of jobs shared with a forked process. For each job in order, ``here(i)`` says
    whether this process runs it (it claims it) or must take ``result(i)``."""

    def __init__(self, fn: Callable[[int], Any], todo: list[int], count: int):
        global _AHEAD
        self.claims = Claims(count)
        self._fn = fn
        self._done: Places | None = None
        # Written by the spare process alone (its own end offset), read here by place.
        self._scratch = ScratchFile(_spill_folder(), prefix=".coursepack-spare-")
        self._frozen = contextlib.ExitStack()
        # What exists now is shared with the process: out of the collector's reach, as before
        # the pipeline forks its workers, so that its bookkeeping does not copy the pages.
        self._frozen.enter_context(gcpause.frozen())
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        _AHEAD = (fn, self.claims, self._scratch)
        try:
            self._future: Future[Places] = self._pool.submit(_run_ahead, todo[::-1])
        finally:
            _AHEAD = None  # the process forked at the submit, with its own copy

    def here(self, index: int) -> bool:
        return self.claims.take(index)

    def result(self, index: int) -> Any:
        """The result of a job ``here`` said the spare process took."""
        if self._done is None:
            self._done = self._future.result()  # the process has taken every job from here on
        place = self._done.pop(index)
        if place is None:
            return self._fn(index)
        return pickle.loads(self._scratch.read(*place))

    def wait(self) -> None:
        """Wait until the process has stopped taking jobs (for tests: it then holds all of them)."""
        self._future.result()

    def close(self) -> None:
        """Stop the process after its current job and let it end (a caller that ends early or fails)."""
        try:
            self.claims.take_all()
            self._pool.shutdown(wait=True, cancel_futures=True)
        finally:
            self._scratch.close()
            self._frozen.close()
