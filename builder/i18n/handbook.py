"""The trainer's handbook's own text in the one translation walk: notes, session plans, chapters.

Learner prose is not the only text a partner translates: a trainer in Italy runs the course from
the Italian handbook. ``builder.i18n.walk`` calls these functions at the right places of its walk,
so extraction and a build see exactly the same strings, named the same way:

* ```trainer-notes blocks: ``unit:<id>/trainer-notes/<heading slug>/p1`` (a unit's second note is
  ``trainer-notes-2/…``: notes have no ids, and a unit rarely has more than one);
* ``session.yaml``: ``subsection:<id>/session/preparation/<heading slug>/p1``,
  ``…/session/materials/2`` (numbered as written, like choices), and per activity, keyed by the
  slug of its English title (unique within the plan), ``…/session/activities/<title slug>/title``,
  ``…/trainer/<heading slug>/p1`` and ``…/learners/<heading slug>/p1``;
* ``handbook/``: ``handbook/title`` (the book's title in ``index.yaml``), ``handbook:<file
  stem>/title`` and ``handbook:<file stem>/<heading slug>/p1`` for each chapter.

Markdown goes through the same block split as unit prose (``segments``). Minutes, durations,
delivery modes and outcome ids are not offered: they are numbers and ids. The YAML files are read
again here (with positions) rather than kept in the model, because the model holds rendered HTML
and the translator's ``#:`` reference needs the line of each field.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from builder.i18n import segments
from builder.model import Handbook, SessionPlan, Unit
from builder.render import markdown
from builder.source import yamlpos

MarkdownText = Callable[[str, str, str, int], str]
"""``(ctxt, text, file, offset) → text`` with each block translated (``walk._markdown_text``)."""
Text = Callable[[str, str, tuple[str, int]], str]
"""``(ctxt, text, (file, line)) → text``: one plain string."""
Resolver = Callable[[str], markdown.LinkResolver]
"""The link resolver for a Markdown file (relative to the source root)."""

_BLOCK_SCALAR = ("|", ">", "|-", ">-", "|+", ">+")


def _offset(lines: list[str], line: int) -> int:
    """0-based line before a YAML string's first line of text (a block scalar starts one line down)."""
    head = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
    return line if head.endswith(_BLOCK_SCALAR) else line - 1


def trainer_notes(u: Unit, md_text: MarkdownText, resolve: markdown.LinkResolver) -> None:
    """Each note of ``u`` block by block; a translated note is rendered again."""
    for n, note in enumerate(u.trainer_notes, 1):
        ctxt = f"unit:{u.id}/trainer-notes" + (f"-{n}" if n > 1 else "")
        new = md_text(ctxt, note.markdown, u.source, note.line)
        if new != note.markdown:
            note.markdown, note.html = new, markdown.render(new, resolve, note.line)


def session_plan(
    ss_id: str, plan: SessionPlan, root: Path, t: Text, md_text: MarkdownText, resolve: markdown.LinkResolver
) -> None:
    """The plan's preparation, materials and each activity's title, trainer and learners text."""
    file = plan.source
    raw = (root / file).read_text(encoding="utf-8")
    lines = raw.split("\n")
    doc = yamlpos.load(raw)
    data = doc.value if isinstance(doc.value, dict) else {}
    base = f"subsection:{ss_id}/session"

    def block(ctxt: str, text: str, path: tuple[str | int, ...]) -> str:
        if not text.strip():
            return text
        return md_text(ctxt, text, file, _offset(lines, doc.position(path)[0]))

    if plan.preparation_md:
        new = block(f"{base}/preparation", plan.preparation_md, ("preparation",))
        if new != plan.preparation_md:
            plan.preparation_md, plan.preparation_html = new, markdown.render(new, resolve)
    for i, m in enumerate(data.get("materials") or []):
        new = t(f"{base}/materials/{i + 1}", str(m), (file, doc.position(("materials", i))[0]))
        if new != m and i < len(plan.materials_html):
            plan.materials_html[i] = markdown.render_inline(new, resolve)
    used: set[str] = set()
    for i, a in enumerate(plan.activities):
        key, n = segments.slug(a.title), 2
        while key in used:
            key, n = f"{segments.slug(a.title)}-{n}", n + 1
        used.add(key)
        act = f"{base}/activities/{key}"
        a.title = t(f"{act}/title", a.title, (file, doc.position(("activities", i, "title"))[0]))
        new = block(f"{act}/trainer", a.trainer_md, ("activities", i, "trainer"))
        if new != a.trainer_md:
            a.trainer_md, a.trainer_html = new, markdown.render(new, resolve)
        new = block(f"{act}/learners", a.learners_md, ("activities", i, "learners"))
        if new != a.learners_md:
            a.learners_md, a.learners_html = new, markdown.render(new, resolve)


def chapters(hb: Handbook, root: Path, t: Text, md_text: MarkdownText, resolver: Resolver) -> None:
    """The book's title and each front/back chapter: its title in the index and its Markdown."""
    index = "handbook/index.yaml"
    doc = yamlpos.load((root / index).read_text(encoding="utf-8"))
    hb.title = t("handbook/title", hb.title, (index, doc.position(("title",))[0]))
    for part, chapters_ in (("front", hb.front), ("back", hb.back)):
        entries = (doc.value or {}).get(part) or []
        lines = {str(e.get("file")): doc.position((part, i, "title"))[0] for i, e in enumerate(entries)}
        for ch in chapters_:
            name = PurePosixPath(ch.source).name
            stem = PurePosixPath(name).stem
            ch.title = t(f"handbook:{stem}/title", ch.title, (index, lines.get(name, 1)))
            body = (root / ch.source).read_text(encoding="utf-8")
            new = md_text(f"handbook:{stem}", body, ch.source, 0)
            if new != body:
                ch.html = markdown.render(new, resolver(ch.source))
