"""The OLX rules' scan keeps each file's facts by its sha (``Tree._make_scan``): memoised, it
reports exactly what a full scan reports, and an edit reads only the files it changed.

A differential test: one memo is warmed on the built tree and then carried through a corpus of
mutations (broken XML, pointers, missing, edited, removed, added and copied members, tags), so
each check with the memo meets facts kept from other trees; every result must equal the check of
the same tree without a memo, which reads and scans every file afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from builder.archive import Member
from builder.model import Course
from builder.targets import BuildOptions
from builder.targets.olx import render
from builder.validate import olx
from builder.validate.olx import Tree, _Under, check_olx
from tests.factories import make_course

Mutation = Callable[[dict[str, Member]], None]


class DictMemo:
    """A ``ShardMemo`` in memory; bodies go through JSON as the build cache's do."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.puts = 0

    def get(self, key: str) -> Any | None:
        text = self.entries.get(key)
        return None if text is None else json.loads(text)

    def put(self, key: str, body: Any) -> None:
        self.puts += 1
        self.entries[key] = json.dumps(body)


class Fetches(Mapping[str, Member]):
    """Members that know their shas (as the OLX target's do) and count which ones were fetched."""

    def __init__(self, members: dict[str, Member]):
        self.members = members
        self.fetched: list[str] = []

    def __getitem__(self, name: str) -> Member:
        self.fetched.append(name)
        return self.members[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def __contains__(self, name: object) -> bool:
        return name in self.members

    def known_shas(self, prefix: str = "") -> dict[str, str]:
        return {
            name[len(prefix) :]: hashlib.sha256(data).hexdigest()
            for name, data in self.members.items()
            if name.startswith(prefix) and isinstance(data, bytes)
        }


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path / "src")


@pytest.fixture
def members(course: Course) -> dict[str, Member]:
    return dict(render(course, BuildOptions())[0].members)


def _edit(path: str, old: str, new: str) -> Mutation:
    def apply(m: dict[str, Member]) -> None:
        body = bytes(m[f"course/{path}"]).decode()  # type: ignore[arg-type]
        assert old in body, (path, old)
        m[f"course/{path}"] = body.replace(old, new, 1).encode()

    return apply


def _delete(path: str) -> Mutation:
    def apply(m: dict[str, Member]) -> None:
        del m[f"course/{path}"]

    return apply


def _add(path: str, data: bytes) -> Mutation:
    def apply(m: dict[str, Member]) -> None:
        m[f"course/{path}"] = data

    return apply


def _copy(source: str, dest: str) -> Mutation:
    """The same bytes under another name: facts are kept by content, messages name the file."""

    def apply(m: dict[str, Member]) -> None:
        m[f"course/{dest}"] = m[f"course/{source}"]

    return apply


def _rename(source: str, dest_id: str) -> Mutation:
    def apply(m: dict[str, Member]) -> None:
        kind, name = source.split("/")
        m[f"course/{kind}/{dest_id}.xml"] = m.pop(f"course/{source}")
        for path in [p for p in m if p.startswith("course/vertical/")]:
            old, new = f'url_name="{name[:-4]}"'.encode(), f'url_name="{dest_id}"'.encode()
            m[path] = bytes(m[path]).replace(old, new)  # type: ignore[arg-type]

    return apply


BAD_POINTER = _edit(
    "vertical/u-intro.xml", '<video url_name="v-intro"/>', '<video url_name="v-intro" display_name="x"/>'
)

MUTATIONS: list[tuple[str, list[Mutation], str]] = [
    ("broken XML", [_edit("vertical/u-intro.xml", "</vertical>", "</vertica")], ""),
    (
        "pointer with attributes",
        [BAD_POINTER],
        "olx.pointer-attributes",
    ),
    (
        "same bad vertical under another name",
        [
            BAD_POINTER,
            _copy("vertical/u-intro.xml", "vertical/u-copy.xml"),
        ],
        "olx.pointer-attributes",
    ),
    ("pointer to a removed file", [_delete("problem/p-numeric.xml")], "olx.pointer-unresolved"),
    ("removed static file", [_delete("static/images_diagram.png")], "olx.static-missing"),
    ("removed transcript", [_delete("static/transcripts_intro-en.srt")], "olx.static-missing"),
    ("removed html file", [_delete("html/u-practice.html-1.html")], "olx.html-file-missing"),
    (
        "vertical without outcomes",
        [_edit("vertical/u-practice.xml", 'learning_outcomes="TM.U1.S1"', "")],
        "olx.learning-outcomes-missing",
    ),
    (
        "tags.csv disagrees with tags-v1",
        [_edit("tags.csv", '"vertical","u-practice","TM.U1.S1 ', '"vertical","u-practice","TM.U1.S9 ')],
        "olx.tags-mismatch",
    ),
    (
        "tags-v1 edited",
        [_edit("vertical/u-practice.xml", 'tags-v1="', 'tags-v1="other-map:x;')],
        "",
    ),
    (
        "video without a YouTube id",
        [_edit("video/v-intro.xml", 'youtube="1.00:dQw4w9WgXcQ" youtube_id_1_0="dQw4w9WgXcQ"', "")],
        "olx.video-default-youtube",
    ),
    (
        "transcripts not JSON",
        [_edit("video/v-intro.xml", "transcripts=\"{", "transcripts=\"{{")],
        "olx.video-transcripts",
    ),
    (
        "added page linking a missing static file",
        [_add("html/extra.html", b'<p><img src="/static/nope.png"/></p>')],
        "olx.static-missing",
    ),
    (
        "added static file a page links",
        [
            _add("html/extra.html", b'<p><img src="/static/late.png"/></p>'),
            _add("static/late.png", b"png"),
        ],
        "",
    ),
    (
        "duplicate url_name",
        [_copy("vertical/u-intro.xml", "vertical/u-practice.xml")],
        "",
    ),
    ("renamed problem", [_rename("problem/p-numeric.xml", "p-renamed")], ""),
    (
        # Bytes seen before as a vertical, now where other rules apply: facts are kept by both.
        "a vertical's bytes as a page and as an untagged problem",
        [
            BAD_POINTER,
            _copy("vertical/u-intro.xml", "problem/p-extra.xml"),
            _copy("vertical/u-intro.xml", "html/u-extra.html"),
        ],
        "olx.pointer-attributes",
    ),
    (
        "pointer to a missing html block",
        [_edit("vertical/u-intro.xml", '<video url_name="v-intro"/>', '<html url_name="no-such-block"/>')],
        "olx.pointer-unresolved",
    ),
]


