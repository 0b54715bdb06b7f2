"""Markdown → HTML, shared by every target and run once per source file.

CommonMark with tables, raw HTML off: course text may come from partners, and every target
embeds the result in XML or HTML, so nothing an author writes may become markup by itself.
Local links and images are resolved here, once, to ``/static/<flat name>``; a target that needs
another URL rewrites that prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

LinkResolver = Callable[[str, int], str | None]
"""(url, line) → the rewritten URL, or None to keep it. Raises nothing; reports through its owner."""

EXTERNAL_SCHEMES = ("http://", "https://", "mailto:", "tel:", "#")


def _autolink_fast(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """markdown-it's autolink rule, answering "no" without its character-by-character scan.

    The rule runs at every ``<`` and walks, one Python step per character, to the next ``>`` or
    ``<`` or the end of the paragraph; text such as "budgets < 5% of turnover" made that a tenth
    of the reader's time. ``str.find`` decides the same "no" (a ``<`` or the end before any ``>``);
    every other case goes to the rule itself, so the tokens are unchanged.
    """

    def autolink(state: StateInline, silent: bool) -> bool:
        src, pos = state.src, state.pos
        if src[pos] != "<":
            return False
        close = src.find(">", pos + 1, state.posMax)
        if close < 0 or src.find("<", pos + 1, close) >= 0:
            return False
        return rule(state, silent)

    return autolink


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    ruler = md.inline.ruler
    ruler.at("autolink", _autolink_fast(ruler.__rules__[ruler.__find__("autolink")].fn))
    return md


_MD = _parser()


@dataclass
class Block:
    """A run of Markdown tokens, or one fenced block whose info string names a component."""

    kind: str
    """``prose`` or the fence's info word (``problem``, ``video``)."""
    tokens: list[Token]
    line: int
    """1-based line of the block's first line within the parsed text."""
    content: str = ""
    """For fences: the raw body."""


def is_external(url: str) -> bool:
    return url.startswith(EXTERNAL_SCHEMES)


def fence_word(tok: Token) -> str:
    """The first word of a fence's info string (```problem → ``problem``); "" for other tokens."""
    return tok.info.strip().split(maxsplit=1)[0] if tok.type == "fence" and tok.info.strip() else ""


def split_blocks(text: str, components: frozenset[str]) -> list[Block]:
    """Parse once and cut the token stream at top-level fenced blocks whose info word is a component.

    A fence inside a list or a quote stays in the prose: cutting there would leave the list or
    quote unclosed. The caller decides whether such a fence is an error.
    """
    tokens = _MD.parse(text)
    blocks: list[Block] = []
    prose: list[Token] = []
    prose_line = 1
    for tok in tokens:
        info = fence_word(tok)
        if tok.type == "fence" and tok.level == 0 and info in components:
            if prose:
                blocks.append(Block("prose", prose, prose_line))
                prose = []
            line = (tok.map[0] + 1) if tok.map else 1
            blocks.append(Block(info, [tok], line, tok.content))
            continue
        if not prose and tok.map:
            prose_line = tok.map[0] + 1
        prose.append(tok)
    if prose:
        blocks.append(Block("prose", prose, prose_line))
    return blocks


def rewrite_links(tokens: list[Token], resolve: LinkResolver, line_base: int = 0) -> None:
    """Apply ``resolve`` to every link and image URL, in place."""
    current_line = line_base
    for tok in tokens:
        if tok.map:
            current_line = line_base + tok.map[0] + 1
        for child in tok.children or ():
            attr = "src" if child.type == "image" else "href" if child.type == "link_open" else None
            if attr is None:
                continue
            url = str(child.attrGet(attr) or "")
            new = resolve(url, current_line)
            if new is not None:
                child.attrSet(attr, new)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 cannot carry. The reader refuses them in source text, but a numeric
character reference (``&#12;``) is decoded by the parser itself, so the output is cleaned too."""


def render_tokens(tokens: list[Token]) -> str:
    return _NOT_XML.sub("\ufffd", _MD.renderer.render(tokens, _MD.options, {}))


_MARKUP = re.compile(r"[\\`*_\[\]!<>&#|~=\n\r\t]|^\s|\s$|^\d|^[-+*>]|  ")
"""Anything that could make CommonMark do more than wrap one paragraph of plain text."""


def _escape(text: str) -> str:
    """markdown-it's own escaping: exactly these four characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def render(text: str, resolve: LinkResolver | None = None, line_base: int = 0) -> str:
    """Render a Markdown fragment (a prompt, a hint, the overview) to HTML.

    Most fragments (choices, feedback, hints) are one line of plain text; for those the result is
    known without running the parser, which is most of the load time of a large course.
    """
    if not text:
        return ""
    if not _MARKUP.search(text):
        return f"<p>{_NOT_XML.sub(chr(0xFFFD), _escape(text))}</p>"
    tokens = _MD.parse(text)
    if resolve:
        rewrite_links(tokens, resolve, line_base)
    return render_tokens(tokens).strip()


def render_inline(text: str, resolve: LinkResolver | None = None, line_base: int = 0) -> str:
    """Render a one-line fragment (a choice, a feedback) without the wrapping ``<p>``."""
    html = render(text, resolve, line_base)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html
