"""Links between units, as the model holds them and as each target writes them.

The reader resolves ``[see](02-hazards.md)`` to the linked unit's id and writes it in the model's
HTML as ``href="/unit/<unit id>"`` (``#fragment`` kept) — one neutral form, like ``/static/<flat
name>`` for files, that each target turns into its own link: Open edX's ``/jump_to_id/<url_name>``,
a SCORM or cmi5 page's ``<unit id>.html`` beside it, the preview server's own route.
"""

from __future__ import annotations

import re
from collections.abc import Callable

UNIT_PREFIX = "/unit/"

_UNIT_LINK = re.compile(r'(<a\s[^>]*?href=")/unit/([A-Za-z0-9._-]+)((?:#[^"]*)?)("[^>]*>)(.*?)(</a>)', re.S)
"""An ``<a>`` element as markdown-it and lxml write it, whose target is a unit."""


def unit_href(unit_id: str, fragment: str = "") -> str:
    """The model's link to a unit (``fragment`` with its ``#`` or empty)."""
    return f"{UNIT_PREFIX}{unit_id}{fragment}"


def linked_units(html: str) -> list[str]:
    """Ids of the units ``html`` links to, in order, each once."""
    return list(dict.fromkeys(m.group(2) for m in _UNIT_LINK.finditer(html)))


def rewrite_unit_links(html: str, target: Callable[[str, str], str | None]) -> str:
    """Rewrite each unit link with ``target(unit id, fragment)`` → the URL to write (``fragment``
    is ``#…`` or empty), or None for a unit this output cannot reach: the link becomes its text."""

    def sub(m: re.Match[str]) -> str:
        url = target(m.group(2), m.group(3))
        if url is None:
            return m.group(5)
        return f"{m.group(1)}{url}{m.group(4)}{m.group(5)}{m.group(6)}"

    return _UNIT_LINK.sub(sub, html) if UNIT_PREFIX in html else html
