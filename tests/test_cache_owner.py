"""A build cache is used only in the folder it was made in (``cache._claim``).

Its entries are verified against damage, not forgery, so a cache that arrives from elsewhere
(committed into a partner's repository, unpacked from an archive, copied) could carry rendered
pieces that the escaping would never have produced. Such a folder is emptied before use."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from builder import cache
from builder.targets import TARGETS
from tests.test_cache import build, clean, files, renders  # noqa: F401 — the fixture


def test_a_copied_output_folder_builds_cold_once_then_from_its_own_cache(
    src: Path, tmp_path: Path, renders: list[str]  # noqa: F811
) -> None:
    first = tmp_path / "dist"
    build(src, first)
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)  # new folders: what a checkout or an unpacked archive gives
    renders.clear()
    build(src, copy)
    assert sorted(renders) == sorted(TARGETS)  # nothing of the foreign cache was used
    assert files(copy) == files(first) == clean(src, tmp_path)
    renders.clear()
    build(src, copy)
    assert renders == []  # the cache it made is its own


def test_a_renamed_output_folder_keeps_its_cache(src: Path, tmp_path: Path, renders: list[str]) -> None:  # noqa: F811
    first = tmp_path / "dist"
    build(src, first)
    moved = tmp_path / "moved"
    first.rename(moved)
    renders.clear()
    build(src, moved)
    assert renders == []


def test_a_foreign_entry_is_never_read(tmp_path: Path) -> None:
    made = tmp_path / "made"
    store = cache.BuildCache(made / cache.CACHE_DIR)
    store.put_raw("a" * 64, b"rendered here")
    assert store.get_raw("a" * 64) == b"rendered here"
    shutil.copytree(made, tmp_path / "other")
    foreign = cache.BuildCache(tmp_path / "other" / cache.CACHE_DIR)
    assert foreign.get_raw("a" * 64) is None
    assert (tmp_path / "other" / cache.CACHE_DIR / ".gitignore").is_file()


def test_a_cache_that_is_a_link_elsewhere_is_replaced_and_its_target_left_alone(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "entries" / "aa").mkdir(parents=True)
    precious = elsewhere / "entries" / "aa" / "notes.txt"
    precious.write_text("not the cache's")
    out = tmp_path / "dist"
    out.mkdir()
    (out / cache.CACHE_DIR).symlink_to(elsewhere, target_is_directory=True)
    store = cache.BuildCache(out / cache.CACHE_DIR)
    store.prune(since=time.time())
    assert not (out / cache.CACHE_DIR).is_symlink() and (out / cache.CACHE_DIR / cache.OWNER).is_file()
    assert precious.read_text() == "not the cache's"
    assert sorted(p.name for p in out.iterdir()) == [cache.CACHE_DIR]


def test_builds_that_start_together_claim_the_cache_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that found no owner file made the folder, then wrote the file; a second build that
    looked in between found a folder without an owner, moved it aside under the first, and the
    first one's write failed (``test_concurrent_builds_share_the_cache_without_corrupting_it``
    failed so, now and then). The second now waits for the first and finds the cache claimed."""
    root = tmp_path / "dist" / cache.CACHE_DIR
    first_made_folder, second_looked = threading.Event(), threading.Event()
    real_write = cache._write_owner

    def slow_write(folder: Path) -> None:
        if threading.current_thread().name == "first":
            (folder / "made-by-the-first").touch()
            first_made_folder.set()
            second_looked.wait(timeout=1)  # without the lock the second build moves the folder now
        real_write(folder)

    monkeypatch.setattr(cache, "_write_owner", slow_write)
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            cache._claim(root)
        except BaseException as exc:
            errors.append(exc)

    first = threading.Thread(target=claim, name="first")
    first.start()
    assert first_made_folder.wait(timeout=10)
    second = threading.Thread(target=claim, name="second")
    second.start()
    second.join(timeout=0.5)
    second_looked.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert errors == []
    assert cache._owned(root)
    assert (root / "made-by-the-first").exists()  # not moved aside and made again by the second
    assert not list(root.parent.glob(f"{cache.CACHE_DIR}.discarded-*"))
