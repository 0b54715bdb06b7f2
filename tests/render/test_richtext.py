"""Rendered HTML → the node tree the handbook's Typst template lays out (no Typst markup ever)."""

from __future__ import annotations

from builder.render import markdown, richtext


def nodes(md: str, top: int = 3, images: dict[str, str] | None = None) -> list:
    return richtext.to_nodes(markdown.render(md), top, (images or {}).get)


def test_inline_markup_becomes_nested_nodes_with_text_verbatim() -> None:
    (p,) = nodes("Say *this* and **that** with `#set $x$` and [a link](https://example.org/a?b=1&c=2)")
    assert p["t"] == "p"
    assert p["c"] == [
        "Say ",
        {"t": "em", "c": ["this"]},
        " and ",
        {"t": "strong", "c": ["that"]},
        " with ",
        {"t": "code", "c": ["#set $x$"]},
        " and ",
        {"t": "a", "c": ["a link"], "href": "https://example.org/a?b=1&c=2"},
    ]


def test_entities_are_decoded_and_soft_breaks_become_spaces() -> None:
    (p,) = nodes('Risks & rewards <now>\n"quoted" — #hash [x] _y_')
    assert p["c"] == ['Risks & rewards <now> "quoted" — #hash [x] ', {"t": "em", "c": ["y"]}]


def test_lists_keep_their_items_and_start_number() -> None:
    ul, ol = nodes("- one\n- two *b*\n\n3. three\n4. four\n")
    assert ul == {
        "t": "ul",
        "c": [{"t": "li", "c": ["one"]}, {"t": "li", "c": ["two ", {"t": "em", "c": ["b"]}]}],
    }
    assert ol["t"] == "ol" and ol["start"] == 3 and len(ol["c"]) == 2


def test_loose_list_items_hold_paragraphs() -> None:
    (ul,) = nodes("- one\n\n- two\n")
    assert ul["c"][0] == {"t": "li", "c": [{"t": "p", "c": ["one"]}]}


def test_tables_become_columns_header_and_body_cells() -> None:
    (t,) = nodes("| A | B |\n|:-:|---|\n| 1 | *2* |\n| 3 | 4 |\n")
    assert t["t"] == "table" and t["cols"] == 2
    assert [c["c"] for c in t["head"]] == [["A"], ["B"]]
    assert t["head"][0]["align"] == "center"
    assert [c["c"] for c in t["body"]] == [["1"], [{"t": "em", "c": ["2"]}], ["3"], ["4"]]


def test_code_blocks_keep_their_newlines_and_characters() -> None:
    (pre,) = nodes("```\n#let x = [a]\n  $y$\n```\n")
    assert pre == {"t": "pre", "c": [{"t": "code", "c": ["#let x = [a]\n  $y$\n"]}]}


def test_headings_are_placed_under_the_given_level() -> None:
    h2, _p, h3 = nodes("## Top\n\ntext\n\n### Below\n", top=2)
    assert (h2["level"], h3["level"]) == (2, 3)
    (deep,) = nodes("###### Deep", top=5)
    assert deep["level"] == 5
    assert richtext.shift_headings("<h2>A</h2><p>x</p><h3>B</h3>", 4) == "<h4>A</h4><p>x</p><h5>B</h5>"
    assert richtext.shift_headings("<h1>A</h1>", 9) == "<h6>A</h6>"


def test_images_resolve_only_to_known_files() -> None:
    (p,) = nodes(
        "![A chart](/static/images_a.png) ![Elsewhere](https://example.org/x.png)",
        images={"/static/images_a.png": "static/images_a.png"},
    )
    imgs = [c for c in p["c"] if isinstance(c, dict)]
    assert imgs[0] == {"t": "img", "c": [], "src": "static/images_a.png", "alt": "A chart"}
    assert imgs[1]["src"] == ""  # never fetched: the template shows the alt text instead


def test_unknown_tags_keep_their_text() -> None:
    assert richtext.to_nodes("<p>a <mark>b</mark> c</p>") == [
        {"t": "p", "c": ["a ", {"t": "span", "c": ["b"]}, " c"]}
    ]


def test_plain_text_of_a_fragment() -> None:
    assert richtext.plain(markdown.render("A *b* `c` & d")) == "A b c & d"
