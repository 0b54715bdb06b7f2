"""XLIFF (1.1, as translate-toolkit writes it) for CAT tools (Trados, memoQ, OmegaT, Weblate),
written with translate-toolkit's XLIFF storage class.

Each ``trans-unit`` id is the catalog entry's ``msgctxt`` (the author ids and field path), so an
imported file is matched back by id, never by position. ``approved="yes"`` marks a translated
entry, ``state="needs-review-translation"`` a fuzzy one; the source file:line travels in a context
group. Import only fills translations of entries the catalog has, and only where the XLIFF's
source is the catalog's current source: a translation of text that changed meanwhile is kept but
marked fuzzy.
"""

from __future__ import annotations

from dataclasses import dataclass

import polib
from translate.storage import xliff as ttk_xliff


def export(po: polib.POFile, lang: str, source_lang: str, original: str) -> bytes:
    store = ttk_xliff.xlifffile(sourcelanguage=source_lang, targetlanguage=lang)
    for e in po:
        if e.obsolete or not e.msgctxt:
            continue
        unit = store.addsourceunit(e.msgid, original, True)
        unit.setid(e.msgctxt)
        if e.msgstr:
            unit.target = e.msgstr
            unit.markfuzzy("fuzzy" in e.flags)
            unit.markapproved("fuzzy" not in e.flags)
        for file, line in e.occurrences:
            unit.createcontextgroup("po-reference", [("sourcefile", file), ("linenumber", line)],
                                    purpose="location")
        if e.comment:
            unit.addnote(e.comment, origin="developer")
    return bytes(store)


@dataclass
class ImportResult:
    filled: int = 0
    fuzzy: int = 0
    unknown: int = 0
    """Units whose id the catalog does not have (removed from the source since the export)."""


def import_into(po: polib.POFile, data: bytes) -> ImportResult:
    store = ttk_xliff.xlifffile.parsestring(data)
    by_ctxt = {e.msgctxt: e for e in po if not e.obsolete}
    res = ImportResult()
    for unit in store.units:
        if unit.isheader():
            continue
        e = by_ctxt.get(unit.getid().split("\x04")[-1])
        if e is None:
            res.unknown += 1
            continue
        target = unit.target or ""
        if not target:
            continue
        e.msgstr = str(target)
        stale = str(unit.source) != e.msgid
        if unit.isfuzzy() or stale or not unit.isapproved():
            if "fuzzy" not in e.flags:
                e.flags.append("fuzzy")
            if stale:
                e.previous_msgid = str(unit.source)
            res.fuzzy += 1
        else:
            if "fuzzy" in e.flags:
                e.flags.remove("fuzzy")
            e.previous_msgid = None
            res.filled += 1
    return res
