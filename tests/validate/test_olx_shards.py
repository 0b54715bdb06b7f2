"""olxcleaner chapter by chapter (``olx_shards``) finds exactly what one run over the whole tree finds.

A differential test: each mutation of a built OLX tree is checked both ways — sharded, and the
whole tree laid out in a temporary folder (the reference) — and the findings must be equal as
sets (file, message, code, severity). Each mutation also names what olxcleaner must report, so
the corpus provably exercises the cross-chapter checks, and says whether the course can still be
sharded (or must fall back to the whole run, detectably).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builder import xmlsafe
from builder.archive import Member
from builder.diagnostics import Diagnostic
from builder.spare import Spare
from builder.targets import BuildOptions
from builder.targets.olx import render
from builder.validate import olx_shards
from builder.validate.olx import ALLOWED_XBLOCKS, Tree, _Under, check_olx, whole_olxcleaner

PREFIX = "course/"


# --------------------------------------------------------------------------- the two runs


def findings(members: dict[str, Member], sharded: bool, memo: Any = None) -> Any:
    tree = Tree(_Under(members, PREFIX), PREFIX)
    allowed = sorted(set(ALLOWED_XBLOCKS) | tree.pass_through_tags())
    if sharded:
        got = olx_shards.run(tree.files, allowed, memo)
        return None if got is None else set(got)
    whole = whole_olxcleaner(members, "course", tree, allowed)
    return whole if isinstance(whole, Diagnostic) else set(whole)


def assert_same(members: dict[str, Member], expect: set[str], sharded: bool = True) -> None:
    whole = findings(members, sharded=False)
    names = {whole.code.split(".", 1)[1]} if isinstance(whole, Diagnostic) else {f.name for f in whole}
    assert expect <= names, f"the mutation did not make olxcleaner report {expect - names}"
    got = findings(members, sharded=True)
    if sharded:
        assert got is not None, "expected a sharded run"
        assert got == whole
    else:
        assert got is None, "expected the whole-tree fallback"
    # And through the check itself (false-positive filters, file prefixes): the same diagnostics.
    assert check_olx(members) == check_olx(members, sharded=False)
    # With the chapters run in a forked process beside the scan (``builder.spare.Spare``): the same.
    spare = Spare()
    try:
        assert check_olx(members, spare=spare) == check_olx(members)
    finally:
        spare.close()


@pytest.fixture(autouse=True)
def _spare_for_any_course(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spare process takes chapters even of the small trees here (it would not, in a build)."""
    monkeypatch.setattr(olx_shards, "SPARE_MIN_FILES", 0)
    monkeypatch.setattr(olx_shards, "SPARE_MIN_SHARDS", 2)


# --------------------------------------------------------------------------- the tree's outline


@dataclass
class Outline:
    members: dict[str, Member]

    def __post_init__(self) -> None:
        self.run = xmlsafe.parse(self.get("course.xml")).get("url_name")
        course = xmlsafe.parse(self.get(f"course/{self.run}.xml"))
        self.chapters = [c.get("url_name") for c in course if c.tag == "chapter"]

    def get(self, path: str) -> bytes:
        data = self.members[PREFIX + path]
        assert isinstance(data, bytes)
        return data

    def put(self, path: str, data: str | bytes) -> None:
        self.members[PREFIX + path] = data.encode() if isinstance(data, str) else data

    def edit(self, path: str, old: str, new: str) -> None:
        body = self.get(path).decode()
        assert old in body, (path, old)
        self.put(path, body.replace(old, new, 1))

    def children(self, tag: str, url: str) -> list[tuple[str, str]]:
        return [(c.tag, c.get("url_name")) for c in xmlsafe.parse(self.get(f"{tag}/{url}.xml"))]

    def verticals(self, chapter: int) -> list[str]:
        out = []
        for _, seq in self.children("chapter", self.chapters[chapter]):
            out += [url for _, url in self.children("sequential", seq)]
        return out

    def blocks(self, chapter: int, tag: str) -> list[str]:
        return [u for v in self.verticals(chapter) for t, u in self.children("vertical", v) if t == tag]

    def html_body(self, chapter: int) -> str:
        """An html block's .html file in ``chapter``."""
        url = self.blocks(chapter, "html")[0]
        return f"html/{xmlsafe.parse(self.get(f'html/{url}.xml')).get('filename')}.html"

    def add_to_vertical(self, chapter: int, xml: str, which: int = 0) -> None:
        path = f"vertical/{self.verticals(chapter)[which]}.xml"
        self.edit(path, "</vertical>", f"  {xml}\n</vertical>")

    def policy(self, name: str = "policy.json") -> dict[str, Any]:
        return json.loads(self.get(f"policies/{self.run}/{name}"))

    def set_policy(self, value: Any, name: str = "policy.json") -> None:
        self.put(f"policies/{self.run}/{name}", json.dumps(value))


