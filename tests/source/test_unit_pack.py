"""The unit pack (``builder.source.unit_pack``): every parsed unit of the last load in one cache
entry, so that an edit rebuild reads one file instead of one per unit — and a cached load always
equals a fresh one, whatever changed, and whatever happened to the pack."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from builder import cache, course_entry
from builder.diagnostics import SourceErrors
from builder.record_pack import BASE, RecordPack
from builder.source import load_course, loader
from builder.source.unit_pack import UnitPack


@pytest.fixture
def src(sample_src: Path) -> Path:
    """The sample course (several sections and units), not the reader tests' one-unit scaffold."""
    return sample_src


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The unit files parsed (not taken from the cache) by loads in this test."""
    seen: list[Path] = []
    real = loader._load_units

    def counting(root, assets, bad_names, files):  # type: ignore[no-untyped-def]
        seen.extend(files)
        return real(root, assets, bad_names, files)

    monkeypatch.setattr(loader, "_load_units", counting)
    return seen


def _records(store: Path, src: Path) -> tuple[int, int]:
    """How many records the unit pack holds in its base, and in its delta only."""
    places = UnitPack(store, src).pack._load().values()
    in_base = sum(1 for p in places if p[1] == BASE)
    return in_base, len(places) - in_base


def _units(src: Path) -> list[Path]:
    return sorted((src / "outline").rglob("*.md"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _prose(src: Path) -> None:
    _edit(_units(src)[0], "\n---\n", "\n---\n\nAn edited sentence.\n\n")


def _section_yaml(src: Path) -> None:
    section = sorted((src / "outline").glob("*/section.yaml"))[0]
    _edit(section, "title:", "title: Renamed —")


def _competences(src: Path) -> None:
    path = src / "competences.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.strip().startswith("title:"))
    _edit(path, line, line + " (revised)")


def _static(src: Path) -> None:
    image = next((src / "static").rglob("*.png"))
    image.write_bytes(image.read_bytes() + b"\0")


def _rename(src: Path) -> None:
    unit = _units(src)[-1]
    unit.rename(unit.with_name("99-renamed.md"))


def _delete(src: Path) -> None:
    _units(src)[-1].unlink()


CHANGES = [_prose, _section_yaml, _competences, _static, _rename, _delete]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_a_cached_load_after_a_change_equals_a_fresh_load(src: Path, tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    change(src)
    fresh = load_course(src)
    cached = load_course(src, cache_dir=store)
    assert cached.model_dump_json() == fresh.model_dump_json()
    assert cached.reader_warnings == fresh.reader_warnings
    # and again from what the changed load stored
    assert load_course(src, cache_dir=store).model_dump_json() == fresh.model_dump_json()


def test_an_edit_reads_one_pack_and_parses_only_the_edited_unit(
    src: Path, tmp_path: Path, parsed: list[Path]
) -> None:
    """No cache entry per unit file: the pack holds one record per unit of the last load."""
    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    assert list(store.glob("entries/*/*.json")) == []
    assert UnitPack(store, src).pack.stored() == len(_units(src))
    parsed.clear()
    _prose(src)
    load_course(src, cache_dir=store)
    assert parsed == [_units(src)[0]]
    assert _records(store, src) == (len(_units(src)), 1)  # the edit's record, in the delta


def test_an_edit_writes_only_its_records_until_the_delta_outgrows_the_base(src: Path, tmp_path: Path) -> None:
    """One edited unit adds one record to the delta; the base is not written again. Once the
    delta holds more than an eighth of the base, a new base holds exactly the records in use (a
    deleted unit's record is gone) and the delta is empty."""
    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    base = next(store.glob(f"entries/*/{UnitPack(store, src).pack.key}.bin"))
    written = base.read_bytes()
    _prose(src)
    load_course(src, cache_dir=store)
    assert base.read_bytes() == written
    assert _records(store, src) == (len(_units(src)), 1)
    _delete(src)
    for i, unit in enumerate(_units(src)):
        _edit(unit, "\n---\n", f"\n---\n\nEdit {i}.\n\n")
        expected = load_course(src)
        assert load_course(src, cache_dir=store).model_dump_json() == expected.model_dump_json()
        if base.read_bytes() != written:
            break
    else:
        pytest.fail("the base was never written again")
    assert 2 < i < len(_units(src)) - 1
    assert _records(store, src) == (len(_units(src)), 0)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "garbage", "bad-record"],
)
def test_a_damaged_pack_is_a_miss_not_a_crash(
    src: Path, tmp_path: Path, parsed: list[Path], damage: str
) -> None:
    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    _prose(src)  # the whole-course entry misses: the units come from the pack
    pack = UnitPack(store, src).pack
    path = next(p for p in store.glob("entries/*/*.bin") if p.name.startswith(pack.key))
    assert pack.stored() == len(_units(src))
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])  # no longer verifies
    elif damage == "garbage":
        cache.BuildCache(store).put_raw(pack.key, b"\xff" * 37)  # verifies, but is no pack
    else:
        # a well-formed pack whose records are not what the loader wrote
        keys = list(pack._load())
        pack.close()
        path.unlink()
        bad = RecordPack(store, pack.key)
        for key in keys:
            bad.put(key, b"u", struct.pack("<I", 9) + b'{"id": 1}' + b"[not json")
        bad.save()
        bad.close()
        assert UnitPack(store, src).pack.stored() == len(keys)
    fresh = load_course(src)
    parsed.clear()
    assert load_course(src, cache_dir=store).model_dump_json() == fresh.model_dump_json()
    assert len(parsed) == len(_units(src))
    # and the pack was written again, whole
    parsed.clear()
    _edit(_units(src)[1], "\n---\n", "\n---\n\nAnother sentence.\n\n")
    load_course(src, cache_dir=store)
    assert parsed == [_units(src)[1]]


