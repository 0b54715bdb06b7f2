"""The cycle collector's handling during a build, in one place, nesting correctly.

A build makes millions of long-lived objects (a 2,000-unit course model, the cached pieces'
indexes) and little cyclic garbage. Left alone, the collector walks them again at every full
collection: building the model with it running cost twice the CPU, and the collections set off by
the targets' allocations walked the model for ~0.3 s of a one-unit edit. So the loader builds the
model with the collector ``paused``, and the CLI and the pipeline keep what exists ``frozen``
(out of the collector's sight, ``gc.freeze``) while the targets run; before forking, freezing
also keeps the collector's bookkeeping from copying the shared pages into each worker.

``gc`` itself does not nest: ``gc.unfreeze()`` thaws everything frozen, by whomever, and
``gc.enable()`` undoes a caller's ``gc.disable()``. When the pipeline unfroze after its targets,
it thawed the CLI's freeze of the loaded courses. Here an inner block never undoes an outer one's
state: ``paused`` restores the collector to what it found, and only the outermost ``frozen``
(the one that found nothing frozen) thaws.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collections while the block runs; afterwards the collector is as it was."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextlib.contextmanager
def running() -> Iterator[None]:
    """Collections while the block runs (worker processes forked in it inherit a running
    collector), whatever an outer ``paused`` said; afterwards as it was."""
    was_on = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_on:
            gc.disable()


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Every object alive now is out of the collector's sight until the outermost ``frozen``
    block ends (objects frozen by an inner block included: ``gc`` cannot thaw them alone). A
    block entered while something is frozen already, by an outer block or by the caller, leaves
    the thawing to it."""
    owner = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if owner:
            gc.unfreeze()
