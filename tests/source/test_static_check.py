"""Static files with script are shipped as they are and run on the LMS's origin: ``check`` warns."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.pipeline import TARGETS, run
from builder.source import load_course
from builder.source.static import check_static
from builder.targets import BuildOptions


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", "<p>Hi</p><script>alert(document.cookie)</script>"),
        ("page.htm", "<P>Hi</P><SCRIPT SRC=x.js></SCRIPT>"),
        ("img/pic.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("doc.xhtml", '<a href="javascript:alert(1)">x</a>'),
        ("app.js", "console.log(1)"),
    ],
)
def test_static_file_with_script_is_a_warning(src: Path, name: str, content: str) -> None:
    path = src / "static" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    found = check_static(load_course(src))
    assert [(d.file, d.severity, d.code) for d in found] == [(f"static/{name}", "warning", "static-script")]
    assert "learner's session" in found[0].message


@pytest.mark.parametrize(("name", "content"), [("page.html", "<p>Only text</p>"), ("notes.txt", "<script>")])
def test_static_file_without_script_is_fine(src: Path, name: str, content: str) -> None:
    (src / "static" / name).write_text(content)
    assert check_static(load_course(src)) == []


def test_check_warns_and_strict_check_errs(src: Path) -> None:
    (src / "static" / "page.html").write_text("<script>alert(1)</script>")
    course = load_course(src)
    plain = run(course, list(TARGETS), BuildOptions(), jobs=1).diagnostics
    strict = run(course, list(TARGETS), BuildOptions(), strict=True, jobs=1).diagnostics
    plain = [d for d in plain if d.code == "static-script"]
    strict = [d for d in strict if d.code == "static-script"]
    assert [d.severity for d in plain] == ["warning"]
    assert [d.severity for d in strict] == ["error"]
