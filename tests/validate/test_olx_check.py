"""check_olx: clean on generated courses, and each of its checks demonstrably fails on a broken tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builder.archive import Member
from builder.diagnostics import Diagnostic
from builder.model import Course
from builder.targets import BuildOptions
from builder.targets.olx import render
from builder.validate.olx import check_olx
from tests.factories import make_course

RUN = "2026_T1"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path / "src")


@pytest.fixture
def members(course: Course) -> dict[str, Member]:
    return dict(render(course, BuildOptions())[0].members)


def text(members: dict[str, Member], path: str) -> str:
    data = members[f"course/{path}"]
    assert isinstance(data, bytes)
    return data.decode()


def edit(members: dict[str, Member], path: str, old: str, new: str) -> None:
    body = text(members, path)
    assert old in body, (path, old)
    members[f"course/{path}"] = body.replace(old, new, 1).encode()


def codes(diags: list[Diagnostic]) -> set[str]:
    return {d.code for d in diags}


def test_generated_course_is_clean(members: dict[str, Member], course: Course) -> None:
    assert check_olx(members, course.competences) == []
    assert check_olx(members) == []


def test_sample_course_is_clean(sample_course: Course) -> None:
    members = render(sample_course, BuildOptions())[0].members
    assert check_olx(members, sample_course.competences) == []


def test_pointer_with_extra_attribute(members: dict[str, Member]) -> None:
    edit(
        members,
        "vertical/u-intro.xml",
        '<video url_name="v-intro"/>',
        '<video url_name="v-intro" display_name="x"/>',
    )
    diags = check_olx(members)
    # olxcleaner only warns (PossiblePointer) about this data-loss case; our check makes it an error.
    assert ("olx.pointer-attributes", "error") in {(d.code, d.severity) for d in diags}
    assert ("olxcleaner.PossiblePointer", "warning") in {(d.code, d.severity) for d in diags}


def test_pointer_to_missing_file(members: dict[str, Member]) -> None:
    del members["course/problem/p-numeric.xml"]
    diags = check_olx(members)
    assert "olx.pointer-unresolved" in codes(diags)
    assert "olxcleaner.FileDoesNotExist" in codes(diags)
    assert all(d.severity == "error" for d in diags if d.code == "olx.pointer-unresolved")


def test_missing_static_file(members: dict[str, Member]) -> None:
    del members["course/static/images_diagram.png"]
    diags = [d for d in check_olx(members) if d.code == "olx.static-missing"]
    assert [d.file for d in diags] == ["course/html/u-intro.html-1.html"]


def test_missing_transcript(members: dict[str, Member]) -> None:
    del members["course/static/transcripts_intro-en.srt"]
    diags = [d for d in check_olx(members) if d.code == "olx.static-missing"]
    assert diags and all(d.file == "course/video/v-intro.xml" for d in diags)


def test_missing_html_file(members: dict[str, Member]) -> None:
    del members["course/html/u-practice.html-1.html"]
    assert "olx.html-file-missing" in codes(check_olx(members))


def test_second_course_xml(members: dict[str, Member]) -> None:
    members["course/static/course.xml"] = b'<course url_name="x" org="o" course="c"/>'
    assert codes(check_olx(members)) == {"olx.course-xml-count"}
    del members["course/static/course.xml"]
    del members["course/course.xml"]
    assert codes(check_olx(members)) == {"olx.course-xml-count"}


def test_course_pointer_must_be_exact(members: dict[str, Member]) -> None:
    edit(members, "course.xml", 'course="T101"', 'course="T101" display_name="x"')
    assert "olx.course-pointer" in codes(check_olx(members))


def test_vertical_without_learning_outcomes(members: dict[str, Member]) -> None:
    edit(members, "vertical/u-practice.xml", 'learning_outcomes="TM.U1.S1"', "")
    diags = [d for d in check_olx(members) if d.code == "olx.learning-outcomes-missing"]
    assert [d.file for d in diags] == ["course/vertical/u-practice.xml"]
    assert [d.severity for d in diags] == ["warning"]  # like the source check; --strict makes it an error


def test_tags_csv_value_not_in_taxonomy(members: dict[str, Member], course: Course) -> None:
    edit(members, "tags.csv", '"vertical","u-practice","TM.U1.S1 ', '"vertical","u-practice","TM.U1.S9 ')
    found = codes(check_olx(members, course.competences))
    assert "olx.tags-value" in found
    # Without the taxonomy only the shape is checked, but tags-v1 and tags.csv now disagree.
    assert codes(check_olx(members)) == {"olx.tags-mismatch"}


def test_tags_csv_id_not_in_tree(members: dict[str, Member]) -> None:
    edit(members, "tags.csv", '"problem","p-text"', '"problem","p-gone"')
    diags = [d for d in check_olx(members) if d.code == "olx.tags-id"]
    assert len(diags) == 1 and "p-gone" in diags[0].message


def test_tags_csv_wrong_course_key(members: dict[str, Member]) -> None:
    edit(members, "tags.csv", "course-v1:TestOrg+T101+2026_T1", "course-v1:Other+T101+2026_T1")
    assert "olx.tags-id" in codes(check_olx(members))


def test_tags_csv_wrong_export_id(members: dict[str, Member], course: Course) -> None:
    edit(members, "tags.csv", '"ID","test-map"', '"ID","other-map"')
    assert "olx.tags-export-id" in codes(check_olx(members, course.competences))
    edit(members, "tags.csv", '"ID","other-map"', '"ID","bad map!"')
    assert "olx.tags-export-id" in codes(check_olx(members))


def test_tags_v1_must_match_tags_csv(members: dict[str, Member]) -> None:
    edit(members, "problem/p-text.xml", 'tags-v1="test-map:TM.U2.R1', 'tags-v1="test-map:TM.U1.S1')
    diags = [d for d in check_olx(members) if d.code == "olx.tags-mismatch"]
    assert len(diags) == 1 and "p-text" in diags[0].message


def test_missing_tags_csv_is_a_warning(members: dict[str, Member]) -> None:
    del members["course/tags.csv"]
    diags = check_olx(members)
    assert [(d.code, d.severity) for d in diags] == [("olx.tags-missing", "warning")]


def test_malformed_problem_xml(members: dict[str, Member]) -> None:
    edit(members, "problem/p-single.xml", "<label>", "<label><b>")
    diags = check_olx(members)
    assert any(d.code == "olxcleaner.InvalidXML" and d.severity == "error" for d in diags)


def test_grading_format_is_checked_by_olxcleaner(members: dict[str, Member]) -> None:
    policy = json.loads(text(members, f"policies/{RUN}/grading_policy.json"))
    policy["GRADER"][0]["weight"] = 0.9
    members[f"course/policies/{RUN}/grading_policy.json"] = json.dumps(policy).encode()
    assert "olxcleaner.GradingPolicyIssue" in codes(check_olx(members))


# --------------------------------------------------------------------------- false-positive filters


def test_missing_course_end_is_filtered(members: dict[str, Member]) -> None:
    edit(members, f"course/{RUN}.xml", ' end="2026-12-18T17:00:00Z"', "")
    edit(members, f"policies/{RUN}/policy.json", '"end": "2026-12-18T17:00:00Z",', "")
    assert check_olx(members) == []
    # The filter is doing work: other missing required course settings still surface.
    edit(members, f"course/{RUN}.xml", ' start="2026-02-02T09:00:00Z"', "")
    edit(members, f"policies/{RUN}/policy.json", '"start": "2026-02-02T09:00:00Z"', '"x": 1')
    assert "olxcleaner.InvalidSetting" in codes(check_olx(members))


def test_newer_showanswer_values_are_filtered_but_bogus_ones_are_not(members: dict[str, Member]) -> None:
    edit(members, "problem/p-single.xml", 'showanswer="finished"', 'showanswer="after_all_attempts"')
    assert check_olx(members) == []
    edit(members, "problem/p-single.xml", 'showanswer="after_all_attempts"', 'showanswer="sometimes"')
    diags = check_olx(members)
    assert [d.code for d in diags] == ["olxcleaner.InvalidSetting"]
    assert "sometimes" in diags[0].message


def test_setting_override_is_reported_only_when_the_value_changes(members: dict[str, Member]) -> None:
    edit(members, f"policies/{RUN}/policy.json", '"language": "en"', '"language": "fr"')
    diags = check_olx(members)
    assert [(d.code, d.severity) for d in diags] == [("olxcleaner.SettingOverride", "warning")]
    assert "'language'" in diags[0].message


def test_olxcleaner_crash_becomes_a_diagnostic(members: dict[str, Member]) -> None:
    policy = json.loads(text(members, f"policies/{RUN}/policy.json"))
    policy["no-slash-key"] = {}
    members[f"course/policies/{RUN}/policy.json"] = json.dumps(policy).encode()
    assert "olxcleaner.crash" in codes(check_olx(members))


def test_mp4_video_without_youtube_id_plays_open_edx_default_clip(members: dict[str, Member]) -> None:
    edit(members, "video/v-intro.xml", 'youtube="1.00:dQw4w9WgXcQ" youtube_id_1_0="dQw4w9WgXcQ"', "")
    diags = check_olx(members)
    assert [(d.code, d.severity, d.file) for d in diags if d.code.startswith("olx.video")] == [
        ("olx.video-default-youtube", "error", "course/video/v-intro.xml")
    ]
    edit(members, "video/v-intro.xml", "<video ", '<video youtube_id_1_0="" ')
    assert "olx.video-default-youtube" not in codes(check_olx(members))


@pytest.mark.parametrize("spelling", ["/STATIC/", "/ſtatic/", "/statİc/"])
def test_static_links_are_found_however_the_pattern_matches_them(
    members: dict[str, Member], spelling: str
) -> None:
    """The byte pre-filter before the link pattern lets through every text the (case-insensitive,
    Unicode) pattern matches: ſ and İ match s and i."""
    path = next(
        n
        for n, data in members.items()
        if n.startswith("course/html/") and n.endswith(".html") and b"/static/" not in bytes(data).lower()
    )
    members[path] = bytes(members[path]) + f'<img src="{spelling}nope.png"/>'.encode()
    diags = [d for d in check_olx(members) if d.code == "olx.static-missing"]
    assert [d.message for d in diags] == ["/static/nope.png is linked but static/nope.png is not in the tree"]


def test_the_rules_keep_no_parsed_file_but_course_xml(members: dict[str, Member]) -> None:
    """One pass parses each file once and lets it go: memory does not grow with the course."""
    from builder.validate.olx import Tree, _Under

    tree = Tree(_Under(members, "course/"), "course/")
    tree.scan()
    tree.check_tags()
    assert set(tree._xml) == {"course.xml"}


def test_static_link_scan_equals_the_pattern_on_fuzzed_texts() -> None:
    """``STATIC_LINK_SCAN`` equals ``STATIC_LINK`` on texts built from the characters that matter
    (case folds, Unicode spaces, quotes, overlapping candidates)."""
    import random

    from builder.validate.olx import STATIC_LINK, STATIC_LINK_SCAN

    rng = random.Random(7)
    pieces = [
        "s", "r", "c", "h", "e", "f", "=", " ", "\t", "\n", '"', "'", "/", "S", "ſ", "t", "a", "i", "İ",
        "x", "?", "#", "\u00a0", ">", "static", "/static/", "src", "HREF",
        'src="/static/', "href = '/STATIC/",
    ]  # fmt: skip
    for _ in range(30000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        assert STATIC_LINK_SCAN.findall(text) == STATIC_LINK.findall(text), text


def test_static_link_scan_finds_what_the_case_insensitive_pattern_finds() -> None:
    """``STATIC_LINK_SCAN`` (the fast spelling) must match exactly where ``STATIC_LINK`` does: every
    letter's class is the set of characters IGNORECASE lets match it, and on tricky pages the
    links found are the same."""
    import re
    import sys

    from builder.validate.olx import STATIC_LINK, STATIC_LINK_SCAN

    pattern = STATIC_LINK_SCAN.pattern
    letters = "srcheftai"
    any_letter = re.compile(f"[{letters}]", re.IGNORECASE).fullmatch
    candidates = [chr(c) for c in range(sys.maxunicode + 1) if any_letter(chr(c))]
    for letter in letters:
        folds = {c for c in candidates if re.fullmatch(letter, c, re.IGNORECASE)}
        classes = set(re.findall(r"\[([^\]^]+)\]", pattern))
        assert any(set(cls) == folds for cls in classes), (letter, folds)
    pages = [
        "<img src=\"/static/a.png\"><a HREF = '/Static/b c.pdf?x=1'>",
        '<img ſrc="/ſtatıc/a.png"> <a hRef="/STATİC/d.png#f">',
        'src="/static/a src=\'/static/b" href=/static/nope xsrc="/static/e.png"',
        'src=\'/static/\' href="/static/\\"q" srcset="/static/x.png"',
        "<p>no links here, only /static/ text and src= and href</p>",
        "s" * 50 + 'rc="/static/z.png" h' + "h" * 20 + 'ref="/static/y.png"',
    ]
    for page in pages:
        assert STATIC_LINK_SCAN.findall(page) == STATIC_LINK.findall(page), page


def test_an_edit_check_holds_no_copy_of_tags_csv(members: dict[str, Member], course: Course) -> None:
    """tags.csv is read row by row and its rows are not kept: held as lists (and parsed from a
    ``StringIO`` copy of the text) they were the OLX check's largest object at 20,000 units."""
    import tracemalloc

    from tests.validate.test_olx_scan_memo import DictMemo

    course_row = next(line for line in text(members, "tags.csv").splitlines() if '"course"' in line)
    padding = "".join(course_row.replace('"', f'"{"Name " * 200}', 1) + "\n" for _ in range(8000))
    members["course/tags.csv"] = (text(members, "tags.csv") + padding).encode()
    size = len(members["course/tags.csv"])  # type: ignore[arg-type]
    memo = DictMemo()
    assert check_olx(members, course.competences, memo) == []
    edit(members, "html/u-intro.html-1.html", "<p>", "<p>Edited. ")
    tracemalloc.start()
    try:
        assert check_olx(members, course.competences, memo) == []
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 8_000_000
    assert peak < size / 2


