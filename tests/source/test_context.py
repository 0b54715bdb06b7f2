"""``ReadContext.rel`` names files the way ``Path.relative_to`` does, on its fast path too."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.source.context import ReadContext


@pytest.mark.parametrize("root", ["/src/course", "course", "/", "."])
@pytest.mark.parametrize(
    "path",
    ["/src/course/outline/01-a/u.md", "/src/course", "/src/courseware/x.md", "/other/x.md", "course/x.md",
     "coursex/y.md", "x.md", "/src/course/static/caf\udce9.png"],
)  # fmt: skip
def test_rel_equals_relative_to(root: str, path: str) -> None:
    base, p = Path(root), Path(path)
    try:
        expected = p.relative_to(base).as_posix()
    except ValueError:
        expected = str(p)
    expected = expected.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    assert ReadContext(base, Path("/resolved")).rel(p) == expected
