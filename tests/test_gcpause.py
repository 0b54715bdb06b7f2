"""The collector's handling (``builder.gcpause``): an inner block never undoes an outer one — the
pipeline's freeze used to thaw the CLI's, so the loaded courses were back in every collection's
walk from the first target on."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from builder import gcpause, pipeline
from builder.model import Course
from builder.targets import BuildOptions


@pytest.fixture(autouse=True)
def collector() -> Iterator[None]:
    """Each test starts with a running collector and nothing frozen, and leaves it so."""
    was_on = gc.isenabled()
    gc.unfreeze()
    gc.enable()
    yield
    gc.unfreeze()
    if was_on:
        gc.enable()


def test_only_the_outermost_frozen_block_thaws() -> None:
    with gcpause.frozen():
        outer = gc.get_freeze_count()
        assert outer > 0
        with gcpause.frozen():
            kept = [[] for _ in range(1000)]  # made inside: frozen by the inner block
            with gcpause.frozen():
                assert gc.get_freeze_count() >= outer
        assert gc.get_freeze_count() >= outer + len(kept), "the inner blocks left the outer freeze"
    assert gc.get_freeze_count() == 0


def test_a_frozen_block_leaves_a_callers_own_freeze_alone() -> None:
    gc.freeze()
    mine = gc.get_freeze_count()
    with gcpause.frozen():
        pass
    assert gc.get_freeze_count() >= mine > 0


def test_frozen_thaws_when_the_block_raises() -> None:
    with pytest.raises(ValueError), gcpause.frozen():
        raise ValueError
    assert gc.get_freeze_count() == 0


def test_paused_and_running_restore_what_they_found() -> None:
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner pause resumed the collector under the outer one"
        with gcpause.running():
            assert gc.isenabled()
        assert not gc.isenabled()
        with pytest.raises(ValueError), gcpause.running():
            raise ValueError
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with gcpause.running():
        assert gc.isenabled()
    assert not gc.isenabled()


def test_a_pipeline_run_keeps_the_callers_freeze(sample_course: Course) -> None:
    """``coursepack build`` freezes the loaded courses, then runs the pipeline: after the run (and
    for the next translation's run) they are still out of the collector's sight."""
    with gcpause.frozen():
        frozen = gc.get_freeze_count()
        pipeline.run(sample_course, ["competences"], BuildOptions(), jobs=1)
        assert gc.get_freeze_count() >= frozen
    assert gc.get_freeze_count() == 0


def test_one_process_returns_each_targets_freed_heap_before_the_next(
    sample_course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each target in one process the freed heap goes back to the system: the next
    target's allocations did not fit the holes, and the build's peak came targets later."""
    trims: list[int] = []
    monkeypatch.setattr(pipeline, "_trim_heap", lambda: trims.append(1))
    pipeline.run(sample_course, ["competences", "moodle-questions"], BuildOptions(), jobs=1)
    assert len(trims) == 2
