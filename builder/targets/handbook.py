"""The trainer's handbook: ``<stem>.handbook.pdf`` (Typst) and ``<stem>.handbook.html``, one source.

Both files are laid out from one plain data structure, ``book(course)``: the handbook's own
chapters, the competence map, one chapter per section with its session plans, trainer notes and
the answer key of every problem, and the assessment guide. The PDF is typeset by the ``typst``
wheel with its embedded fonts only (no system fonts, nothing downloaded), tagged as PDF/UA-1,
with the document date and creation timestamp taken from the course's source epoch so two builds
give the same bytes. Course text reaches Typst only as JSON data (``book.json``) rendered by
Typst functions, never as Typst markup, so no character an author writes can change the layout.
The HTML is one self-contained page (styles inline, images as ``data:`` URIs, no scripts).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from builder.archive import Members
from builder.cache import digest, file_sha256, piece, text_key
from builder.diagnostics import Diagnostic, SourceErrors
from builder.i18n import ui as ui_tables
from builder.model import Asset, Course, Problem, SessionPlan, Unit
from builder.render import richtext
from builder.render.links import rewrite_unit_links
from builder.report.coverage import CATEGORIES, coverage
from builder.targets import BuildOptions, Output
from builder.templates import template_dir

TEMPLATE_FOLDER = "handbook_templates"
STATIC_PREFIX = "/static/"


# --------------------------------------------------------------------------- strings


def strings(language: str) -> dict[str, str]:
    """UI strings for the course language's primary subtag (``it-IT`` → ``it``), English otherwise
    (``builder.i18n.ui``, the loader the SCO pages and the coverage report share)."""
    return ui_tables.strings(template_dir(TEMPLATE_FOLDER) / "i18n", language)


# --------------------------------------------------------------------------- the book as data


def _iso_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _clock(start: int, minutes: int) -> str:
    return f"{start}–{start + minutes}"


class _Images:
    """The static files the book's text shows, by flat name; only known assets are ever read."""

    def __init__(self, course: Course):
        self.assets: dict[str, Asset] = {a.flat_name: a for a in course.assets}
        self.used: dict[str, Asset] = {}

    def resolve(self, src: str) -> str | None:
        if not src.startswith(STATIC_PREFIX):
            return None
        asset = self.assets.get(src[len(STATIC_PREFIX) :])
        if asset is None:
            return None
        self.used[asset.flat_name] = asset
        return f"static/{asset.flat_name}"


def _plan(plan: SessionPlan, nodes: Any, s: dict[str, str]) -> dict[str, Any]:
    clock = 0
    activities = []
    for a in plan.activities:
        activities.append(
            {
                "time": _clock(clock, a.minutes),
                "minutes": a.minutes,
                "title": a.title,
                "trainer": nodes(a.trainer_html),
                "learners": nodes(a.learners_html),
                "outcomes": a.outcomes,
            }
        )
        clock += a.minutes
    return {
        "duration": plan.duration,
        "mode": s.get(f"mode_{plan.mode}", plan.mode),
        "preparation": nodes(plan.preparation_html),
        "materials": [nodes(m) for m in plan.materials_html],
        "activities": activities,
    }


def _answer(p: Problem, nodes: Any, s: dict[str, str]) -> dict[str, Any]:
    """The key of one problem: what is right, what each wrong choice reveals, and why."""
    correct: list[Any] = []
    misconceptions: list[dict[str, Any]] = []
    accepted: list[str] = []
    if p.type in ("single", "multiple", "dropdown"):
        for c in p.choices:
            if c.correct:
                correct.append({"text": nodes(c.text_html), "feedback": nodes(c.feedback_html)})
            else:
                misconceptions.append({"text": nodes(c.text_html), "feedback": nodes(c.feedback_html)})
    elif p.type == "numeric" and p.answer is not None:
        tol = p.tolerance_value()
        shown = f"{p.answer:g}" + (f" (± {tol:g}, {s['tolerance']} {p.tolerance})" if tol else "")
        correct.append({"text": None, "value": shown, "feedback": None})
    elif p.type == "text":
        accepted = list(p.answers)
    return {
        "id": p.id,
        "title": p.title,
        "type": s.get(f"type_{p.type}", p.type),
        "weight": f"{p.weight:g}",
        "attempts": str(p.max_attempts) if p.max_attempts else s["unlimited"],
        "prompt": nodes(p.prompt_html),
        "correct": correct,
        "accepted": accepted,
        "case": s["case_sensitive"] if p.case_sensitive else s["case_insensitive"],
        "misconceptions": misconceptions,
        "explanation": nodes(p.explanation_html),
        "hints": [nodes(h) for h in p.hints_html],
        "assesses": p.assesses,
    }


def _unit(u: Unit, nodes: Any, s: dict[str, str]) -> dict[str, Any]:
    return {
        "id": u.id,
        "title": u.title,
        "outcomes": u.outcomes,
        "notes": [nodes(n.html, 5) for n in u.trainer_notes],
        "problems": [_answer(p, nodes, s) for p in u.problems],
    }


Rich = Callable[[str, int], Any]
"""(rendered HTML, level of its highest heading in the book) → what the layout needs."""


