"""The trainer's handbook in another language: its own text (trainer notes, session plans, handbook
chapters) is extracted, merged and built like learner prose, and never reaches a learner.

The real Italian catalog is used: the Italian handbook must be Italian in its content, not only in
its headings, in the HTML and in the PDF's text.
"""

from __future__ import annotations

import io
import re
import shutil
from html import unescape
from pathlib import Path

import polib
import pypdf
import pytest

from builder.i18n import catalog
from builder.i18n.apply import translate
from builder.i18n.commands import template, update
from builder.model import Course
from builder.render import richtext
from builder.source import load_course
from builder.targets import BuildOptions
from builder.targets.handbook import render, render_html, render_pdf
from tests.targets.test_handbook import _leaks, squash, trainer_phrases

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "course_src"

HANDBOOK_CONTEXT = re.compile(r"^(unit:[^/]+/trainer-notes|subsection:[^/]+/session/|handbook[:/])")

# (English, Italian) pairs of one trainer note, one session-plan activity, one chapter paragraph…
PAIRS = [
    ("Owner-managers arrive with a problem, not with a curiosity about",  # unit u-welcome, trainer note
     "I titolari arrivano con un problema, non con la curiosità di"),
    ("Opens with the course promise: leaving with a first draft of a digital strategy",  # session plan
     "Apre con la promessa del corso: uscire con una prima bozza di strategia digitale"),
    ("In the online course the content is already there; the trainer's value lies elsewhere.",  # chapter
     "Nel corso online i contenuti ci sono già; il valore del formatore sta altrove."),
    ("Ask every participant, when they register, to bring",  # session plan preparation
     "Chiedi a ogni partecipante, al momento dell'iscrizione, di portare"),
    ("Introductions with one number", "Presentazioni con un numero"),  # activity title
    ("Pedagogical approach", "Approccio pedagogico"),  # chapter title in index.yaml
    ("Printed maturity self-assessment (six dimensions, scores 1–5)",  # session-plan materials
     "Autovalutazione della maturità stampata (sei dimensioni, punteggi 1–5)"),
]
# …and further English sentences, from each kind of handbook text, that must not survive in Italian
ENGLISH_ONLY = [
    "Keep risk management proportionate.",
    "Sends breakout rooms to calculate monthly churn",
    "Managers of small and medium-sized enterprises are an unusual group of learners.",
    "A planned decision point where a project continues, is adjusted or is stopped",
    "Use this checklist at the final session to confirm",
    "Trainer's handbook",
]


def _plain(html: str) -> str:
    return " ".join(unescape(richtext.plain(html)).split())


@pytest.fixture(scope="module")
def italian(sample_course: Course) -> Course:
    it, warnings = translate(sample_course, SAMPLE, "it")
    assert warnings == [], [str(w) for w in warnings]
    return it


@pytest.fixture(scope="module")
def italian_html(italian: Course) -> str:
    page = render_html(italian).decode("utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", re.sub(r"</?(strong|em|a|code|span)\b[^>]*>", "", page))
    return " ".join(unescape(text).split())


@pytest.fixture(scope="module")
def italian_pdf_text(italian: Course) -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(italian)))
    return squash("\n".join(page.extract_text() or "" for page in reader.pages))


def _handbook_entries(pot: polib.POFile) -> list[polib.POEntry]:
    return [e for e in pot if HANDBOOK_CONTEXT.match(e.msgctxt or "")]


# --------------------------------------------------------------------------- extraction


def test_handbook_text_is_extracted_with_contexts_from_ids_and_fields(sample_course: Course) -> None:
    pot = template(sample_course, SAMPLE)
    ctxts = {e.msgctxt for e in pot}
    for ctxt in (
        "unit:u-welcome/trainer-notes/top/p1",
        "subsection:ss-why-digital-strategy/session/preparation/top/p1",
        "subsection:ss-why-digital-strategy/session/materials/1",
        "subsection:ss-why-digital-strategy/session/activities/introductions-with-one-number/title",
        "subsection:ss-why-digital-strategy/session/activities/introductions-with-one-number/trainer/top/p1",
        "subsection:ss-why-digital-strategy/session/activities/introductions-with-one-number/learners/top/p1",
        "handbook/title",
        "handbook:01-approach/title",
        "handbook:01-approach/the-role-of-the-trainer/h1",
        "handbook:01-approach/the-role-of-the-trainer/p1",
        "handbook:99-glossary/top/table1",
    ):
        assert ctxt in ctxts, ctxt
    # two activities called "Break" in one plan would get break and break-2; each plan has one
    assert "subsection:ss-final-exam/session/activities/break/title" in ctxts
    entries = _handbook_entries(pot)
    units_with_notes = {u.id for u in sample_course.units() if u.trainer_notes}
    assert {e.msgctxt.split("/")[0][5:] for e in entries if "/trainer-notes" in e.msgctxt} == units_with_notes
    assert len({e.msgctxt.split("/")[0] for e in entries if "/session/" in e.msgctxt}) == 11
    # minutes, durations, modes and outcome ids are not offered
    assert not any(re.fullmatch(r"[\d\s–-]+|classroom|online|blended|workplace|HTL\.[\w.]+", e.msgid)
                   for e in entries)
    assert not any(re.search(r"/(minutes|duration|mode|outcomes)\b", e.msgctxt) for e in entries)