def _discussion(disc_id: str, url: str) -> str:
    return (
        f'<discussion url_name="{url}" discussion_id="{disc_id}" discussion_category="c" '
        'discussion_target="t" display_name="Talk"/>'
    )


def _link(o: Outline, chapter: int, href: str) -> None:
    path = o.html_body(chapter)
    o.put(path, o.get(path).decode() + f'<p><a href="{href}">see</a></p>')


def _policy_entry(o: Outline, key: str, value: Any) -> None:
    policy = o.policy()
    policy[key] = value
    o.set_policy(policy)


def _grading(o: Outline) -> None:
    grading = o.policy("grading_policy.json")
    grading["GRADER"][0]["weight"] = 0.9
    o.set_policy(grading, "grading_policy.json")


def _orphan_target(o: Outline) -> None:
    # An inline problem in chapter 1 whose url_name is a problem file used in chapter 0.
    url = o.blocks(0, "problem")[0]
    o.add_to_vertical(1, f'<problem url_name="{url}" display_name="Inline"><p>Hi</p></problem>')


def _shared_html_file(o: Outline) -> None:
    first = xmlsafe.parse(o.get(f"html/{o.blocks(0, 'html')[0]}.xml")).get("filename")
    url = o.blocks(1, "html")[0]
    body = o.get(f"html/{url}.xml").decode()
    current = xmlsafe.parse(body.encode()).get("filename")
    o.put(f"html/{url}.xml", body.replace(f'filename="{current}"', f'filename="{first}"'))


def _empty_vertical(o: Outline) -> None:
    o.put(f"vertical/{o.verticals(1)[0]}.xml", '<vertical display_name="Empty" learning_outcomes="x"/>')


def _no_display_name(o: Outline) -> None:
    path = f"vertical/{o.verticals(1)[0]}.xml"
    name = xmlsafe.parse(o.get(path)).get("display_name")
    o.edit(path, f'display_name="{name}"', "")


def _shared_vertical(o: Outline) -> None:
    # One unit reached from two chapters: read twice by olxcleaner, in two shards.
    seq = o.children("chapter", o.chapters[1])[0][1]
    o.edit(
        f"sequential/{seq}.xml", "</sequential>", f'<vertical url_name="{o.verticals(0)[0]}"/></sequential>'
    )


def _course_dates(o: Outline) -> None:
    o.edit(f"course/{o.run}.xml", 'start="', 'start="2027-01-01T00:00:00Z" x="')
    o.edit(f"policies/{o.run}/policy.json", '"start": "', '"start": "2027-01-01T00:00:00Z", "y": "')


def _merge_into_chapter(o: Outline) -> None:
    _policy_entry(o, f"vertical/{o.verticals(1)[0]}", {"showanswer": "sometimes", "display_name": "New"})


def _merge_into_duplicate(o: Outline) -> None:
    url = o.verticals(0)[0]
    seq = o.children("chapter", o.chapters[1])[0][1]
    o.edit(f"sequential/{seq}.xml", "</sequential>", f'<vertical url_name="{url}"/></sequential>')
    _policy_entry(o, f"vertical/{url}", {"showanswer": "sometimes"})


Mutation = Callable[[Outline], None]

