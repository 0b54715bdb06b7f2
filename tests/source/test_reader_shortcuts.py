"""The unit reader's shortcuts give what the libraries give without them, for every input.

- ``markdown._normalize`` is markdown-it's ``normalize`` without a regular expression;
- ``markdown._Dispatch`` tries at each character only the inline rules that can match there, and
  ``markdown._BlockDispatch`` at each line only the block rules its first character allows;
- ``yamlpos._walk`` builds the YAML value itself instead of PyYAML's ``construct_document``;
- ``files._read_at_most`` reads a source file without a buffer of the size limit.

Each is compared with the library's own path on tricky and on random inputs, and the HTML of a few
tricky inputs is pinned, so that a shortcut that changes one token, value or error fails here.
"""

from __future__ import annotations

import datetime
import math
import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt, rules_core
from markdown_it.parser_block import ParserBlock
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

from builder.render import markdown
from builder.source import yamlpos
from builder.source.context import ReadContext
from builder.source.files import _read_at_most, read_text
from builder.source.text import MAX_SOURCE_BYTES


def _library_parser() -> MarkdownIt:
    """The reader's parser without the dispatches: markdown-it's own ``tokenize`` methods."""
    md = markdown._parser()
    del md.inline.tokenize  # the instance attribute; the class's method shows again
    del md.block.tokenize
    md.core.ruler.at("normalize", rules_core.normalize)
    assert md.inline.tokenize.__func__ is ParserInline.tokenize  # type: ignore[attr-defined]
    assert md.block.tokenize.__func__ is ParserBlock.tokenize  # type: ignore[attr-defined]
    return md


TRICKY = [
    "R&D budgets < 5% of turnover; a roll-out: 3 + 4 = 7 @home #1 $5 ^up {x} ~y~",
    "**bold** __strong__ *em* _em_ ***both*** **unclosed *mixed_ ~~struck~~ ~single~",
    "[link](https://x.org \"t\") [ref] [ref]: /u ![img](a.png) ![alt *em*](b.png) [![i](c.png)](d)",
    "[a [nested] label](u) [unclosed [x](y) ]] [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]",
    "<https://a.org> <a@b.org> <not a link> a < b > c <<http://c.org>> <",
    "&amp; &#12; &#x41; &copy; &bogus; & alone &#;",
    "`code` ``double ` tick`` `unclosed and \\` escaped \\* \\_ \\\\ \\[",
    "hard  \nbreak\\\nand soft\nbreak",
    "| a | *b* |\n| - | :-: |\n| `c|d` | [e](f) |",
    "- item *one*\n  - nested <x>\n1. first & second\n> quote **in** quote\n\n```\ncode < &\n```",
    "Società & <data> — € 12,000 «quoted» \u00a0nbsp",
    "* * *\n# heading & *em*\nsetext\n===\n\n    indented code & <",
    "- a\n  > b\n  > - c\n\n  ```x\n  y\n  ```\n3) d\n+ e\n\n[r]: /u 't'\n[r]\n<div>\n\n***\n---\n___"
    "\n~~~\nz",
    "> # q\n> 1. a\n>    ```\n>    b\n\n\t- tab\n  \t\tcode\n#not\n####### seven\n-\n10. ten\n1.x",
]
"""Inputs that reach every inline rule: the HTML of the first few is pinned below as well."""

PINNED = {
    TRICKY[0]: "<p>R&amp;D budgets &lt; 5% of turnover; a roll-out: 3 + 4 = 7 @home #1 $5 ^up {x} ~y~</p>",
    TRICKY[4]: '<p><a href="https://a.org">https://a.org</a> <a href="mailto:a@b.org">a@b.org</a>'
    " &lt;not a link&gt; a &lt; b &gt; c &lt;<a href=\"http://c.org\">http://c.org</a>&gt; &lt;</p>",
    TRICKY[5]: "<p>&amp; \ufffd A © &amp;bogus; &amp; alone &amp;#;</p>",
    TRICKY[7]: "<p>hard<br />\nbreak<br />\nand soft\nbreak</p>",
}


def _random_texts(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    pieces = [
        *"\n!#$%&*+-:<=>@[\\]^_`{}~()\"' abcXY09.,;|/?é",
        "  \n", "\r", "\r\n", "\0", "\n\n", "```", "](", "![", "&amp;", "&#12;", "<http://x.y>", "<a@b.c>",
        "**", "__",
        "~~", "    ", "\t", "- ", "1. ", "> ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "[x]: /url\n", "<br>",
    ]  # fmt: skip
    return ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 60))) for _ in range(count)]


@pytest.mark.parametrize("text", TRICKY + _random_texts(1500, 9))
def test_the_inline_dispatch_gives_the_tokens_and_html_of_markdown_it(text: str) -> None:
    library = _library_parser()
    assert [t.as_dict() for t in markdown._MD.parse(text)] == [t.as_dict() for t in library.parse(text)]
    assert markdown.render_tokens(markdown._MD.parse(text)) == markdown.render_tokens(library.parse(text))


