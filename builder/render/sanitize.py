"""The allow-list for raw HTML that a course may carry (```` ```raw-html ```` blocks).

Markdown cannot express everything an imported Open edX page holds (tables with merged cells,
figures, definition lists, ``<sup>``…). Such HTML is kept, but only after ``nh3`` (the Rust
``ammonia`` sanitiser) has removed every element and attribute not listed here, so no target ever
receives a script, an event handler, a style, a form or an embedded frame from a source file. It
runs once, at load time, so every target gets the same cleaned HTML.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
        "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "scope", "headers"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "details": {"open"},
}
"""No ``style`` (CSS can overlay or hide a page's own controls, such as the SCORM Submit button) and
no ``id``/``name`` (they could clobber the ids the SCORM page script looks up)."""

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})


def clean(html: str) -> str:
    """``html`` with everything outside the allow-list removed (text of removed tags is kept,
    except inside ``script``/``style``, which disappear with their content)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
