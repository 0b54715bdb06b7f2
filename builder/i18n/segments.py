"""Markdown → translatable blocks and back.

A translator sees one block at a time: a heading (without its ``#`` marks), a paragraph, one list
item (without its marker and indentation), a table, a block quote. Code blocks are not offered:
code is not translated. Each block gets a key that does not depend on its position in the whole
file, only on the nearest heading above it and its rank below that heading
(``what-e-leadership-means/p2``), so inserting a paragraph under one heading leaves the keys
under every other heading alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")

_KIND = {"heading_open": "h", "paragraph_open": "p", "table_open": "table", "blockquote_open": "quote",
         "html_block": "p"}
_LIST_MARKER = re.compile(r"^(\s*)([-+*]|\d{1,9}[.)])(\s+)")


@dataclass
class Segment:
    key: str
    """``<heading slug>/<kind><n>``, unique within the text."""
    text: str
    """What the translator sees (markers and indentation removed)."""
    start: int
    end: int
    """0-based line range [start, end) in the parsed text."""
    prefix: str = ""
    """Put back before the first line (``## ``, ``- ``, ``1. ``)."""
    indent: str = ""
    """Put back before every following line (a list item's continuation indentation)."""


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40] or "h"


def segments(text: str) -> list[Segment]:
    """The translatable blocks of ``text`` in order; fences and thematic breaks are left out."""
    lines = text.split("\n")
    out: list[Segment] = []
    anchor, counts = "top", {}
    used: set[str] = set()

    def add(kind: str, start: int, end: int, prefix: str = "", indent: str = "", body: str | None = None):
        nonlocal anchor
        counts[kind] = counts.get(kind, 0) + 1
        key = f"{anchor}/{kind}{counts[kind]}"
        if body is None:
            body = "\n".join(lines[start:end])
        out.append(Segment(key, body, start, end, prefix, indent))

    tokens = _MD.parse(text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.level != 0 or tok.map is None:
            i += 1
            continue
        start, end = tok.map
        if tok.type == "heading_open":
            raw = lines[start]
            m = re.match(r"^(\s{0,3}#{1,6}\s+)(.*?)(\s+#+\s*)?$", raw)
            title = tokens[i + 1].content
            new_anchor = slug(title)
            n = 2
            while new_anchor in used:
                new_anchor, n = f"{slug(title)}-{n}", n + 1
            used.add(new_anchor)
            anchor, counts = new_anchor, {}
            if m and end - start == 1:
                add("h", start, end, prefix=m.group(1), body=m.group(2))
            else:  # a setext heading: offer it whole
                add("h", start, end)
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            j = i + 1
            while tokens[j].type != tok.type.replace("_open", "_close") or tokens[j].level != 0:
                item = tokens[j]
                if item.type == "list_item_open" and item.level == 1 and item.map:
                    s, e = item.map
                    while e > s + 1 and not lines[e - 1].strip():
                        e -= 1
                    m = _LIST_MARKER.match(lines[s])
                    prefix = m.group(0) if m else ""
                    indent = " " * len(prefix)
                    body = [lines[s][len(prefix):]] + [
                        ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in lines[s + 1 : e]
                    ]
                    add("li", s, e, prefix=prefix, indent=indent, body="\n".join(body))
                j += 1
            i = j
        elif tok.type in _KIND:
            add(_KIND[tok.type], start, end)
        # fences, code blocks, hr: not translatable
        i += 1
    return out


def join(text: str, translated: dict[str, str]) -> str:
    """``text`` with the blocks whose key is in ``translated`` replaced, everything else kept."""
    lines = text.split("\n")
    for seg in reversed(segments(text)):
        if seg.key not in translated:
            continue
        new = translated[seg.key].split("\n")
        body = [seg.prefix + new[0]] + [(seg.indent + ln) if ln else ln for ln in new[1:]]
        lines[seg.start : seg.end] = body
    return "\n".join(lines)