def test_a_load_with_errors_reports_the_same_findings_and_writes_no_pack(src: Path, tmp_path: Path) -> None:
    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    before = sorted(p.name for p in store.glob("entries/*/*"))
    _edit(_units(src)[0], "title:", "title: [unclosed")
    with pytest.raises(SourceErrors) as fresh:
        load_course(src)
    with pytest.raises(SourceErrors) as cached:
        load_course(src, cache_dir=store)
    assert cached.value.diagnostics == fresh.value.diagnostics
    assert sorted(p.name for p in store.glob("entries/*/*")) == before


def test_units_from_the_pack_are_keyed_by_the_json_of_a_fresh_dump(src: Path, tmp_path: Path) -> None:
    """The pack's unit JSON becomes each unit's ``model_key`` (the targets need not serialise every
    unit again); it must be the key a fresh dump gives, or pieces would miss after every edit."""
    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    _prose(src)
    cache._MODELS.clear()
    course = load_course(src, cache_dir=store)
    remembered = 0
    for unit in course.units():
        hit = cache._MODELS.get((id(unit), cache._NO_DUMP_OPTIONS))
        if hit is not None and hit[0] is unit:
            remembered += 1
            assert hit[1] == cache.text_key(unit.model_dump_json())
    assert remembered >= len(course.units()) - 2  # units with links to others are copied


