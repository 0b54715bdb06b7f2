"""One walk over every learner-visible string of a course, shared by extraction and translation.

``translate_course(course, root, tr)`` calls ``tr(message)`` for each string and returns a copy of
the course with whatever ``tr`` returned in its place, re-rendering Markdown. Extraction passes a
``tr`` that records and returns the source; a build passes one that looks the catalog up. Because
both use this one walk, a string the template offers is exactly a string the build replaces.

Message contexts are built from the author's ids and the field path, never from a position in the
outline: ``course/title``, ``section:s1/title``, ``unit:u-welcome/problem:p1/choices/2/feedback``,
``unit:u-welcome/text/<heading slug>/p2`` (see ``segments``), ``competences/outcome:HTL.U1.K1/statement``.
The trainer's handbook's own text (trainer notes, session plans, handbook chapters) is walked too,
by ``builder.i18n.handbook``: a trainer reads it in the build's language like a learner reads prose.

Not offered for translation: ids, numbers, tolerances, URLs, code, ```raw-html and ```olx blocks
(markup the author wrote by hand), and answers of numeric problems. Video transcripts are files,
one per language, declared in the video block (``transcripts: {en: …, it: …}``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import yaml

from builder.i18n import handbook, segments
from builder.model import Course, Html, Problem, Video
from builder.render import markdown
from builder.render.links import unit_href
from builder.source.blocks import component_names


@dataclass(frozen=True)
class Message:
    ctxt: str
    source: str
    file: str
    line: int
    comment: str = ""
    markdown: bool = False


Translator = Callable[[Message], str]


def _resolver(course: Course, md_file: str) -> markdown.LinkResolver:
    """Local links resolved like the reader does (``/static/<flat name>``), for translated text."""
    by_rel = {a.rel_path: a.flat_name for a in course.assets}
    units = {u.source: u.id for u in course.units()}
    base = posixpath.dirname(md_file)

    def resolve(url: str, line: int) -> str | None:
        if not url or markdown.is_external(url):
            return None
        target, sep, frag = url.partition("#")
        target = unquote(target)  # markdown-it percent-encodes spaces and accents
        rel = target.lstrip("/") if target.startswith("/static/") else posixpath.normpath(
            posixpath.join(base, target)
        )
        if rel in units:  # a link to another unit, in the model's neutral form (builder.render.links)
            return unit_href(units[rel], sep + frag if sep else "")
        flat = by_rel.get(rel)
        return None if flat is None else f"/static/{flat}" + (sep + frag if sep else "")

    return resolve


def _body(root: Path, rel: str) -> tuple[str, int]:
    """A unit file's Markdown body and the 0-based line where it starts."""
    lines = (root / rel).read_text(encoding="utf-8").split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    return "\n".join(lines[end + 1 :]), end + 1


def _markdown_text(
    tr: Translator, ctxt: str, text: str, file: str, offset: int
) -> str:
    """``text`` with each block passed through ``tr`` (line numbers counted from ``offset``)."""
    done = {}
    for seg in segments.segments(text):
        msg = Message(f"{ctxt}/{seg.key}", seg.text, file, offset + seg.start + 1, markdown=True)
        new = tr(msg)
        if new != seg.text:
            done[seg.key] = new
    return segments.join(text, done) if done else text


