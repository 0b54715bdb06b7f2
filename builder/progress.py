"""Per-unit build progress, reported from wherever units are rendered (this process or a worker).

A per-target bar stood still for most of a long build (three heavy targets, one tick each). Now
each target counts as many steps as the course has units: renderers call ``unit_done()`` after
each unit, the pipeline forwards the count (from forked workers through a queue) and tops a
target up to its full count when it finishes, so the bar always ends exactly at its length —
also for targets that render no per-unit pieces, or that come from the build cache.
"""

from __future__ import annotations

from collections.abc import Callable

_sink: Callable[[int], None] | None = None


def unit_done(n: int = 1) -> None:
    """Tell the build that ``n`` more units of the current target are rendered."""
    if _sink is not None:
        _sink(n)


def set_sink(sink: Callable[[int], None] | None) -> Callable[[int], None] | None:
    """Route ``unit_done`` to ``sink`` (None: nowhere); return the previous sink."""
    global _sink
    previous, _sink = _sink, sink
    return previous
