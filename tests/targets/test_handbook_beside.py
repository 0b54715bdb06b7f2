"""The handbook's HTML page is made in a thread while Typst typesets the PDF (``typst.compile``
releases the GIL), not after it: the typesetting worker's path is what ends a cold build."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from builder.archive import Member
from builder.diagnostics import SourceErrors
from builder.model import Course
from builder.targets import BuildOptions, handbook


def data(member: Member) -> bytes:
    return member.read_bytes() if isinstance(member, Path) else member


def files(course: Course) -> dict[str, bytes]:
    return {o.filename: data(next(iter(o.members.values()))) for o in handbook.render(course, BuildOptions())}


def test_the_page_is_made_while_typst_typesets(
    sample_course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typst

    made = threading.Event()
    real_html = handbook.render_html

    def html(course: Course) -> bytes:
        page = real_html(course)
        made.set()
        return page

    def compile(*args: object, **kwargs: object) -> bytes:
        # Typst's own call returns only once the page exists: before, it was made after the PDF.
        assert made.wait(60), "the HTML page was not made while the PDF was typeset"
        return b"%PDF-fake"

    monkeypatch.setattr(handbook, "render_html", html)
    monkeypatch.setattr(typst, "compile", compile)
    out = files(sample_course)
    assert out[f"{sample_course.stem}.handbook.pdf"] == b"%PDF-fake"
    assert out[f"{sample_course.stem}.handbook.html"] == real_html(sample_course)


def test_a_failing_page_still_fails_the_target_with_its_own_error(
    sample_course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typst

    def html(course: Course) -> bytes:
        raise ValueError("the page broke")

    monkeypatch.setattr(handbook, "render_html", html)
    monkeypatch.setattr(typst, "compile", lambda *a, **k: b"%PDF-fake")
    with pytest.raises(ValueError, match="the page broke"):
        files(sample_course)


def test_a_typst_error_is_still_a_finding_and_the_page_thread_is_done(
    sample_course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typst

    finished: list[bool] = []
    real_html = handbook.render_html

    def html(course: Course) -> bytes:
        time.sleep(0.2)
        page = real_html(course)
        finished.append(True)
        return page

    def compile(*args: object, **kwargs: object) -> bytes:
        error = typst.TypstError("cannot decode image")
        error.message = "cannot decode image"  # what Typst's own errors carry
        raise error

    monkeypatch.setattr(handbook, "render_html", html)
    monkeypatch.setattr(typst, "compile", compile)
    with pytest.raises(SourceErrors) as caught:
        files(sample_course)
    assert "could not be typeset" in caught.value.diagnostics[0].message
    assert finished == [True]  # joined before the error left render_pdf
    assert not [t for t in threading.enumerate() if t.name == "coursepack-handbook-html"]
