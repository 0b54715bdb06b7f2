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

import markdown_it
from markdown_it import MarkdownIt, rules_block, rules_inline
from markdown_it.parser_block import ParserBlock
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
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


InlineRule = Callable[[StateInline, bool], bool]

_TRIGGERS: dict[object, frozenset[str]] = {
    rules_inline.newline: frozenset("\n"),
    rules_inline.escape: frozenset("\\"),
    rules_inline.backtick: frozenset("`"),
    rules_inline.strikethrough.tokenize: frozenset("~"),
    rules_inline.emphasis.tokenize: frozenset("_*"),
    rules_inline.link: frozenset("["),
    rules_inline.image: frozenset("!"),
    rules_inline.html_inline: frozenset("<"),
    rules_inline.entity: frozenset("&"),
}
"""The characters at which each of markdown-it's inline rules can answer "yes": each begins with
``if state.src[state.pos] != <one of these>: return False``, before it changes anything (read in
markdown-it-py's ``rules_inline``; ``test_markdown_dispatch`` runs every rule at every character to
hold the library to it). A rule not named here (a plugin's) is tried at every character."""


class _Dispatch:
    """markdown-it's inline ``tokenize``, trying at each character only the rules that can match there.

    The library tries every rule, in order, at every character the ``text`` rule stops at (``-``,
    ``%``, ``&``, ``<``…), and each try is a Python call: eleven calls for the ``-`` of "roll-out",
    a third of the reader's time. A rule that cannot match at a character answers "no" and changes
    nothing, so skipping it leaves the tokens as they were; the rules that can are tried in the
    library's order, and the loop is the library's own otherwise.
    """

    def __init__(self, inline: ParserInline) -> None:
        self.inline = inline
        self.rules: list[InlineRule] | None = None
        self.terminators: re.Pattern[str] | None = None
        self.chains: dict[str, list[InlineRule]] = {}

    def _chains(self, rules: list[InlineRule]) -> dict[str, list[InlineRule]]:
        """The chains for these rules; new ones when the rules or the text rule's stops changed."""
        terminators = self.inline.terminator_re
        if rules is not self.rules or terminators is not self.terminators:
            self.rules, self.terminators, self.chains = rules, terminators, {}
        return self.chains

    def _chain(self, ch: str) -> list[InlineRule]:
        """The rules, in the library's order, that can match at ``ch``."""
        assert self.rules is not None and self.terminators is not None
        text_fires = self.terminators.match(ch) is None
        chain = [
            rule
            for rule in self.rules
            if (text_fires if rule is rules_inline.text else ch in _TRIGGERS.get(rule, ch))
        ]
        self.chains[ch] = chain
        return chain

    def __call__(self, state: StateInline) -> None:
        chains = self._chains(self.inline.ruler.getRules(""))
        end = state.posMax
        max_nesting = state.md.options["maxNesting"]
        while state.pos < end:
            pos = state.pos
            ok = False
            if state.level < max_nesting:
                chain = chains.get(state.src[pos])
                if chain is None:
                    chain = self._chain(state.src[pos])
                for rule in chain:
                    ok = rule(state, False)
                    if ok:
                        if state.pos <= pos:
                            raise RuntimeError("inline rule didn't increment state.pos")
                        break
            if ok:
                if state.pos >= end:
                    break
                continue
            state.append_pending(state.src[state.pos])
            state.pos += 1
        if state.pending:
            state.pushPending()


BlockRule = Callable[[StateBlock, int, int, bool], bool]

_BLOCK_TRIGGERS: dict[object, frozenset[str]] = {
    rules_block.fence: frozenset("`~"),
    rules_block.blockquote: frozenset(">"),
    rules_block.hr: frozenset("*-_"),
    rules_block.list_block: frozenset("*-+0123456789"),
    rules_block.reference: frozenset("["),
    rules_block.html_block: frozenset("<"),
    rules_block.heading: frozenset("#"),
}
"""The first characters of a line (after its indent) at which each block rule can answer "yes":
each reads ``state.src[state.bMarks[line] + state.tShift[line]]`` and answers "no" at any other,
before it changes anything. ``table``, ``code``, ``lheading`` and ``paragraph`` look at the indent
or the next line, and are tried at every line, as is any rule not named here."""