def test_an_unchanged_source_loads_without_importing_the_readers(src: Path, tmp_path: Path) -> None:
    """A no-op rebuild takes the whole course from the cache: the readers (YAML, Markdown, every
    block) are imported only when something must be read (~0.08 s of a no-op rebuild)."""
    import subprocess
    import sys

    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    code = (
        "import sys; from pathlib import Path; from builder.source import load_course; "
        f"load_course(Path({str(src)!r}), cache_dir=Path({str(store)!r})); "
        "print(sorted(m for m in sys.modules if m.startswith('builder.source.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stdout.strip()
    assert "builder.source.units" not in loaded and "builder.source.outline" not in loaded, loaded
    assert "builder.source.loader" in loaded


def test_a_no_op_build_imports_neither_the_readers_nor_the_translations(src: Path, tmp_path: Path) -> None:
    """The whole build of an unchanged source, as ``coursepack build`` runs it: none of the reader
    or translation modules is imported (they cost ~0.2 s CPU of a ~0.6 s no-op rebuild)."""
    import subprocess
    import sys

    out = tmp_path / "dist"
    argv = ["-q", "build", str(src), "-o", str(out), "-j", "1"]  # every target, and the report
    subprocess.run([sys.executable, "-m", "builder.cli", *argv], check=True)
    code = (
        "import sys; from builder.cli import main\n"
        f"try: main({argv!r})\n"
        "except SystemExit as e: assert not e.code, e.code\n"
        "print(sorted(m for m in sys.modules if m.startswith(('builder.', 'yaml', 'markdown_it'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stdout.strip()
    for module in (
        "builder.source.units",
        "builder.source.outline",
        "builder.source.session_plans",
        "builder.i18n.apply",
        "builder.report.coverage",
        "yaml",
        "markdown_it",
    ):
        assert f"'{module}'" not in loaded, loaded


@pytest.mark.parametrize("reuse", ["course entry", "unit pack"])
def test_a_unit_saved_while_the_course_loads_is_not_cached_under_the_hash_the_walk_took(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reuse: str
) -> None:
    """An author saves a unit after the walk hashed it and before its reader read it, then undoes
    the save. The load in between read the saved bytes; cached under the walk's hash of the old
    bytes, that parse would come back for the undone file. It must not: the next load equals a
    fresh one. ``course entry``: the whole source is as the walk saw it; ``unit pack``: another file
    changed too, so the course entry misses and the unit's own record would answer."""
    store = tmp_path / "cache"
    unit = _units(src)[0]
    original = unit.read_text(encoding="utf-8")
    real = course_entry.source_key

    def walk_then_save(*args, **kwargs):  # type: ignore[no-untyped-def]
        key = real(*args, **kwargs)
        unit.write_text(original + "\nSaved while the course loaded.\n", encoding="utf-8")
        return key

    monkeypatch.setattr(course_entry, "source_key", walk_then_save)
    during = load_course(src, cache_dir=store)
    assert "Saved while the course loaded." in during.model_dump_json()  # the readers read the save
    monkeypatch.setattr(course_entry, "source_key", real)
    unit.write_text(original, encoding="utf-8")  # undo
    if reuse == "unit pack":
        _competences(src)
    fresh = load_course(src)
    assert load_course(src, cache_dir=store).model_dump_json() == fresh.model_dump_json()


def test_a_load_reads_the_pack_by_place_never_whole(
    src: Path, tmp_path: Path, parsed: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pack's records are read one by one as the loader asks: read whole, its bytes (~145 MB
    at 20,000 units) sat in memory beside the model built from them, the load's peak."""
    store = tmp_path / "cache"
    load_course(src, cache_dir=store)
    whole: list[str] = []
    real_get_raw = cache.BuildCache.get_raw

    def get_raw(self: cache.BuildCache, key: str) -> bytes | None:
        whole.append(key)
        return real_get_raw(self, key)

    pieces: list[int] = []
    real_read = cache.RawEntry.read

    def read(self: cache.RawEntry, offset: int, length: int) -> bytes:
        pieces.append(length)
        return real_read(self, offset, length)

    monkeypatch.setattr(cache.BuildCache, "get_raw", get_raw)
    monkeypatch.setattr(cache.RawEntry, "read", read)
    parsed.clear()
    _prose(src)
    load_course(src, cache_dir=store)
    assert parsed == [_units(src)[0]]  # every other unit came from the pack
    pack = UnitPack(store, src).pack
    assert pack.key not in whole and pack.delta_key not in whole
    # one read of the count, one of the index, then one per unit taken from the pack
    assert len(pieces) >= len(_units(src)) - 1 + 2
    assert max(pieces) < sum(pieces) / 2