CORPUS: list[tuple[str, Mutation, set[str], bool]] = [
    (
        # Allowed once the scan has met it: the chapters started with the usual tags start again.
        "an inline XBlock of a tag only an import brings",
        lambda o: o.add_to_vertical(1, '<my_import_xblock url_name="mx1" display_name="Mine"/>'),
        set(),
        True,
    ),
    ("unchanged", lambda o: None, set(), True),
    (
        "duplicate url_name across chapters",
        lambda o: o.add_to_vertical(1, f'<html url_name="{o.blocks(0, "html")[0]}"/>'),
        {"DuplicateURLName"},
        True,
    ),
    (
        "duplicate url_name within a chapter",
        lambda o: o.add_to_vertical(1, f'<html url_name="{o.blocks(1, "html")[0]}"/>', which=1),
        {"DuplicateURLName"},
        True,
    ),
    ("missing display_name", _no_display_name, {"MissingDisplayName"}, True),
    (
        "duplicate discussion id across chapters",
        lambda o: (
            o.add_to_vertical(0, _discussion("same", "d-a")),
            o.add_to_vertical(2, _discussion("same", "d-b")),
        ),
        {"DuplicateID"},
        True,
    ),
    (
        "duplicate discussion id within a chapter",
        lambda o: (
            o.add_to_vertical(1, _discussion("twice", "d-c")),
            o.add_to_vertical(1, _discussion("twice", "d-d"), which=1),
            o.add_to_vertical(2, _discussion("once", "d-e")),
        ),
        {"DuplicateID"},
        True,
    ),
    (
        "jump_to a unit in another chapter",
        lambda o: _link(o, 0, f"/jump_to_id/{o.verticals(1)[0]}"),
        set(),
        True,
    ),
    ("jump_to a missing unit", lambda o: _link(o, 1, "/jump_to_id/no-such-unit"), {"BadJumpToLink"}, True),
    ("broken static link", lambda o: _link(o, 1, "/static/no-such-file.png"), {"MissingFile"}, True),
    (
        "malformed problem",
        lambda o: o.put(f"problem/{o.blocks(1, 'problem')[0]}.xml", "<problem><p></problem>"),
        {"InvalidXML"},
        True,
    ),
    (
        "policy entry for a missing url_name",
        lambda o: _policy_entry(o, "vertical/no-such-unit", {"display_name": "x"}),
        {"PolicyRefNotFound"},
        True,
    ),
    (
        "policy entry for a unit of one chapter",
        _merge_into_chapter,
        {"InvalidSetting", "SettingOverride"},
        True,
    ),
    (
        "policy entry of the wrong type",
        lambda o: _policy_entry(o, f"problem/{o.verticals(1)[0]}", {"weight": 1}),
        {"WrongObjectType"},
        True,
    ),
    ("bad grading format", _grading, {"GradingPolicyIssue"}, True),
    ("empty vertical", _empty_vertical, {"EmptyTag"}, True),
    (
        "pointer to a missing file",
        lambda o: o.add_to_vertical(1, '<problem url_name="no-such-problem"/>'),
        {"FileDoesNotExist"},
        True,
    ),
    (
        "chapter pointer to a missing file",
        lambda o: o.edit(
            f"course/{o.run}.xml", "</course>", '<chapter url_name="no-such-chapter"/></course>'
        ),
        {"FileDoesNotExist"},
        True,
    ),
    (
        "html file missing",
        lambda o: o.members.pop(PREFIX + o.html_body(1)),
        {"FileDoesNotExist"},
        True,
    ),
    ("orphan file an inline block could point to", _orphan_target, {"PossiblePointer"}, True),
    ("two html blocks share one html file across chapters", _shared_html_file, {"DuplicateHTMLName"}, True),
    ("a unit shared by two chapters", _shared_vertical, {"DuplicateURLName"}, True),
    (
        "unexpected tag",
        lambda o: o.add_to_vertical(1, '<nonsense url_name="n"/>'),
        {"UnexpectedTag"},
        True,
    ),
    (
        "bad date in a sequential",
        lambda o: o.edit(
            f"sequential/{o.children('chapter', o.chapters[1])[0][1]}.xml",
            "<sequential ",
            '<sequential due="bogus" ',
        ),
        {"InvalidSetting"},
        True,
    ),
    ("course dates change every chapter's findings", _course_dates, {"DateOrdering"}, True),
    (
        "course image missing",
        lambda o: o.members.pop(
            PREFIX + "static/" + xmlsafe.parse(o.get(f"course/{o.run}.xml")).get("course_image")
        ),
        {"MissingFile"},
        True,
    ),
    # Fallbacks: the whole tree runs, as before.
    ("policy entry for a url_name in two chapters", _merge_into_duplicate, {"DuplicateURLName"}, False),
    (
        "crash on a policy key without a slash",
        lambda o: _policy_entry(o, "no-slash", {}),
        {"crash"},
        False,
    ),
    (
        "a /course/courseware link",
        lambda o: _link(o, 1, f"/course/courseware/{o.chapters[0]}/nowhere"),
        {"BadCourseLink"},
        False,
    ),
    (
        "a wiki in the course",
        lambda o: o.edit(f"course/{o.run}.xml", "</course>", '<wiki slug="w"/></course>'),
        set(),
        False,
    ),
    (
        "a static link climbing out of the course folder",
        lambda o: _link(o, 1, "/static/../../etc/hostname"),
        set(),
        False,
    ),
    (
        "a DTD in the course file",
        lambda o: o.put(f"course/{o.run}.xml", b"<!DOCTYPE course>\n" + o.get(f"course/{o.run}.xml")),
        set(),
        False,
    ),
    (
        "malformed course file",
        lambda o: o.edit(f"course/{o.run}.xml", "</course>", "<chapter></course>"),
        {"InvalidXML"},
        False,
    ),
]