def test_handbook_entries_point_at_the_line_of_their_text(sample_course: Course) -> None:
    """Every `#:` reference of handbook text names the file and the line where the string starts."""
    entries = _handbook_entries(template(sample_course, SAMPLE))
    assert len(entries) > 300
    for e in entries:
        file, line = e.occurrences[0]
        text = (SAMPLE / file).read_text(encoding="utf-8").split("\n")[int(line) - 1]
        first = e.msgid.split("\n")[0]
        if e.msgctxt.endswith("/title") or "/materials/" in e.msgctxt:  # a YAML value on its key's line
            assert first in text, (e.msgctxt, file, line)
        else:  # a Markdown block: its first line, without a list marker or heading marks
            assert text.strip().endswith(first.strip()), (e.msgctxt, file, line, text)


# --------------------------------------------------------------------------- the Italian handbook


def test_italian_catalog_translates_every_handbook_entry(sample_course: Course) -> None:
    pot = template(sample_course, SAMPLE)
    po = catalog.load(catalog.po_path(SAMPLE, "it"))
    by_ctxt = {e.msgctxt: e for e in po if not e.obsolete}
    entries = _handbook_entries(pot)
    for t in entries:
        e = by_ctxt[t.msgctxt]
        assert e.msgstr.strip() and "fuzzy" not in e.flags and e.msgid == t.msgid, t.msgctxt
        # figures are kept (the Italian may write 2,5 where the English writes 2.5)
        assert sorted(re.findall(r"\d+", e.msgid)) == sorted(re.findall(r"\d+", e.msgstr)), t.msgctxt
    different = [t for t in entries if by_ctxt[t.msgctxt].msgstr != t.msgid]
    assert len(different) == len(entries)  # nothing was "translated" by copying the English


def test_italian_handbook_html_has_italian_content_and_none_of_the_english(
    italian: Course, italian_html: str
) -> None:
    for english, italiano in PAIRS:
        assert italiano in italian_html, italiano
        assert english not in italian_html, english
    for english in ENGLISH_ONLY:
        assert english not in italian_html, english
    assert 'lang="it"' in render_html(italian).decode()


def test_italian_handbook_html_keeps_no_english_sentence_of_any_handbook_entry(
    sample_course: Course, italian_html: str
) -> None:
    """Every sentence of five words or more of the English handbook text is gone from the Italian book."""
    from builder.render import markdown

    found = []
    for e in _handbook_entries(template(sample_course, SAMPLE)):
        plain = _plain(markdown.render(e.msgid)) if "markdown-text" in e.flags else e.msgid
        for sentence in re.split(r"(?<=[.!?:;])\s+|\s*\|\s*", plain):
            if len(re.findall(r"[A-Za-z]{2,}", sentence)) >= 5 and sentence in italian_html:
                found.append((e.msgctxt, sentence))
    assert found == []


def test_italian_handbook_pdf_has_italian_content_and_none_of_the_english(italian_pdf_text: str) -> None:
    for english, italiano in PAIRS:
        assert squash(italiano) in italian_pdf_text, italiano
        assert squash(english) not in italian_pdf_text, english
    for english in ENGLISH_ONLY:
        assert squash(english) not in italian_pdf_text, english


def test_italian_handbook_is_named_with_its_language(italian: Course, sample_course: Course) -> None:
    names = [o.filename for o in render(italian, BuildOptions())]
    assert names == [f"{sample_course.slug}-it.handbook.pdf", f"{sample_course.slug}-it.handbook.html"]
    assert [o.filename for o in render(sample_course, BuildOptions())] == [
        f"{sample_course.slug}.handbook.pdf",
        f"{sample_course.slug}.handbook.html",
    ]


