"""The previewed course: the last good model, its pages, and what is wrong with the source now.

``refresh()`` runs after every change on disk. It reloads the course (only changed unit files are
parsed, see ``units.py``) and answers what changed: which units' pages differ, whether the outline
did, and the current findings. A load that fails keeps the last good course on screen, so an
error never blanks the preview; its findings are shown over it until the file is fixed.

Unit pages are rendered by the SCORM targets' own page code (``sco_page_context`` and
``sco.html.j2``), with the same runtime script, so the preview shows what learners get. A page
is rendered when first asked for and cached by the unit's fingerprint: after an edit only the
changed units are rendered again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from builder.diagnostics import Diagnostic, SourceErrors
from builder.i18n.apply import NoCatalog
from builder.model import Asset, Course, Unit
from builder.report.coverage import coverage, to_html
from builder.serve.units import CachedUnitReader
from builder.source.loader import load_course
from builder.targets.scorm_common import Flavor, render_sco_page, sco_page_context, ui_strings

Version = Literal["1.2", "2004"]
VERSIONS: dict[str, Version] = {"scorm12": "1.2", "scorm2004": "2004"}
"""URL prefix of each SCORM version's pages (``/scorm2004/sco/<unit>.html``)."""
FLAVORS: dict[Version, Flavor] = {"1.2": Flavor("1.2"), "2004": Flavor("2004", "4th")}


@dataclass(frozen=True)
class Change:
    """What one refresh found: sent to every open preview as a server-sent event."""

    generation: int
    units: tuple[str, ...]
    """Ids of the units whose page changed (new units included)."""
    outline: bool
    """The sidebar changed (titles, order, units added or removed) or the course-wide data did."""
    errors: tuple[Diagnostic, ...]
    seconds: float
    """How long the reload took (for the benchmark and the log line)."""

    def to_json(self) -> str:
        return json.dumps(
            {
                "generation": self.generation,
                "units": list(self.units),
                "outline": self.outline,
                "errors": [diagnostic_json(d) for d in self.errors],
            },
            ensure_ascii=True,
        )


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    return {
        "location": d.location(),
        "file": d.file,
        "line": d.line,
        "severity": d.severity,
        "message": d.message,
        "hint": d.hint,
    }


@dataclass
class _Fingerprints:
    course: str = ""
    outline: str = ""
    static: str = ""
    units: dict[str, str] = field(default_factory=dict)