@pytest.fixture(scope="module")
def sample_members(sample_course: Any) -> dict[str, Member]:
    return dict(render(sample_course, BuildOptions())[0].members)


@pytest.mark.parametrize(("name", "mutate", "expect", "sharded"), CORPUS, ids=[c[0] for c in CORPUS])
def test_sample_course(
    sample_members: dict[str, Member], name: str, mutate: Mutation, expect: set[str], sharded: bool
) -> None:
    members = dict(sample_members)
    mutate(Outline(members))
    assert_same(members, expect, sharded)


@pytest.fixture(scope="module")
def generated_members(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Member]:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    import benchmark

    from builder.source import load_course

    root = tmp_path_factory.mktemp("generated") / "src"
    benchmark.generate(root, 210)  # three chapters, the last one small
    members = render(load_course(root), BuildOptions())[0].members
    return {n: m if isinstance(m, bytes) else m.read_bytes() for n, m in members.items()}


CROSS = {
    "unchanged",
    "duplicate url_name across chapters",
    "duplicate discussion id across chapters",
    "jump_to a unit in another chapter",
    "jump_to a missing unit",
    "broken static link",
    "malformed problem",
    "policy entry for a missing url_name",
    "policy entry for a unit of one chapter",
    "bad grading format",
    "empty vertical",
    "pointer to a missing file",
    "orphan file an inline block could point to",
    "a unit shared by two chapters",
    "policy entry for a url_name in two chapters",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "mutate", "expect", "sharded"),
    [c for c in CORPUS if c[0] in CROSS],
    ids=sorted(CROSS, key=[c[0] for c in CORPUS].index),
)
def test_generated_course(
    generated_members: dict[str, Member], name: str, mutate: Mutation, expect: set[str], sharded: bool
) -> None:
    members = dict(generated_members)
    mutate(Outline(members))
    assert_same(members, expect, sharded)


# --------------------------------------------------------------------------- reuse


class DictMemo:
    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        return json.loads(self.entries[key]) if key in self.entries else None

    def put(self, key: str, body: Any) -> None:
        self.entries[key] = json.dumps(body)


