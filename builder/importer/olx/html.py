"""Open edX HTML → Markdown, or a sanitised ```` ```raw-html ```` block when Markdown cannot say it.

The converter is ``markdownify`` (BeautifulSoup-based, well kept). A fragment is written as Markdown
only when every element and attribute in it has a Markdown form (the ``MARKDOWN_*`` sets), so the
conversion loses nothing; anything else (merged table cells, classes, figures, ``<sup>``, iframes…)
becomes a ```` ```raw-html ```` block, which the loader cleans with its allow-list — and what that
allow-list removes is reported here, element by element, before it is lost.

Links are prepared first: ``/static/…`` to the file's safe name, ``/jump_to_id/…`` and other
course-internal URLs (which the source format cannot express) unwrapped to their text and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree
from markdownify import MarkdownConverter  # the `import` extra; the CLI says how to install it

from builder.importer.olx.report import ImportReport
from builder.importer.olx.static import StaticFiles
from builder.render import sanitize

MARKDOWN_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "i", "strong", "b", "a", "img",
        "ul", "ol", "li", "code", "pre", "blockquote", "del", "s", "table", "thead", "tbody", "tr",
        "th", "td",
    }
)  # fmt: skip
MARKDOWN_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
EXTERNAL = re.compile(r"^(https?:|mailto:|tel:|#)", re.IGNORECASE)


@dataclass
class Converted:
    kind: str
    """``prose`` (Markdown) or ``raw-html``."""
    text: str


def to_markdown(html: str) -> str:
    class Converter(MarkdownConverter):  # type: ignore[misc]
        def escape(self, text: str, parent_tags: set[str]) -> str:
            text = super().escape(text, parent_tags)
            if "pre" in parent_tags or "code" in parent_tags:
                return text
            # Line starts that CommonMark would read as a list, heading, quote or rule.
            text = re.sub(r"(?m)^(\s*\d+)([.)])(\s)", r"\1\\\2\3", text)
            text = re.sub(r"(?m)^(\s*)([#>+\-=])", r"\1\\\2", text)
            return text.replace("<", "\\<").replace("`", "\\`")

    converter = Converter(
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        escape_asterisks=True,
        escape_underscores=True,
        escape_misc=False,
        code_language="",
        newline_style="BACKSLASH",
    )
    markdown: str = converter.convert(html)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()


def markdown_problem(holder: etree._Element) -> str | None:
    """None when every element has a Markdown form, else the first reason it has not."""
    for el in holder.iter():
        if el is holder or not isinstance(el.tag, str):
            continue
        if el.tag not in MARKDOWN_TAGS:
            return f"<{el.tag}>"
        extra = set(el.attrib) - MARKDOWN_ATTRS.get(el.tag, set())
        if extra:
            return f"<{el.tag} {sorted(extra)[0]}=…>"
        if el.tag in ("td", "th") and (el.find(".//p") is not None or el.find(".//ul") is not None):
            return "block content in a table cell"
        if el.tag == "table" and el.find(".//table") is not None:
            return "nested table"
    return None


def _removed_by_sanitiser(holder: etree._Element) -> list[str]:
    lost: dict[str, None] = {}
    for el in holder.iter():
        if el is holder or not isinstance(el.tag, str):
            continue
        if el.tag not in sanitize.ALLOWED_TAGS:
            lost[f"<{el.tag}>"] = None
            continue
        allowed = sanitize.ALLOWED_ATTRIBUTES["*"] | sanitize.ALLOWED_ATTRIBUTES.get(el.tag, set())
        for attr in el.attrib:
            if attr not in allowed:
                lost[f"{attr}= on <{el.tag}>"] = None
    return list(lost)


def prepare(html: str, static: StaticFiles, report: ImportReport, where: str) -> etree._Element:
    """The fragment parsed into a ``<div>``, with its links made into ones the source can hold."""
    holder = lxml.html.fragment_fromstring(html or "", create_parent="div")
    for el in list(holder.iter()):
        if not isinstance(el.tag, str):
            if el.getparent() is not None:  # comments, processing instructions: nothing a learner sees
                el.drop_tree()
            continue
        attr = "src" if el.tag in ("img", "source", "track", "iframe") else "href" if el.tag == "a" else None
        url = (el.get(attr) or "").strip() if attr else ""
        if not attr or not url or EXTERNAL.match(url):
            continue
        if url.startswith("//"):
            el.set(attr, "https:" + url)
            continue
        target, _, frag = url.partition("#")
        target = target.split("?", 1)[0]
        name = static.name(target) if target.startswith(("/static/", "static/")) else None
        if name is not None:
            el.set(attr, f"/static/{name}" + (f"#{frag}" if frag else ""))
            continue
        why = (
            "the file is not in the export's static/"
            if target.startswith(("/static/", "static/"))
            else "course-internal links (jump_to_id, /course/…) have no form in the source; text kept"
        )
        report.drop(where, f"link {url}", why)
        if el.tag == "img":
            alt = el.get("alt", "")
            el.drop_tree() if not alt else _replace_with_text(el, alt)
        elif el.tag == "a":
            el.drop_tag()
        else:
            el.attrib.pop(attr)
    return holder


def _replace_with_text(el: etree._Element, text: str) -> None:
    parent = el.getparent()
    if parent is None:
        return
    previous = el.getprevious()
    addition = text + (el.tail or "")
    if previous is not None:
        previous.tail = (previous.tail or "") + addition
    else:
        parent.text = (parent.text or "") + addition
    parent.remove(el)


def convert(html: str, static: StaticFiles, report: ImportReport, where: str) -> Converted | None:
    """One html component's content as Markdown prose or a raw-html block; None when it is empty."""
    holder = prepare(html, static, report, where)
    if not (holder.text_content().strip() or holder.find(".//img") is not None):
        return None
    inner = (holder.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in holder)
    reason = markdown_problem(holder)
    if reason is None:
        markdown = to_markdown(inner)
        if markdown:
            return Converted("prose", markdown)
    lost = _removed_by_sanitiser(holder)
    if lost:
        report.drop(
            where, ", ".join(lost), "not allowed in ```raw-html (scripts, styles, frames, forms, ids)"
        )
    if reason:
        report.notes.append(f"{where}: kept as ```raw-html because of {reason}")
    return Converted("raw-html", inner.strip())


def inline_markdown(html: str, static: StaticFiles, report: ImportReport, where: str) -> str:
    """A short fragment (a choice, a hint, a label) as Markdown; markup without a Markdown form is flattened
    to its text (reported), since these places take Markdown only."""
    holder = prepare(html, static, report, where)
    reason = markdown_problem(holder)
    if reason is not None:
        report.drop(where, f"markup {reason}", "a problem's texts are Markdown; its text was kept")
        return " ".join(holder.text_content().split())
    inner = (holder.text or "") + "".join(lxml.html.tostring(c, encoding="unicode") for c in holder)
    return to_markdown(inner)


def inner(el: etree._Element) -> str:
    """The HTML inside an element (an inline ``<html>`` component's content)."""
    return (el.text or "") + "".join(etree.tostring(c, encoding="unicode", with_tail=True) for c in el)
