"""The runtime script is assembled from the engine and the package's adapter, reproducibly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from builder.archive import Member
from builder.model import Course
from builder.targets import BuildOptions, scorm12, scorm2004
from builder.targets.scorm_runtime import RUNTIME_SCRIPT, runtime_dir, runtime_files, runtime_script
from tests.factories import make_course

ADAPTER_NAMES = re.compile(r'adapters\.push\(\{\s*name: "(\w+)"')


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path)


def data(member: Member) -> bytes:
    return member if isinstance(member, bytes) else Path(member).read_bytes()


@pytest.mark.parametrize(
    ("version", "module", "adapter", "other"),
    [("1.2", scorm12, "scorm12", "scorm2004"), ("2004", scorm2004, "scorm2004", "scorm12")],
)
def test_a_package_ships_its_own_adapter_and_the_standalone_fallback(
    course: Course, version: str, module, adapter: str, other: str
) -> None:
    (out,) = module.render(course, BuildOptions())
    script = data(out.members[RUNTIME_SCRIPT]).decode("utf-8")
    assert ADAPTER_NAMES.findall(script) == [adapter, "standalone"]  # tried in this order
    assert other not in ADAPTER_NAMES.findall(script)
    assert script == runtime_script(version).decode("utf-8")
    assert "ADAPTER INTERFACE" in script  # the engine, with its documented interface
    assert script.index("---- engine.js ----") > script.index("---- standalone.js ----")


def test_the_assembled_script_is_byte_identical_across_builds() -> None:
    runtime_script.cache_clear()
    first = runtime_script("2004")
    runtime_script.cache_clear()
    assert runtime_script("2004") == first
    assert b"\r" not in first


def test_an_unknown_protocol_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no SCO runtime adapter for 'cmi6'"):
        runtime_files("cmi6")


def test_every_runtime_source_file_is_used() -> None:
    used = {name for version in ("1.2", "2004") for name in runtime_files(version)}
    assert {p.name for p in runtime_dir().glob("*.js")} == used


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_the_assembled_script_parses(tmp_path: Path, version: str) -> None:
    path = tmp_path / "coursepack.js"
    path.write_bytes(runtime_script(version))
    result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
