"""Whatever a partner writes, the loader answers with findings, never with a traceback.

Every key of every YAML document in the scaffold course (course.yaml, competences.yaml, section
and subsection files, unit front matter, problem blocks) is replaced in turn by values of the
wrong type; the only acceptable outcomes are a loaded course or ``SourceErrors`` whose every
diagnostic names a file of the course.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from builder.diagnostics import SourceErrors
from builder.scaffold import scaffold
from builder.source import load_course

WRONG_VALUES = [
    "null",
    "[]",
    "[1, [2]]",
    "{a: 1}",
    "7",
    "-1.5e308",
    "true",
    '""',
    "'" + "x" * 5000 + "'",
    "~/../..",
]
UNIT = "outline/01-getting-started/01-first-steps/01-welcome.md"


def _yaml_documents(root: Path) -> Iterator[tuple[str, str, str]]:
    """(file, region, text) for each YAML document; region is 'file', 'front' or 'problem'."""
    for path in sorted(root.rglob("*.yaml")):
        yield path.relative_to(root).as_posix(), "file", path.read_text()
    unit = (root / UNIT).read_text()
    front = unit.split("---\n")[1]
    yield UNIT, "front", front
    problem = re.search(r"```problem\n(.*?)```", unit, re.S)
    assert problem
    yield UNIT, "problem", problem.group(1)


def _key_paths(value: object, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _key_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:2]):
            yield from _key_paths(v, (*prefix, i))


def _cases() -> list[tuple[str, str, tuple, str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "c"
        scaffold(root)
        cases = []
        for file, region, text in _yaml_documents(root):
            for path in _key_paths(yaml.safe_load(text)):
                for wrong in WRONG_VALUES[:: 3 if len(path) > 2 else 1]:
                    cases.append((file, region, path, wrong))
        return cases


CASES = _cases()


def _replace(text: str, path: tuple, wrong: str) -> str:
    data = yaml.safe_load(text)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = yaml.safe_load(wrong)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(
    ("file", "region", "path", "wrong"), CASES, ids=[f"{c[0]}:{c[2]}={c[3][:12]}" for c in CASES]
)
def test_wrong_types_give_findings_not_tracebacks(
    tmp_path: Path, file: str, region: str, path: tuple, wrong: str
) -> None:
    root = tmp_path / "c"
    scaffold(root)
    target = root / file
    text = target.read_text()
    if region == "file":
        target.write_text(_replace(text, path, wrong))
    elif region == "front":
        front = text.split("---\n")[1]
        target.write_text(text.replace(front, _replace(front, path, wrong), 1))
    else:
        body = re.search(r"```problem\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
        target.write_text(text.replace(body, _replace(body, path, wrong), 1))
    try:
        load_course(root)
    except SourceErrors as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert (root / d.file).exists() or d.file in ("outline",), str(d)
            assert d.message


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "---\n",
        "---\n---\n",
        "\x00\x01binary",
        "---\nid: [unclosed\n---\n",
        "```problem\n",
        "---\n: :\n---\n",
        "---\nid: u\ntitle: T\n---\n[x](" + "a/" * 3000 + "b.png)\n",
        "---\nid: u\ntitle: T\n---\n![x](static/a%00b.png) [y](../" + "x" * 300 + ")\n",
    ],
)
def test_garbage_unit_files(tmp_path: Path, garbage: str) -> None:
    root = tmp_path / "c"
    scaffold(root)
    (root / UNIT).write_text(garbage)
    with pytest.raises(SourceErrors):
        load_course(root)


def test_undecodable_file(tmp_path: Path) -> None:
    root = tmp_path / "c"
    scaffold(root)
    (root / UNIT).write_bytes(b"---\nid: u\xff\xfe\n---\n")
    with pytest.raises(SourceErrors) as exc:
        load_course(root)
    assert any("not valid UTF-8" in d.message for d in exc.value.diagnostics)


@pytest.mark.parametrize("style", ["crlf", "bom"])
def test_files_saved_on_windows_load(tmp_path: Path, style: str) -> None:
    """Partners edit on Windows: CRLF line endings and Notepad's UTF-8 BOM must not matter."""
    root = tmp_path / "c"
    scaffold(root)
    reference = load_course(root)
    for path in [*root.rglob("*.md"), *root.rglob("*.yaml")]:
        raw = path.read_bytes()
        path.write_bytes(raw.replace(b"\n", b"\r\n") if style == "crlf" else b"\xef\xbb\xbf" + raw)
    course = load_course(root)
    assert course.model_dump(exclude={"positions"}) == reference.model_dump(exclude={"positions"})
