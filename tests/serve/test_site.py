"""PreviewSite: reloads parse only changed unit files, say which pages changed, keep the last good
course on errors, and render unit pages exactly as the SCORM packages hold them."""

from __future__ import annotations

from pathlib import Path

from builder.serve.site import PreviewSite
from builder.source.loader import load_course
from builder.targets import BuildOptions, scorm12, scorm2004
from tests.serve.conftest import UNIT, UNIT_ID, edit


def test_first_refresh_loads_every_unit_and_marks_every_page_changed(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    change = site.refresh()
    assert not change.errors
    assert change.outline
    assert set(change.units) == {u.id for u in site.units()}
    assert len(site.reread) == len(site.units())


def test_editing_one_unit_rereads_only_that_file_and_changes_only_its_page(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    edit(course_copy / UNIT, "A website is a tool.", "A website is only a tool.")
    change = site.refresh()
    assert site.reread == [course_copy / UNIT]
    assert change.units == (UNIT_ID,)
    assert not change.outline
    assert "A website is only a tool." in site.unit_page("2004", UNIT_ID)


def test_cached_load_equals_a_fresh_load(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    edit(course_copy / UNIT, "A website is a tool.", "A website is a mere tool.")
    site.refresh()
    assert site.course == load_course(course_copy)


def test_a_title_change_changes_the_outline(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    edit(
        course_copy / UNIT,
        "title: What a digital strategy is (and is not)",
        "title: Digital strategy, defined",
    )
    change = site.refresh()
    assert change.outline
    assert UNIT_ID in change.units


def test_errors_keep_the_last_good_course_and_clear_when_fixed(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    good = site.course
    edit(course_copy / UNIT, "type: dropdown", "type: dropdwn")
    change = site.refresh()
    assert change.errors
    first = change.errors[0]
    assert first.file == UNIT.as_posix() and first.line
    assert site.course is good
    assert site.unit_page("2004", UNIT_ID) is not None  # still previewing the last good version
    edit(course_copy / UNIT, "type: dropdwn", "type: dropdown")
    change = site.refresh()
    assert not change.errors and not site.errors


def test_unit_page_is_the_package_page_byte_for_byte(course_copy: Path) -> None:
    """The preview shows what learners get: same markup, data and script references."""
    site = PreviewSite(course_copy)
    site.refresh()
    course = site.course
    for version, module in (("2004", scorm2004), ("1.2", scorm12)):
        (out,) = module.render(course, BuildOptions())
        for unit in site.units()[:5]:
            assert site.unit_page(version, unit.id).encode("utf-8") == out.members[f"sco/{unit.id}.html"]


def test_unknown_unit_has_no_page(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    assert site.unit_page("2004", "../course") is None


def test_a_read_failure_is_shown_like_an_error_and_the_next_save_recovers(
    course_copy: Path, monkeypatch
) -> None:
    """The watcher must survive what the loader does not expect (a file vanishing mid-read)."""
    import builder.serve.site as site_module

    site = PreviewSite(course_copy)
    site.refresh()

    def vanish(*args: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", str(course_copy / UNIT))

    monkeypatch.setattr(site_module, "load_course", vanish)
    change = site.refresh()
    (error,) = change.errors
    assert error.file.endswith(UNIT.name) and "could not read the course" in error.message
    monkeypatch.undo()
    assert not site.refresh().errors


def test_replacing_a_static_file_reloads_the_pages(course_copy: Path) -> None:
    site = PreviewSite(course_copy)
    site.refresh()
    image = course_copy / site.course.image.rel_path
    image.write_bytes(image.read_bytes() + b"\0")
    change = site.refresh()
    assert set(change.units) == {u.id for u in site.units()}
    assert not change.outline
