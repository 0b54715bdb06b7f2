"""The keyed-record pack (``builder.record_pack``) behind the unit pack and the piece packs: a build
gets back exactly the records it asks for, writes only what changed (a delta while it is small,
then one new base), and a damaged entry costs only its own records."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from builder import record_pack
from builder.cache import BuildCache
from builder.record_pack import BASE, DELTA, MADE, RecordPack

KEY = "f" * 64


def k(name: object) -> bytes:
    return hashlib.sha256(repr(name).encode()).digest()


def value(name: object, version: int = 0) -> bytes:
    return f"<p>record {name} v{version} — é</p>".encode() * 50


class Build:
    """One build's use of the pack: ask for every record, make (put) the ones missing."""

    def __init__(self, store: BuildCache | Path, whole: bool = False):
        self.pack = RecordPack(store, KEY, whole=whole)
        self.made: list[object] = []

    def ask(self, name: object, version: int = 0) -> bytes:
        found = self.pack.lookup(k((name, version)))
        if found is not None:
            tag, data = found
            assert tag == b"v"
            return bytes(data)
        self.made.append(name)
        self.pack.put(k((name, version)), b"v", value(name, version))
        return value(name, version)

    def run(self, versions: dict[object, int]) -> Build:
        try:
            for name, version in versions.items():
                assert self.ask(name, version) == value(name, version)
            self.pack.save()
        finally:
            self.pack.close()
        return self


def paths(store: BuildCache) -> tuple[Path, Path]:
    pack = RecordPack(store, KEY)
    return store._raw_path(pack.key), store._raw_path(pack.delta_key)


def places(store: BuildCache) -> dict[bytes, int]:
    """Which pack (``BASE``/``DELTA``) holds each stored record."""
    pack = RecordPack(store, KEY)
    try:
        return {key: place[1] for key, place in pack._load().items()}
    finally:
        pack.close()


@pytest.fixture
def store(tmp_path: Path) -> BuildCache:
    return BuildCache(tmp_path / "cache")


FORTY = {i: 0 for i in range(40)}


@pytest.mark.parametrize("whole", [False, True])
def test_a_second_build_gets_every_record_back_and_makes_nothing(store: BuildCache, whole: bool) -> None:
    assert Build(store, whole).run(FORTY).made == list(FORTY)
    again = Build(store, whole).run(FORTY)
    assert again.made == []
    assert again.pack.keys() == [again.pack.key, again.pack.delta_key]


def test_an_edit_writes_a_delta_and_leaves_the_base_byte_identical(store: BuildCache) -> None:
    Build(store).run(FORTY)
    base, delta = paths(store)
    written = base.read_bytes()
    edit = Build(store).run({**FORTY, 7: 1})
    assert edit.made == [7]
    assert base.read_bytes() == written
    assert delta.stat().st_size < len(written) / 8
    assert sorted(places(store).values()).count(DELTA) == 1
    assert Build(store).run({**FORTY, 7: 1}).made == []  # base + delta: the edit's record included


def test_nothing_made_writes_nothing(store: BuildCache) -> None:
    Build(store).run(FORTY)
    Build(store).run({**FORTY, 7: 1})
    base, delta = paths(store)
    before = {p: (p.stat().st_ino, p.read_bytes()) for p in (base, delta)}
    listing = sorted(store.root.rglob("*"))
    assert Build(store).run({**FORTY, 7: 1}).made == []
    assert {p: (p.stat().st_ino, p.read_bytes()) for p in (base, delta)} == before
    assert sorted(store.root.rglob("*")) == listing


def test_a_build_that_asks_nothing_or_fails_writes_nothing(store: BuildCache) -> None:
    Build(store).run(FORTY)
    listing = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}
    idle = Build(store).run({})
    assert idle.pack.keys() == []
    failed = Build(store)
    failed.ask(99)  # made, but the build fails before ``save``
    failed.pack.close()
    assert {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()} == listing


