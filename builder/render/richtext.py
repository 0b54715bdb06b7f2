"""Rendered course HTML → a small JSON tree that the handbook's Typst template lays out.

Typst has its own markup (``# $ * _ ` < > @ = - + / \\ [ ]``…), so course text is never pasted
into Typst source: the handbook passes a JSON document and the template turns these nodes into
content with Typst functions, which show every string verbatim. The HTML comes from
``builder.render.markdown`` with raw HTML off, so it holds only the elements markdown-it emits;
anything else keeps its text and loses its tag.

A node is a string (text) or ``{"t": tag, "c": [children], …}`` with a few attributes:
``href`` (links), ``src``/``alt`` (images), ``start`` (ordered lists), ``level`` (headings);
tables become ``{"t": "table", "cols": n, "head": [cells], "body": [cells]}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

Node = str | dict[str, Any]

INLINE = frozenset({"em", "strong", "code", "a", "s", "del", "br", "img"})
BLOCK = frozenset(
    {"p", "pre", "ul", "ol", "li", "blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td"}
    | {f"h{i}" for i in range(1, 7)}
)
VOID = frozenset({"br", "hr", "img"})
CONTAINERS = frozenset({"ul", "ol", "table", "thead", "tbody", "tr", "blockquote", "root"})
"""Elements whose whitespace-only text children are layout, not content."""

ImageResolver = Callable[[str], str | None]
"""``/static/<flat>`` → a path the Typst template can read, or None when there is no such file."""


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict[str, Any] = {"t": "root", "c": []}
        self.stack: list[dict[str, Any]] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node: dict[str, Any] = {"t": tag if tag in INLINE | BLOCK else "span", "c": []}
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            node["href"] = a.get("href", "")
        elif tag == "img":
            node["src"], node["alt"] = a.get("src", ""), a.get("alt", "")
        elif tag == "ol":
            node["start"] = int(a["start"]) if a.get("start", "").isdigit() else 1
        elif tag in ("th", "td") and a.get("style", "").startswith("text-align:"):
            node["align"] = a["style"].split(":", 1)[1].strip()
        self.stack[-1]["c"].append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i]["t"] == (tag if tag in INLINE | BLOCK else "span"):
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1]["c"].append(data)


def _tidy(node: dict[str, Any], in_pre: bool = False) -> dict[str, Any]:
    """Drop layout whitespace, make soft line breaks spaces, and shape tables for Typst."""
    pre = in_pre or node["t"] == "pre"
    kids: list[Node] = []
    for child in node["c"]:
        if isinstance(child, str):
            if node["t"] in CONTAINERS and not child.strip():
                continue
            text = child if pre else re.sub(r"\s*\n\s*", " ", child)
            if kids and isinstance(kids[-1], str):
                kids[-1] += text
            else:
                kids.append(text)
        else:
            kids.append(_tidy(child, pre))
    if node["t"] == "li":  # a tight list item's text sits directly in <li>; strip its edges
        if kids and isinstance(kids[0], str):
            kids[0] = kids[0].lstrip()
        if kids and isinstance(kids[-1], str):
            kids[-1] = kids[-1].rstrip()
        kids = [k for k in kids if k != ""]
    node["c"] = kids
    if node["t"] == "table":
        rows = [r for part in kids if isinstance(part, dict) for r in part["c"] if isinstance(r, dict)]
        head = [c for part in kids if isinstance(part, dict) and part["t"] == "thead" for r in part["c"]
                if isinstance(r, dict) for c in r["c"]]
        body = [c for part in kids if isinstance(part, dict) and part["t"] == "tbody" for r in part["c"]
                if isinstance(r, dict) for c in r["c"]]
        cols = max((len(r["c"]) for r in rows), default=1)
        return {"t": "table", "cols": max(cols, 1), "head": head, "body": body}
    return node


def _fix(node: dict[str, Any], shift: int, resolve_image: ImageResolver) -> None:
    for child in node["c"] if "c" in node else [*node.get("head", []), *node.get("body", [])]:
        if isinstance(child, dict):
            t = child["t"]
            if len(t) == 2 and t[0] == "h" and t[1].isdigit():
                child["level"] = min(6, int(t[1]) + shift)
            elif t == "img":
                child["src"] = resolve_image(child["src"]) or ""
            _fix(child, shift, resolve_image)


def heading_shift(html: str, top_level: int) -> int:
    """How much to add to the headings in ``html`` so that its highest one becomes ``top_level``."""
    levels = [int(m) for m in re.findall(r"<h([1-6])>", html)]
    return top_level - min(levels) if levels else 0


def shift_headings(html: str, top_level: int) -> str:
    """The same HTML with its headings moved so the highest is ``<h{top_level}>`` (capped at h6).

    Safe as a text substitution because raw HTML is off: ``<h2>`` can only be markdown-it's own tag.
    """
    shift = heading_shift(html, top_level)
    if not shift:
        return html
    return re.sub(
        r"<(/?)h([1-6])>", lambda m: f"<{m.group(1)}h{min(6, max(1, int(m.group(2)) + shift))}>", html
    )


def to_nodes(html: str, top_level: int = 3, resolve_image: ImageResolver = lambda _s: None) -> list[Node]:
    """The rendered HTML as nodes; its highest heading becomes level ``top_level``."""
    parser = _Tree()
    parser.feed(html)
    parser.close()
    root = _tidy(parser.root)
    _fix(root, heading_shift(html, top_level), resolve_image)
    return root["c"]


def plain(html: str) -> str:
    """The text of a rendered fragment, for titles and alt texts."""
    out: list[str] = []

    def walk(nodes: list[Node]) -> None:
        for n in nodes:
            if isinstance(n, str):
                out.append(n)
            else:
                walk(n.get("c", []))

    walk(to_nodes(html))
    return "".join(out).strip()