def test_handbook_ids_and_structure_identical_across_languages(
    sample_course: Course, italian: Course
) -> None:
    en_html, it_html = render_html(sample_course).decode(), render_html(italian).decode()
    ids = re.compile(r'\bid="([^"]+)"')
    assert ids.findall(it_html) == ids.findall(en_html)
    assert it_html.count('class="box note"') == en_html.count('class="box note"')

    def shape(c: Course) -> list[object]:
        out: list[object] = []
        for s in c.sections:
            for ss in s.subsections:
                plan = ss.session_plan
                assert plan is not None
                out.append((ss.id, plan.duration, plan.mode, len(plan.materials_html)))
                out += [(a.minutes, a.outcomes, a.line) for a in plan.activities]
                out += [(u.id, [n.line for n in u.trainer_notes]) for u in ss.units]
        hb = c.handbook
        assert hb is not None
        for ch in [*hb.front, *hb.back]:
            out.append((ch.id, ch.source, re.findall(r"<(h\d|li|table|p)\b", ch.html)))
        return out

    assert shape(italian) == shape(sample_course)


# --------------------------------------------------------------------------- never for learners


def test_italian_trainer_text_never_reaches_an_italian_learner_artefact(
    sample_course: Course, italian: Course, italian_html: str, tmp_path: Path
) -> None:
    phrases = trainer_phrases(italian, _plain, activities=True)
    assert len(phrases) >= 50
    assert all(p in italian_html for p in phrases)  # Italian, and in the Italian handbook…
    english = {_plain(n.html)[:40] for u in sample_course.units() for n in u.trainer_notes}
    assert not any(p.startswith(e) for p in phrases for e in english)
    assert _leaks(italian, tmp_path / "dist", phrases) == []  # …and in no Italian learner package


# --------------------------------------------------------------------------- update, fallback


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "course_src"
    shutil.copytree(SAMPLE, dest)
    return dest


def test_editing_one_trainer_note_paragraph_marks_exactly_its_italian_entry_fuzzy(copy: Path) -> None:
    unit = copy / "outline/02-digital-transformation/01-transformation-journey/03-transformation-risks.md"
    old_sentence = "Ask for the top three risks and one\nmitigation each; more is rarely maintained."
    text = unit.read_text(encoding="utf-8")
    assert old_sentence in text
    unit.write_text(text.replace(old_sentence, "Ask for the top three risks and one\nmitigation each."),
                    encoding="utf-8")
    ((_, po),) = update(load_course(copy), copy, ["it"])
    fuzzy = [e for e in po if "fuzzy" in e.flags and not e.obsolete]
    assert [e.msgctxt for e in fuzzy] == ["unit:u-transformation-risks/trainer-notes/top/p1"]
    assert old_sentence in fuzzy[0].previous_msgid
    assert fuzzy[0].msgstr.startswith("**Suggerimento per la conduzione.** Mantieni la gestione")
    st = catalog.status(template(load_course(copy), copy), po, "it")
    assert (len(st.fuzzy), len(st.missing), st.translated) == (1, 0, st.total - 1)
    # the stale translation is never built: the English paragraph stands, with a warning at its line
    it, warnings = translate(load_course(copy), copy, "it")
    note = next(u for u in it.units() if u.id == "u-transformation-risks").trainer_notes[0]
    assert "Keep risk management proportionate." in note.html
    assert "Esempio di PMI." in note.html  # the note's other paragraph is still Italian
    assert [(w.file, w.line, w.code) for w in warnings] == [
        (str(unit.relative_to(copy)), 67, "i18n.untranslated")
    ]


def test_a_missing_session_plan_translation_falls_back_with_a_warning_at_its_line(copy: Path) -> None:
    path = catalog.po_path(copy, "it")
    po = catalog.load(path)
    ctxt = "subsection:ss-data-in-practice/session/activities/trap-hunt/trainer/top/p1"
    entry = next(e for e in po if e.msgctxt == ctxt)
    entry.msgstr = ""
    po.save(str(path))
    it, warnings = translate(load_course(copy), copy, "it")
    act = next(ss for s in it.sections for ss in s.subsections if ss.id == "ss-data-in-practice").session_plan
    assert act is not None
    trap = next(a for a in act.activities if a.title == "Caccia alle trappole")
    assert trap.trainer_md == entry.msgid and "Shows three calculations" in trap.trainer_html
    (w,) = warnings
    assert (w.file, w.line) == ("outline/04-data-driven-decisions/02-data-in-practice/session.yaml",
                                int(entry.occurrences[0][1]))
    assert w.severity == "warning" and "1 string(s) have no current it translation" in w.message