class PreviewSite:
    """One course source folder, reloaded on demand; thread-safe (the watcher reloads off the loop)."""

    def __init__(self, src: Path, lang: str | None = None) -> None:
        self.src = src
        self.lang = lang
        """Preview the course in this language (``SRC/translations/<lang>.po``); None: the source's."""
        self.course: Course | None = None
        self.errors: tuple[Diagnostic, ...] = ()
        self.generation = 0
        self.last_refresh = 0.0
        """Seconds the last ``refresh`` took."""
        self._reader = CachedUnitReader()
        self._prints = _Fingerprints()
        self._pages: dict[tuple[Version, str], tuple[str, str]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ loading

    def refresh(self) -> Change:
        """Reload the source; keep the last good course when the new one has errors."""
        started = time.perf_counter()
        with self._lock:
            try:
                course = self._translated(load_course(self.src, self._reader))
            except (SourceErrors, OSError, ValueError) as exc:
                # A file deleted or half-written mid-read must not end the watcher: report it as
                # a finding like the loader's, and try again on the next change. A catalog missing
                # from the start, though, is the command's mistake (`serve --lang xx`): raised.
                if isinstance(exc, NoCatalog) and self.generation == 0:
                    raise
                self.generation += 1
                self.errors = tuple(exc.diagnostics) if isinstance(exc, SourceErrors) else (_failure(exc),)
                self.last_refresh = time.perf_counter() - started
                return Change(self.generation, (), False, self.errors, self.last_refresh)
            prints = _fingerprints(course)
            outline = prints.outline != self._prints.outline or prints.course != self._prints.course
            if prints.course != self._prints.course or prints.static != self._prints.static:
                # a replaced image or handout: pages show it, so every open page reloads
                changed = tuple(prints.units)
            else:
                changed = tuple(u for u, fp in prints.units.items() if self._prints.units.get(u) != fp)
            self.course = course
            self._prints = prints
            self.errors = ()
            self.generation += 1
            self.last_refresh = time.perf_counter() - started
            return Change(self.generation, changed, outline, (), self.last_refresh)

    def _translated(self, course: Course) -> Course:
        """The course in the previewed language, as ``build --lang`` makes it: the catalog is read on
        every reload, so saving the ``.po`` file updates the pages like saving a unit does. Strings
        without a current translation fall back to the source language, as in a build."""
        if self.lang is None or self.lang == course.language:
            return course
        from builder.i18n.apply import translate

        translated, _fallbacks = translate(course, self.src, self.lang)
        return translated

    @property
    def reread(self) -> list[Path]:
        """The unit files the last refresh parsed."""
        return self._reader.reread

    # ------------------------------------------------------------------ lookups

    def units(self) -> list[Unit]:
        if self.course is None:
            return []
        return [u for s in self.course.sections for ss in s.subsections for u in ss.units]

    def asset(self, flat_name: str) -> Asset | None:
        """A file of ``static/`` by its published name; only files the loader indexed are served."""
        if self.course is None:
            return None
        return next((a for a in self.course.assets if a.flat_name == flat_name), None)

    # ------------------------------------------------------------------ pages

    def unit_page(self, version: Version, unit_id: str) -> str | None:
        """The SCO page of one unit, as a SCORM package of ``version`` holds it (cached)."""
        with self._lock:
            course = self.course
            if course is None:
                return None
            units = self.units()
            index = next((i for i, u in enumerate(units) if u.id == unit_id), None)
            if index is None:
                return None
            key = (version, unit_id)
            fp = self._prints.units[unit_id]
            cached = self._pages.get(key)
            if cached and cached[0] == fp:
                return cached[1]
            unit = units[index]
            context = sco_page_context(
                course, FLAVORS[version], [unit], "unit", index + 1, len(units), unit.title,
                ui_strings(course.language),
            )  # fmt: skip
            html = render_sco_page(context)
            self._pages[key] = (fp, html)
            return html

    def coverage_page(self) -> bytes | None:
        course = self.course
        if course is None:
            return None
        return to_html(coverage(course, course.positions))


def _failure(exc: Exception) -> Diagnostic:
    name = getattr(exc, "filename", None) or "(course source)"
    return Diagnostic(
        str(name),
        None,
        None,
        f"could not read the course: {exc}",
        "save the file again; the preview retries",
        code="unreadable",
    )


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _digest(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _fingerprints(course: Course) -> _Fingerprints:
    """Hashes that tell which pages a reload changed.

    A unit page depends on its unit, its position, the unit count and course-wide data (title,
    language, grading, competences); the latter change every page. The outline is the sidebar.
    """
    prints = _Fingerprints()
    units = [u for s in course.sections for ss in s.subsections for u in ss.units]
    prints.course = _digest(
        course.model_dump(mode="json", include={"title", "language", "org", "number", "run", "grading",
                                                 "competences", "overview_html", "short_description"})
    )  # fmt: skip
    prints.outline = _digest(
        [
            [s.id, s.title, [[ss.id, ss.title, [[u.id, u.title] for u in ss.units]] for ss in s.subsections]]
            for s in course.sections
        ]
    )
    prints.static = _digest([(a.flat_name, a.size, _mtime(a.source)) for a in course.assets])
    for n, unit in enumerate(units):
        prints.units[unit.id] = _digest([n, len(units), unit.model_dump(mode="json")])
    return prints
