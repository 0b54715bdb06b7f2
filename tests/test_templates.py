"""``render_bytes``: the bytes of ``render().encode()``, without holding the document several times."""

from __future__ import annotations

import jinja2

from builder.templates import render_bytes


def test_render_bytes_gives_exactly_the_bytes_of_render() -> None:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, keep_trailing_newline=True)
    template = env.from_string("<m>{% for i in items %}<i n='{{ i }}'>{{ text }}</i>\n{% endfor %}</m>\n")
    # Enough chunks for several batches; text that needs 1-, 2-, 3- and 4-byte UTF-8 and escaping.
    context = {"items": range(5000), "text": "Società & <dati> — ✓ 𝄞"}
    assert render_bytes(template, **context) == template.render(**context).encode("utf-8")
    assert render_bytes(env.from_string("")) == b""