def test_second_note_and_repeated_activity_titles_get_their_own_keys_and_translations(tmp_path: Path) -> None:
    """Notes have no ids and plans may repeat a title ("Break"): keys stay unique, and each entry's
    translation lands in its own note or activity."""
    from builder.scaffold import scaffold

    src = tmp_path / "src"
    scaffold(src)
    unit = src / "outline/01-getting-started/01-first-steps/01-welcome.md"
    second_note = "\n```trainer-notes\n## Timing\n\nKeep it short: [the unit](01-welcome.md#top).\n```\n"
    unit.write_text(unit.read_text(encoding="utf-8") + second_note, encoding="utf-8")
    plan = src / "outline/01-getting-started/01-first-steps/session.yaml"
    plan.write_text(
        plan.read_text(encoding="utf-8")
        .replace("title: Outline from memory", "title: Break")
        .replace("title: Wrap-up", "title: Break"),
        encoding="utf-8",
    )
    course = load_course(src)
    ((path, po),) = update(course, src, ["xx"])
    ctxts = [e.msgctxt for e in po]
    assert "unit:u-welcome/trainer-notes/top/p1" in ctxts
    assert [c for c in ctxts if "trainer-notes-2" in c] == [
        "unit:u-welcome/trainer-notes-2/timing/h1",
        "unit:u-welcome/trainer-notes-2/timing/p1",
    ]
    base = "subsection:ss-first-steps/session/activities"
    assert [c for c in ctxts if c.startswith(base) and c.endswith("/title")] == [
        f"{base}/break/title", f"{base}/work-through-the-unit/title", f"{base}/break-2/title"
    ]
    for e in po:
        e.msgstr = "«" + e.msgid + "»" if not e.msgid.startswith(("#", "|")) else e.msgid
    po.save(str(path))
    xx, warnings = translate(course, src, "xx")
    assert warnings == []
    notes = xx.units()[0].trainer_notes
    assert "«Keep it short: " in notes[1].html and "«Timing»" in notes[1].html
    assert "«Keep it short" not in notes[0].html
    # a link to a unit file in translated text is written as the reader writes it (/unit/<id>)
    assert 'href="/unit/u-welcome#top"' in course.units()[0].trainer_notes[1].html
    assert 'href="/unit/u-welcome#top"' in notes[1].html
    acts = xx.sections[0].subsections[0].session_plan.activities  # type: ignore[union-attr]
    assert [a.title for a in acts] == ["«Break»", "«Work through the unit»", "«Break»"]
    assert "«Collects one open question" in acts[2].trainer_html
    assert "«Asks each learner" in acts[0].trainer_html


def test_strict_check_fails_on_a_missing_handbook_translation(copy: Path) -> None:
    from click.testing import CliRunner

    from builder.cli import main

    runner = CliRunner()
    ok = runner.invoke(main, ["check", str(copy), "--lang", "it", "--strict", "-t", "handbook"])
    assert ok.exit_code == 0, ok.output
    path = catalog.po_path(copy, "it")
    po = catalog.load(path)
    next(e for e in po if e.msgctxt == "handbook:99-glossary/title").msgstr = ""
    po.save(str(path))
    r = runner.invoke(main, ["check", str(copy), "--lang", "it", "--strict", "-t", "handbook"])
    assert r.exit_code == 1, r.output
    assert "handbook/index.yaml:17" in r.output and "no current it translation" in r.output


@pytest.mark.browser
def test_italian_handbook_html_is_accessible_in_chromium(browser, italian: Course, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The translated book passes the same axe-core rules as the English one (translated alt texts,
    lang="it"), and asks the network for nothing."""
    from tests.browser.conftest import NODE_MODULES

    axe = NODE_MODULES / "axe-core" / "axe.min.js"
    if not axe.is_file():
        pytest.skip("axe-core is not installed: run `npm ci --prefix tests/browser`")
    page_file = tmp_path / "handbook-it.html"
    page_file.write_bytes(render_html(italian))
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    try:
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        assert page.evaluate("() => document.documentElement.lang") == "it"
        assert "Grafico radar di un profilo di maturità" in page.evaluate(
            "() => [...document.images].map(i => i.alt).join(' | ')"
        )
        page.add_script_tag(path=str(axe))
        result = page.evaluate(
            "() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        )
        blocking = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
        assert blocking == [], [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in blocking]
    finally:
        context.close()
