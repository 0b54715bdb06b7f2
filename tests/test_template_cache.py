"""Compiled templates kept in the build cache: reused when the template is unchanged, never when it
changed, never when the file was altered, and a build that reuses them gives the clean bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner

from builder import template_cache, templates
from builder.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the templates Jinja compiled from source."""
    seen: list[str] = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        seen.append(str(name))
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return seen


def _env(sources: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(sources), bytecode_cache=template_cache.SHARED)


def test_an_unchanged_template_is_not_compiled_again(tmp_path: Path, compiles: list[str]) -> None:
    with template_cache.kept_in(tmp_path):
        assert _env({"t": "<p>{{ x }}</p>"}).get_template("t").render(x=1) == "<p>1</p>"
        assert compiles == ["t"]
        # A new process (here: a new environment, whose in-memory cache is empty) loads the code.
        assert _env({"t": "<p>{{ x }}</p>"}).get_template("t").render(x=2) == "<p>2</p>"
    assert compiles == ["t"]
    assert list((tmp_path / template_cache.FOLDER).rglob("*"))


def test_a_changed_template_is_compiled_and_takes_effect(tmp_path: Path, compiles: list[str]) -> None:
    with template_cache.kept_in(tmp_path):
        assert _env({"t": "<p>{{ x }}</p>"}).get_template("t").render(x=1) == "<p>1</p>"
        assert _env({"t": "<b>{{ x }}</b>"}).get_template("t").render(x=1) == "<b>1</b>"
    assert compiles == ["t", "t"]


def test_an_altered_or_truncated_file_is_a_miss(tmp_path: Path, compiles: list[str]) -> None:
    with template_cache.kept_in(tmp_path):
        _env({"t": "<p>{{ x }}</p>"}).get_template("t")
        (stored,) = [p for p in (tmp_path / template_cache.FOLDER).rglob("*") if p.is_file()]
        data = stored.read_bytes()
        # Same length, one byte of the compiled code changed: still a file Jinja would unmarshal.
        stored.write_bytes(data[:-40] + bytes([data[-40] ^ 1]) + data[-39:])
        assert _env({"t": "<p>{{ x }}</p>"}).get_template("t").render(x=3) == "<p>3</p>"
        stored.write_bytes(data[: len(data) // 2])
        assert _env({"t": "<p>{{ x }}</p>"}).get_template("t").render(x=4) == "<p>4</p>"
        stored.unlink()
        assert _env({"t": "<p>{{ x }}</p>"}).get_template("t").render(x=5) == "<p>5</p>"
    assert compiles == ["t"] * 4


def test_outside_a_build_nothing_is_kept(tmp_path: Path, compiles: list[str]) -> None:
    _env({"t": "x"}).get_template("t")
    _env({"t": "x"}).get_template("t")
    assert compiles == ["t", "t"]


def _build(src: Path, out: Path, *extra: str) -> dict[str, bytes]:
    templates.environment.cache_clear()  # as a new process: nothing compiled in memory
    result = CliRunner().invoke(main, ["--quiet", "build", str(src), "--out", str(out), "-j", "1", *extra])
    assert result.exit_code == 0, result.output
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def test_a_build_with_compiled_templates_gives_the_clean_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    src = tmp_path / "src"
    shutil.copytree(ROOT / "course_src", src)
    out = tmp_path / "dist"
    _build(src, out)
    assert compiles  # the first build compiled its templates
    unit = sorted((src / "outline").rglob("*.md"))[0]
    unit.write_text(unit.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    compiles.clear()
    edited = _build(src, out)
    assert compiles == []  # every template the edit rendered came compiled from the cache
    try:
        assert edited == _build(src, tmp_path / "clean", "--no-cache")
    finally:
        templates.environment.cache_clear()
