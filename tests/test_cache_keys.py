"""Keys gathered from chosen model fields must see every field their output reads.

The handbook, the coverage report and cmi5.xml are keyed from facts picked out of the model
(``handbook._inputs``, ``build.report_facts``, ``cmi5.structure_facts``) instead of from the output
built only to be hashed. A field left out of such a key would let a cached build differ from a
clean one after an edit of that field. This sweep changes, one at a time, every field of every kind
of node in the sample course (each class and field in up to two places) and asserts: whenever the
output changes, the key changes too. It is not limited to the fields the keys name today, so a
field added to the model, or newly read by a template, is caught as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from builder import build, cache
from builder.model import Course
from builder.report.coverage import coverage
from builder.targets import cmi5, handbook

Step = tuple[str, int | str | None]
"""One step down the model: a field, and the index (list) or key (dict) within it."""


def _changed(value: Any) -> Any:
    """A different value of the same shape, or ``_SKIP`` where none can be made blindly."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.25
    if isinstance(value, str):
        return value + " x"
    if isinstance(value, datetime):
        return value + timedelta(days=1)
    if isinstance(value, list) and value:
        return value[:-1]  # a node or a scalar fewer
    if isinstance(value, tuple) and value:
        return (*value[:-1], _changed(value[-1]))
    return _SKIP


_SKIP = object()


def _nodes(model: BaseModel, path: tuple[Step, ...] = ()) -> Iterator[tuple[tuple[Step, ...], BaseModel]]:
    yield path, model
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _nodes(value, (*path, (name, None)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _nodes(item, (*path, (name, i)))


def _set(model: BaseModel, path: tuple[Step, ...], field: str, value: Any) -> BaseModel:
    """``model`` with the node at ``path`` given ``field = value``: copies along the path only."""
    if not path:
        return model.model_copy(update={field: value})
    (name, at), rest = path[0], path[1:]
    current = getattr(model, name)
    if at is None:
        return model.model_copy(update={name: _set(current, rest, field, value)})
    items = list(current)
    items[at] = _set(items[at], rest, field, value)  # type: ignore[index]
    return model.model_copy(update={name: items})


def _mutations(course: Course, per_field: int = 2) -> Iterator[tuple[str, Course]]:
    seen: dict[tuple[str, str], int] = {}
    for path, node in _nodes(course):
        for name in type(node).model_fields:
            label = (type(node).__name__, name)
            if seen.get(label, 0) >= per_field:
                continue
            value = getattr(node, name)
            if isinstance(value, dict):
                if not value:
                    continue
                first = sorted(value)[0]
                new = _changed(value[first])
                if new is _SKIP:
                    continue
                changed: Any = {**value, first: new}
            elif isinstance(value, Path):
                continue  # a file's place: reading it is keyed by its bytes, not swept here
            else:
                changed = _changed(value)
                if changed is _SKIP:
                    continue
            seen[label] = seen.get(label, 0) + 1
            where = "/".join(f"{n}[{i}]" if i is not None else n for n, i in path)
            yield f"{where}/{type(node).__name__}.{name}", _set(course, path, name, changed)  # type: ignore[misc]


def _book(course: Course) -> str:
    data = handbook.book(course, lambda html, top: [html, top])
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _coverage(course: Course) -> str:
    return repr(replace(coverage(course), course=None))


def _cmi5(course: Course) -> bytes:
    return cmi5.course_structure(course)  # outside a build ``piece`` just makes it


def _report_key(course: Course) -> str:
    return cache.digest(build.report_facts(course), cache.course_context(course))


def _cmi5_key(course: Course) -> str:
    return cache.digest(cache.course_context(course), cmi5.structure_facts(course))


CASES: dict[str, tuple[Callable[[Course], object], Callable[[Course], str]]] = {
    "handbook": (_book, handbook._inputs),
    "coverage report": (_coverage, _report_key),
    "cmi5.xml": (_cmi5, _cmi5_key),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_field_the_output_reads_changes_its_key(case: str, sample_course: Course) -> None:
    output, key = CASES[case]
    base_out, base_key = output(sample_course), key(sample_course)
    missed, changed_outputs = [], 0
    for label, mutated in _mutations(sample_course):
        try:
            out = output(mutated)
        except Exception:
            continue  # a blind change the renderer rejects proves nothing
        if out != base_out:
            changed_outputs += 1
            if key(mutated) == base_key:
                missed.append(label)
    assert not missed, f"{case}: the key misses a change of {missed}"
    assert changed_outputs > 20  # the sweep does reach the output (it is no empty loop)


def test_file_sha256_is_the_sha256_of_the_files_bytes(tmp_path: Path) -> None:
    import hashlib

    for size in (0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) * 2 + 7):
        path = tmp_path / f"f{size}"
        data = bytes(i % 251 for i in range(size))
        path.write_bytes(data)
        assert cache.file_sha256(path) == cache.file_sha256(str(path)) == hashlib.sha256(data).hexdigest()