def test_an_edit_reruns_only_its_chapter_and_stale_results_are_never_reused(
    sample_members: dict[str, Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[bytes] = []
    real = olx_shards.run_shard

    def counting(folder: Any, plan: Any, shard: Any, allowed: Any) -> Any:
        runs.append(shard.course_file)
        return real(folder, plan, shard, allowed)

    monkeypatch.setattr(olx_shards, "run_shard", counting)
    memo = DictMemo()
    members = dict(sample_members)
    o = Outline(members)
    assert findings(members, True, memo) == findings(members, False)
    assert len(runs) == len(o.chapters)
    runs.clear()
    assert findings(members, True, memo) == findings(members, False)
    assert runs == []
    # One edit in chapter 1: only its shard runs again, and the findings follow the edit.
    _no_display_name(o)
    got = findings(members, True, memo)
    assert "MissingDisplayName" in {f.name for f in got}
    assert len(runs) == 1
    assert got == findings(members, False)
    # A file appearing elsewhere changes an existence answer a shard recorded (PossiblePointer).
    runs.clear()
    url = o.blocks(0, "problem")[0]
    o.add_to_vertical(1, f'<problem url_name="{url}-x" display_name="Inline"><p>Hi</p></problem>')
    before = findings(members, True, memo)
    runs.clear()
    o.put(f"problem/{url}-x.xml", o.get(f"problem/{url}.xml"))
    after = findings(members, True, memo)
    assert after == findings(members, False) and after != before
    assert len(runs) == 1
    assert "PossiblePointer" in {f.name for f in after}


def test_each_shards_facts_are_let_go_before_the_next_shard_runs(
    sample_members: dict[str, Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``combine`` takes the shards' results as they come: held all at once, 200 chapters' facts
    (every url_name, html file and discussion of the course) were the OLX check's peak."""
    import gc
    import weakref

    class Facts(list):  # type: ignore[type-arg]
        """A shard's chapter facts, as a list that can be watched for being let go."""

    alive: list[weakref.ref[Facts]] = []
    real = olx_shards.run_shard

    def watched(folder: Any, plan: Any, shard: Any, allowed: Any) -> Any:
        gc.collect()
        assert [ref for ref in alive[:-1] if ref() is not None] == []  # the last one's, at most
        body = real(folder, plan, shard, allowed)
        body["chapters"] = Facts(body["chapters"])
        alive.append(weakref.ref(body["chapters"]))
        return body

    monkeypatch.setattr(olx_shards, "run_shard", watched)
    assert findings(dict(sample_members), True) == findings(dict(sample_members), False)
    assert len(alive) == len(Outline(dict(sample_members)).chapters) > 1


def test_chapters_the_spare_process_ran_are_kept_in_the_memo_and_counted_as_read_here(
    sample_members: dict[str, Member],
) -> None:
    """The pipeline's check entry lists what the check read (``cache.RecordingMembers``) and the
    memo keeps each chapter's result: for a chapter run in the spare process, both must come
    from its result, since this process never read its files."""
    from builder.cache import RecordingMembers

    memo = DictMemo()
    recording = RecordingMembers(dict(sample_members))
    tree = Tree(_Under(recording, PREFIX), PREFIX)
    allowed = sorted(ALLOWED_XBLOCKS)
    spare = Spare()
    try:
        started = olx_shards.Started(tree.files, allowed, memo, spare=spare)
        assert started.ahead is not None
        started.ahead.wait()  # it claims every chapter before this process asks for one
        read_here = set(recording.read)
        got = started.finish(allowed)
    finally:
        spare.close()
    assert got is not None and set(got) == findings(sample_members, False)
    chapters = len(Outline(dict(sample_members)).chapters)
    assert len(memo.entries) == chapters
    reads = {PREFIX + n for body in memo.entries.values() for n in json.loads(body)["reads"]}
    assert not reads <= read_here  # the chapters' files were read in the other process only
    assert reads <= recording.read
    # Reused as this process's own results would be: nothing runs again.
    again = olx_shards.Started(tree.files, allowed, memo)
    assert all(body is not None for body in again.bodies)
    assert again.finish(allowed) == got


def test_chapters_reused_from_the_memo_are_read_when_combined_not_held_from_the_start(
    sample_members: dict[str, Member],
) -> None:
    """Looked up before the scan (for the spare process's list), each reusable chapter result is
    kept as a mark and read again when combined: all of them held across the scan were ~60 MB
    at 20,000 units."""
    memo = DictMemo()
    tree = Tree(_Under(dict(sample_members), PREFIX), PREFIX)
    allowed = sorted(ALLOWED_XBLOCKS)
    first = olx_shards.Started(tree.files, allowed, memo).finish(allowed)
    again = olx_shards.Started(tree.files, allowed, memo)
    assert again.bodies and all(body is olx_shards.HELD for body in again.bodies)
    assert again.finish(allowed) == first
