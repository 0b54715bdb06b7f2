"""Locate the template folders and give targets a Jinja environment with escaping on.

Templates hold markup and Python holds logic; autoescape is on for every extension, because
every template here emits XML or HTML and course text comes from partners.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from builder import template_cache

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


@cache
def environment(name: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir(name))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change during a build; skip a stat() per lookup
        bytecode_cache=template_cache.SHARED,  # compiled code kept in a build's cache folder
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
    """
    out = io.BytesIO()
    batch: list[str] = []
    for chunk in template.generate(**context):
        batch.append(chunk)
        if len(batch) >= 4096:
            out.write("".join(batch).encode("utf-8"))
            batch.clear()
    out.write("".join(batch).encode("utf-8"))
    return out.getvalue()
