"""Locate the template folders and give targets a Jinja environment with escaping on.

Templates hold markup and Python holds logic; autoescape is on for every extension, because
every template here emits XML or HTML and course text comes from partners.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

_REPO_ROOT = Path(__file__).resolve().parent.parent


def template_dir(name: str) -> Path:
    """``olx_templates`` or ``scorm_templates``: the checkout's folder, else the wheel's copy."""
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
    )
    env.filters["xmltext"] = xml_text
    return env
