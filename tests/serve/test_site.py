"""PreviewSite: reloads parse only changed unit files, say which pages changed, keep the last good
course on errors, and render unit pages exactly as the SCORM packages hold them."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_unit_links_survive_cached_reloads(course_copy: Path) -> None:
    """Loaded units are kept between reloads: a link is resolved on a copy, and checked each time."""
    unit = course_copy / UNIT
    first = sorted(unit.parent.glob("01-*.md"))[0].name
    unit.write_text(unit.read_text(encoding="utf-8") + f"\nBack to [the start]({first}).\n", "utf-8")
    site = PreviewSite(course_copy)
    site.refresh()
    first_id = site.units()[0].id
    for _ in range(2):  # the second refresh reads both units from the cache
        page = site.unit_page("1.2", UNIT_ID)
        assert page is not None and f'href="{first_id}.html">the start</a>' in page
        assert site.course == load_course(course_copy)
        site.refresh()
    edit(unit, f"({first})", "(01-missing.md)")
    change = site.refresh()
    assert [d.message for d in change.errors if d.code == "missing-unit"] == [
        "link `01-missing.md` does not lead to a unit of this course"
    ]


def test_a_translated_preview_shows_the_translated_package_page(course_copy: Path) -> None:
    """`serve --lang it` shows what `build --lang it` packs: the Italian page, byte for byte."""
    from builder.i18n.apply import translate

    site = PreviewSite(course_copy, "it")
    site.refresh()
    italian, _ = translate(load_course(course_copy), course_copy, "it")
    (out,) = scorm2004.render(italian, BuildOptions())
    page = site.unit_page("2004", UNIT_ID)
    assert page is not None and page.encode("utf-8") == out.members[f"sco/{UNIT_ID}.html"]
    assert "(e che cosa non è) una strategia digitale" in page
    assert "What a digital strategy is" not in page
    assert 'lang="it"' in page


def test_saving_the_catalog_reloads_the_translated_page(course_copy: Path) -> None:
    site = PreviewSite(course_copy, "it")
    site.refresh()
    edit(
        course_copy / "translations/it.po",
        'msgstr "Che cos\'è (e che cosa non è) una strategia digitale"',
        'msgstr "Che cosa è una strategia digitale"',
    )
    change = site.refresh()
    assert not change.errors and UNIT_ID in change.units and change.outline  # the title is in the outline
    assert "Che cosa è una strategia digitale" in (site.unit_page("2004", UNIT_ID) or "")


def test_a_missing_catalog_is_raised_at_start_and_shown_once_previewing(course_copy: Path) -> None:
    from builder.i18n.apply import NoCatalog

    with pytest.raises(NoCatalog, match="translate update --lang fr"):
        PreviewSite(course_copy, "fr").refresh()
    site = PreviewSite(course_copy, "it")
    site.refresh()
    good = site.course
    (course_copy / "translations/it.po").unlink()
    change = site.refresh()
    assert change.errors and "no catalog for language 'it'" in change.errors[0].message
    assert site.course is good  # the last good (Italian) course stays on screen