class _BlockDispatch:
    """markdown-it's block ``tokenize``, trying at each line only the rules its first character
    allows (a paragraph's line no longer tries fence, blockquote, hr, list, reference, html_block and
    heading, seven calls each with its own ``LOGGER.debug``). Otherwise the library's loop."""

    def __init__(self, block: ParserBlock) -> None:
        self.block = block
        self.rules: list[BlockRule] | None = None
        self.chains: dict[str, list[BlockRule]] = {}

    def _chain(self, ch: str) -> list[BlockRule]:
        assert self.rules is not None
        chain = [rule for rule in self.rules if ch in _BLOCK_TRIGGERS.get(rule, ch)]
        self.chains[ch] = chain
        return chain

    def __call__(self, state: StateBlock, start_line: int, end_line: int) -> None:
        rules = self.block.ruler.getRules("")
        if rules is not self.rules:
            self.rules, self.chains = rules, {}
        chains = self.chains
        line = start_line
        max_nesting = state.md.options.maxNesting
        has_empty_lines = False

        while line < end_line:
            state.line = line = state.skipEmptyLines(line)
            if line >= end_line:
                break
            if state.sCount[line] < state.blkIndent:
                break
            if state.level >= max_nesting:
                state.line = end_line
                break

            pos = state.bMarks[line] + state.tShift[line]
            if pos < state.eMarks[line]:
                chain = chains.get(state.src[pos])
                if chain is None:
                    chain = self._chain(state.src[pos])
            else:  # never after skipEmptyLines; the library's every rule, to be sure
                chain = rules
            ok = False
            for rule in chain:
                ok = rule(state, line, end_line, False)
                if ok:
                    if state.line <= line:
                        raise RuntimeError("block rule didn't increment state.line")
                    break

            if not ok:
                raise RuntimeError("none of the block rules matched")

            state.tight = not has_empty_lines

            line = state.line

            if (line - 1) < end_line and state.isEmpty(line - 1):
                has_empty_lines = True

            if line < end_line and state.isEmpty(line):
                has_empty_lines = True
                line += 1
                state.line = line


def _normalize(state: StateCore) -> None:
    """markdown-it's ``normalize`` core rule (``\\r\\n?|\\n`` → ``\\n``, NUL → U+FFFD) with ``str.replace``.

    Its regular expression matched every ``\\n`` too and put a new ``\\n`` in its place: 18 µs for a
    3 KB unit body, a tenth of parsing it. Replacing each ``\\r\\n``, then each remaining ``\\r``, gives
    the same text (a ``\\r`` becomes one ``\\n`` whatever follows it), and does nothing without one.
    """
    src = state.src
    if "\r" in src:
        src = src.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in src:
        src = src.replace("\0", "\ufffd")
    state.src = src


LOOPS_COPIED_FROM = "4."
"""The markdown-it-py release line whose ``tokenize`` loops ``_Dispatch`` and ``_BlockDispatch``
copy, and whose rules ``_TRIGGERS`` and ``_BLOCK_TRIGGERS`` describe (pyproject allows any 3.0 or
later). Under another line the library's own loops run — slower, never different: a release may
change its loop or a rule's first test, and these copies would not follow."""


def _dispatch_fits(version: str) -> bool:
    return version.startswith(LOOPS_COPIED_FROM)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    ruler = md.inline.ruler
    autolink = _autolink_fast(ruler.__rules__[ruler.__find__("autolink")].fn)
    _TRIGGERS[autolink] = frozenset("<")
    ruler.at("autolink", autolink)
    md.core.ruler.at("normalize", _normalize)
    if _dispatch_fits(markdown_it.__version__):
        md.inline.tokenize = _Dispatch(md.inline)  # type: ignore[method-assign]
        md.block.tokenize = _BlockDispatch(md.block)  # type: ignore[method-assign]
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