@pytest.mark.parametrize("text", list(PINNED))
def test_tricky_inline_html_is_pinned(text: str) -> None:
    assert markdown.render(text) == PINNED[text]


ENDS = ["amp;", "http://a.b>", "x`", "\n", "x](y)", "[x](y)", "a@b.c>", "~x~~", "x**", "\\"]


@pytest.mark.parametrize("ch", sorted(set("\n!#$%&*+-:<=>@[\\]^_`{}~aé ")))
def test_every_inline_rule_says_no_and_changes_nothing_off_its_characters(ch: str) -> None:
    """What the dispatch relies on: a rule not in a character's chain answers "no" there, and leaves
    the state as it was (position, pending text, tokens), in the library's current version."""
    md = markdown._MD
    chain = md.inline.tokenize._chain(ch)  # type: ignore[attr-defined]
    for rule in md.inline.ruler.getRules(""):
        if rule in chain:
            continue
        for src in (ch, ch + "[x](y) *z* <http://a.b> &amp; `c` \\* ~~s~~", *(ch + e for e in ENDS)):
            state = StateInline(src, md, {}, [])
            assert rule(state, False) is False, (rule, ch, src)
            assert (state.pos, state.pending, state.tokens) == (0, "", []), (rule, ch)


@pytest.mark.parametrize("ch", sorted(set("`~>*-_+0123456789[<#|:=a\t é")))
def test_every_block_rule_says_no_and_changes_nothing_off_its_first_characters(ch: str) -> None:
    """As above for block rules, at a line whose first character (after its indent) is ``ch``."""
    md = markdown._MD
    chain = md.block.tokenize._chain(ch)  # type: ignore[attr-defined]
    sources = [ch * 3 + " x\n" + ch + "\n- y\n", ch + "\n", " " + ch * 3 + "\n\n", ch + "x]: /u\n"]
    sources += [ch + end + " x\n" for end in ".) "]
    for rule in md.block.ruler.getRules(""):
        if rule in chain:
            continue
        for src in sources:
            state = StateBlock(src, md, {}, [])
            before = (state.line, state.parentType, state.lineMax, list(state.bMarks), list(state.tShift))
            assert rule(state, 0, state.lineMax, False) is False, (rule, ch, src)
            after = (state.line, state.parentType, state.lineMax, list(state.bMarks), list(state.tShift))
            assert after == before and state.tokens == [], (rule, ch, src)


NEWLINES = ["", "a", "\r", "\n", "\r\n", "\r\r\n", "\n\r", "\r\n\r", "\0", "a\0\r\nb\rc\n"]


@pytest.mark.parametrize("text", NEWLINES)
def test_newlines_and_nul_are_normalised_as_markdown_it_does(text: str) -> None:
    library, ours = StateCore(text, markdown._MD, {}), StateCore(text, markdown._MD, {})
    rules_core.normalize(library)
    markdown._normalize(ours)
    assert ours.src == library.src


def test_other_markdown_it_lines_get_the_library_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    """The copied loops run under the installed release (these tests hold them to it), and any
    other release line gets the library's own loops."""
    import markdown_it

    assert markdown._dispatch_fits(markdown_it.__version__)
    assert isinstance(markdown._MD.inline.tokenize, markdown._Dispatch)
    monkeypatch.setattr(markdown_it, "__version__", "5.0.0")
    other = markdown._parser()
    assert other.inline.tokenize.__func__ is ParserInline.tokenize  # type: ignore[attr-defined]
    assert other.block.tokenize.__func__ is ParserBlock.tokenize  # type: ignore[attr-defined]
    text = TRICKY[0] + "\n\n" + TRICKY[-1]
    assert markdown.render_tokens(other.parse(text)) == markdown.render_tokens(markdown._MD.parse(text))


def test_the_dispatch_follows_a_change_of_the_rules() -> None:
    """Disabling a rule on the parser (as a plugin or a test might) takes it out of every chain."""
    md = markdown._parser()
    assert markdown.render_tokens(md.parse("*a*")) == "<p><em>a</em></p>\n"
    md.disable("emphasis")
    assert markdown.render_tokens(md.parse("*a*")) == "<p>*a*</p>\n"
    assert markdown.render_tokens(md.parse("# a")) == "<h1>a</h1>\n"
    md.disable("heading")
    assert markdown.render_tokens(md.parse("# a")) == "<p># a</p>\n"


