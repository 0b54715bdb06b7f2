"""The build cache (``builder.cache``): a cached build gives the bytes of a clean one, always.

Timing stays out of these tests (``scripts/benchmark.py`` measures it); they prove that work was
skipped by counting renders and checks, and that skipping never changes a byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder import cache, pipeline, record_pack
from builder.build import clean_stale
from builder.cli import main
from builder.targets import TARGETS
from tests.conftest import SAMPLE_EPOCH

ROOT = Path(__file__).resolve().parent.parent
EPOCH = SAMPLE_EPOCH


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The targets rendered by in-process builds (``-j 1``), in order."""
    seen: list[str] = []
    real = pipeline.render_target

    def counting(name, course, options):  # type: ignore[no-untyped-def]
        seen.append(name)
        return real(name, course, options)

    monkeypatch.setattr(pipeline, "render_target", counting)
    return seen


def build(src: Path, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["--quiet", "build", str(src), "--out", str(out), "-j", "1", *extra])
    assert result.exit_code == 0, result.output


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def clean(src: Path, tmp_path: Path, *extra: str) -> dict[str, bytes]:
    out = tmp_path / f"clean{len(list(tmp_path.iterdir()))}"
    build(src, out, "--no-cache", *extra)
    assert not (out / cache.CACHE_DIR).exists()
    return files(out)


def edit_unit(src: Path) -> Path:
    unit = sorted((src / "outline").rglob("*.md"))[0]
    text = unit.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    edited = head + sep + "An edited sentence, as an author fixing a typo.\n\n" + body
    unit.write_text(edited, encoding="utf-8")
    return unit


def test_no_op_rebuild_renders_nothing_and_gives_the_clean_bytes(
    src: Path, tmp_path: Path, renders: list[str]
) -> None:
    out = tmp_path / "dist"
    build(src, out)
    first = files(out)
    assert len(first) >= 6 and len(renders) == len(TARGETS)
    renders.clear()
    build(src, out)
    assert renders == []  # every target came from the cache
    assert files(out) == first == clean(src, tmp_path)
    assert (out / cache.CACHE_DIR / ".gitignore").read_text().strip().endswith("*")


