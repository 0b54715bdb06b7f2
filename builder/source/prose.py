"""Warnings about unit prose that builds but does not show what the author meant.

- An image without alt text: a screen reader skips it (or reads its file name), so a learner
  who cannot see it loses what it shows (WCAG 2.1, 1.1.1).
- Raw HTML pasted into Markdown: raw HTML is off (``builder.render.markdown``), so learners see
  the tags as text. A ```raw-html block renders sanitised HTML, and the warning says so.

Both are warnings, not errors: the course is still correct, and ``check --strict`` refuses them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from markdown_it.token import Token

from builder.source.context import ReadContext
from builder.source.files import short

HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|blockquote|br|caption|center|code|dd|del|details|div|dl|dt|em|embed|figcaption|"
    r"figure|font|form|h[1-6]|hr|i|iframe|img|input|ins|kbd|li|mark|ol|p|pre|s|script|section|small|"
    r"source|span|strong|style|sub|summary|sup|table|tbody|td|th|thead|tr|u|ul|video|audio)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
"""Tags authors paste from web pages and word processors; ``a < b > c`` and ``<T>`` are not tags."""


def check_prose(ctx: ReadContext, tokens: list[Token], file: str, line_base: int) -> None:
    """Warn about images without alt text and raw HTML, at their own line. Call before links are
    rewritten, so messages quote the URL the author wrote."""
    for tok in tokens:
        if tok.type != "inline" or not tok.children:
            continue
        line = line_base + (tok.map[0] + 1 if tok.map else 1)
        html_seen = False
        for child in tok.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image" and not child.content.strip():
                src = unquote(str(child.attrGet("src") or ""))
                ctx.warn(
                    file,
                    line,
                    f"image `{short(src)}` has no alt text: screen readers will skip it",
                    "describe what it shows between the brackets: ![A chart of …](…)",
                    code="no-alt-text",
                )
            elif child.type == "text" and not html_seen and (m := HTML_TAG.search(child.content)):
                html_seen = True  # one warning per paragraph: the fix is the same for every tag
                ctx.warn(
                    file,
                    line,
                    f"raw HTML `{short(m.group(), 60)}` will be shown to learners as text, not as markup",
                    "use Markdown, or put HTML that must render in a ```raw-html block"
                    " (see docs/source-format.md)",
                    code="raw-html",
                )