YAML_BITS = [
    "a: 1", "b: x", "c: 0b_", "d: 0x1F", "e: 1_000", "f: .inf", "g: -.NaN", "h: ~", "i: null", "j: yes",
    "k: No", "l: 2026-02-30", "m: 2026-01-02T10:00:00Z", "n: !!binary aGVsbG8=", "o: !!binary ###",
    "p: !!set {a, b}", "q: !!omap [a: 1]", "r: !!pairs [a: 1]", "s: !foo bar", "<<: {z: 1}", "? [a]\n: 1",
    "1: one", "true: t", "v: [1, 2, {w: 3}]", "x:\n  - y: 1\n    y: 2", "a: 2", "z: !!str 5", "aa: !!int '7'",
    "ab: !!float x", "ae: {", "af: 1:2:3", "ag: 0o17", "ah: 017", "ai: +12", "aj: 1e3", "al: =", "= : v",
    "am: !!null ''", "an: !!bool maybe", "ao: !!timestamp 2001-12-14t21:59:43.10-05:00", "- a", "x",
    "ap: 2026-04-30", "aq: '1'", "ar: \"two\"", "as: |\n  block\n  text", "at: >-\n  folded", "au: []",
    "av: {}",
]  # fmt: skip


def _yaml_texts() -> list[str]:
    rnd = random.Random(7)
    combos = ["\n".join(rnd.choice(YAML_BITS) for _ in range(rnd.randint(1, 6))) for _ in range(600)]
    return YAML_BITS + combos


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``True == 1`` and ``1 == 1.0`` are not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _library_value(text: str) -> tuple[str, Any]:
    """What PyYAML's own constructor makes of the composed document: ("value", v) or ("raises", e)."""
    loader = yamlpos._Loader(text)
    try:
        return "value", loader.construct_document(loader.get_single_node())
    except Exception as exc:  # the error itself is what is compared
        return "raises", exc
    finally:
        loader.dispose()


@pytest.mark.parametrize("text", _yaml_texts())
def test_the_walk_builds_the_value_pyyaml_builds(text: str) -> None:
    kind, expected = _library_value(text)
    try:
        doc = yamlpos.load(text, 3)
    except yamlpos.YamlSyntaxError as exc:
        if exc.code in ("yaml-alias", "bad-char", "yaml-depth"):  # the walk refuses before building
            return
        assert kind == "raises" and isinstance(expected, yaml.YAMLError), text
        assert exc.message.startswith("invalid YAML"), text
        return
    except Exception as exc:  # e.g. ValueError for `0b_`: raised as PyYAML raises it
        assert kind == "raises" and type(exc) is type(expected) and str(exc) == str(expected), text
        return
    assert kind == "value", text
    assert _same(doc.value, expected), (text, doc.value, expected)


def test_yaml_values_keep_their_types_and_key_order() -> None:
    doc = yamlpos.load("b: 1\na: [x, 2.5, null, true, 2026-01-02]\nb: 2\nc: {d: '3'}")
    assert _same(doc.value, {"b": 2, "a": ["x", 2.5, None, True, datetime.date(2026, 1, 2)], "c": {"d": "3"}})
    assert doc.duplicates == [(("b",), 3, 1)]


@pytest.mark.parametrize(
    "text", ['a: "\\x01"', 'a: [b, "c\\vd"]', '"k\\uFFFF": 1', "a:\n  b: 'x'\n  c: \"\\e\"", 'a: "\\x00"']
)
def test_characters_written_as_escapes_are_refused_though_the_text_has_none(text: str) -> None:
    """The walk checks values only when the text holds a bad character or a backslash: an escape
    is the one way a value gets a character its text does not have."""
    assert text.isprintable() or "\n" in text
    with pytest.raises(yamlpos.YamlSyntaxError) as info:
        yamlpos.load(text)
    assert info.value.code == "bad-char"


@pytest.mark.parametrize("size", [0, 1, 9, 10, 11, 25])
def test_reading_at_most_a_limit_gives_the_bytes_of_read_limit(tmp_path: Path, size: int) -> None:
    """``files._read_at_most`` asks the file's size instead of allocating ``limit`` bytes: the same
    bytes for files shorter, as long as, and longer than the limit, and for a pipe, whose size is 0
    (a file longer than its size said: it is read on to the limit)."""
    data = bytes(range(size))
    path = tmp_path / "f"
    path.write_bytes(data)
    with path.open("rb") as f:
        assert _read_at_most(f, 11) == data[:11]
    read_end, write_end = os.pipe()
    os.write(write_end, data)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        assert _read_at_most(f, 11) == data[:11]


def test_a_unit_file_of_the_size_limit_is_read_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    ctx = ReadContext(tmp_path)
    exact, over = tmp_path / "exact.md", tmp_path / "over.md"
    exact.write_bytes(b"a" * MAX_SOURCE_BYTES)
    over.write_bytes(b"a" * (MAX_SOURCE_BYTES + 1))
    assert read_text(ctx, exact) == "a" * MAX_SOURCE_BYTES
    assert read_text(ctx, over) is None
    assert [d.code for d in ctx.diags] == ["too-large"]
