"""Locate the template folders and give targets a Jinja environment with escaping on.

Templates hold markup and Python holds logic; autoescape is on for every extension, because
every template here emits XML or HTML and course text comes from partners.
"""

from __future__ import annotations

import io
import re
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup, escape

_REPO_ROOT = Path(__file__).resolve().parent.parent


def template_dir(name: str) -> Path:
    """A template folder (``olx_templates``, …): the checkout's folder, else the wheel's copy."""
    local = _REPO_ROOT / name
    if local.is_dir():
        return local
    # In a wheel the folder is package data beside this module (see pyproject's package-dir).
    return Path(__file__).resolve().parent / name


def xml_text(value: object) -> Markup:
    """Plain text for an XML element: only ``&``, ``<`` and ``>`` are escaped.

    Autoescape also writes quotes as ``&#39;``/``&#34;``. That is valid XML, but Moodle rewrites
    every ``&`` not followed by a named entity before parsing a manifest, so a numeric reference in
    a title reaches learners as the literal text ``&#39;``. Quotes need no escaping in element text.
    """
    text = str(value)
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 forbids even escaped (C0 controls but tab/LF/CR, and two non-characters)."""


def cdata(value: object) -> Markup:
    """Text as one CDATA section, the way Moodle's qformat_xml ``xml_escape()`` writes it.

    A ``]]>`` inside the text is split across two sections; characters XML 1.0 forbids are
    dropped, since no escaping can carry them and a learner cannot see them.
    """
    text = _XML_ILLEGAL.sub("", str(value))
    if not text:
        return Markup("")
    return Markup("<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>")


def escape_output(value: object) -> str:
    """What autoescaped ``{{ value }}`` writes: ``markupsafe.escape(value)``, as text.

    ``escape`` wraps every string it escapes in a new ``Markup`` (two Python calls and an object a
    value, ~1.1 million values in a cold 2,000-unit build); a value written to the output is only
    joined, so for a plain ``str`` this returns the escaped text itself — markupsafe's own five
    replacements (``_native._escape_inner``), the same characters. Anything else (``Markup``,
    numbers, objects with ``__html__``) goes to ``escape``.
    """
    if type(value) is str:
        return (
            value.replace("&", "&amp;")
            .replace(">", "&gt;")
            .replace("<", "&lt;")
            .replace("'", "&#39;")
            .replace('"', "&#34;")
        )
    return escape(value)


class _OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, with autoescaped output going through ``escape_output``."""

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        # ``environment`` is a global of every compiled template module (``Template.from_code``).
        self.write("environment.escape_output(")
        if finalize.src is not None:
            self.write(finalize.src)


class Environment(jinja2.Environment):
    """``jinja2.Environment`` whose templates write autoescaped values via ``escape_output``:
    the same output, without a ``Markup`` object per value."""

    code_generator_class = _OutputCodeGenerator
    escape_output = staticmethod(escape_output)


@cache
def environment(name: str) -> jinja2.Environment:
    env = Environment(
        loader=jinja2.FileSystemLoader(str(template_dir(name))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change during a build; skip a stat() per lookup
    )
    env.filters["xmltext"] = xml_text
    env.filters["cdata"] = cdata
    return env


def render_bytes(template: jinja2.Template, **context: object) -> bytes:
    """``template.render(**context).encode("utf-8")`` — the same bytes — for documents that grow
    with the course (a manifest, a question bank, a report).

    ``render`` holds every chunk, then their join (a str of up to 4 bytes a character once one
    character needs it), then its encoding: ~8× the document at its peak (the 20,000-unit SCORM
    1.2 manifest: +209 MB). Here chunks are encoded in batches into one buffer as they are made.

    The batches are taken from the template's own chunk generator by ``islice`` — what ``render``
    iterates — rather than by a Python loop over ``generate()``, which wraps that generator in
    another and cost a Python step per chunk (a million chunks in a 2,000-unit build: ~0.3 s CPU).
    Errors are rewritten to point into the template, as ``render`` does.
    """
    out = io.BytesIO()
    chunks = template.root_render_func(template.new_context(context))
    try:
        while batch := list(islice(chunks, 4096)):
            out.write("".join(batch).encode("utf-8"))
    except Exception:
        template.environment.handle_exception()
    return out.getvalue()
