"""A translated copy of the course for one language; targets read it like any other course.

Only strings change: ids, url_names, objective ids, answers of numeric problems, weights, dates
and file names are the source's, so an LMS records the Italian and the English package alike.
A string without a usable translation (missing, fuzzy, or translated from an older source) keeps
the source text, and the build warns once per source file with the line of the first such
string — an error under ``--strict``, like every warning.

Video transcripts are files per language (``transcripts: {en: …, it: …}`` in the video block); the
build language's transcript is listed first. A file under ``static/<lang>/`` replaces the file at
the same path under ``static/`` in that language's packages (same published name, so links need no
change).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from builder.diagnostics import Diagnostic
from builder.i18n import catalog
from builder.i18n.walk import Message, translate_course
from builder.model import Asset, Course


class NoCatalog(ValueError):
    """``--lang xx`` without ``translations/xx.po``: a usage error."""


def translate(course: Course, root: Path, lang: str) -> tuple[Course, list[Diagnostic]]:
    """``course`` in ``lang`` and the warnings about strings that fell back to the source language."""
    if lang == course.language:
        return course, []
    path = catalog.po_path(root, lang)
    if not path.is_file():
        have = ", ".join(catalog.languages(root)) or "none"
        raise NoCatalog(
            f"no catalog for language {lang!r} ({path}); catalogs present: {have}. "
            f"Run `coursepack translate update --lang {lang}` to start one"
        )
    table = catalog.lookup(catalog.load(path))
    untranslated: dict[str, list[int]] = defaultdict(list)

    def tr(m: Message) -> str:
        found = table.get(m.ctxt)
        if found is not None and found[0] == m.source:
            return found[1]
        untranslated[m.file].append(m.line)
        return m.source

    out = translate_course(course, root, tr)
    out.language = lang
    out.source_language = course.language
    out.competences.framework.language = lang
    for unit in out.units():
        for video in unit.videos:  # the learner's language first: SCO pages list tracks in this order
            video.transcripts.sort(key=lambda t: t.language != lang)
    out.assets = [_localised(a, root, lang) for a in out.assets]
    out.image = _localised(out.image, root, lang)
    diags = [
        Diagnostic(
            file,
            min(lines),
            None,
            f"{len(lines)} string(s) have no current {lang} translation and stay in {course.language}",
            f"translate them in translations/{lang}.po "
            f"(`coursepack translate status --lang {lang}` lists each one)",
            severity="warning",
            code="i18n.untranslated",
        )
        for file, lines in sorted(untranslated.items())
    ]
    return out, diags


def _localised(a: Asset, root: Path, lang: str) -> Asset:
    """The ``static/<lang>/…`` variant of an asset, published under the same name, if there is one."""
    if not a.rel_path.startswith("static/"):
        return a
    alt = root / "static" / lang / a.rel_path[len("static/") :]
    if alt.is_file() and not alt.is_symlink():
        return a.model_copy(update={"source": alt.resolve(), "size": alt.stat().st_size})
    return a
