"""``render_bytes``: the bytes of ``render().encode()``, without holding the document several times."""

from __future__ import annotations

import jinja2
import pytest
from markupsafe import Markup, escape

from builder.templates import Environment, environment, escape_output, render_bytes


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


class _Html:
    def __html__(self) -> str:
        return "<b>kept</b>"


class _Sub(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "& < > ' \" &amp; &#39; — ✓ 𝄞",
        "<script>alert('x')</script>",
        Markup("<i>safe & sound</i>"),
        _Sub("sub <class> & 'quotes'"),
        _Html(),
        0,
        12.5,
        None,
        True,
        ["<list>"],
    ],
)
def test_escape_output_writes_what_markupsafe_escape_writes(value: object) -> None:
    assert escape_output(value) == str(escape(value))


TEMPLATE = """{% macro cell(x, y='<d>') %}<td a="{{ x }}">{{ y }}{{ caller() if caller else '' }}</td>
{%- endmacro %}
{% set block %}<s>{{ text }}</s>{% endset %}{{ block }}|{{ block|length }}
{% for i in items %}{{ cell(i) }}{% call cell(text, safe) %}{{ i ~ text }}{% endcall %}{% endfor %}
{{ text|upper }} {{ text ~ safe }} {{ safe }} {{ num }} {{ none }} {{ text|e }} {{ text|safe }}
{% autoescape false %}{{ text }}{{ safe }}{% endautoescape %}{{ "<lit>" }}{{ ns.val }}
{% include "inc" %}"""


def test_templates_render_the_same_as_with_jinjas_own_output() -> None:
    loader = jinja2.DictLoader({"main": TEMPLATE, "inc": "{{ text }}{% for c in text %}{{ c }}{% endfor %}"})
    context = {
        "items": ["a&b", 3, Markup("<m>")],
        "text": "R&D < 5% 'q' \"d\"",
        "safe": Markup("<em>x</em>"),
        "num": 1.5,
        "none": None,
        "ns": {"val": "<v>"},
    }
    options = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
    ours = Environment(loader=loader, **options).get_template("main")
    theirs = jinja2.Environment(loader=loader, **options).get_template("main")
    assert ours.render(**context) == theirs.render(**context)
    assert render_bytes(ours, **context) == theirs.render(**context).encode()


def test_autoescaped_text_is_written_without_a_markup_object_per_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Compiled templates write ``{{ text }}`` through ``escape_output``; ``markupsafe.escape``
    (a ``Markup`` per value) is left to values that are not plain text."""
    import jinja2.runtime

    calls: list[object] = []
    real = jinja2.runtime.escape

    def counting(value: object) -> Markup:
        calls.append(value)
        return real(value)

    monkeypatch.setattr(jinja2.runtime, "escape", counting)  # what compiled templates import
    template = environment("scorm_templates").from_string("{% for t in texts %}<p>{{ t }}</p>{% endfor %}")
    assert template.render(texts=["a & b", "<c>"]) == "<p>a &amp; b</p><p>&lt;c&gt;</p>"
    assert calls == []


@pytest.mark.parametrize("folder", ["olx_templates", "scorm_templates"])
def test_compiled_templates_are_never_loaded_from_a_cache_folder(folder: str) -> None:
    """Jinja's bytecode caches unmarshal whatever code they find; a build cache folder sits beside
    the outputs and can arrive committed in a partner's repository, so no environment has one (the
    ~0.04 s a rebuild spends compiling templates is the price)."""
    assert environment(folder).bytecode_cache is None