@pytest.mark.parametrize("order", ["forward", "backward"])
@pytest.mark.parametrize("buckets", [1, olx.SCAN_BUCKETS])
def test_memoised_scan_reports_what_a_full_scan_reports(
    members: dict[str, Member], course: Course, order: str, buckets: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One bucket puts every file's facts in one entry: bytes met under one name are then met again
    under another (whose rules may differ) — the facts' key must tell them apart."""
    monkeypatch.setattr(olx, "SCAN_BUCKETS", buckets)
    memo = DictMemo()
    assert check_olx(members, course.competences, memo) == check_olx(members, course.competences) == []
    cases = MUTATIONS if order == "forward" else MUTATIONS[::-1]
    for name, steps, expect in cases:
        mutated = dict(members)
        for step in steps:
            step(mutated)
        full = check_olx(mutated, course.competences)
        assert check_olx(mutated, course.competences, memo) == full, name
        assert check_olx(mutated, course.competences, memo) == full, name  # every fact now kept
        if expect:
            assert expect in {d.code for d in full}, f"{name}: the corpus must exercise {expect}"
    # And back to the built tree, through facts kept from every mutation.
    assert check_olx(members, course.competences, memo) == []


@pytest.mark.parametrize(("name", "steps", "expect"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_one_change_after_a_build_is_reported_as_a_full_scan_reports_it(
    members: dict[str, Member], course: Course, name: str, steps: list[Mutation], expect: str
) -> None:
    """The common case: facts and bucket results kept from the built tree, then one change."""
    memo = DictMemo()
    assert check_olx(members, course.competences, memo) == []
    mutated = dict(members)
    for step in steps:
        step(mutated)
    assert check_olx(mutated, course.competences, memo) == check_olx(mutated, course.competences)


def test_an_edit_reads_only_the_files_it_changed(members: dict[str, Member]) -> None:
    """With the facts of the last scan kept and the members' shas known, the scan fetches the
    edited file and what every scan reads whole (course.xml, tags.csv) — not the other files."""
    memo = DictMemo()
    Tree(_Under(Fetches(members), "course/"), "course/", memo).scan()
    _edit("html/u-intro.html-1.html", "<p>", "<p>Edited. ")(members)
    fetched = Fetches(members)
    tree = Tree(_Under(fetched, "course/"), "course/", memo)
    tree.scan()
    assert sorted(set(fetched.fetched)) == [
        "course/course.xml",
        "course/html/u-intro.html-1.html",
        "course/tags.csv",
    ]
    # The shas the scan reports (olx_shards and the pipeline's record of reads use them) are real.
    assert tree.shas["html/u-intro.html-1.html"] == hashlib.sha256(
        bytes(members["course/html/u-intro.html-1.html"])  # type: ignore[arg-type]
    ).hexdigest()


def test_an_unchanged_tree_rewrites_no_memo_entry(members: dict[str, Member]) -> None:
    memo = DictMemo()
    Tree(_Under(Fetches(members), "course/"), "course/", memo).scan()
    written = memo.puts
    assert written > 1  # the facts are spread over several entries
    Tree(_Under(Fetches(members), "course/"), "course/", memo).scan()
    assert memo.puts == written
    _edit("html/u-intro.html-1.html", "<p>", "<p>Edited. ")(members)
    Tree(_Under(Fetches(members), "course/"), "course/", memo).scan()
    assert memo.puts == written + 2  # the facts of the edited file's bucket, and the buckets' results


def test_an_edit_gathers_the_tags_of_the_rescanned_files_only(
    members: dict[str, Member], course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tags.csv has a row per block of the course; an edit rescans one bucket and needs its rows."""
    memo = DictMemo()
    assert check_olx(members, course.competences, memo) == []
    asked: list[set[str] | None] = []
    real = Tree._tag_pass

    def recording(self: Tree, only: set[str] | None = None) -> Any:
        asked.append(only)
        return real(self, only)

    monkeypatch.setattr(Tree, "_tag_pass", recording)
    mutated = dict(members)
    _edit("vertical/u-intro.xml", 'learning_outcomes="', 'learning_outcomes=" ')(mutated)
    found = check_olx(mutated, course.competences, memo)
    (only,) = asked  # one pass over tags.csv: the scan's, whose findings check_tags takes
    assert only is not None and "vertical/u-intro.xml" in only
    assert len(only) < len([n for n in members if n.startswith("course/") and n.endswith(".xml")])
    assert found == check_olx(mutated, course.competences)  # as a full scan reports it
    assert asked[1:] == [None]  # which gathers every row
