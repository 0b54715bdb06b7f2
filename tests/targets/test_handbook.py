"""The trainer's handbook target: what a trainer finds in the PDF and the HTML, and what never
reaches a learner.

The PDF is read back with pypdf (text, outline, fonts, tagging), the HTML with the standard
library's parser and, under ``-m browser``, in Chromium with axe-core and a request log.
"""

from __future__ import annotations

import io
import re
import tarfile
import unicodedata
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pypdf
import pytest

from builder.build import build
from builder.model import Course
from builder.render import richtext
from builder.scaffold import scaffold
from builder.source import load_course
from builder.targets import TARGETS, BuildOptions
from builder.targets.handbook import render, render_html, render_pdf, strings

LEARNER_TARGETS = [t for t in TARGETS if t != "handbook"]


@pytest.fixture(scope="module")
def sample_book(sample_course: Course) -> tuple[bytes, bytes]:
    outputs = render(sample_course, BuildOptions())
    assert [o.filename for o in outputs] == [
        f"{sample_course.slug}.handbook.pdf",
        f"{sample_course.slug}.handbook.html",
    ]
    (pdf,) = outputs[0].members.values()
    (html,) = outputs[1].members.values()
    assert isinstance(pdf, bytes) and isinstance(html, bytes)
    return pdf, html


@pytest.fixture(scope="module")
def reader(sample_book: tuple[bytes, bytes]) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(sample_book[0]))


