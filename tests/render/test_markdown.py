"""Markdown rendering: the plain-text fast path must equal what the parser produces."""

from __future__ import annotations

import pytest

from builder.render import markdown

SAMPLES = [
    "Which statement best describes e-leadership?",
    "R&D budgets < 5% of turnover",
    'A "quoted" word and an apostrophe\'s use',
    "Società, Περιφέρεια and € 12,000",
    "1. starts like a list",
    "2) also a list",
    "- a bullet",
    "> a quote",
    "# a heading",
    "**bold** and _emphasis_",
    "a [link](https://example.org)",
    "trailing space ",
    " leading space",
    "two  spaces inside",
    "line one\nline two",
    "a | table | cell",
    "~~struck~~",
    "email: me@example.org and https://example.org",
    "x = 3 and y == 4",
    "tab\there",
    "&amp; already an entity",
    "back\\slash",
    "`code`",
    "!important",
    "3.14 is pi",
    "(parenthesised) remark; colon: yes",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_fast_path_matches_the_parser(text: str) -> None:
    full = markdown.render_tokens(markdown._MD.parse(text)).strip()
    assert markdown.render(text) == full


def test_raw_html_is_text() -> None:
    assert markdown.render("<b>x</b> & <script>") == "<p>&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;</p>"


def test_inline_drops_the_single_paragraph() -> None:
    assert markdown.render_inline("Yes, **right**.") == "Yes, <strong>right</strong>."
    assert markdown.render_inline("one\n\ntwo") == "<p>one</p>\n<p>two</p>"


def test_component_fences_split_prose() -> None:
    text = "Intro\n\n```problem\nid: p1\n```\n\nMiddle\n\n```python\ncode\n```\n\n```video\nid: v1\n```\n"
    blocks = markdown.split_blocks(text, frozenset({"problem", "video"}))
    assert [b.kind for b in blocks] == ["prose", "problem", "prose", "video"]
    assert blocks[1].content == "id: p1\n" and blocks[1].line == 3
    assert "code" in markdown.render_tokens(blocks[2].tokens), "other fences stay prose"


AUTOLINK_TEXTS = [
    "R&D budgets < 5% of turnover, and margins > 2%.",
    "a <https://example.org/x?y=1> b <mailto:a@b.org> <a@b.org> c",
    "<a<b> <http://a <http://b> <> < > <<https://c.org>>",
    "`<code>` and <not a link> and <https://x.org/ space>",
    "* item < one\n* item <https://two.org>\n\n| a < | b > |\n| --- | --- |\n| <https://t.org> | < |",
    "unclosed <https://example.org",
    "<",
]


@pytest.mark.parametrize("text", AUTOLINK_TEXTS)
def test_the_fast_autolink_rule_gives_the_tokens_of_markdown_it(text: str) -> None:
    """The reader swaps in a faster autolink rule (a "no" decided by str.find): same tokens."""
    from markdown_it import MarkdownIt

    from builder.render.markdown import _MD

    plain = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
    assert [t.as_dict() for t in _MD.parse(text)] == [t.as_dict() for t in plain.parse(text)]
    assert _MD.render(text) == plain.render(text)
