"""Messages that fix the problem (issue 8 §4): each case was seen in an author trial.

Every case starts from the scaffold course, breaks one thing the way an author did, and asserts the
finding's file, line, severity and *exact* message and hint: the wording is the product here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder.diagnostics import Diagnostic, SourceErrors
from builder.scaffold import scaffold
from builder.source import load_course
from tests.factories import PNG_1X1
from tests.source.scaffold_edits import SECTION, SUBSECTION, UNIT, edit

SUBDIR = "outline/01-getting-started/01-first-steps"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """The scaffold in a folder not named course_src: messages must name the real folder."""
    root = tmp_path / "my-course"
    scaffold(root)
    return root


def append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def put(root: Path, rel: str, data: bytes = PNG_1X1) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def line_of(root: Path, rel: str, needle: str) -> int:
    """As ``scaffold_edits.line_of``, also in a file that is not UTF-8."""
    for i, line in enumerate((root / rel).read_bytes().decode("utf-8", "replace").split("\n"), start=1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {rel}")


def findings(root: Path) -> list[Diagnostic]:
    """Every finding of the reader: errors (raised) or warnings (carried by the course)."""
    try:
        return load_course(root).reader_warnings
    except SourceErrors as exc:
        return exc.diagnostics


@dataclass
class Case:
    name: str
    mutate: Callable[[Path], None]
    file: str
    line: str | None
    """A text on the expected line of ``file`` (None: the finding has no line)."""
    message: str
    hint: str
    severity: str = "error"


def photo(r: Path) -> None:
    put(r, "static/images/photo.png")


def with_photo(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def run(r: Path) -> None:
        photo(r)
        for step in steps:
            step(r)

    return run


def problem_key(old: str, new: str) -> Callable[[Path], None]:
    return lambda r: edit(r, UNIT, old, new)


CASES = [
    # --- static paths: similar names only, in the form that works where the author wrote it
    Case(
        "misspelt root-anchored link",
        with_photo(lambda r: append(r, UNIT, "\n![Team](/static/images/phto.png)\n")),
        UNIT,
        "phto.png",
        "link `/static/images/phto.png` does not resolve to a file in the course's `static/` folder",
        "did you mean `/static/images/photo.png`?",
    ),
    Case(
        "misspelt relative link",
        with_photo(lambda r: append(r, UNIT, "\n![Team](../../../static/images/phto.png)\n")),
        UNIT,
        "phto.png",
        "link `../../../static/images/phto.png` does not resolve to a file in the course's `static/` folder",
        "did you mean `../../../static/images/photo.png`?",
    ),
    Case(
        "static path written relative to the unit",
        with_photo(lambda r: append(r, UNIT, "\n![Team](static/images/photo.png)\n")),
        UNIT,
        "](static/images/photo.png)",
        "link `static/images/photo.png` does not resolve to a file in the course's `static/` folder",
        "a link in a Markdown file is relative to that file's folder: write `/static/images/photo.png`",
    ),
    Case(
        "missing photo is never offered the course logo",
        lambda r: append(r, UNIT, "\n![Team](/static/images/team-photo.jpg)\n"),
        UNIT,
        "team-photo.jpg",
        "link `/static/images/team-photo.jpg` does not resolve to a file in the course's `static/` folder",
        "no file in `my-course/static/` has a similar name;"
        " check the spelling and that the file was copied there",
    ),
    Case(
        "misspelt course image in YAML",
        lambda r: edit(r, "course.yaml", "course-image.png", "course-imge.png"),
        "course.yaml",
        "image:",
        "course image `static/images/course-imge.png` does not exist",
        "did you mean `static/images/course-image.png`?",
    ),
    Case(
        "course image outside static",
        lambda r: (
            put(r, "images/logo.png"),
            edit(r, "course.yaml", "static/images/course-image.png", "images/logo.png"),
        ),
        "course.yaml",
        "image:",
        "course image `images/logo.png` is not in the course's `static/` folder",
        "move it to `my-course/static/` and write `static/…`",
    ),
    # --- file names with spaces or accents: one error, with a safe name
    Case(
        "static file name with a space",
        lambda r: (
            put(r, "static/images/my photo.png"),
            append(r, UNIT, "\n![Team](</static/images/my photo.png>)\n"),
        ),
        "static/images/my photo.png",
        None,
        "file name `my photo.png` has spaces or characters that Open edX would rewrite",
        "rename it to `my-photo.png` (letters, digits, '.', '_' and '-' only) and update the links to it",
    ),
    Case(
        "static file name with an accent",
        lambda r: (put(r, "static/images/café.png"), append(r, UNIT, "\n![Café](/static/images/café.png)\n")),
        "static/images/café.png",
        None,
        "file name `café.png` has spaces or characters that Open edX would rewrite",
        "rename it to `cafe.png` (letters, digits, '.', '_' and '-' only) and update the links to it",
    ),
    # --- outcome ids that differ only in case
    Case(
        "assessed outcome in the wrong case",
        lambda r: edit(r, UNIT, "assesses: [MY.U1.K1, MY.U1.S1]", "assesses: [my.u1.k1]"),
        UNIT,
        "assesses:",
        "assessed outcome `my.u1.k1` is not an outcome in the competence map",
        "did you mean `MY.U1.K1`? Outcome ids are case-sensitive",
    ),
    Case(
        "assessed outcome in a block list",
        lambda r: edit(r, UNIT, "assesses: [MY.U1.K1, MY.U1.S1]", "assesses:\n  - MY.U1.K1\n  - My.U1.s1"),
        UNIT,
        "- My.U1.s1",
        "assessed outcome `My.U1.s1` is not an outcome in the competence map",
        "did you mean `MY.U1.S1`? Outcome ids are case-sensitive",
    ),
    # --- YAML 1.1 surprises
    Case(
        "choice text No read as false",
        problem_key("  - text: One — a flat list of pages", "  - text: No"),
        UNIT,
        "text: No",
        "`choices[1].text`: YAML read `No` as false",
        "quote it: 'No'",
    ),
    Case(
        "title yes read as true",
        lambda r: edit(r, SUBSECTION, "title: First steps", "title: yes"),
        SUBSECTION,
        "title: yes",
        "`title`: YAML read `yes` as true",
        "quote it: 'yes'",
    ),
    Case(
        "feedback Off read as false",
        problem_key("feedback: Right.", "feedback: Off"),
        UNIT,
        "feedback: Off",
        "`choices[0].feedback`: YAML read `Off` as false",
        "quote it: 'Off'",
    ),
    Case(
        "day-first due date",
        lambda r: edit(r, SUBSECTION, "due: 2026-06-30T23:59:00Z", "due: 30/04/2026"),
        SUBSECTION,
        "due:",
        "`due`: `30/04/2026` is not a date in the form YAML and coursepack read",
        "write it as 2026-04-30T23:59:00Z (year-month-day, then the time in UTC)",
    ),
    Case(
        "course start as a day-first date",
        lambda r: edit(r, "course.yaml", "start: 2026-01-05T09:00:00Z", "start: 5.1.2026"),
        "course.yaml",
        "start:",
        "`start`: `5.1.2026` is not a date in the form YAML and coursepack read",
        "write it as 2026-01-05T00:00:00Z (year-month-day, then the time in UTC)",
    ),
    Case(
        "language written as a name",
        lambda r: edit(r, "course.yaml", "language: en", "language: Italiano"),
        "course.yaml",
        "language:",
        "`language`: `Italiano` is not a language code",
        "did you mean `it`?",
    ),
    Case(
        "language written as a country code",
        lambda r: edit(r, "course.yaml", "language: en", "language: gr"),
        "course.yaml",
        "language:",
        "`language`: `gr` is not a language code",
        "did you mean `el`?",
    ),
    Case(
        "language name in English",
        lambda r: edit(r, "course.yaml", "language: en", "language: German"),
        "course.yaml",
        "language:",
        "`language`: `German` is not a language code",
        "did you mean `de`?",
    ),
    Case(
        "unknown two-letter language",
        lambda r: edit(r, "course.yaml", "language: en", "language: xq"),
        "course.yaml",
        "language:",
        "`language`: `xq` is not a language code",
        "use an ISO 639 code such as `en`, `it`, `el` or `pt-BR`",
    ),
    Case(
        "transcript language as a country code",
        lambda r: append(
            r,
            UNIT,
            "\n```video\nid: v-intro\ntitle: Intro\nyoutube: dQw4w9WgXcQ\ntranscripts:\n"
            "  gr: static/images/course-image.png\n```\n",
        ),
        UNIT,
        "gr: static",
        "`transcripts`: `gr` is not a language code",
        "did you mean `el`?",
    ),
    Case(
        "id with an accent",
        lambda r: edit(r, UNIT, "id: u-welcome", "id: u-bienvenué"),
        UNIT,
        "id: u-bienvenué",
        "`id`: 'u-bienvenué' has characters that are not allowed",
        "ids use ASCII letters (a-z, A-Z), digits, '.', '_' and '-': `é` is not one; e.g. `u-bienvenue`",
    ),
    Case(
        "question instead of prompt",
        problem_key("prompt: How many", "question: How many"),
        UNIT,
        "question:",
        "unknown key `question`",
        "did you mean `prompt`?",
    ),
    Case(
        "options instead of choices",
        problem_key("choices:", "options:"),
        UNIT,
        "options:",
        "unknown key `options`",
        "did you mean `choices`?",
    ),
    Case(
        "solution instead of explanation",
        problem_key("explanation:", "solution:"),
        UNIT,
        "solution:",
        "unknown key `solution`",
        "did you mean `explanation`?",
    ),
    Case(
        "correct on the problem, not on a choice",
        problem_key("max_attempts: 2", "max_attempts: 2\ncorrect: 1"),
        UNIT,
        "correct: 1",
        "unknown key `correct`",
        "mark the right choice itself: `correct: true` under that item of `choices`",
    ),
    Case(
        "points instead of weight",
        problem_key("max_attempts: 2", "max_attempts: 2\npoints: 2"),
        UNIT,
        "points: 2",
        "unknown key `points`",
        "did you mean `weight`?",
    ),
    Case(
        "double-quoted title with inner quotes",
        lambda r: edit(r, SECTION, "title: Getting started", 'title: "The "best" start"'),
        SECTION,
        "title:",
        'invalid YAML: a double-quoted value ends at its second `"`',
        "put the value in single quotes: title: 'The \"best\" start'",
    ),
    # --- encodings and stray files
    Case(
        "unit saved as Latin-1",
        lambda r: (r / UNIT).write_bytes(
            (r / UNIT).read_bytes().replace(b"## How this", b"## Caf\xe9: how this")
        ),
        UNIT,
        "## Caf",
        "not valid UTF-8: byte 0xE9 at column 7 (byte offset 75 of the file)",
        "save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8)",
    ),
    Case(
        "unit directly in a section folder",
        lambda r: put(r, "outline/01-getting-started/02-extra.md", b"---\nid: u-x\ntitle: X\n---\n"),
        "outline/01-getting-started/02-extra.md",
        None,
        "a unit file directly in a section folder is not read",
        "units go in a subsection folder: outline/01-getting-started/NN-subsection/NN-unit.md",
    ),
    Case(
        "unit directly in the outline folder",
        lambda r: put(r, "outline/02-extra.md", b"---\nid: u-x\ntitle: X\n---\n"),
        "outline/02-extra.md",
        None,
        "a unit file directly in the outline folder is not read",
        "units go in outline/NN-section/NN-subsection/NN-unit.md",
    ),
    # --- links between units
    Case(
        "link to a misspelt unit file",
        lambda r: (
            put(r, f"{SUBDIR}/02-hazards.md", b"---\nid: u-hazards\ntitle: Hazards\n---\nText.\n"),
            append(r, UNIT, "\nNext: [hazards](02-hazrds.md#risks).\n"),
        ),
        UNIT,
        "[hazards]",
        "link `02-hazrds.md#risks` does not lead to a unit of this course",
        "did you mean `02-hazards.md`?",
    ),
    Case(
        "link to a unit file in another section, misspelt",
        lambda r: (
            put(r, "outline/02-more/section.yaml", b"id: s-more\ntitle: More\n"),
            put(r, "outline/02-more/01-other/subsection.yaml", b"id: ss-other\ntitle: Other\n"),
            put(r, "outline/02-more/01-other/01-extra.md", b"---\nid: u-extra\ntitle: Extra\n---\nText.\n"),
            append(r, UNIT, "\nSee [extra](../../02-more/01-other/01-xtra.md).\n"),
        ),
        UNIT,
        "[extra]",
        "link `../../02-more/01-other/01-xtra.md` does not lead to a unit of this course",
        "did you mean `../../02-more/01-other/01-extra.md`?",
    ),
    # --- warnings: accessibility and HTML shown as text
    Case(
        "image without alt text",
        lambda r: append(r, UNIT, "\n![](/static/images/course-image.png)\n"),
        UNIT,
        "![](/static",
        "image `/static/images/course-image.png` has no alt text: screen readers will skip it",
        "describe what it shows between the brackets: ![A chart of …](…)",
        "warning",
    ),
    Case(
        "raw HTML in prose",
        lambda r: append(r, UNIT, '\n<div class="note">Careful <b>here</b></div>\n'),
        UNIT,
        '<div class="note">',
        'raw HTML `<div class="note">` will be shown to learners as text, not as markup',
        "use Markdown, or put HTML that must render in a ```raw-html block (see docs/source-format.md)",
        "warning",
    ),
    Case(
        "raw HTML inline",
        lambda r: append(r, UNIT, "\nWater is H<sub>2</sub>O.\n"),
        UNIT,
        "H<sub>",
        "raw HTML `<sub>` will be shown to learners as text, not as markup",
        "use Markdown, or put HTML that must render in a ```raw-html block (see docs/source-format.md)",
        "warning",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_message(src: Path, case: Case) -> None:
    case.mutate(src)
    found = [d for d in findings(src) if d.file == case.file and d.message == case.message]
    assert found, f"no finding {case.message!r} in {case.file}; got:\n" + "\n".join(map(str, findings(src)))
    (d,) = found
    assert d.hint == case.hint
    assert d.severity == case.severity
    assert d.line == (line_of(src, case.file, case.line) if case.line else None)


def test_bad_file_name_is_one_error_not_also_a_missing_link(src: Path) -> None:
    put(src, "static/images/my photo.png")
    append(
        src,
        UNIT,
        "\n![Team](</static/images/my photo.png>)\n![Team](../../../static/images/my%20photo.png)\n",
    )
    diags = findings(src)
    assert [d.file for d in diags] == ["static/images/my photo.png"], "\n".join(map(str, diags))


def test_links_with_percent_escapes_resolve(src: Path) -> None:
    """markdown-it percent-encodes URLs; a link to a well-named file must still resolve."""
    append(src, UNIT, "\n[the image](</static/images/course-image.png>)\n")
    course = load_course(src)
    assert 'href="/static/images_course-image.png"' in course.units()[0].components[-1].html


@pytest.mark.parametrize(
    "name",
    [
        "Thumbs.db",
        "desktop.ini",
        "01-welcome.md~",
        ".01-welcome.md.swp",
        ".#01-welcome.md",
        "01-welcome.md.bak",
        "#01-welcome.md#",
        ".DS_Store",
    ],
)
def test_system_and_backup_files_are_ignored(src: Path, name: str) -> None:
    put(src, f"{SUBDIR}/{name}", b"junk")
    put(src, f"static/images/{name}", b"junk")
    put(src, f"outline/{name}", b"junk")
    course = load_course(src)
    assert course.reader_warnings == []
    assert [a.rel_path for a in course.assets] == ["static/images/course-image.png"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42s",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "dQw4w9WgXcQ",
    ],
)
def test_youtube_address_gives_its_id(src: Path, url: str) -> None:
    append(src, UNIT, f"\n```video\nid: v-intro\ntitle: Intro\nyoutube: {url}\n```\n")
    course = load_course(src)
    (video,) = course.units()[0].videos
    assert video.youtube_id == "dQw4w9WgXcQ"
    assert course.reader_warnings == []


def test_youtube_address_without_an_id(src: Path) -> None:
    append(
        src,
        UNIT,
        "\n```video\nid: v-intro\ntitle: Intro\nyoutube: https://www.youtube.com/playlist?list=PL1\n```\n",
    )
    (d,) = [d for d in findings(src) if d.code != "unknown-outcome"]
    assert d.message == "`youtube`: `https://www.youtube.com/playlist?list=PL1` has no video id"
    assert d.hint == "give the 11-character id from the video's address, e.g. `youtube: dQw4w9WgXcQ`"
    assert d.line == line_of(src, UNIT, "youtube:")


@pytest.mark.parametrize("word", ["y", "n", "Y", "N"])
def test_single_letters_stay_text(src: Path, word: str) -> None:
    """PyYAML (YAML 1.1 minus y/n) reads `y` and `n` as strings: nothing to warn about."""
    edit(src, UNIT, "  - text: One — a flat list of pages", f"  - text: {word}")
    course = load_course(src)
    assert course.units()[0].problems[0].choices[1].text_md == word


def test_reader_warnings_reach_check_and_build(src: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from builder.cli import main

    append(src, UNIT, "\n![](/static/images/course-image.png)\n")
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(src), "--target", "olx"])
    assert checked.exit_code == 0, checked.output
    line = line_of(src, UNIT, "![](")
    assert (
        f"{UNIT}:{line}: warning: image `/static/images/course-image.png` has no alt text" in checked.output
    )
    built = runner.invoke(main, ["build", str(src), "--target", "olx", "--out", str(tmp_path / "dist")])
    assert built.exit_code == 0, built.output
    assert "1 warning — run coursepack check for details" in built.output
    strict = runner.invoke(main, ["check", str(src), "--strict"])
    assert strict.exit_code != 0