def squash(text: str) -> str:
    """Text for comparison: ligatures unfolded, no whitespace, no hyphens (Typst hyphenates)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text)


@pytest.fixture(scope="module")
def pdf_text(reader: pypdf.PdfReader) -> str:
    return squash("\n".join(page.extract_text() for page in reader.pages))


def _plain(html: str) -> str:
    return richtext.plain(html)


# --------------------------------------------------------------------------- PDF content


def test_pdf_has_every_section_subsection_and_session_plan(sample_course: Course, pdf_text: str) -> None:
    for section in sample_course.sections:
        assert squash(section.title) in pdf_text, section.title
        for ss in section.subsections:
            assert squash(ss.title) in pdf_text, ss.title
            assert ss.session_plan is not None
            for act in ss.session_plan.activities:
                assert squash(act.title) in pdf_text, act.title
                assert squash(_plain(act.trainer_html)[:60]) in pdf_text, act.trainer_md
    assert pdf_text.count(squash(strings("en")["session_plan"])) >= 11


def test_pdf_has_every_problems_answer_key(sample_course: Course, pdf_text: str) -> None:
    for p in sample_course.problems():
        assert squash(p.id) in pdf_text, p.id
        for c in p.choices:  # correct answers and the misconceptions behind the wrong ones
            assert squash(_plain(c.text_html)) in pdf_text, (p.id, c.text_md)
            if c.feedback_html:
                assert squash(_plain(c.feedback_html)[:80]) in pdf_text, (p.id, c.feedback_md)
        for a in p.answers:
            assert squash(a) in pdf_text, (p.id, a)
        if p.answer is not None:
            assert squash(f"{p.answer:g}") in pdf_text, p.id
        if p.explanation_html:
            assert squash(_plain(p.explanation_html)[:80]) in pdf_text, p.id
        for h in p.hints_html:
            assert squash(_plain(h)[:60]) in pdf_text, p.id


def test_pdf_has_every_outcome_with_criteria_and_the_front_matter(
    sample_course: Course, pdf_text: str
) -> None:
    for ulo in sample_course.competences.units:
        assert squash(ulo.title) in pdf_text
        for o in ulo.outcomes:
            assert squash(o.id) in pdf_text
            assert squash(o.statement[:80]) in pdf_text
            for c in o.assessment_criteria:
                assert squash(c[:60]) in pdf_text
    hb = sample_course.handbook
    assert hb is not None
    for ch in [*hb.front, *hb.back]:
        assert squash(ch.title) in pdf_text
    for unit in sample_course.units():
        for note in unit.trainer_notes:
            assert squash(_plain(note.html)[:80]) in pdf_text, unit.id
    s = strings("en")
    for key in ("competence_map", "assessment_guide", "grading_policy", "pass_mark", "misconceptions"):
        assert squash(s[key]) in pdf_text


def test_pdf_cover_names_course_framework_and_version(sample_course: Course, reader: pypdf.PdfReader) -> None:
    cover = squash(reader.pages[0].extract_text())
    fw = sample_course.competences.framework
    for text in (sample_course.title, fw.title, fw.version, sample_course.run, "Trainer's handbook".upper()):
        assert squash(text) in cover, text


def test_pdf_page_count_bookmarks_and_page_labels(sample_course: Course, reader: pypdf.PdfReader) -> None:
    assert 40 <= len(reader.pages) <= 150, len(reader.pages)
    top = [item["/Title"] for item in reader.outline if not isinstance(item, list)]
    for section in sample_course.sections:
        assert section.title in top
    assert "Competence map" in top and "Assessment guide" in top and "Annexes" in top
    assert "Pedagogical approach" in top
    nested = [i for i in reader.outline if isinstance(i, list)]
    assert any(
        sub["/Title"] == "Why digital strategy matters for SMEs"
        for group in nested
        for sub in group
        if not isinstance(sub, list)
    )
    # The cover has no number, the contents are numbered i, ii…, the body from 1; every numbered
    # page's footer prints the number its PDF page label gives (what a reader's page box shows).
    labels = reader.page_labels
    assert labels[0] == "" and labels[1] == "i" and "1" in labels
    body = labels.index("1")
    assert all(re.fullmatch(r"[ivx]+", label) for label in labels[1:body])
    assert labels[body:] == [str(n) for n in range(1, len(labels) - body + 1)]
    for i in (1, body, body + 4, len(labels) - 1):
        assert reader.pages[i].extract_text().strip().endswith(labels[i]), i


def test_pdf_contents_give_each_chapters_page(sample_course: Course, reader: pypdf.PdfReader) -> None:
    """The contents are laid out by the template, not by Typst's outline(): each entry's number must
    be the label of the page its bookmark (the heading itself) opens on."""
    labels = reader.page_labels
    body = labels.index("1")
    contents = "\n".join(reader.pages[i].extract_text() for i in range(1, body))
    lines = [squash(line) for line in contents.splitlines()]
    checked = 0

    def walk(items: list) -> None:  # type: ignore[type-arg]
        nonlocal checked
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            title = squash(item["/Title"])
            page = labels[reader.get_destination_page_number(item)]
            numbers = {m[1] for line in lines if (m := re.fullmatch(re.escape(title) + r"\.+(\d+)", line))}
            if numbers:  # level 3 and deeper are bookmarked but not in the contents
                assert numbers == {page}, (title, numbers, page)
                checked += 1

    walk(reader.outline)
    sections = len(sample_course.sections) + sum(len(s.subsections) for s in sample_course.sections)
    assert checked >= sections + 5
    # Each line is a link to its heading: the links land on the pages the lines name.
    named = reader.named_destinations
    landed = sorted(
        labels[reader.get_destination_page_number(named[link["/Dest"]])]
        for i in range(1, body)
        for link in (a.get_object() for a in reader.pages[i].get("/Annots", []))
        if link["/Subtype"] == "/Link"
    )
    listed = sorted(m[1] for line in lines if (m := re.fullmatch(r".+?\.+(\d+)", line)))
    assert landed == listed and len(listed) >= checked


def test_pdf_running_heads_name_the_chapter(reader: pypdf.PdfReader, sample_course: Course) -> None:
    heads = {reader.pages[i].extract_text().split("\n")[0] for i in range(len(reader.pages))}
    assert any(sample_course.sections[0].title in h and sample_course.title in h for h in heads)


def test_pdf_fonts_are_all_embedded(reader: pypdf.PdfReader) -> None:
    seen = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            for f in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                desc = f.get("/FontDescriptor")
                if desc is None:
                    continue
                desc = desc.get_object()
                assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), f["/BaseFont"]
                seen.add(str(f["/BaseFont"]).split("+")[-1])
    assert any("Libertinus" in name for name in seen), seen


def test_pdf_is_tagged_pdf_ua_1_with_title_and_language(reader: pypdf.PdfReader) -> None:
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfuaid:part[^0-9]{1,3}1", xmp), xmp[:500]
    assert "Trainer's handbook" in reader.metadata["/Title"]


def test_pdf_shows_images_from_static(reader: pypdf.PdfReader) -> None:
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 2


def test_two_builds_give_the_same_bytes(sample_course: Course, sample_book: tuple[bytes, bytes]) -> None:
    assert render_pdf(sample_course) == sample_book[0]
    assert render_html(sample_course) == sample_book[1]
    # the dates inside come from the source epoch, not the clock
    reader = pypdf.PdfReader(io.BytesIO(sample_book[0]))
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"]


# --------------------------------------------------------------------------- escaping and language


TYPST_HOSTILE = r'#set page(width: 1cm) $x^2$ *bold* _it_ <lbl> @ref [x] \ = - + / {#"} //'
"""Typst markup and code characters; shown as text they change nothing."""


def test_typst_special_characters_in_course_text_are_shown_verbatim(tmp_path: Path) -> None:
    src = tmp_path / "src"
    scaffold(src)
    unit = src / "outline/01-getting-started/01-first-steps/01-welcome.md"
    text = unit.read_text(encoding="utf-8")
    unit.write_text(text.replace("Ask the group", f"`{TYPST_HOSTILE}` Ask"), encoding="utf-8")
    session = src / "outline/01-getting-started/01-first-steps/session.yaml"
    title = TYPST_HOSTILE.replace("'", "")
    s = session.read_text(encoding="utf-8").replace("title: Wrap-up", f"title: '{title} #pagebreak()'")
    session.write_text(s, encoding="utf-8")
    course = load_course(src)
    assert course.sections[0].subsections[0].session_plan.activities[2].title.startswith("#set page")  # type: ignore[union-attr]
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(course)))
    text = squash("\n".join(p.extract_text() for p in reader.pages))
    assert text.count(squash(TYPST_HOSTILE)) >= 2  # in the note's code span and the activity title
    assert squash(title + " #pagebreak()") in text
    assert all(abs(float(p.mediabox.width) - 595.28) < 1 for p in reader.pages)  # still A4
    assert len(reader.pages) < 10


def test_headings_follow_the_course_language_with_english_fallback(tmp_path: Path) -> None:
    src = tmp_path / "src"
    scaffold(src)
    course = load_course(src)
    course.language = "it"
    it = squash("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_pdf(course))).pages))
    for word in ("MANUALE DEL FORMATORE", "Piano della sessione", "Risposta corretta", "Errori frequenti"):
        assert squash(word) in it
    assert '<html lang="it">' in render_html(course).decode()
    assert strings("fi")["session_plan"] == "Session plan"
    assert strings("it-CH")["session_plan"] == "Piano della sessione"
    assert set(strings("it")) == set(strings("en"))


# --------------------------------------------------------------------------- HTML


class _Balance(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.srcs: list[str] = []
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if "src" in a:
            self.srcs.append(a["src"] or "")
        if tag == "a":
            self.hrefs.append(a.get("href") or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def test_html_is_well_formed_and_self_contained(sample_book: tuple[bytes, bytes]) -> None:
    html = sample_book[1].decode("utf-8")
    p = _Balance()
    p.feed(html)
    p.close()
    assert p.errors == [] and p.stack == [], (p.errors[:5], p.stack)
    assert len(p.ids) == len(set(p.ids)), "duplicate ids"
    assert "script" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    assert p.srcs and all(s.startswith("data:image/") for s in p.srcs), p.srcs[:3]
    assert "url(" not in html and "@import" not in html
    for href in p.hrefs:  # in-page anchors resolve; other links are plain navigation
        if href.startswith("#"):
            assert href[1:] in p.ids, href
        else:
            assert href.startswith(("https://", "http://", "mailto:")), href
    assert "@media print" in html


def test_html_has_the_same_content_as_the_pdf(
    sample_course: Course, sample_book: tuple[bytes, bytes]
) -> None:
    html = sample_book[1].decode("utf-8")
    for p in sample_course.problems():
        assert f'id="problem-{p.id}"' in html
    for o in sample_course.competences.outcomes():
        assert f'id="outcome-{o.id}"' in html
    for s in sample_course.sections:
        for ss in s.subsections:
            assert f'id="{ss.id}-plan"' in html
    assert html.count('class="box note"') == sum(len(u.trainer_notes) for u in sample_course.units())


# --------------------------------------------------------------------------- never for learners


def _members(path: Path) -> dict[str, bytes]:
    if path.name.endswith(".tar.gz"):
        with tarfile.open(path) as tar:
            return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist()}
    return {path.name: path.read_bytes()}


def _leaks(course: Course, out: Path, phrases: list[str]) -> list[str]:
    result, written = build(course, out, LEARNER_TARGETS, BuildOptions(), jobs=1)
    assert not result.errors, [str(d) for d in result.errors]
    assert {w.target for w in written} == set(LEARNER_TARGETS)
    found = []
    for w in written:
        for name, data in _members(w.path).items():
            text = data.decode("utf-8", "replace")
            found += [f"{w.path.name}!{name}: {ph!r}" for ph in phrases if ph in text]
    return found


def test_trainer_notes_never_reach_a_learner_artefact(tmp_path: Path) -> None:
    src = tmp_path / "src"
    scaffold(src)
    sentinel = "ZEBRA-SENTINEL-7f3a trainer only"
    unit = src / "outline/01-getting-started/01-first-steps/01-welcome.md"
    unit.write_text(
        unit.read_text(encoding="utf-8").replace("Ask the group", f"{sentinel}. Ask the group"),
        encoding="utf-8",
    )
    course = load_course(src)
    assert sentinel in course.units()[0].trainer_notes[0].html  # the note was read…
    assert _leaks(course, tmp_path / "dist", [sentinel, "ZEBRA-SENTINEL"]) == []  # …and never shipped
    assert sentinel in render_html(course).decode()  # while the handbook has it


def trainer_phrases(
    course: Course, plain: Callable[[str], str] = _plain, activities: bool = False
) -> list[str]:
    """Text that must never ship to learners: the longest sentence of each trainer note and the
    start of each session plan's preparation (and, with ``activities``, of its first activity's
    trainer column). Every subsection of the course must have a session plan."""
    phrases = []
    for unit in course.units():
        for note in unit.trainer_notes:
            sentences = re.split(r"(?<=[.!?])\s", plain(note.html))
            phrases.append(max(sentences, key=len)[:70])
    for s in course.sections:
        for ss in s.subsections:
            assert ss.session_plan is not None
            phrases.append(plain(ss.session_plan.preparation_html)[:70])
            if activities:
                phrases.append(plain(ss.session_plan.activities[0].trainer_html)[:70])
    return phrases


def test_sample_trainer_notes_and_session_plans_never_reach_a_learner_artefact(
    sample_course: Course, tmp_path: Path
) -> None:
    phrases = trainer_phrases(sample_course)
    assert len(phrases) >= 30
    assert _leaks(sample_course, tmp_path / "dist", phrases) == []


# --------------------------------------------------------------------------- browser


@pytest.mark.browser
def test_html_has_no_serious_accessibility_violations_and_makes_no_requests(
    browser, sample_book: tuple[bytes, bytes], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.browser.conftest import NODE_MODULES

    axe = NODE_MODULES / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.skip("axe-core is not installed: run `npm ci --prefix tests/browser`")
    page_file = tmp_path / "handbook.html"
    page_file.write_bytes(sample_book[1])
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    try:
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        external = [u for u in requests if not u.startswith(("file:", "data:"))]
        assert external == [], external
        page.add_script_tag(path=str(axe))
        result = page.evaluate(
            "() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        )
        for v in result["violations"]:
            print(f"{v['impact']}: {v['id']} — {v['help']} ({len(v['nodes'])} nodes)")
        blocking = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
        assert blocking == [], [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in blocking]
    finally:
        context.close()


def test_image_without_alt_text_is_typeset_as_decoration_not_a_failed_build(tmp_path: Path) -> None:
    src = tmp_path / "src"
    scaffold(src)
    chapter = src / "handbook/approach.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8") + "\n![](../static/images/course-image.png)\n", encoding="utf-8"
    )
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(load_course(src))))  # PDF/UA-1 refuses untagged alt
    assert sum(len(p.images) for p in reader.pages) == 1


def test_pdf_links_ids_to_their_entries_and_esco_to_the_web(
    sample_course: Course, reader: pypdf.PdfReader
) -> None:
    internal, uris = 0, set()
    for page in reader.pages:
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            action = a.get("/A")
            if "/Dest" in a or (action is not None and action.get("/S") == "/GoTo"):
                internal += 1
            elif action is not None and action.get("/S") == "/URI":
                uris.add(str(action["/URI"]))
    # the assessment guide alone links every outcome to the map and every problem to its key
    assert internal >= len(sample_course.problems()) + len(sample_course.competences.outcomes())
    esco = {e for o in sample_course.competences.outcomes() for e in o.esco}
    assert esco and esco <= uris


def test_build_all_writes_both_handbook_files_for_the_scaffold(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from builder.cli import main

    src, out = tmp_path / "src", tmp_path / "dist"
    scaffold(src)
    result = CliRunner().invoke(main, ["build", str(src), "--out", str(out), "--target", "all"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"MyOrg-C101-2026_T1.handbook.pdf", "MyOrg-C101-2026_T1.handbook.html"} <= names
    assert "1 session plan, 1 answer key)" in result.output
    assert (out / "MyOrg-C101-2026_T1.handbook.pdf").read_bytes().startswith(b"%PDF-1.7")


FORK_AFTER_TYPST = """
import sys
from pathlib import Path
from builder.build import build
from builder.source import load_course
from builder.targets import BuildOptions
from builder.targets.handbook import render_pdf

