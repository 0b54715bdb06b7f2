"""The whole-course entry (``builder.course_entry``): its key sees every source file, its stored
text is the model's own JSON, and anything cut short or altered is a miss."""

from __future__ import annotations

from pathlib import Path

from builder import cache, course_entry
from tests.test_cache import _units


def test_the_whole_course_key_sees_every_file_and_ignores_an_output_folder_inside(src: Path) -> None:
    """Any byte, name, new folder or symbolic link under the source changes the key; the cache's
    own output folder inside the source (allowed beside outline/ and static/) does not."""
    out = src / "dist"
    store = out / cache.CACHE_DIR
    store.mkdir(parents=True)
    key = course_entry.source_key(src, store)
    assert key is not None and key == course_entry.source_key(src, store)
    (out / "some.zip").write_bytes(b"a build's output")
    assert course_entry.source_key(src, store) == key
    unit = _units(src)[0]
    unit.write_bytes(unit.read_bytes() + b" ")
    edited = course_entry.source_key(src, store)
    assert edited not in (None, key)
    (src / "outline" / "empty-folder").mkdir()
    folder = course_entry.source_key(src, store)
    assert folder not in (None, edited)
    (src / "link.md").symlink_to(unit)
    assert course_entry.source_key(src, store) not in (None, folder)


def test_the_stored_course_is_the_models_json_as_a_fresh_dump_gives_it(src: Path, tmp_path: Path) -> None:
    """The course entry is written from the serialiser's bytes (no str between), a line for the
    course without its sections and one per section: put back together, the very bytes of
    ``model_dump_json()``, which the course key and a cached load hash."""
    from builder.source import load_course

    course = load_course(src)
    store = tmp_path / "c"
    course_entry.store_course(store, "b" * 64, ["u1", "u2"], course)
    units, _, rest = cache.BuildCache(store).get_raw("b" * 64).partition(b"\n")  # type: ignore[union-attr]
    assert units == b'["u1", "u2"]'
    head, *sections = rest.split(b"\n")
    before, after = head.split(b'"sections":[]')
    assert before + b'"sections":[' + b",".join(sections) + b"]" + after == course.model_dump_json().encode()
    assert len(sections) == len(course.sections)
    again = course_entry.cached_course(store, "b" * 64)
    assert again == course
    assert cache.model_key(again) == cache.text_key(course.model_dump_json())


def test_a_course_entry_cut_short_or_altered_is_a_miss(src: Path, tmp_path: Path) -> None:
    """A course entry whose bytes no longer hash to its sha256 line is never validated."""
    from builder.source import load_course

    course = load_course(src)
    store = tmp_path / "c"
    for damage in ("cut", "flip"):
        course_entry.store_course(store, "b" * 64, [], course)
        path = cache.BuildCache(store)._raw_path("b" * 64)
        data = path.read_bytes()
        damaged = data[: len(data) - 200] if damage == "cut" else data.replace(b"Digital", b"Digitas", 1)
        assert damaged != data
        path.write_bytes(damaged)
        assert course_entry.cached_course(store, "b" * 64) is None
