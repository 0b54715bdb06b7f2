"""One XML parser configuration for everything coursepack reads back.

Even our own outputs are re-read through this: a checked package may have been edited by hand or
come from elsewhere, so no entity is expanded, no DTD loaded and nothing fetched from the network.
"""

from __future__ import annotations

import threading

from lxml import etree


def parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


_LOCAL = threading.local()


def parse(data: bytes) -> etree._Element:
    """Parse XML bytes safely; raises ``etree.XMLSyntaxError`` on malformed input.

    One parser per thread, reused: making one costs as much as parsing a small file, and the OLX
    check parses thousands (an lxml parser may be reused, but not shared between threads).
    """
    shared = getattr(_LOCAL, "parser", None)
    if shared is None:
        shared = _LOCAL.parser = parser()
    return etree.fromstring(data, shared)