def test_a_delta_outgrowing_an_eighth_of_the_base_is_folded_into_a_new_base(store: BuildCache) -> None:
    Build(store).run(FORTY)
    base, _ = paths(store)
    written = base.read_bytes()
    gone = {i: 0 for i in range(10, 40)}  # ten records dropped, ten new: a quarter of the base
    fold = Build(store).run({**gone, **{("new", i): 0 for i in range(10)}})
    assert len(fold.made) == 10
    assert base.read_bytes() != written
    assert set(places(store).values()) == {BASE}  # the delta is emptied
    assert len(places(store)) == 40  # exactly the records used: the dropped ten are gone
    assert RecordPack.DELTA_SHARE == 8


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "not-a-pack"])
@pytest.mark.parametrize("which", ["base", "delta"])
def test_a_damaged_base_or_delta_costs_only_its_own_records(
    store: BuildCache, which: str, damage: str
) -> None:
    Build(store).run(FORTY)
    Build(store).run({**FORTY, 7: 1, 8: 1})
    path = dict(zip(("base", "delta"), paths(store), strict=True))[which]
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(data[:-3])
    elif damage == "flip":
        data[len(data) // 2] ^= 1
        path.write_bytes(bytes(data))
    elif damage == "delete":
        path.unlink()
    else:  # verifies, but its index claims more than it holds
        key = RecordPack(store, KEY).key if which == "base" else RecordPack(store, KEY).delta_key
        store.put_raw_stream(key, [record_pack._COUNT.pack(1), record_pack._HEAD.pack(k(1), b"v", 10**6)])
    again = Build(store).run({**FORTY, 7: 1, 8: 1})
    expected = [7, 8] if which == "delta" else [i for i in FORTY if i not in (7, 8)]
    assert again.made == expected
    assert Build(store).run({**FORTY, 7: 1, 8: 1}).made == []  # and all of them are kept again


def test_a_read_failing_after_the_pack_was_verified_is_a_miss(store: BuildCache) -> None:
    Build(store).run(FORTY)
    build = Build(store)
    assert build.ask(0) == value(0)
    assert build.pack._sources[BASE] is not None
    base, _ = paths(store)
    with open(base, "r+b") as f:  # the very file it reads, as a disk error would leave it
        f.truncate(10)
    assert build.ask(1) == value(1)
    assert build.made == [1]
    build.pack.close()


def test_a_dropped_record_is_made_again_and_replaced(store: BuildCache) -> None:
    Build(store).run(FORTY)
    build = Build(store)
    build.pack.drop(k((3, 0)))
    build.run(FORTY)
    assert build.made == [3]
    assert Build(store).run(FORTY).made == []


def test_records_made_wait_in_a_scratch_file_not_in_memory(store: BuildCache) -> None:
    build = Build(store)
    for i in range(5):
        build.ask(i)
    assert all(place[1] == MADE and isinstance(place[2], int) for place in build.pack.used.values())
    assert build.ask(3) == value(3) and build.made == [0, 1, 2, 3, 4]  # a second ask reads it back
    build.pack.close()


def test_a_cache_folder_is_made_only_when_a_pack_is_saved(tmp_path: Path) -> None:
    folder = tmp_path / "nothing-yet"
    build = Build(folder)
    build.ask(1)
    build.pack.close()
    assert not folder.exists()
    assert Build(folder).run({1: 0}).made == [1]
    assert Build(folder).run({1: 0}).made == []


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("whole", [False, True])
def test_successive_edits_equal_a_clean_build(tmp_path: Path, seed: int, whole: bool) -> None:
    """Random rounds of edits, additions and removals: every round gets back exactly what a build
    from an empty cache makes, and remakes only what that round changed (or a fold dropped)."""
    rng = random.Random(seed)
    store = BuildCache(tmp_path / "cache")
    versions: dict[object, int] = {i: 0 for i in range(60)}
    Build(store, whole).run(versions)
    added = 0
    for _round in range(12):
        changed: set[object] = set()
        for _ in range(rng.choice([1, 1, 2, 5, 15])):
            added += 1
            name = rng.choice([*versions, f"new{added}"])  # a removed name never comes back
            if name in versions and rng.random() < 0.15:
                del versions[name]
                continue
            versions[name] = versions.get(name, -1) + 1
            changed.add(name)
        build = Build(store, whole).run(dict(versions))  # each record checked against a fresh make
        assert set(build.made) == changed & set(versions)
        clean = Build(BuildCache(tmp_path / f"clean{_round}"), whole).run(dict(versions))
        assert sorted(clean.made, key=repr) == sorted(versions, key=repr)
    stored = places(store)
    assert {k((n, v)) for n, v in versions.items()} <= set(stored)