@pytest.mark.parametrize(
    "data",
    [
        b'"Name","Type","ID","m"\r\n"a","vertical","u","x"\r\n',
        b'"Name","Type","ID","m"\n"a\rb","vertical","u","x; y"\r"c","problem","p",""\n',
        b'"Name","Type","ID","m"\n"multi\nline\r\ncell","vertical","u","x"\n',
        b'\xef\xbb\xbf"Name","Type","ID","m"\n"bad \xff\xfe utf-8","vertical","u","\xc3"\n',
        b'"Name","Type","ID","m"\n' + "\u00e9\u20ac\U0001f600".encode() * 5000 + b',"vertical","u","x"\n',
        b'"Name","Type","ID","m"\n' + b"x" * 8191 + "\u20ac".encode() + b'\xe2\x82,"h","u","y"',
    ],
)
def test_tags_csv_rows_read_one_by_one_equal_the_rows_of_the_whole_text(data: bytes) -> None:
    """Decoded as read (8 KB at a time), the rows are those of the whole file decoded at once:
    characters and bad bytes split across chunks, and every kind of line end, come out the same."""
    import csv
    import io

    from builder.validate.olx import Tree

    def rows(read: Any) -> object:
        try:
            return list(read())
        except csv.Error as exc:  # a lone CR outside quotes: the same error either way
            return str(exc)

    tree = Tree({"tags.csv": data}, "")
    whole = rows(lambda: csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))))
    assert rows(tree._tag_lines) == whole


def test_each_member_name_is_one_string_through_the_check(members: dict[str, Member]) -> None:
    """The names the OLX check holds (the members under the course folder, the shas the target
    knows, the names a check counts as read) are one string per member, not three copies of
    120,000 names at 20,000 units, and the shas are the target's, not a copy."""
    from builder import cache
    from builder.validate.olx import Tree, _Under

    class Known(dict):  # type: ignore[type-arg]
        def known_shas(self, prefix: str = "") -> dict[str, str]:
            return {n[len(prefix) :]: "ab" * 32 for n in self if n.startswith(prefix)}

    recording = cache.RecordingMembers(Known(members))
    under = _Under(recording, "course/")
    names = {id(n) for n in under.known}
    assert len(under.shas) == len(under.known) > 10
    assert all(id(n) in names for n in under.shas)
    assert Tree(under, "course/").shas is under.shas
    assert recording.read == set()  # joined to their prefix only when the check is over:
    assert recording.reads() == {n for n in members if n.startswith("course/")}
