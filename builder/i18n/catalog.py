"""The template, the per-language catalogs, and what each one lacks.

``translations/messages.pot`` is extracted from the source; ``translations/<lang>.po`` is one
catalog per language. ``update`` merges the template into a catalog the way ``msgmerge`` does,
without needing gettext installed:

* same context, same source → the translation is kept;
* same context, changed source → the entry becomes ``#, fuzzy`` and keeps the previous source in
  ``#| msgid`` so the translator sees what changed (a fuzzy translation is never built);
* a context that vanished whose source reappears under a new context (a paragraph moved to
  another heading, a renamed id) → the translation is carried over as fuzzy;
* entries no longer in the template become obsolete (``#~``), so nothing is lost.

Status counts: translated (non-empty, not fuzzy), fuzzy, missing (empty), each with the source
file:line of every string that is not translated.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import polib

from builder.i18n.walk import Message

TEMPLATE = "messages.pot"
WRAP = 0  # polib: 0 = never wrap; long Markdown paragraphs stay one string per line of source


def folder(root: Path) -> Path:
    return root / "translations"


def po_path(root: Path, lang: str) -> Path:
    return folder(root) / f"{lang}.po"


def languages(root: Path) -> list[str]:
    d = folder(root)
    return sorted(p.stem for p in d.glob("*.po")) if d.is_dir() else []


def _header(lang: str | None, source_lang: str) -> dict[str, str]:
    return {
        "Project-Id-Version": "coursepack",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Source-Language": source_lang,
        **({"Language": lang} if lang else {}),
    }


def template(messages: list[Message], source_lang: str) -> polib.POFile:
    pot = polib.POFile(wrapwidth=WRAP)
    pot.metadata = _header(None, source_lang)
    for m in messages:
        e = polib.POEntry(msgctxt=m.ctxt, msgid=m.source, msgstr="", occurrences=[(m.file, str(m.line))])
        if m.comment:
            e.comment = m.comment
        if m.markdown:
            e.flags.append("markdown-text")
        pot.append(e)
    return pot


def load(path: Path) -> polib.POFile:
    return polib.pofile(str(path), wrapwidth=WRAP)


def update(pot: polib.POFile, po: polib.POFile | None, lang: str, source_lang: str) -> polib.POFile:
    """A catalog for ``lang`` holding exactly the template's entries (plus obsolete ones)."""
    new = polib.POFile(wrapwidth=WRAP)
    new.metadata = _header(lang, source_lang)
    old = {e.msgctxt: e for e in po if not e.obsolete} if po is not None else {}
    obsolete = [e for e in po if e.obsolete] if po is not None else []
    used: set[str | None] = set()
    pending: list[polib.POEntry] = []
    for t in pot:
        e = polib.POEntry(msgctxt=t.msgctxt, msgid=t.msgid, occurrences=list(t.occurrences),
                          comment=t.comment, flags=[f for f in t.flags if f != "fuzzy"])
        prev = old.get(t.msgctxt)
        if prev is not None:
            used.add(t.msgctxt)
            e.msgstr = prev.msgstr
            e.tcomment = prev.tcomment
            if prev.msgid != t.msgid and prev.msgstr:
                e.flags.append("fuzzy")
                e.previous_msgid = prev.msgid
            elif "fuzzy" in prev.flags and prev.msgstr:
                e.flags.append("fuzzy")
                e.previous_msgid = prev.previous_msgid
        else:
            pending.append(e)
        new.append(e)
    # Contexts that disappeared: offer their translation to a new entry with (nearly) the same source.
    gone = [e for c, e in old.items() if c not in used and e.msgstr] + [e for e in obsolete if e.msgstr]
    for e in pending:
        best, score = None, 0.0
        for g in gone:
            r = 1.0 if g.msgid == e.msgid else difflib.SequenceMatcher(None, g.msgid, e.msgid).quick_ratio()
            close = r == 1.0 or difflib.SequenceMatcher(None, g.msgid, e.msgid).ratio() >= 0.8
            if r > score and r >= 0.8 and close:
                best, score = g, r
        if best is not None:
            e.msgstr = best.msgstr
            e.flags.append("fuzzy")
            e.previous_msgid = best.msgid
            e.previous_msgctxt = best.msgctxt
    keep = {(e.msgctxt, e.msgid) for e in new}
    for c, e in old.items():
        if c not in used and e.msgstr and (c, e.msgid) not in keep:
            e.obsolete = True
            new.append(e)
    for e in obsolete:
        if (e.msgctxt, e.msgid) not in keep:
            new.append(e)
    return new


@dataclass
class Status:
    lang: str
    total: int = 0
    translated: int = 0
    fuzzy: list[polib.POEntry] = field(default_factory=list)
    missing: list[polib.POEntry] = field(default_factory=list)

    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def status(pot: polib.POFile, po: polib.POFile | None, lang: str) -> Status:
    """Count against the current template: an entry is translated only if its source is current."""
    by_ctxt = {e.msgctxt: e for e in po if not e.obsolete} if po is not None else {}
    st = Status(lang, total=len(pot))
    for t in pot:
        e = by_ctxt.get(t.msgctxt)
        if e is None or not e.msgstr:
            st.missing.append(t)
        elif "fuzzy" in e.flags or e.msgid != t.msgid:
            st.fuzzy.append(t)
        else:
            st.translated += 1
    return st


def lookup(po: polib.POFile) -> dict[str, tuple[str, str]]:
    """ctxt → (source, translation) for every usable entry (not fuzzy, not obsolete, not empty)."""
    return {
        e.msgctxt: (e.msgid, e.msgstr)
        for e in po
        if not e.obsolete and e.msgstr and "fuzzy" not in e.flags and e.msgctxt
    }


def where(e: polib.POEntry) -> str:
    return ":".join(e.occurrences[0]) if e.occurrences else "?"
