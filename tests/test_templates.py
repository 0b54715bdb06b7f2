"""``render_bytes``: the bytes of ``render().encode()``, without holding the document several times."""

from __future__ import annotations

import jinja2
import pytest

from builder.templates import render_bytes


def test_render_bytes_gives_exactly_the_bytes_of_render() -> None:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, keep_trailing_newline=True)
    template = env.from_string("<m>{% for i in items %}<i n='{{ i }}'>{{ text }}</i>\n{% endfor %}</m>\n")
    # Enough chunks for several batches; text that needs 1-, 2-, 3- and 4-byte UTF-8 and escaping.
    context = {"items": range(5000), "text": "Società & <dati> — ✓ 𝄞"}
    assert render_bytes(template, **context) == template.render(**context).encode("utf-8")
    assert render_bytes(env.from_string("")) == b""


def test_render_bytes_keeps_going_past_a_batch_of_empty_chunks() -> None:
    env = jinja2.Environment(autoescape=True)
    template = env.from_string("{% for i in items %}{{ empty }}{% endfor %}end")
    assert render_bytes(template, items=range(10_000), empty="") == b"end"


def test_render_bytes_raises_template_errors_as_render_does() -> None:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string("line one\n{{ missing.attribute }}\n", globals={})
    with pytest.raises(jinja2.UndefinedError, match="missing"):
        render_bytes(template)
