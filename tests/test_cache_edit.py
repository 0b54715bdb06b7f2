"""What a one-unit edit rebuild still computes for the zip targets, the question bank, the handbook
and the report, and that each shortcut keeps the cached build equal to a clean one, byte for byte."""

from __future__ import annotations

import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest

from builder import cache, zip_reuse
from builder.targets import scorm_common
from tests.test_cache import _units, build, clean, edit_unit, files

BANK = "moodle-questions"


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    calls: list[object] = []
    real = getattr(module, name)

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0] if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


# --------------------------------------------------------------------------- handbook and report


def test_a_prose_edit_neither_builds_the_book_nor_computes_the_coverage(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handbook's key comes from the model (not from the book built to be hashed) and the
    report's from the facts the coverage reads (not from the coverage): after a prose edit neither
    the book nor the coverage is computed at all, and every file equals a clean build's."""
    from builder.report import coverage
    from builder.targets import handbook

    out = tmp_path / "dist"
    build(src, out)
    books = _counting(monkeypatch, handbook, "book")
    covs = _counting(monkeypatch, coverage, "coverage")
    hb_covs = _counting(monkeypatch, handbook, "coverage")
    edit_unit(src)
    build(src, out)
    assert (books, covs, hb_covs) == ([], [], [])
    assert files(out) == clean(src, tmp_path)
    assert books and covs  # the clean build did build them: the counters see them


def _note(src: Path) -> None:
    unit = next(u for u in _units(src) if "```trainer-notes" in u.read_text(encoding="utf-8"))
    text = unit.read_text(encoding="utf-8")
    head, fence, rest = text.partition("```trainer-notes\n")
    unit.write_text(head + fence + "A trainer note added by the test.\n\n" + rest, encoding="utf-8")


def _problem(src: Path) -> None:
    unit = next(u for u in _units(src) if "explanation: " in u.read_text(encoding="utf-8"))
    text = unit.read_text(encoding="utf-8")
    unit.write_text(text.replace("explanation: ", "explanation: Edited by the test. ", 1), encoding="utf-8")


def _prose_above_a_problem(src: Path) -> None:
    """Prose added above a problem moves its line, which neither file shows."""
    edit_unit(src)


@pytest.mark.parametrize(
    ("change", "handbook_changes"),
    [(_note, True), (_problem, True), (_prose_above_a_problem, False)],
    ids=["trainer-note", "problem", "prose"],
)
def test_the_handbook_key_sees_what_the_book_shows(
    src: Path, tmp_path: Path, change, handbook_changes: bool  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "dist"
    build(src, out, "-t", "handbook")
    before = files(out)
    cache.MADE.clear()
    change(src)
    build(src, out, "-t", "handbook")
    after = files(out)
    assert after == clean(src, tmp_path, "-t", "handbook")
    assert (cache.MADE["handbook-pdf"] == 1) is handbook_changes
    name = next(n for n in after if n.endswith(".handbook.html"))
    assert (after[name] != before[name]) is handbook_changes


# --------------------------------------------------------------------------- question bank


def _embed_image(src: Path) -> str:
    """Put an image into a problem's prompt; return the image's path under static/."""
    unit = next(u for u in _units(src) if "prompt: >-\n" in u.read_text(encoding="utf-8"))
    text = unit.read_text(encoding="utf-8")
    image = "images/business-model-canvas.png"
    text = text.replace("prompt: >-\n", f"prompt: >-\n  ![a canvas](/static/{image})\n\n", 1)
    unit.write_text(text, encoding="utf-8")
    return image


def test_an_edit_renders_the_questions_of_one_subsection(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(src, out, "-t", BANK)
    cache.MADE.clear()
    _problem(src)
    build(src, out, "-t", BANK)
    assert cache.MADE["questions-subsection"] == 1
    assert files(out) == clean(src, tmp_path, "-t", BANK)


def test_a_changed_image_reaches_the_cached_questions_that_embed_it(src: Path, tmp_path: Path) -> None:
    image = _embed_image(src)
    out = tmp_path / "dist"
    build(src, out, "-t", BANK)
    before = files(out)
    name = next(iter(before))
    assert b"@@PLUGINFILE@@/images_business-model-canvas.png" in before[name]
    shutil.copyfile(src / "static" / "images" / "innovation-funnel.png", src / "static" / image)
    cache.MADE.clear()
    build(src, out, "-t", BANK)
    assert cache.MADE["questions-subsection"] == 1  # only the questions that embed it
    after = files(out)
    assert after != before and after == clean(src, tmp_path, "-t", BANK)


# --------------------------------------------------------------------------- SCORM and cmi5


def test_the_manifest_key_holds_every_field_of_items_and_resources() -> None:
    """``_items_key``/``_resources_key`` replace a repr of the dataclasses: a field they left out
    would let a cached manifest differ from a clean one."""
    ref = scorm_common.ObjectiveRef("O1", "O1", "https://x/O1", "statement")
    leaf = scorm_common.Item("ITEM-u", "Unit", [], "RES-u", 0.5, [ref], "urn:u", "metadata/u.xml", False)
    item = scorm_common.Item("ITEM-s", "Section", [leaf], cluster=True)
    base = scorm_common._items_key([item])
    changed = {
        "identifier": "ITEM-v", "title": "Other", "resource": "RES-v", "mastery": 0.6,
        "objectives": [replace(ref, outcome_id="O2")], "primary_objective": "urn:v",
        "metadata_file": "metadata/v.xml", "cluster": True, "children": [leaf],
    }  # fmt: skip
    assert {f.name for f in fields(scorm_common.Item)} == set(changed)
    for name, value in changed.items():
        edited = replace(item, children=[replace(leaf, **{name: value})])
        assert scorm_common._items_key([edited]) != base, name
    res = scorm_common.Resource("RES-u", "sco", "sco/u.html", ["sco/u.html"], ["RES-_shared"])
    other = {"identifier": "RES-v", "scormtype": "asset", "href": "x", "files": [], "dependencies": []}
    assert {f.name for f in fields(scorm_common.Resource)} == set(other)
    for name, value in other.items():
        edited_res = replace(res, **{name: value})
        assert scorm_common._resources_key([edited_res]) != scorm_common._resources_key([res]), name


def test_the_packages_of_one_course_scan_its_static_files_once(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = _counting(monkeypatch, scorm_common, "find_static_files_used")
    targets = ["-t", "scorm12", "-t", "scorm2004", "-t", "cmi5"]
    build(src, tmp_path / "dist", *targets)
    assert len(scans) == 1
    scans.clear()
    assert files(tmp_path / "dist") == clean(src, tmp_path, *targets)
    assert len(scans) == 1  # a new build loads a new course: scanned again


def test_a_retitled_unit_reaches_the_cached_manifests_and_lom(src: Path, tmp_path: Path) -> None:
    """The manifest and LOM keys name the items' fields and objectives by outcome id: a new title
    or a new outcome still renders them again."""
    targets = ["-t", "scorm12", "-t", "scorm2004"]
    out = tmp_path / "dist"
    build(src, out, *targets)
    unit = _units(src)[1]
    text = unit.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    unit.write_text(text.replace(title, "title: A title the manifests name again", 1), encoding="utf-8")
    cache.MADE.clear()
    build(src, out, *targets)
    assert cache.MADE["manifest"] == 2 and cache.MADE["lom"] == 1
    assert files(out) == clean(src, tmp_path, *targets)


# --------------------------------------------------------------------------- the serial run


def test_a_serial_run_keeps_the_course_out_of_the_collectors_reach(
    src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-j 1``: the loaded course is frozen (``gc.freeze``) while the targets run, so the full
    collections their allocations set off do not walk the model again and again; after the run
    the collector sees everything again."""
    import gc

    from builder import pipeline
    from builder.source import load_course
    from builder.targets import BuildOptions

    frozen: list[int] = []
    real = pipeline.run_target

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        frozen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run_target", counting)
    before = gc.get_freeze_count()
    course = load_course(src)
    pipeline.run(course, ["competences", "moodle-questions"], BuildOptions(), jobs=1)
    assert len(frozen) == 2 and all(n > 1000 for n in frozen)
    assert gc.get_freeze_count() == before == 0


def test_a_prose_edit_keys_the_cmi5_structure_without_building_it(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cmi5.xml is keyed by the outline's facts: a prose edit builds none of its nodes (a repr of
    2,000 of them was its key), and a retitled unit still reaches it (``test_cache``'s change tests
    cover titles and outcomes for every target)."""
    from builder.targets import cmi5

    out = tmp_path / "dist"
    build(src, out, "-t", "cmi5")
    blocks = _counting(monkeypatch, cmi5, "_section_block")
    edit_unit(src)
    build(src, out, "-t", "cmi5")
    assert blocks == []
    assert files(out) == clean(src, tmp_path, "-t", "cmi5")
    assert blocks


def test_the_source_map_is_made_once_per_course(src: Path) -> None:
    from builder.source import load_course
    from builder.source_map import SourceMap

    course, other = load_course(src), load_course(src)
    first = SourceMap.of(course)
    assert SourceMap.of(course) is first
    assert SourceMap.of(other) is not first and SourceMap.of(other).where == first.where


def test_an_edit_reads_and_hashes_no_unchanged_page_to_write_the_package(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages and LOM files made by a piece carry its origin: the zip writer copies the member
    stored under the same origin without reading or hashing it; only what no piece made (the
    shared files, the manifest) and the edited page go through the content hash."""
    out = tmp_path / "dist"
    targets = ["-t", "scorm2004"]
    build(src, out, *targets)
    hashed: list[str] = []
    real = zip_reuse.ZipReuse.deflated

    def counting(self, name, content, origin=None):  # type: ignore[no-untyped-def]
        hashed.append(name)
        return real(self, name, content, origin)

    monkeypatch.setattr(zip_reuse.ZipReuse, "deflated", counting)
    cache.MADE.clear()
    edit_unit(src)
    build(src, out, *targets)
    units = len(_units(src))
    assert cache.MADE["zip-reused"] > 2 * units - 2
    assert "imsmanifest.xml" in hashed
    assert sum(n.startswith(("sco/", "metadata/ITEM")) for n in hashed) == 1  # the edited page
    assert files(out) == clean(src, tmp_path, *targets)


def test_an_edit_reads_the_objective_ids_of_the_edited_units_pages_only(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runtime objective-id check remembers each page's findings by the piece that made it;
    a no-op rebuild between keeps them from pruning; the findings equal a clean build's."""
    from builder.validate import scorm
    from tests.test_cache import _age

    targets = ["-t", "scorm12", "-t", "scorm2004"]
    out = tmp_path / "dist"
    pages = _counting(monkeypatch, scorm, "_bad_objective_ids")
    build(src, out, *targets)
    units = len(_units(src))
    assert len(pages) >= 2 * units
    _age(out / cache.CACHE_DIR)
    build(src, out, *targets)  # every target restored: the check does not run
    pages.clear()
    edit_unit(src)
    build(src, out, *targets)
    assert 1 <= len(pages) <= 2 * 2  # the edited unit's page, in each flavour (and its course page)
    assert files(out) == clean(src, tmp_path, *targets)