def translate_course(course: Course, root: Path, tr: Translator) -> Course:
    c = course.model_copy(deep=True)
    pos = course.positions

    def at(node_id: str, default: str = "course.yaml") -> tuple[str, int]:
        return pos.get(node_id, (default, 1))

    def t(ctxt: str, text: str, where: tuple[str, int], comment: str = "") -> str:
        if not text or not text.strip():
            return text
        return tr(Message(ctxt, text, where[0], where[1], comment))

    def md_text(ctxt: str, text: str, file: str, offset: int) -> str:
        return _markdown_text(tr, ctxt, text, file, offset)

    meta = yaml.safe_load((root / "course.yaml").read_text(encoding="utf-8"))
    c.title = t("course/title", c.title, ("course.yaml", 1))
    c.short_description = t("course/short_description", c.short_description, ("course.yaml", 1))
    ov = str(meta.get("overview", "overview.md"))
    ov_text = (root / ov).read_text(encoding="utf-8")
    new_ov = _markdown_text(tr, "course/overview", ov_text, ov, 0)
    if new_ov != ov_text:
        c.overview_html = markdown.render(new_ov, _resolver(course, ov))

    formats = {}
    for g in c.grading.graders:
        new_type = t(f"grading/{g.type}/type", g.type, ("course.yaml", 1), "grader name (assignment type)")
        g.short_label = t(f"grading/{g.type}/short_label", g.short_label, ("course.yaml", 1),
                          "grader short label, shown in the progress chart")
        formats[g.type] = new_type
        g.type = new_type

    for s in c.sections:
        s.title = t(f"section:{s.id}/title", s.title, at(s.id))
        for ss in s.subsections:
            ss.title = t(f"subsection:{ss.id}/title", ss.title, at(ss.id))
            if ss.format in formats:
                ss.format = formats[ss.format]
            if ss.session_plan is not None:
                plan = ss.session_plan
                handbook.session_plan(ss.id, plan, root, t, md_text, _resolver(course, plan.source))
            for u in ss.units:
                _unit(c, root, u, t, tr)

    cm = c.competences
    fw = cm.framework
    cfile = str(meta.get("competence_map", "competences.yaml"))
    fw.title = t("competences/framework/title", fw.title, (cfile, 1))
    fw.description = t("competences/framework/description", fw.description, (cfile, 1))
    fw.profile = t("competences/framework/profile", fw.profile, (cfile, 1))
    for lu in cm.units:
        where = at(lu.id, cfile)
        lu.title = t(f"competences/unit:{lu.id}/title", lu.title, where)
        lu.description = t(f"competences/unit:{lu.id}/description", lu.description, where)
        for o in lu.outcomes:
            where = at(o.id, cfile)
            o.statement = t(f"competences/outcome:{o.id}/statement", o.statement, where)
            o.assessment_criteria = [
                t(f"competences/outcome:{o.id}/criteria/{i + 1}", a, where)
                for i, a in enumerate(o.assessment_criteria)
            ]
    if c.handbook is not None:
        handbook.chapters(c.handbook, root, t, md_text, lambda file: _resolver(course, file))
    return c


def _unit(c: Course, root: Path, u, t, tr: Translator) -> None:  # type: ignore[no-untyped-def]
    file = u.source
    u.title = t(f"unit:{u.id}/title", u.title, (file, 2))
    body, offset = _body(root, file)
    new_body = _markdown_text(tr, f"unit:{u.id}/text", body, file, offset)
    resolve = _resolver(c, file)
    if new_body != body:
        _replace_prose(u, new_body, resolve)
    for comp in u.components:
        base = f"unit:{u.id}/{comp.kind}:{comp.id}"
        if isinstance(comp, Problem):
            _problem(comp, base, (file, comp.line), t, resolve)
        elif isinstance(comp, Video):
            comp.title = t(f"{base}/title", comp.title, (file, comp.line))
    handbook.trainer_notes(u, lambda ctxt, text, f, off: _markdown_text(tr, ctxt, text, f, off), resolve)


def _replace_prose(u, body: str, resolve: markdown.LinkResolver) -> None:  # type: ignore[no-untyped-def]
    """Re-render the unit's prose blocks from the translated body, in the order the reader made them."""
    comps = iter(u.components)
    for block in markdown.split_blocks(body, component_names()):
        if block.kind == "prose":
            markdown.rewrite_links(block.tokens, resolve)
            html = markdown.render_tokens(block.tokens).strip()
            if not html:
                continue
            comp = next(comps, None)
            if not isinstance(comp, Html):
                raise ValueError(f"{u.source}: translated prose does not line up with the source's blocks")
            comp.html = html
            comp.markdown = "".join(tk.content for tk in block.tokens if tk.type == "inline")
        else:
            next(comps, None)


def _problem(p: Problem, base: str, where: tuple[str, int], t, resolve) -> None:  # type: ignore[no-untyped-def]
    def md(text: str) -> str:
        return markdown.render(text, resolve)

    def inline(text: str) -> str:
        return markdown.render_inline(text, resolve)

    p.title = t(f"{base}/title", p.title, where)
    new = t(f"{base}/prompt", p.prompt_md, where)
    if new != p.prompt_md:
        p.prompt_md, p.prompt_html = new, md(new)
    for i, ch in enumerate(p.choices, 1):
        new = t(f"{base}/choices/{i}/text", ch.text_md, where)
        if new != ch.text_md:
            ch.text_md, ch.text_html = new, inline(new)
        new = t(f"{base}/choices/{i}/feedback", ch.feedback_md, where)
        if new != ch.feedback_md:
            ch.feedback_md, ch.feedback_html = new, inline(new)
    for i, h in enumerate(p.hints_md):
        new = t(f"{base}/hints/{i + 1}", h, where)
        if new != h:
            p.hints_md[i], p.hints_html[i] = new, md(new)
    new = t(f"{base}/explanation", p.explanation_md, where)
    if new != p.explanation_md:
        p.explanation_md, p.explanation_html = new, md(new)
    if p.type == "text":
        p.answers = [
            t(f"{base}/answers/{i + 1}", a, where,
              "an accepted answer the learner types: translate it as a learner would write it")
            for i, a in enumerate(p.answers)
        ]
