"""The scratch file: what is appended is read back exactly, by any range, with few system calls."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from builder import scratch
from builder.scratch import ScratchFile


def test_every_range_reads_back_what_was_appended(tmp_path: Path) -> None:
    """Items small and large (beyond ``FLUSH``), read back whole, in parts, across items and across
    the edge between written and pending bytes, between appends — as a bytearray would give them."""
    rng = random.Random(5)
    f = ScratchFile(tmp_path)
    model = bytearray()
    places: list[tuple[int, int]] = []
    sizes = [0, 1, 7, 4096, scratch.FLUSH - 1, scratch.FLUSH, scratch.FLUSH + 3, 3 * scratch.FLUSH]
    for i in range(300):
        size = rng.choice(sizes) if i % 10 == 0 else rng.randrange(1, 5000)
        data = rng.randbytes(size)
        assert f.append(data) == (len(model), size)
        model += data
        places.append((len(model) - size, size))
        for _ in range(3):
            at, n = rng.choice(places)
            assert f.read(at, n) == model[at : at + n]
            start = rng.randrange(len(model) + 1)
            length = rng.randrange(len(model) - start + 1)
            assert f.read(start, length) == model[start : start + length]
    with pytest.raises(OSError, match="short"):
        f.read(len(model) - 1, 2)
    f.close()
    assert list(tmp_path.iterdir()) == []


def _write_calls() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    raise AssertionError("no syscw")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts system calls through Linux /proc")
def test_small_appends_are_written_together(tmp_path: Path) -> None:
    """Thousands of pages appended one by one are written in a few calls, not a call (and a seek)
    each: a one-unit edit at 2,000 units appended 34,000 items."""
    f = ScratchFile(tmp_path)
    before = _write_calls()
    places = [f.append(b"<p>page %d</p>" % i * 20) for i in range(2000)]
    assert _write_calls() - before <= 3
    assert all(f.read(at, n) == b"<p>page %d</p>" % i * 20 for i, (at, n) in enumerate(places))
    f.close()