if __name__ == "__main__":
    course = load_course(sys.argv[1])
    render_pdf(course)  # Typst's thread pool now exists in this process
    _result, written = build(course, Path(sys.argv[2]), ["olx", "handbook"], BuildOptions(), jobs=2)
    print(sorted(w.path.name for w in written))
"""


def test_parallel_build_after_typesetting_in_the_same_process_does_not_hang(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    src = tmp_path / "src"
    scaffold(src)
    script = tmp_path / "fork_after_typst.py"
    script.write_text(FORK_AFTER_TYPST, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script), str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,  # a forked worker deadlocked on Typst's locks before workers came from a fork server
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "MyOrg-C101-2026_T1.handbook.pdf" in done.stdout


def test_pdf_sets_problem_and_outcome_ids_in_the_monospace_face(
    sample_course: Course, reader: pypdf.PdfReader
) -> None:
    """The ids are typeset with text() in raw's face (raw itself cost ~3 % of a big handbook):
    a trainer still sees every problem and outcome id in DejaVu Sans Mono."""
    mono: list[str] = []

    def visit(text: str, cm: object, tm: object, font: dict | None, size: float) -> None:
        if font and "DejaVuSansMono" in str(font.get("/BaseFont", "")):
            mono.append(text)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    shown = squash("".join(mono))
    ids = [p.id for p in sample_course.problems()] + [o.id for o in sample_course.competences.outcomes()]
    assert ids and all(squash(i) in shown for i in ids), [i for i in ids if squash(i) not in shown]