def book(course: Course, rich: Rich) -> dict[str, Any]:
    """Everything the handbook shows, as data; rich text is whatever ``rich`` makes of it.

    The PDF passes ``richtext`` nodes (JSON for Typst), the HTML passes safe HTML fragments, so
    both files are laid out from exactly the same selection and order of content.
    """
    s = strings(course.language)

    def nodes(html: str, top: int = 5) -> Any:
        return rich(html, top) if html else None

    cmap = course.competences
    fw = cmap.framework
    hb = course.handbook
    cov = coverage(course)
    unit_titles = {u.id: u.title for u in course.units()}
    ulos = []
    for ulo in cmap.units:
        groups = []
        for cat in CATEGORIES:
            outs = [o for o in ulo.outcomes if o.category == cat]
            if outs:
                groups.append(
                    {
                        "label": s[cat],
                        "outcomes": [
                            {
                                "id": o.id,
                                "statement": o.statement,
                                "criteria": o.assessment_criteria,
                                "ecf": o.ecf.label if o.ecf else "",
                                "esco": o.esco,
                            }
                            for o in outs
                        ],
                    }
                )
        ulos.append(
            {
                "id": ulo.id,
                "title": ulo.title,
                "description": ulo.description,
                "eqf": ulo.eqf_level,
                "ecvet": f"{ulo.ecvet_points:g}",
                "hours": f"{ulo.hours:g}",
                "groups": groups,
            }
        )
    sections = [
        {
            "id": sec.id,
            "title": sec.title,
            "subsections": [
                {
                    "id": ss.id,
                    "title": ss.title,
                    "graded": ss.format or "",
                    "plan": _plan(ss.session_plan, nodes, s) if ss.session_plan else None,
                    "units": [_unit(u, nodes, s) for u in ss.units],
                }
                for ss in sec.subsections
            ],
        }
        for sec in course.sections
    ]
    return {
        "lang": course.language.split("-")[0],
        "strings": s,
        "title": (hb.title if hb and hb.title else s["handbook"]),
        "date": _iso_date(course.source_epoch),
        "course": {
            "title": course.title,
            "code": f"{course.org} {course.number} · {course.run}",
            "licence": course.license,
            "description": course.short_description,
        },
        "framework": {"title": fw.title, "version": fw.version, "edition": fw.ecf_edition},
        "front": [
            {"id": c.id, "title": c.title, "body": nodes(c.html, 2)}
            for c in (hb.front if hb else [])
        ],
        "back": [
            {"id": c.id, "title": c.title, "body": nodes(c.html, 3)}
            for c in (hb.back if hb else [])
        ],
        "map": ulos,
        "sections": sections,
        "assessment": {
            "pass_mark": f"{course.grading.pass_cutoff * 100:g} %",
            "graders": [
                {
                    "type": g.type,
                    "count": g.min_count,
                    "dropped": g.drop_count,
                    "weight": f"{g.weight * 100:g} %",
                }
                for g in course.grading.graders
            ],
            "outcomes": [
                {
                    "id": oc.outcome.id,
                    "statement": oc.outcome.statement,
                    "taught_in": [unit_titles.get(u, u) for u in oc.taught_by],
                    "assessed_by": list(dict.fromkeys(p for _, p in oc.assessed_by)),
                }
                for oc in cov.outcomes
            ],
            "not_taught": [o.outcome.id for o in cov.not_taught],
            "not_assessed": [o.outcome.id for o in cov.not_assessed],
        },
    }


# --------------------------------------------------------------------------- PDF


class Beside:
    """Work done in a thread while Typst typesets (``typst.compile`` releases the GIL): the
    handbook's HTML page, ~0.3 s at 2,000 units, is made then instead of after the PDF, on the
    typesetting worker's path that ends a cold build. Its value, or None when it failed (whoever
    needs it then makes it again, and meets the error itself)."""

    def __init__(self, work: Callable[[], bytes]):
        self.work = work
        self.value: bytes | None = None

    def run(self) -> None:
        try:
            self.value = self.work()
        except Exception:  # made again by the caller, who reports it
            self.value = None


def _typeset(beside: Beside | None, compile: Callable[[], Any]) -> Any:
    """``compile()``, with ``beside`` run in a thread meanwhile and joined before returning."""
    if beside is None:
        return compile()
    thread = threading.Thread(target=beside.run, name="coursepack-handbook-html", daemon=True)
    thread.start()
    try:
        return compile()
    finally:
        thread.join()


