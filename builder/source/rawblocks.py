"""The two escape hatches of the source format, both written by ``coursepack import olx``.

- ```` ```raw-html ```` — HTML that Markdown cannot express (not ```` ```html ````, which stays a code
  example for courses that teach HTML). It becomes an ordinary ``Html`` component,
  but only after :mod:`builder.render.sanitize` removed everything outside its allow-list, and with
  its ``/static/`` and relative links resolved like Markdown links. No target ever sees the raw text.
- ```` ```olx ```` — one Open edX element that coursepack cannot model (a custom Python problem, a
  drag-and-drop or ORA XBlock…), kept verbatim for the OLX target as an ``OlxBlock``. Its root must
  carry ``url_name`` (the block id); it is parsed without entities, DTDs or network access.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from builder import xmlsafe
from builder.model import ID_PATTERN, Html, OlxBlock
from builder.render import markdown, sanitize
from builder.source.blocks import FencedBlock, register_component
from builder.source.context import ReadContext
from builder.source.static import link_resolver

CONTAINER_TAGS = frozenset({"course", "chapter", "sequential", "vertical"})
"""Outline levels are folders of the source, never ```olx blocks."""

TAG_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")
MAX_OLX_CHARS = 1_000_000
"""One block of a megabyte is already far beyond any hand-written problem or XBlock."""


def read_html(ctx: ReadContext, fb: FencedBlock) -> Html | None:
    """A sanitised HTML component; its id is given by the unit reader, like prose blocks."""
    cleaned = sanitize.clean(fb.content)
    if not cleaned:
        return None
    holder = lxml.html.fragment_fromstring(cleaned, create_parent="div")
    resolve = link_resolver(ctx, fb.md_file)
    for element in holder.iter("a", "img"):
        attr = "src" if element.tag == "img" else "href"
        url = element.get(attr)
        if url is None:
            continue
        new = resolve(url, fb.line)
        if new is not None:
            element.set(attr, new)
        elif not (url == "" or markdown.is_external(url)):
            element.attrib.pop(attr)  # the resolver reported it; never ship a dangling local link
    parts = [lxml.html.tostring(child, encoding="unicode") for child in holder]
    html = (holder.text or "") + "".join(parts)
    return Html(id="", markdown=fb.content, html=html.strip())


def read_olx(ctx: ReadContext, fb: FencedBlock) -> OlxBlock | None:
    def fail(message: str, hint: str) -> None:
        ctx.error(fb.file, fb.line, message, hint, code="bad-olx-block")

    text = fb.content.strip()
    if len(text) > MAX_OLX_CHARS:
        fail(f"```olx block is {len(text)} characters long", f"keep it under {MAX_OLX_CHARS}")
        return None
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        fail("```olx block declares a DOCTYPE or entities", "remove the declaration; OLX needs none")
        return None
    try:
        root = xmlsafe.parse(text.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        fail(f"```olx block is not well-formed XML: {exc}", "fix the XML or restore it from the export")
        return None
    tag = root.tag if isinstance(root.tag, str) else ""
    if not TAG_PATTERN.match(tag) or tag in CONTAINER_TAGS:
        fail(f"```olx block has root <{tag}>", "an ```olx block holds one component, e.g. <problem>")
        return None
    block_id = root.attrib.pop("url_name", "")
    if not re.match(ID_PATTERN, block_id) or len(block_id) > 120:
        fail(
            f"```olx block <{tag}> has no valid url_name ({block_id!r})",
            'add url_name="…" with letters, digits, ".", "_" and "-" to its root element',
        )
        return None
    ctx.positions[block_id] = (fb.file, fb.line)
    xml = etree.tostring(root, encoding="unicode")
    return OlxBlock(
        id=block_id, tag=tag, title=root.get("display_name", "") or tag, xml=xml + "\n", line=fb.line
    )


register_component("raw-html", read_html)
register_component("olx", read_olx)