def test_one_unit_edit_reuses_manifest_checks_and_matches_a_clean_build(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    build(src, out)
    _age(out / cache.CACHE_DIR)
    build(src, out)  # a no-op in between must not let the check entries be pruned
    calls: list[str] = []
    real = pipeline._ScormCheck.__call__

    def counting(self, output, course, options):  # type: ignore[no-untyped-def]
        calls.append(self.version)
        return real(self, output, course, options)

    monkeypatch.setattr(pipeline._ScormCheck, "__call__", counting)
    edit_unit(src)
    build(src, out)
    assert calls == []  # the prose edit left both manifests as they were: their XSD checks were reused
    assert files(out) == clean(src, tmp_path)
    assert calls  # the clean build did validate them


def test_template_change_is_a_cache_miss_and_matches_a_clean_build(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    build(src, out)
    before = files(out)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "olx_templates", templates / "olx_templates")
    html = templates / "olx_templates" / "html.html"
    html.write_text(html.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    import builder.templates

    real_dir = builder.templates.template_dir
    monkeypatch.setattr(
        builder.templates,
        "template_dir",
        lambda name: templates / name if name == "olx_templates" else real_dir(name),
    )
    builder.templates.environment.cache_clear()
    cache.code_fingerprint.cache_clear()
    try:
        build(src, out)
        changed = files(out)
        assert changed == clean(src, tmp_path)
        olx = next(n for n in changed if n.endswith(".olx.tar.gz"))
        assert changed[olx] != before[olx]  # the edited templates reached the output, not the cache's copy
    finally:
        builder.templates.environment.cache_clear()
        cache.code_fingerprint.cache_clear()


def test_version_change_is_a_cache_miss(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renders: list[str]
) -> None:
    out = tmp_path / "dist"
    build(src, out)
    renders.clear()
    monkeypatch.setattr(cache, "__version__", "99.0.0")
    cache.code_fingerprint.cache_clear()
    try:
        build(src, out)
    finally:
        cache.code_fingerprint.cache_clear()
    assert len(renders) == len(TARGETS)
    assert files(out) == clean(src, tmp_path)


def test_option_change_is_a_cache_miss_and_matches_a_clean_build(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(src, out)
    build(src, out, "--sco", "course", "--scorm-edition", "3rd")
    assert files(out) == clean(src, tmp_path, "--sco", "course", "--scorm-edition", "3rd")


def test_deleting_the_cache_changes_no_output(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(src, out)
    first = files(out)
    shutil.rmtree(out / cache.CACHE_DIR)
    build(src, out)
    assert files(out) == first


def test_no_cache_neither_reads_nor_writes_it(src: Path, tmp_path: Path, renders: list[str]) -> None:
    out = tmp_path / "dist"
    build(src, out)
    snapshot = {p: p.stat().st_mtime_ns for p in (out / cache.CACHE_DIR).rglob("*")}
    renders.clear()
    build(src, out, "--no-cache")
    assert len(renders) == len(TARGETS)
    assert {p: p.stat().st_mtime_ns for p in (out / cache.CACHE_DIR).rglob("*")} == snapshot


def _age(folder: Path) -> None:
    """Date every cache file a minute back: entries count as unused when older than the build's
    start less a margin for coarse clocks, which builds a second apart would fall inside."""
    old = time.time() - 60
    for p in folder.rglob("*"):
        if p.is_file():
            os.utime(p, (old, old))


def test_cache_is_pruned_to_what_the_last_build_used(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    build(src, out)
    blobs = out / cache.CACHE_DIR / "blobs"
    assert len(list(blobs.glob("*/*"))) >= 6
    _age(out / cache.CACHE_DIR)
    build(src, out, "-t", "olx")
    kept = {p.name for p in blobs.glob("*/*")}
    olx = next(p for p in out.iterdir() if p.name.endswith(".olx.tar.gz"))
    assert kept == {cache.file_sha256(olx)}


def test_corrupted_blob_and_entry_are_ignored(src: Path, tmp_path: Path, renders: list[str]) -> None:
    out = tmp_path / "dist"
    build(src, out, "-t", "olx", "-t", "scorm12")
    expected = files(out)
    store = out / cache.CACHE_DIR
    # Break the blobs in place (same size, other bytes): the published files share their inode,
    # so first give dist its own copies, as a user's tool rewriting the cache would not touch dist.
    for p in store.glob("blobs/*/*"):
        data = bytearray(p.read_bytes())
        p.unlink()
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    entry = next(store.glob("entries/*/*.json"))
    entry.write_text(entry.read_text().replace('"diagnostics"', '"diagnostics_"', 1))
    renders.clear()
    build(src, out, "-t", "olx", "-t", "scorm12")
    assert sorted(renders) == ["olx", "scorm12"]  # neither blob verified: both rendered again
    assert files(out) == expected


def test_concurrent_builds_share_the_cache_without_corrupting_it(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    cmd = [sys.executable, "-m", "builder.cli", "--quiet", "build", str(src), "--out", str(out)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env) for _ in range(3)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    expected = clean(src, tmp_path)
    assert files(out) == expected
    build(src, out)  # from whatever the racing builds left
    assert files(out) == expected
    for blob in (out / cache.CACHE_DIR).glob("blobs/*/*"):
        assert cache.file_sha256(blob) == blob.name


def test_clean_stale_never_removes_the_cache(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(src, out, "-t", "competences")
    old = time.time() - 7200
    os.utime(out / cache.CACHE_DIR, (old, old))
    assert clean_stale(out) == []
    assert (out / cache.CACHE_DIR).is_dir()


def test_prune_keeps_the_unit_entries_a_slow_load_used(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsed units are read from the cache before the build starts: a load longer than the prune
    margin used to let the build prune them, so every other rebuild parsed half the course again."""
    import builder.source

    out = tmp_path / "dist"
    build(src, out)
    real_load = builder.source.load_course

    def slow_load(*args, **kwargs):  # type: ignore[no-untyped-def]
        course = real_load(*args, **kwargs)
        time.sleep(3)  # longer than the 2 s margin for coarse timestamps, as 20,000 units take
        return course

    monkeypatch.setattr(builder.source, "load_course", slow_load)
    before = {p.name for p in (out / cache.CACHE_DIR).glob("entries/*/*")}
    build(src, out)
    after = {p.name for p in (out / cache.CACHE_DIR).glob("entries/*/*")}
    assert after == before  # the unit pack among them


def test_a_cached_unit_parse_gives_back_its_links_and_findings(src: Path, tmp_path: Path) -> None:
    """A unit read from the cache keeps what its parse found besides the unit: its links to other
    units (resolved per target) and its warnings, so a cached load equals a fresh one."""
    from builder.source import load_course

    units = sorted((src / "outline").rglob("*.md"))
    first, second = units[0], units[1]
    rel = os.path.relpath(second, first.parent)
    text = first.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    first.write_text(
        head + sep + f"See [the next unit]({rel}).\n\n![](/static/{_any_image(src)})\n\n" + body,
        encoding="utf-8",
    )
    store = tmp_path / "cache"
    store.mkdir()
    fresh = load_course(src)
    cold = load_course(src, cache_dir=store)
    warm = load_course(src, cache_dir=store)
    assert fresh.unit_links, "the edited unit links to another unit"
    assert any("alt" in d.message for d in fresh.reader_warnings)
    assert warm.model_dump() == cold.model_dump() == fresh.model_dump()


def _any_image(src: Path) -> str:
    return next(p for p in sorted((src / "static").rglob("*.png"))).relative_to(src / "static").as_posix()


# --------------------------------------------------------------------------- rendered pieces


def _units(src: Path) -> list[Path]:
    return sorted((src / "outline").rglob("*.md"))


def test_an_edit_re_renders_only_the_edited_units_pieces(src: Path, tmp_path: Path) -> None:
    """Editing one unit's prose renders that unit's OLX files and its page in each SCO package
    again, and nothing else: no other page, no manifest, no LOM, no question bank, no handbook."""
    out = tmp_path / "dist"
    build(src, out)
    build(src, out)  # a no-op in between must not let the pieces be pruned
    cache.MADE.clear()
    edit_unit(src)
    build(src, out)
    made = dict(cache.MADE)
    assert made.pop("zip-reused") > 3 * 32  # every other member is copied deflated from the last build
    # The OLX tarball deflates the chunk holding the unit's files and (at most) the chunk after it
    # (``tests/test_gzchunks.py`` shows the others reused; this small course is one or two chunks).
    made.pop("tar-gz-reused", None)
    assert 1 <= made.pop("tar-gz-deflated") <= 2
    # scorm12, scorm2004 and cmi5 each render (and deflate) one page; the question bank renders
    # the questions of the edited unit's subsection (keyed by its units' models)
    assert made == {"olx-unit": 1, "sco-page": 3, "zip-deflated": 3, "questions-subsection": 1}
    assert files(out) == clean(src, tmp_path)


def test_a_cold_build_renders_every_piece(src: Path, tmp_path: Path) -> None:
    """The counter the edit test relies on counts real renders: a build without a cache counts
    each unit's page once per SCO target."""
    from builder.source import load_course

    course = load_course(src)
    units = len(course.units())
    cache.MADE.clear()
    build(src, tmp_path / "dist")
    assert cache.MADE["olx-unit"] == units and cache.MADE["sco-page"] == 3 * units
    assert cache.MADE["handbook-pdf"] == 1
    assert cache.MADE["questions-subsection"] == sum(
        1 for s in course.sections for ss in s.subsections if any(u.problems for u in ss.units)
    )


def _retitle(src: Path) -> None:
    unit = _units(src)[1]
    text = unit.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    unit.write_text(text.replace(title, "title: A title every package names again", 1), encoding="utf-8")


def _reorder(src: Path) -> None:
    """Swap the first two units of a subsection: each one's position (its SCO's number, the
    outline's order, the neighbours in every container) changes, their text does not."""
    first, second = _units(src)[:2]
    assert first.parent == second.parent
    tmp = first.with_name("tmp.md")
    first.rename(tmp)
    second.rename(first)
    tmp.rename(second)


def _static(src: Path) -> None:
    images = src / "static" / "images"
    shutil.copyfile(images / "business-model-canvas.png", images / "innovation-funnel.png")
    srt = src / "static" / "transcripts" / "welcome-en.srt"
    srt.write_text(srt.read_text(encoding="utf-8").replace("e", "é", 3), encoding="utf-8")


def _course_title(src: Path) -> None:
    yaml = src / "course.yaml"
    text = yaml.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    yaml.write_text(text.replace(title, "title: A course-level change every page shows"), encoding="utf-8")


def _outcomes(src: Path) -> None:
    """A unit that now teaches another outcome: its tags, objectives, the manifest, the handbook's
    coverage table and the report change with it."""
    unit = _units(src)[0]
    text = unit.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("outcomes:"))
    other = next(x for u in _units(src)[1:] for x in u.read_text(encoding="utf-8").splitlines()
                 if x.startswith("outcomes:") and x != line)  # fmt: skip
    unit.write_text(text.replace(line, other, 1), encoding="utf-8")


def _section_yaml(src: Path) -> None:
    section = sorted((src / "outline").glob("*/section.yaml"))[0]
    text = section.read_text(encoding="utf-8")
    section.write_text(text.replace("title:", "title: Renamed —", 1), encoding="utf-8")


def _competences(src: Path) -> None:
    path = src / "competences.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.strip().startswith("title:"))
    path.write_text(text.replace(line, line + " (revised)", 1), encoding="utf-8")


def _rename_unit(src: Path) -> None:
    unit = _units(src)[-1]
    unit.rename(unit.with_name("99-renamed.md"))


def _delete_unit(src: Path) -> None:
    _units(src)[-1].unlink()


@pytest.mark.parametrize(
    "change",
    [edit_unit, _retitle, _reorder, _static, _course_title, _outcomes, _section_yaml, _competences,
     _rename_unit, _delete_unit],
    ids=["prose", "title", "reorder", "static", "course-title", "outcomes", "section-yaml",
         "competences", "rename-unit", "delete-unit"],
)  # fmt: skip
def test_a_cached_rebuild_after_a_change_gives_the_clean_bytes(src: Path, tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "dist"
    build(src, out)
    before = files(out)
    change(src)
    build(src, out)
    after = files(out)
    assert after == clean(src, tmp_path)
    assert after != before


def test_a_broken_edit_is_still_reported_on_a_cached_rebuild(src: Path, tmp_path: Path) -> None:
    """The OLX check is not reused when a unit's files changed: a unit that loses its outcomes is
    reported by the OLX rules on a rebuild where every other piece came from the cache."""
    out = tmp_path / "dist"
    build(src, out)
    unit = next(u for u in _units(src) if "```problem" not in u.read_text(encoding="utf-8"))
    text = unit.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("outcomes:"))
    unit.write_text(text.replace(line + "\n", "", 1), encoding="utf-8")
    cache.MADE.clear()
    result = CliRunner().invoke(main, ["build", str(src), "--out", str(out), "-j", "1", "-v"])
    assert result.exit_code == 0, result.output
    assert "vertical carries no learning_outcomes" in result.output
    assert cache.MADE["olx-unit"] == 1


@pytest.mark.parametrize(
    ("folder", "template", "suffix"),
    [
        ("scorm_templates", "sco.html.j2", ".scorm12.zip"),
        ("handbook_templates", "handbook.html.j2", ".handbook.html"),
        ("moodle_templates", "questions.xml.j2", ".moodle-questions.xml"),
    ],
)
def test_a_template_change_reaches_the_cached_pieces(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, template: str, suffix: str
) -> None:
    out = tmp_path / "dist"
    build(src, out)
    before = files(out)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / folder, templates / folder)
    path = templates / folder / template
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    import builder.templates

    real_dir = builder.templates.template_dir
    monkeypatch.setattr(
        builder.templates, "template_dir", lambda name: templates / name if name == folder else real_dir(name)
    )
    for module in ("handbook", "scorm_common", "moodle_questions"):
        patched = builder.templates.template_dir
        monkeypatch.setattr(f"builder.targets.{module}.template_dir", patched, raising=False)
    builder.templates.environment.cache_clear()
    cache.code_fingerprint.cache_clear()
    _clear_template_caches()
    try:
        build(src, out)
        changed = files(out)
        assert changed == clean(src, tmp_path)
        name = next(n for n in changed if n.endswith(suffix))
        assert changed[name] != before[name]
    finally:
        builder.templates.environment.cache_clear()
        cache.code_fingerprint.cache_clear()
        _clear_template_caches()


def _clear_template_caches() -> None:
    from builder.targets import scorm_common

    scorm_common._sco_template.cache_clear()


def test_an_unchanged_source_loads_as_one_model_that_equals_a_fresh_load(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-course entry: a no-op rebuild reads one model instead of every unit's entry, gives
    back exactly what parsing gives, keeps the unit pack for the next edit, and misses on any
    change of a file's bytes."""
    from builder.source import load_course, loader

    store = tmp_path / "cache"
    fresh = load_course(src)
    first = load_course(src, cache_dir=store)
    parsed: list[Path] = []
    real = loader._load_units

    def counting(root, assets, bad_names, files):  # type: ignore[no-untyped-def]
        parsed.extend(files)
        return real(root, assets, bad_names, files)

    monkeypatch.setattr(loader, "_load_units", counting)
    again = load_course(src, cache_dir=store)
    assert again == first == fresh
    assert again.model_dump_json() == fresh.model_dump_json()
    # The whole course and the unit pack (its base and delta): no entry per unit file.
    assert len(list(store.glob("entries/*/*.bin"))) == 3
    assert list(store.glob("entries/*/*.json")) == []
    assert parsed == []
    # Any file's bytes changed: the whole-course entry misses; an edited unit is parsed alone.
    edit_unit(src)
    expected = load_course(src)
    parsed.clear()
    assert load_course(src, cache_dir=store) == expected
    assert len(parsed) == 1
    image = next((src / "static").rglob("*.png"))
    image.write_bytes(image.read_bytes() + b"\0")
    assert load_course(src, cache_dir=store) == load_course(src)


def test_a_translated_build_gives_the_clean_bytes_after_an_edit(src: Path, tmp_path: Path) -> None:
    """English and Italian outputs of one build keep their pieces apart (the course stem is part
    of each target's pack) and each matches a clean build after an edit."""
    out = tmp_path / "dist"
    build(src, out, "--lang", "it")
    build(src, out, "--lang", "it")
    cache.MADE.clear()
    edit_unit(src)
    build(src, out, "--lang", "it")
    assert cache.MADE["sco-page"] <= 2 * 3  # the edited page in each language's three SCO packages
    assert any("-it." in name for name in files(out)), "the Italian outputs were built"
    assert files(out) == clean(src, tmp_path, "--lang", "it")


def test_zip_members_are_reused_after_an_edit_was_undone(src: Path, tmp_path: Path) -> None:
    """Edit, undo (the whole targets come back from the cache), edit again: the packages the undo
    published are indexed too, so the second edit still deflates only its own pages."""
    out = tmp_path / "dist"
    build(src, out)
    unit = _units(src)[0]
    original = unit.read_text(encoding="utf-8")
    edit_unit(src)
    build(src, out)
    unit.write_text(original, encoding="utf-8")
    time.sleep(2.5)  # past the prune margin, so that what the undo did not use is really gone
    build(src, out)
    cache.MADE.clear()
    unit.write_text(original.replace("\n---\n", "\n---\n\nAnother sentence.\n\n", 1), encoding="utf-8")
    build(src, out)
    assert cache.MADE["zip-deflated"] == 3
    assert files(out) == clean(src, tmp_path)


def test_a_pack_is_written_from_its_chunks_as_put_raw_writes_it_whole(tmp_path: Path) -> None:
    store = cache.BuildCache(tmp_path / "c")
    store.put_raw("a" * 64, b"one" + b"two" * 1000)
    whole = (store.root / "entries" / "aa" / f"{'a' * 64}.bin").read_bytes()
    store.put_raw_stream("a" * 64, [b"one", memoryview(b"two" * 1000)])
    assert (store.root / "entries" / "aa" / f"{'a' * 64}.bin").read_bytes() == whole
    assert store.get_raw("a" * 64) == b"one" + b"two" * 1000


def test_rendered_pieces_wait_in_a_scratch_file_not_in_memory(tmp_path: Path) -> None:
    """While a target renders, a piece's bytes are spilled as soon as they are made: the pack keeps
    only where they lie, gives them back on a second ask, and the next build reuses them."""
    store = cache.BuildCache(tmp_path / "c")
    page = "<p>Unit 7 — é</p>" * 500
    with cache.pieces(store, "scorm12") as first:
        assert first is not None
        assert cache.piece("page", lambda: ("u7",), lambda: page) == page
        assert cache.piece("data", lambda: ("u7",), lambda: [1, "two"]) == [1, "two"]
        assert cache.piece("page", lambda: ("u7",), lambda: "never made") == page
        used = first.pack.used.values()
        assert all(isinstance(v, tuple) and len(v) == 4 and isinstance(v[2], int) for v in used)
        held = [x for v in used for x in v if isinstance(x, (bytes, str, memoryview))]
        assert all(len(x) == 1 for x in held), "only the one-byte type tags stay in memory"
    made = dict(cache.MADE)
    with cache.pieces(store, "scorm12"):
        assert cache.piece("page", lambda: ("u7",), lambda: "stale") == page
        assert cache.piece("data", lambda: ("u7",), lambda: []) == [1, "two"]
    assert dict(cache.MADE) == made, "the second build rendered nothing"


def test_the_course_key_reuses_the_json_the_cached_load_made_or_read(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached load dumps the course to JSON (to store it) or validates it from JSON (a hit); the
    pipeline's course key hashes that JSON instead of serialising the whole model once more, and
    is the key a fresh dump gives."""
    import hashlib

    from builder.model import Course
    from builder.source import load_course

    store = tmp_path / "cache"
    expected = pipeline.course_key(load_course(src))
    real = Course.model_dump_json
    dumps: list[int] = []

    def counting(self, **kwargs):  # type: ignore[no-untyped-def]
        dumps.append(1)
        return real(self, **kwargs)

    loaded = load_course(src, cache_dir=store)  # a miss: parsed, dumped once to be stored
    monkeypatch.setattr(Course, "model_dump_json", counting)
    assert pipeline.course_key(loaded) == expected
    hit = load_course(src, cache_dir=store)  # a hit: validated from the stored JSON
    assert pipeline.course_key(hit) == expected
    assert dumps == []
    monkeypatch.undo()
    assert cache.model_key(hit) == hashlib.sha256(hit.model_dump_json().encode()).hexdigest()


def test_findings_stored_by_the_cache_are_asdict_of_each_finding() -> None:
    """``Diagnostic.to_json`` replaced ``dataclasses.asdict`` in the cache entries: the same dict
    (field order included), and ``from_json`` gives the finding back."""
    from dataclasses import asdict

    from builder.diagnostics import Diagnostic

    found = [
        Diagnostic("outline/01/u.md", 3, 7, "bad — «x»", "fix it", "warning", "some.code"),
        Diagnostic("course/tags.csv", None, None, "m"),
        Diagnostic("x", 0, 0, "", "", "note", ""),
    ]
    for d in found:
        assert d.to_json() == asdict(d) and list(d.to_json()) == list(asdict(d))
        assert Diagnostic.from_json(d.to_json()) == d


def test_course_context_is_computed_once_per_course(src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every piece of every unit asks for the course context: it is the model key of the course
    without its course-wide fields, asked of ``model_key`` once per course, not once per piece."""
    from builder.source import load_course

    course = load_course(src)
    expected = cache.model_key(course, exclude=set(cache.COURSE_WIDE))
    other = load_course(src)
    real = cache.model_key
    asked: list[object] = []

    def counting(model, **dump):  # type: ignore[no-untyped-def]
        asked.append(model)
        return real(model, **dump)

    monkeypatch.setattr(cache, "model_key", counting)
    cache._CONTEXT.clear()
    assert [cache.course_context(course) for _ in range(50)] == [expected] * 50
    assert cache.course_context(other) == expected
    assert asked == [course, other]


def test_a_prose_edit_after_a_no_op_rebuild_reuses_the_coverage_report(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report is keyed by the coverage it shows, which a prose edit leaves as it was; the no-op
    rebuild in between (a hit on the whole-course key) once let that entry be pruned."""
    from builder.report import coverage

    out = tmp_path / "dist"
    build(src, out)
    _age(out / cache.CACHE_DIR)  # so that the no-op rebuild's prune removes what it did not use
    build(src, out)
    rendered: list[str] = []
    real = coverage.write_reports

    def counting(course, out_dir, **kw):  # type: ignore[no-untyped-def]
        rendered.append(course.stem)
        return real(course, out_dir, **kw)

    monkeypatch.setattr(coverage, "write_reports", counting)
    edit_unit(src)
    build(src, out)
    assert rendered == []
    assert files(out) == clean(src, tmp_path)
    assert rendered  # the clean build did render it: the counter sees report renders


def test_an_edit_re_runs_olxcleaner_over_one_chapter_only(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """olxcleaner's per-chapter results (``olx_shards``) are cache entries of the OLX check: kept
    through a no-op rebuild (a target hit), reused for every chapter an edit did not touch."""
    from builder.validate import olx_shards

    shards: list[bytes] = []
    real = olx_shards.run_shard

    def counting(folder, plan, shard, allowed):  # type: ignore[no-untyped-def]
        shards.append(shard.course_file)
        return real(folder, plan, shard, allowed)

    monkeypatch.setattr(olx_shards, "run_shard", counting)
    out = tmp_path / "dist"
    build(src, out, "-t", "olx")
    chapters = len(shards)
    assert chapters >= 2
    _age(out / cache.CACHE_DIR)  # so that the no-op rebuild's prune removes what it did not use
    build(src, out, "-t", "olx")  # a no-op: the target is a hit, and its check's entries are kept
    shards.clear()
    edit_unit(src)
    build(src, out, "-t", "olx")
    assert len(shards) == 1
    assert files(out) == clean(src, tmp_path, "-t", "olx")
    assert len(shards) == 1 + chapters  # the clean build (no cache) ran every chapter


def test_a_raw_entry_reads_back_whole_and_anything_else_is_a_miss(tmp_path: Path) -> None:
    store = cache.BuildCache(tmp_path / "c")
    key, data = "b" * 64, b"line one\nline two\n\x00\xff" * 1000
    store.put_raw(key, data)
    assert store.get_raw(key) == data
    path = store.root / "entries" / "bb" / f"{key}.bin"
    whole = path.read_bytes()
    for damaged in (whole[:-1], whole[:64], whole.replace(b"line two", b"line 2", 1), b"", b"\n\n"):
        path.write_bytes(damaged)
        assert store.get_raw(key) is None
    path.write_bytes(whole.replace(key.encode(), b"c" * 64, 1))  # another key's entry
    assert store.get_raw(key) is None


def test_an_edit_after_an_edit_is_checked_against_every_member(src: Path, tmp_path: Path) -> None:
    """The OLX rules' scan takes the shas of unchanged members from the target (``known_sha``)
    instead of reading them, and those members still count as read by the check: after an edit in
    one chapter, an edit in another chapter is not hidden behind the first edit's reused findings."""
    out = tmp_path / "dist"
    build(src, out, "-t", "olx")
    edit_unit(src)  # chapter 1
    build(src, out, "-t", "olx")
    unit = next(
        u for u in _units(src)
        if "03-ict" in str(u) and "```problem" not in u.read_text(encoding="utf-8")
    )  # fmt: skip
    text = unit.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("outcomes:"))
    unit.write_text(text.replace(line + "\n", "", 1), encoding="utf-8")
    args = ["build", str(src), "-j", "1", "-t", "olx", "-v", "--out"]
    cached = CliRunner().invoke(main, [*args, str(out)])
    fresh = CliRunner().invoke(main, [*args, str(tmp_path / "clean"), "--no-cache"])
    assert cached.exit_code == fresh.exit_code == 0, cached.output
    assert "vertical carries no learning_outcomes" in fresh.output
    assert cached.output == fresh.output.replace(str(tmp_path / "clean"), str(out))
    assert files(out) == files(tmp_path / "clean")


def test_a_sha_the_members_know_counts_as_a_read() -> None:
    """A check that takes a member's sha from the target instead of its bytes still depends on
    them: the check's entry must list it, or a later change to it would reuse stale findings."""

    class Known(dict):  # type: ignore[type-arg]
        def known_shas(self, prefix: str = "") -> dict[str, str]:
            return {n[len(prefix) :]: "ab" * 32 for n in self if n.startswith(prefix) and n != "c/other"}

    recording = cache.RecordingMembers(Known({"c/known": b"x", "c/other": b"y", "d/else": b"z"}))
    assert recording.known_shas("c/") == {"known": "ab" * 32}
    assert recording.reads() == {"c/known"}
    assert cache.RecordingMembers({"plain": b"z"}).known_shas() == {}


# --------------------------------------------------------------------------- packs read by place


def _pack_path(store: cache.BuildCache, namespace: str) -> Path:
    return store._raw_path(cache.Pieces(store, namespace).key)


def _three_pieces(store: cache.BuildCache) -> dict[str, object]:
    values: dict[str, object] = {"a": "<p>é</p>" * 3000, "b": b"\x00\xff" * 4000, "c": [1, "2", {"3": None}]}
    with cache.pieces(store, "t"):
        for name, value in values.items():
            assert cache.piece("k", lambda name=name: (name,), lambda value=value: value) == value
    return values


def test_a_later_build_reads_the_last_pack_by_place_not_whole(tmp_path: Path) -> None:
    """The last build's pieces stay on disk: what the pack holds in memory is its index (type
    and place), and only the pieces asked for are read, each exactly as it was made."""
    store = cache.BuildCache(tmp_path / "c")
    values = _three_pieces(store)
    made = dict(cache.MADE)
    with cache.pieces(store, "t") as again:
        assert again is not None
        assert cache.piece("k", lambda: ("b",), lambda: b"stale") == values["b"]
        index = again.pack._index
        assert index is not None and len(index) == 3
        held = [x for v in index.values() for x in v if isinstance(x, (bytes, str, memoryview))]
        assert all(len(x) == 1 for x in held), "only the one-byte type tags of the last pack stay in memory"
        assert cache.piece("k", lambda: ("a",), lambda: "stale") == values["a"]
        assert cache.piece("k", lambda: ("c",), lambda: []) == values["c"]
    assert dict(cache.MADE) == made, "every piece came from the last pack"


@pytest.mark.parametrize("damage", ["truncate", "flip", "sha-line", "empty"])
def test_a_damaged_pack_is_a_miss_and_every_piece_is_made_again(tmp_path: Path, damage: str) -> None:
    store = cache.BuildCache(tmp_path / "c")
    values = _three_pieces(store)
    path = _pack_path(store, "t")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) - 100]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "sha-line":
        data = data[40:]
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    cache.MADE.clear()
    with cache.pieces(store, "t"):
        for name, value in values.items():
            assert cache.piece("k", lambda name=name: (name,), lambda value=value: value) == value
    assert cache.MADE["k"] == 3
    with cache.pieces(store, "t"):  # the pack written again is whole
        assert cache.piece("k", lambda: ("a",), lambda: "stale") == values["a"]


def test_a_verified_pack_whose_index_does_not_add_up_is_a_miss(tmp_path: Path) -> None:
    """A pack that hashes right but whose index claims more bytes than it holds (a format from
    another version under a colliding key, say) reuses nothing rather than reading past its end."""
    store = cache.BuildCache(tmp_path / "c")
    pieces = cache.Pieces(store, "t")
    piece_key = pieces.key_of("k", ("a",))
    index = [record_pack._COUNT.pack(1), record_pack._HEAD.pack(piece_key, b"s", 10_000)]
    store.put_raw_stream(pieces.key, [*index, b"short"])
    cache.MADE.clear()
    with cache.pieces(store, "t"):
        assert cache.piece("k", lambda: ("a",), lambda: "made") == "made"
    assert cache.MADE["k"] == 1


def test_a_pack_read_failing_after_it_was_verified_is_a_miss(tmp_path: Path) -> None:
    store = cache.BuildCache(tmp_path / "c")
    values = _three_pieces(store)
    cache.MADE.clear()
    with cache.pieces(store, "t") as again:
        assert again is not None
        assert cache.piece("k", lambda: ("c",), lambda: []) == values["c"]
        assert again.pack._sources[record_pack.BASE] is not None
        os.truncate(_pack_path(store, "t"), 10)  # the very file it reads, as a disk error would leave it
        assert cache.piece("k", lambda: ("a",), lambda: "made again") == "made again"
    assert cache.MADE["k"] == 1


@pytest.mark.parametrize("damage", ["no-newline", "other-key", "flip", "missing"])
def test_get_raw_of_a_damaged_entry_is_none(tmp_path: Path, damage: str) -> None:
    store = cache.BuildCache(tmp_path / "c")
    store.put_raw("a" * 64, b"payload\nwith lines\n")
    assert store.get_raw("a" * 64) == b"payload\nwith lines\n"
    path = store._raw_path("a" * 64)
    data = path.read_bytes()
    if damage == "no-newline":
        data = data.replace(b"\n", b"", 1)
    elif damage == "other-key":
        data = data.replace(b"a" * 64, b"b" * 64)
    elif damage == "flip":
        data = data[:-1] + b"?"
    else:
        path.unlink()
    if damage != "missing":
        path.write_bytes(data)
    assert store.get_raw("a" * 64) is None
    assert store.open_raw("a" * 64) is None


@pytest.mark.parametrize("damage", ["no-newline", "truncated", "flip", "other-key", "missing"])
def test_get_of_a_damaged_entry_is_none(tmp_path: Path, damage: str) -> None:
    store = cache.BuildCache(tmp_path / "c")
    body = {"reads": {"a.xml": "0" * 64}, "diagnostics": []}
    store.put("a" * 64, body)
    assert store.get("a" * 64) == body
    path = store._entry_path("a" * 64)
    data = path.read_bytes()
    if damage == "no-newline":
        data = data.replace(b"\n", b"", 1)
    elif damage == "truncated":
        data = data[:-5]
    elif damage == "flip":
        data = data.replace(b"a.xml", b"b.xml")
    elif damage == "other-key":
        store.put("b" * 64, body)
        data = store._entry_path("b" * 64).read_bytes()
    else:
        path.unlink()
    if damage != "missing":
        path.write_bytes(data)
    assert store.get("a" * 64) is None


# --------------------------------------------------------------------------- pack deltas


def _many_pieces(store: cache.BuildCache, n: int = 40) -> None:
    with cache.pieces(store, "t"):
        for i in range(n):
            cache.piece("k", lambda i=i: (i,), lambda i=i: f"<p>piece {i}</p>" * 200)


def test_an_edit_writes_its_new_pieces_to_a_delta_and_leaves_the_base_as_it_was(tmp_path: Path) -> None:
    """Rewriting a target's whole pack for one edited unit cost as much as reading it: a build that
    made few pieces writes only those, into a delta read on top of the base next time."""
    store = cache.BuildCache(tmp_path / "c")
    _many_pieces(store)
    base = _pack_path(store, "t")
    before = base.read_bytes()
    cache.MADE.clear()
    with cache.pieces(store, "t") as edit:
        assert edit is not None
        for i in range(40):
            value = "edited" if i == 7 else f"<p>piece {i}</p>" * 200
            key = ("edited",) if i == 7 else (i,)
            assert cache.piece("k", lambda key=key: key, lambda value=value: value) == value
    assert cache.MADE["k"] == 1
    assert base.read_bytes() == before
    assert edit.delta_key in list(edit.keys())
    delta = store._raw_path(edit.delta_key)
    assert delta.stat().st_size < len(before) / 8
    cache.MADE.clear()
    with cache.pieces(store, "t") as again:  # base + delta: nothing to make, the edit's piece included
        assert again is not None
        assert cache.piece("k", lambda: ("edited",), lambda: "stale") == "edited"
        assert cache.piece("k", lambda: (3,), lambda: "stale") == "<p>piece 3</p>" * 200
    assert cache.MADE["k"] == 0
    assert again.delta_key in list(again.keys())  # kept: a later prune must not drop it


def test_a_delta_that_outgrows_an_eighth_of_the_base_is_folded_into_a_new_base(tmp_path: Path) -> None:
    store = cache.BuildCache(tmp_path / "c")
    _many_pieces(store)
    cache.MADE.clear()
    with cache.pieces(store, "t") as big:
        assert big is not None
        for i in range(40):
            made = i < 10  # a quarter of the pieces are new
            key = ("new", i) if made else (i,)
            cache.piece("k", lambda key=key: key, lambda i=i: f"<p>new {i}</p>" * 200)
    assert cache.MADE["k"] == 10
    assert big.delta_key in list(big.keys())  # emptied: kept so that no stale delta outlives the fold
    cache.MADE.clear()
    with cache.pieces(store, "t") as again:
        assert again is not None
        assert cache.piece("k", lambda: ("new", 3), lambda: "stale") == "<p>new 3</p>" * 200
        assert cache.piece("k", lambda: (20,), lambda: "stale") == "<p>piece 20</p>" * 200
        assert {p[1] for p in again.pack.used.values()} == {record_pack.BASE}  # the new base holds everything
    assert cache.MADE["k"] == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete base"])
def test_a_damaged_delta_or_base_only_makes_its_pieces_again(tmp_path: Path, damage: str) -> None:
    store = cache.BuildCache(tmp_path / "c")
    _many_pieces(store)
    with cache.pieces(store, "t") as edit:
        assert edit is not None
        cache.piece("k", lambda: ("edited",), lambda: "edited")
        cache.piece("k", lambda: (1,), lambda: "stale")
    delta = store._raw_path(edit.delta_key)
    if damage == "truncate":
        delta.write_bytes(delta.read_bytes()[:-3])
    elif damage == "flip":
        data = bytearray(delta.read_bytes())
        data[-1] ^= 1
        delta.write_bytes(bytes(data))
    else:
        _pack_path(store, "t").unlink()  # the delta's records are still good: keys name all they read
    cache.MADE.clear()
    with cache.pieces(store, "t"):
        edited = "edited" if damage == "delete base" else "made"
        assert cache.piece("k", lambda: ("edited",), lambda: "made") == edited
        expected = "made" if damage == "delete base" else "<p>piece 1</p>" * 200
        assert cache.piece("k", lambda: (1,), lambda: "made") == expected
    assert cache.MADE["k"] == 1


def test_successive_edits_each_give_the_clean_bytes(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits one after another read the base with the last delta on top, and write the next delta
    or, once it outgrows its share of the base, fold it into a new base (``record_pack``; the third
    edit is made to fold every pack): each cached build equals a clean one, byte for byte."""
    out = tmp_path / "dist"
    build(src, out)
    for n, unit in enumerate(_units(src)[:4]):
        share = 10**9 if n == 2 else 8
        monkeypatch.setattr(record_pack.RecordPack, "DELTA_SHARE", share)
        text = unit.read_text(encoding="utf-8")
        unit.write_text(text + f"\nEdit number {n}.\n", encoding="utf-8")
        build(src, out)
        assert files(out) == clean(src, tmp_path), n


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_published_zip_reuses_nothing_and_gives_the_clean_bytes(
    src: Path, tmp_path: Path, damage: str
) -> None:
    """The archive being replaced is read by place after its sha256 was checked through the same
    open file: bytes flipped or cut off make it unknown, so every member is deflated anew."""
    out = tmp_path / "dist"
    build(src, out, "-t", "scorm2004")
    (package,) = out.glob("*.zip")
    data = package.read_bytes()
    package.unlink()  # its own inode: the cache's blob of it stays intact
    if damage == "flip":
        package.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    else:
        package.write_bytes(data[: len(data) // 2])
    edit_unit(src)
    cache.MADE.clear()
    build(src, out, "-t", "scorm2004")
    assert cache.MADE["zip-reused"] == 0
    assert files(out) == clean(src, tmp_path, "-t", "scorm2004")


def test_a_published_zip_written_over_in_place_while_copied_is_not_trusted(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive being replaced is hashed first and its records copied by place afterwards; if
    something writes into it in place between the two, what was copied is neither the old bytes
    nor the new, so the package is written anew by ``zipfile`` instead of published."""
    from builder import zipraw

    out = tmp_path / "dist"
    build(src, out, "-t", "scorm2004")
    (package,) = out.glob("*.zip")
    edit_unit(src)
    real = zipraw.write

    def written_over_first(f, pairs, stamp, mode, source=None):  # type: ignore[no-untyped-def]
        data = bytearray(package.read_bytes())
        data[200:4200] = bytes(b ^ 0xFF for b in data[200:4200])  # local records of early members
        with open(package, "r+b") as g:  # in place: the open file the copy reads sees it
            g.write(data)
        return real(f, pairs, stamp, mode, source=source)

    with monkeypatch.context() as m:
        m.setattr(zipraw, "write", written_over_first)
        build(src, out, "-t", "scorm2004")
    assert files(out) == clean(src, tmp_path, "-t", "scorm2004")


def test_an_edit_never_reads_the_published_zip_whole(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The package being replaced (~65 MB at 20,000 units) is hashed in chunks and its unchanged
    records copied by place; reading it whole was that much of an edit's peak memory."""
    out = tmp_path / "dist"
    build(src, out, "-t", "scorm2004")
    edit_unit(src)
    whole: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        if self.suffix == ".zip":
            whole.append(self.name)
        return real(self)

    cache.MADE.clear()
    with monkeypatch.context() as m:
        m.setattr(Path, "read_bytes", spy)
        build(src, out, "-t", "scorm2004")
    assert cache.MADE["zip-reused"] > 10
    assert whole == []
    assert files(out) == clean(src, tmp_path, "-t", "scorm2004")


def test_a_cached_load_validates_the_model_a_section_at_a_time(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-course entry is validated as the course without its sections, then section by
    section: the model's JSON (138 MB at 20,000 units) is never one text in memory. The model
    and its key are those of a fresh load."""
    import hashlib

    from builder.model import Course, Section
    from builder.source import load_course

    store = tmp_path / "cache"
    fresh = load_course(src)
    load_course(src, cache_dir=store)
    texts: list[int] = []
    for model in (Course, Section):
        real = model.model_validate_json

        def spy(data, *args, real=real, **kwargs):  # type: ignore[no-untyped-def]
            texts.append(len(data))
            return real(data, *args, **kwargs)

        monkeypatch.setattr(model, "model_validate_json", spy)
    hit = load_course(src, cache_dir=store)
    monkeypatch.undo()
    whole = fresh.model_dump_json().encode()
    assert hit == fresh
    assert len(texts) == 1 + len(fresh.sections) >= 3
    assert max(texts) < len(whole) / 2
    assert cache.model_key(hit) == hashlib.sha256(whole).hexdigest()