def render_pdf(course: Course, beside: Beside | None = None) -> bytes:
    """Typeset the book with Typst in a scratch folder holding only the template, data and images;
    ``beside`` runs while Typst works."""
    import typst

    images = _Images(course)
    data = book(course, lambda html, top: richtext.to_nodes(html, top, images.resolve))
    with tempfile.TemporaryDirectory(prefix="coursepack-handbook-") as tmp:
        root = Path(tmp)
        shutil.copyfile(template_dir(TEMPLATE_FOLDER) / "handbook.typ", root / "handbook.typ")
        (root / "book.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        (root / "static").mkdir()
        for flat, asset in images.used.items():
            shutil.copyfile(asset.source, root / "static" / flat)
        try:
            pdf = _typeset(
                beside,
                lambda: typst.compile(
                    str(root / "handbook.typ"),
                    root=str(root),
                    ignore_system_fonts=True,
                    pdf_standards=["ua-1"],
                    timestamp=course.source_epoch,
                ),
            )
        except typst.TypstError as exc:
            # Typst's own words (an image it cannot decode…): a finding about the course that
            # the pipeline reports like any other, not a crashed build.
            raise SourceErrors(
                [
                    Diagnostic(
                        f"{course.stem}.handbook.pdf",
                        None,
                        None,
                        f"the handbook could not be typeset: {exc.message}",
                        "check the images used in trainer notes, session plans and handbook/ chapters",
                        "error",
                        "typst",
                    )
                ]
            ) from None
    assert isinstance(pdf, bytes)
    return pdf


# --------------------------------------------------------------------------- HTML


def _data_uri(asset: Asset) -> str:
    mime = mimetypes.guess_type(asset.flat_name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(asset.source.read_bytes()).decode("ascii")


def render_html(course: Course) -> bytes:
    from builder.templates import environment, render_bytes

    images = _Images(course)

    def html(fragment: str, top: int) -> Markup:
        """Stored HTML with its headings placed under the current level and images inlined.

        The book's level 1 is the HTML's ``<h2>``: the page's ``<h1>`` is the book's title.
        """
        out = richtext.shift_headings(fragment, top + 1)

        def src(m: re.Match[str]) -> str:
            flat = m.group(2)
            asset = images.assets.get(flat)
            return f'{m.group(1)}"{_data_uri(asset)}"' if asset else m.group(0)

        out = re.sub(r'(<img src=)"/static/([A-Za-z0-9._-]+)"', src, out)
        # A download link cannot leave a single-file page: keep its text, drop the dead link.
        # A link to another unit likewise (the PDF keeps only web links, too).
        out = rewrite_unit_links(out, lambda unit_id, fragment: None)
        return Markup(re.sub(r'<a href="/static/[^"]*">(.*?)</a>', r"\1", out))

    data = book(course, html)
    env = environment(TEMPLATE_FOLDER)
    return render_bytes(env.get_template("handbook.html.j2"), book=data)


def render(course: Course, options: BuildOptions) -> list[Output]:
    stem = course.stem  # ``-it`` for the Italian build: one language's handbook never overwrites another's
    pdf_name, html_name = f"{stem}.handbook.pdf", f"{stem}.handbook.html"
    plans = sum(1 for s in course.sections for ss in s.subsections if ss.session_plan)
    keys = len(course.problems())
    summary = f"{plans} session plan{'' if plans == 1 else 's'}, {keys} answer key{'' if keys == 1 else 's'}"
    inputs: list[str] = []  # computed once, and only when a build memoises

    def key() -> tuple[str]:
        if not inputs:
            inputs.append(_inputs(course))
        return (inputs[0],)

    # Each file goes to its ``Members`` (spilled to disk in a build) as soon as it is made.
    # Both files have the same key: when the PDF is typeset, the page is made beside Typst.
    html = Beside(lambda: render_html(course))
    typeset = piece("handbook-pdf", key, lambda: render_pdf(course, html))
    pdf = Output(pdf_name, "file", Members({pdf_name: typeset}), summary)
    page = piece("handbook-html", key, lambda: html.value if html.value is not None else render_html(course))
    return [pdf, Output(html_name, "file", Members({html_name: page}), summary)]


_WHERE = {"line"}
"""Where a problem or note stands in its file: the book never shows it, and prose added above one
moves it (the first version of this key typeset the handbook again after every such edit)."""


def _inputs(course: Course) -> str:
    """Everything both files are made of, gathered from the model without building the book (that
    cost ~0.2 s at 2,000 units on every edit, only to key it): the course-level context (title,
    language — the strings —, competences, grading, source epoch…), the handbook's own chapters,
    the outline's ids, titles, formats and session plans, and per unit what ``_unit`` reads (id,
    title, outcomes, trainer notes, problems: the coverage in the book follows from these and the
    map). Unit prose is no part of it, so editing it leaves the key as it was and the handbook is
    not typeset again. Static files: the bytes of every one whose name appears in any of that
    text, a superset of the images the book shows."""
    from builder.cache import course_context, outline_facts

    outline = outline_facts(
        course,
        lambda u: [
            u.id,
            u.title,
            u.outcomes,
            [n.model_dump_json(exclude=_WHERE) for n in u.trainer_notes],
            [p.model_dump_json(exclude=_WHERE) for p in u.problems],
        ],
        lambda ss: [ss.format, ss.session_plan.model_dump_json() if ss.session_plan else None],
    )
    own = course.handbook.model_dump_json() if course.handbook else None
    text = json.dumps([own, outline], ensure_ascii=False, separators=(",", ":"))
    shown = {a.flat_name: file_sha256(a.source) for a in course.assets if a.flat_name in text}
    return digest("handbook", course_context(course), text_key(text), shown, course.source_epoch)
