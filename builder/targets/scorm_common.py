"""What the SCORM 1.2 and 2004 targets share: package layout, SCO pages, runtime data, LOM.

A package is laid out as::

    imsmanifest.xml, *.xsd, *.dtd      control documents at the root (unmodified copies)
    sco/<unit id>.html                 one page per SCO (``sco/course.html`` with sco="course")
    shared/coursepack.{js,css}         the runtime script (see scorm_runtime) and stylesheet
    shared/captions/<name>.vtt         WebVTT converted from the course's .srt transcripts
    static/<flat name>                 the files of course_src/static/ this package's pages use
    metadata/<name>.xml                2004 only: IEEE LOM files referenced by adlcp:location

Every user-facing UI string (buttons, progress line, feedback words…) comes from one JSON table per
language in ``scorm_templates/i18n/``, picked by the course language's primary subtag; the templates
get it as ``ui``/``t()`` and the runtime script inside the page data (``"ui"``), so one
``coursepack.js`` serves every language.
Shared files form ONE asset resource that every SCO resource depends on. The manifest and SCO
markup live in ``scorm_templates/``; this module computes the data they need. Everything is sorted
and derived from the model only, so two builds of one source give identical bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import Template
from markupsafe import Markup

from builder import progress
from builder.archive import Members
from builder.cache import course_context, model_key, piece, piece_and_origin, text_key
from builder.diagnostics import Diagnostic
from builder.i18n import ui as ui_tables
from builder.i18n.ui import primary_subtag
from builder.model import Asset, Course, Html, OlxBlock, Outcome, Problem, Section, Unit, Video
from builder.render.links import rewrite_unit_links
from builder.resources.scorm_schemas import control_files
from builder.targets import BuildOptions, Output
from builder.targets.scorm_runtime import RUNTIME_SCRIPT, runtime_script
from builder.templates import environment, render_bytes, template_dir

Version = Literal["1.2", "2004"]
TITLE_MAX = 255
SUSPEND_LIMIT = {"1.2": 4096, "2004": 64000}
SCO_DIR = "sco"
SHARED_FILES = ("coursepack.css",)
UI_FALLBACK = ui_tables.FALLBACK
"""The UI table used when the course language has none (and for keys a table lacks)."""


@dataclass(frozen=True)
class Flavor:
    """One SCORM version (and for 2004 its edition): names, limits and templates differ."""

    version: Version
    edition: Literal["3rd", "4th"] | None = None

    @property
    def ext(self) -> str:
        return "scorm12" if self.version == "1.2" else "scorm2004"

    @property
    def title_max(self) -> int:
        """Item titles: the 1.2 CP XSD caps them at 200 characters; 2004 LMSs at 255 (SPM)."""
        return 200 if self.version == "1.2" else TITLE_MAX

    @property
    def schemaversion(self) -> str:
        return "1.2" if self.version == "1.2" else f"2004 {self.edition} Edition"


@dataclass
class ObjectiveRef:
    """An outcome as a SCO reports it: runtime id plus the text that LOM metadata carries."""

    outcome_id: str
    runtime_id: str
    uri: str
    statement: str


@dataclass
class Item:
    """One organization item; ``resource`` is set for launchable (SCO) items only."""

    identifier: str
    title: str
    children: list[Item] = field(default_factory=list)
    resource: str | None = None
    mastery: float | None = None
    """pass_cutoff (0..1) when the SCO reports a score."""
    objectives: list[ObjectiveRef] = field(default_factory=list)
    primary_objective: str = ""
    metadata_file: str = ""
    cluster: bool = False


@dataclass
class Resource:
    identifier: str
    scormtype: Literal["sco", "asset"]
    href: str = ""
    files: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- small helpers


def truncate_title(text: str, limit: int = TITLE_MAX) -> str:
    """Collapse whitespace and cut to ``limit`` characters with an ellipsis (manifest titles ≤255)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def script_json(data: object) -> Markup:
    """JSON that is safe inside ``<script type="application/json">``.

    Every ``<`` becomes ``\\u003c``, so neither ``</script>`` nor ``<!--`` (which switches the HTML
    tokenizer into its double-escaped script state) can appear; JSON.parse restores the text.
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c")
    return Markup(text)


_STATIC_RE = re.compile(r'(\s(?:src|href)=")/static/')


def rewrite_static(html: str, prefix: str) -> Markup:
    """Point the loader's ``/static/x`` links at the package copy (``../static/x`` from a SCO)."""
    return Markup(_STATIC_RE.sub(lambda m: f"{m.group(1)}{prefix}", html))


_SINGLE_P = re.compile(r"^\s*<p>(.*)</p>\s*$", re.S)


def inline_html(html: str) -> str:
    """Unwrap a lone ``<p>`` so choice text can sit inside a ``<label>`` (phrasing content only)."""
    m = _SINGLE_P.match(html)
    if m and "<p>" not in m.group(1) and "</p>" not in m.group(1):
        return m.group(1)
    return html


_SRT_TIME = re.compile(r"(\d{1,2}:\d{2}:\d{2}),(\d{3})")


def srt_to_vtt(data: bytes) -> bytes:
    """Convert SubRip to WebVTT (browsers only load WebVTT in ``<track>``)."""
    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text) if b.strip()]
    out = ["WEBVTT", ""]
    for block in blocks:
        lines = block.split("\n")
        if lines and "-->" not in lines[0] and len(lines) > 1 and "-->" in lines[1]:
            lines = lines[1:]  # drop the SRT counter
        if not lines or "-->" not in lines[0]:
            continue
        lines[0] = _SRT_TIME.sub(r"\1.\2", lines[0])
        # A blank line ends a cue; "-->" inside cue text would start a new one.
        body = [ln.replace("-->", "→") for ln in lines[1:] if ln.strip()]
        out.extend([lines[0], *body, ""])
    return "\n".join(out).encode("utf-8")


def caption_name(flat_name: str) -> str:
    stem = flat_name.rsplit(".", 1)[0] if "." in flat_name else flat_name
    return f"shared/captions/{stem}.vtt"


def media_fragment(video: Video) -> str:
    """``#t=start,end`` in seconds for the MP4 (W3C media fragments)."""

    def secs(hms: str | None) -> str:
        if not hms:
            return ""
        h, m, s = (int(x) for x in hms.split(":"))
        return str(h * 3600 + m * 60 + s)

    start, end = secs(video.start), secs(video.end)
    if not start and not end:
        return ""
    return f"#t={start or 0}" + (f",{end}" if end else "")


# --------------------------------------------------------------------------- static files

_STATIC_REF = re.compile(r"""\s(?:src|href)=["']/static/([^"'?#]+)""")
_STATIC_SCAN = re.compile(r"""/static/(?:(?<=\ssrc=["']/static/)|(?<=\shref=["']/static/))([^"'?#]+)""")
"""``_STATIC_REF`` anchored on its literal ``/static/``, which the regex engine finds as fast as
``str.find`` instead of trying a whitespace at every position of 6 MB of unit pages (8× faster)."""


def static_refs(fragment: str) -> list[str]:
    """``_STATIC_REF.findall(fragment)``, found with ``_STATIC_SCAN``.

    findall's matches never overlap: a link whose `` src="`` lies inside the name of the one before
    (``src="/static/a href="/static/b"``: the first name runs to the quote) is not a match. A scan
    match starts later, at ``/static/``, so each is kept only when its `` src=``/`` href=`` starts
    at or after the end of the last one kept, and the scan goes on one character further if not.
    """
    found: list[str] = []
    pos = end = 0
    while (m := _STATIC_SCAN.search(fragment, pos)) is not None:
        start = m.start() - (6 if fragment.startswith("src", m.start() - 5) else 7)
        if start >= end:
            found.append(m.group(1))
            pos = end = m.end()
        else:
            pos = m.start() + 1
    return found


TEXT_STATIC = (".html", ".htm", ".css", ".svg", ".xhtml")
"""Static files that can themselves reference other static files (a handout page, a stylesheet)."""


def unit_fragments(unit: Unit) -> Iterable[str]:
    """Every HTML fragment of the model a SCO page renders for ``unit`` (see sco.html.j2)."""
    for comp in unit.components:
        if isinstance(comp, Problem):
            yield comp.prompt_html
            for choice in comp.choices:
                yield choice.text_html
                yield choice.feedback_html
            yield from comp.hints_html
            yield comp.explanation_html
        elif isinstance(comp, Html):  # videos have no HTML; ```olx blocks render as a notice
            yield comp.html


_STATIC_USED: list[tuple[Course, dict[tuple[int, ...], list[Asset]]]] = []


def static_files_used(course: Course, units: Iterable[Unit]) -> list[Asset]:
    """``find_static_files_used``, remembered for the last course of this process: SCORM 1.2,
    2004 and cmi5 each ask for the same course's files (models are not changed once loaded), and
    the scan reads every HTML fragment of every unit (~0.04 s at 2,000 units)."""
    units = list(units)
    if not _STATIC_USED or _STATIC_USED[0][0] is not course:
        _STATIC_USED[:] = [(course, {})]
    memo = _STATIC_USED[0][1]
    key = tuple(id(u) for u in units)
    if key not in memo:
        memo[key] = find_static_files_used(course, units)
    return list(memo[key])


def find_static_files_used(course: Course, units: Iterable[Unit]) -> list[Asset]:
    """The files of ``static/`` that the pages of ``units`` reference, and what those reference.

    A SCORM package is closed: nothing outside its own pages can reach a file in it, so a file no
    page links is dead weight (and a split package used to carry every image of the course).
    Kept: ``/static/`` links and images in any rendered fragment, video transcripts, and — to be
    safe with hand-written handouts and stylesheets — every course file whose published name
    appears anywhere in a kept HTML, CSS or SVG file. The OLX still ships every file (Studio's
    *Files* is the course's file store, which authors may link from Studio). Sorted like
    ``course.assets``, so packages stay reproducible.
    """
    by_name = {a.flat_name: a for a in course.assets}
    wanted: set[str] = set()

    def keep(name: str) -> None:
        if name in by_name and name not in wanted:
            wanted.add(name)
            if name.lower().endswith(TEXT_STATIC):
                text = by_name[name].source.read_bytes().decode("utf-8", errors="replace")
                for other in by_name:
                    if other in text:
                        keep(other)

    for unit in units:
        for fragment in unit_fragments(unit):
            for name in static_refs(fragment):
                keep(name)
        for video in unit.videos:
            for tr in video.transcripts:
                keep(tr.asset.flat_name)
    return [a for a in course.assets if a.flat_name in wanted]


# --------------------------------------------------------------------------- UI strings


def ui_dir() -> Path:
    return template_dir("scorm_templates") / "i18n"


def ui_language(language: str) -> str:
    """The table for a BCP 47 tag: its primary subtag's table if shipped, else English
    (``builder.i18n.ui``, the loader the handbook and the coverage report share)."""
    return ui_tables.table_language(ui_dir(), language)


def _load_ui(name: str) -> Mapping[str, str]:
    return ui_tables.load(ui_dir(), name)


UI_SCRIPT = "shared/coursepack-ui.js"


def ui_script(ui: Mapping[str, str]) -> bytes:
    """``window.COURSEPACK_UI = {…}``: ASCII-only JSON, which is also a valid JavaScript literal."""
    payload = json.dumps(dict(ui), ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return f"window.COURSEPACK_UI = {payload};\n".encode("ascii")


def ui_strings(language: str) -> dict[str, str]:
    """The UI table for ``language``; keys a translation lacks keep their English text."""
    return ui_tables.strings(ui_dir(), language)


format_ui = ui_tables.fill
ui_helper = ui_tables.helper


# --------------------------------------------------------------------------- per-SCO data


def package_outcomes(units: Iterable[Unit], of: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The outcomes the units teach or assess, each once, in unit order (``of``: by unit id)."""
    return list(dict.fromkeys(o for u in units for o in of[u.id]))


_OBJECTIVES: list[tuple[Course, dict[str, Outcome], dict[tuple[str, str], ObjectiveRef]]] = []


def objective_ref(course: Course, flavor: Flavor, outcome_id: str) -> ObjectiveRef:
    """An outcome as a SCO reports it; made once per course, version and outcome in this process
    (a package asks for it per unit, and building the outcome index each time showed in profiles).
    The same object may stand in several items: nothing changes it once made."""
    if not _OBJECTIVES or _OBJECTIVES[0][0] is not course:
        _OBJECTIVES[:] = [(course, course.competences.outcome_index(), {})]
    _, index, made = _OBJECTIVES[0]
    ref = made.get((flavor.version, outcome_id))
    if ref is None:
        outcome = index.get(outcome_id)
        uri = course.competences.uri(outcome_id)
        # 1.2 objective ids are CMIIdentifiers (≤255, no spaces); author ids already match [A-Za-z0-9_.-].
        runtime = uri if flavor.version == "2004" else outcome_id[:TITLE_MAX]
        ref = made[(flavor.version, outcome_id)] = ObjectiveRef(
            outcome_id, runtime, uri, outcome.statement if outcome else outcome_id
        )
    return ref


def _problem_data(course: Course, flavor: Flavor, p: Problem) -> dict[str, object]:
    d: dict[str, object] = {
        "id": p.id,
        "iid": p.id if flavor.version == "1.2" else f"urn:coursepack:{course.slug}:{p.id}",
        "type": p.type,
        "title": truncate_title(p.title, 250),
        "w": p.weight,
        "max": p.max_attempts or 0,
        "assesses": list(p.assesses),
        "hints": len(p.hints_html),
    }
    if p.type in ("single", "multiple", "dropdown"):
        d["correct"] = [i for i, c in enumerate(p.choices) if c.correct]
        d["n"] = len(p.choices)
    elif p.type == "numeric":
        d["answer"] = p.answer
        d["tol"] = p.tolerance_value()
    else:
        d["answers"] = list(p.answers)
        d["case"] = p.case_sensitive
    return d


def sco_data(course: Course, flavor: Flavor, units: list[Unit], mode: str, total: int, first: int) -> dict:
    """The JSON the runtime script reads: units, problems, objectives, mastery, limits, UI strings."""
    problems: list[dict[str, object]] = []
    unit_rows = []
    outcomes: dict[str, None] = {}
    for offset, unit in enumerate(units):
        indices = []
        for p in unit.problems:
            indices.append(len(problems))
            problems.append(_problem_data(course, flavor, p))
        for o in unit.all_outcomes():
            outcomes.setdefault(o, None)
        unit_rows.append(
            {"id": unit.id, "n": first + offset, "problems": indices, "taught": list(unit.outcomes)}
        )
    objectives = [objective_ref(course, flavor, o) for o in outcomes]
    return {
        "v": flavor.version,
        "mode": mode,
        "mastery": course.grading.pass_cutoff,
        "limit": SUSPEND_LIMIT[flavor.version],
        "total": total,
        "units": unit_rows,
        "problems": problems,
        "objectives": [{"o": o.outcome_id, "id": o.runtime_id} for o in objectives],
    }


# --------------------------------------------------------------------------- pages


def sco_page_context(
    course: Course,
    flavor: Flavor,
    page_units: list[Unit],
    mode: str,
    first: int,
    total: int,
    page_title: str,
    ui: Mapping[str, str] | None = None,
    unit_link: Callable[[str, str], str | None] = lambda unit_id, fragment: f"{unit_id}.html{fragment}",
) -> dict[str, object]:
    """What ``sco.html.j2`` needs for one page; the packages and ``coursepack serve`` both use it.

    Module-level (not inside ``build_package``) so the preview renders a unit with exactly the
    markup, data and runtime a learner gets from a package. ``unit_link(unit id, #fragment)`` writes
    a link to another unit (``builder.render.links``); by default the unit's page beside this one,
    as in a package of unit SCOs and in the preview's ``sco/`` folder.
    """
    ui = ui if ui is not None else ui_strings(course.language)

    def html(h: str) -> Markup:
        return rewrite_static(rewrite_unit_links(h, unit_link), "../static/")

    return {
        "course": course,
        "units": page_units,
        "mode": mode,
        "first": first,
        "total": total,
        "page_title": page_title,
        "data": script_json(sco_data(course, flavor, page_units, mode, total, first)),
        "html": html,
        "inline": lambda h: Markup(inline_html(str(html(h)))),
        "media_fragment": media_fragment,
        "caption_name": caption_name,
        "is_problem": lambda c: isinstance(c, Problem),
        "is_video": lambda c: isinstance(c, Video),
        # ```olx pass-through blocks: a notice, never their XML (it may hold Python or XBlocks)
        "is_olx": lambda c: isinstance(c, OlxBlock),
        "ui": ui,
        "t": ui_helper(ui),
    }


@cache
def _sco_template():
    return environment("scorm_templates").get_template("sco.html.j2")


def render_sco_page(context: Mapping[str, object]) -> str:
    """One SCO page (``sco.html.j2``) from :func:`sco_page_context` (the template compiled once)."""
    return _sco_template().render(context)


_DATA_SLOT = Markup("\x00coursepack-sco-data\x00")
"""Stands in for a page's runtime data (``{{ data }}``) while its frame is rendered. The template
writes the data after all of the unit's text, so the slot is the last occurrence of this string
on the page whatever the course text holds."""

FRAME_BUDGET = 16 * 2**20
"""Bytes of frames one process keeps: a 2,000-unit course's pages (~12 MB) fit; at 20,000 units
the first ~2,700 are shared and the rest rendered per package, so memory stays bounded."""


class PageFrames:
    """Unit pages without their runtime data, shared by the packages built in one process.

    A unit SCO's page is the same in the SCORM 1.2, SCORM 2004 and cmi5 packages but for the
    runtime data (``sco_data``: version, suspend limit, objective and interaction ids), which the
    template writes in one place. Rendering the page once with a slot there and joining each
    package's data into it gives the bytes of a full render (the slot is plain ``Markup`` text, as
    the data is) for a third of the templating: the three packages' 6,000 renders were ~1.3 s CPU
    of a cold 2,000-unit build. The pipeline forgets the frames when its run ends (``forget``).
    """

    def __init__(self) -> None:
        self.course: Course | None = None
        self.frames: dict[tuple[object, ...], tuple[Unit, bytes, bytes]] = {}
        self.size = 0

    def page(
        self, course: Course, unit: Unit, key: tuple[object, ...], context: Mapping[str, object]
    ) -> bytes:
        """The page of ``context`` (``sco_page_context`` for ``unit`` alone), as bytes; ``key`` holds
        everything but the course and the unit that the page's text follows from besides the data
        (its position, the package's unit count, which units its links reach, the SCO mode)."""
        if self.course is not course:
            self.forget()
            self.course = course
        data = str(context["data"]).encode("utf-8")
        frame = self.frames.get(key)
        if frame is not None and frame[0] is unit:
            return frame[1] + data + frame[2]
        text = _sco_template().render({**context, "data": _DATA_SLOT})
        head, slot, tail = text.rpartition(_DATA_SLOT)
        if not slot:  # the template no longer writes the data: render the page whole
            return _sco_template().render(context).encode("utf-8")
        head_bytes, tail_bytes = head.encode("utf-8"), tail.encode("utf-8")
        if self.size + len(head_bytes) + len(tail_bytes) <= FRAME_BUDGET:
            self.frames[key] = (unit, head_bytes, tail_bytes)
            self.size += len(head_bytes) + len(tail_bytes)
        return head_bytes + data + tail_bytes

    def forget(self) -> None:
        self.course, self.frames, self.size = None, {}, 0


PAGE_FRAMES = PageFrames()


# --------------------------------------------------------------------------- package


def _package_units(sections: Iterable[Section]) -> list[Unit]:
    return [u for s in sections for ss in s.subsections for u in ss.units]


def prepare(course: Course, options: BuildOptions) -> None:
    """``static_files_used`` of every package this build makes (``builder.targets.prepare``): the
    SCORM flavours and cmi5 all ask for it, often from different worker processes."""
    static_files_used(course, _package_units(course.sections))
    if options.split == "section":
        for section in course.sections:
            static_files_used(course, _package_units([section]))


def render_packages(course: Course, options: BuildOptions, flavor: Flavor) -> list[Output]:
    """One package for the course, or one per section with ``options.split == "section"``."""
    if options.split == "section":
        return [
            build_package(course, options, flavor, [s], f"{course.stem}.{s.id}.{flavor.ext}.zip", s.id)
            for s in course.sections
        ]
    return [build_package(course, options, flavor, course.sections, f"{course.stem}.{flavor.ext}.zip", "")]


def build_package(
    course: Course,
    options: BuildOptions,
    flavor: Flavor,
    sections: list[Section],
    filename: str,
    part: str,
    package_files: bool = True,
) -> Output:
    """One package: its SCO pages and shared files, and — with ``package_files`` — what makes it a
    SCORM package (manifest, LOM metadata, control XSDs). cmi5 asks for the pages alone: it used
    to render (or fetch from the cache) 2,000 LOM files and a manifest only to delete them."""
    env = environment("scorm_templates")
    tmax = flavor.title_max
    units = _package_units(sections)
    members = Members()
    shared_files: list[str] = []

    for name in SHARED_FILES:
        path = template_dir("scorm_templates") / "static" / name
        members[f"shared/{name}"] = path
        shared_files.append(f"shared/{name}")
    # The runtime: the quiz engine plus this version's tracking adapter (and the standalone fallback).
    members[RUNTIME_SCRIPT] = runtime_script(flavor.version)
    shared_files.append(RUNTIME_SCRIPT)
    # The runtime's UI strings are the same for every page of a package: one shared script,
    # not a copy in each page's data (1 KB per page, megabytes for a large course).
    members[UI_SCRIPT] = ui_script(ui_strings(course.language))
    shared_files.append(UI_SCRIPT)
    for asset in static_files_used(course, units):
        members[f"static/{asset.flat_name}"] = asset.source
        shared_files.append(f"static/{asset.flat_name}")
    for unit in units:
        for video in unit.videos:
            for tr in video.transcripts:
                if tr.asset.flat_name.lower().endswith(".srt"):
                    name = caption_name(tr.asset.flat_name)
                    if name not in members:
                        members[name] = srt_to_vtt(tr.asset.source.read_bytes())
                        shared_files.append(name)

    total = len(units)
    # Each unit's outcomes, asked for by its item, its LOM, the manifest and the package's outcomes.
    unit_outs = {u.id: tuple(u.all_outcomes()) for u in units}
    resources: list[Resource] = []
    ident = _identifiers(course, part)
    ui = ui_strings(course.language)

    in_package = {u.id for u in units}

    def unit_link(unit_id: str, fragment: str) -> str | None:
        """A link to another unit: the unit's own page beside this one (``sco/<id>.html``), or its
        article on the one course page (the runtime shows it; a heading fragment cannot be kept
        there); None (plain text) for a unit in another package of a ``--split section`` build,
        which no link can reach (the pipeline warns about it)."""
        if unit_id not in in_package:
            return None
        return f"#unit-{unit_id}" if options.sco == "course" else f"{unit_id}.html{fragment}"

    def page_context(page_units: list[Unit], mode: str, first: int) -> dict[str, object]:
        title = page_units[0].title if mode == "unit" else _root_title(course, sections, part)
        return sco_page_context(course, flavor, page_units, mode, first, total, title, ui, unit_link)

    org_items: list[Item] = []
    if options.sco == "course":
        href = f"{SCO_DIR}/course.html"
        members[href] = render_bytes(_sco_template(), **page_context(units, "course", 1))
        res_id = ident("RES", "_course")
        resources.append(Resource(res_id, "sco", href, [href], [ident("RES", "_shared")]))
        outcomes = package_outcomes(units, unit_outs)
        has_score = any(u.problems for u in units)
        org_items.append(
            Item(
                identifier=ident("ITEM", "_course"),
                title=truncate_title(_root_title(course, sections, part), tmax),
                resource=res_id,
                mastery=course.grading.pass_cutoff if has_score else None,
                objectives=[objective_ref(course, flavor, o) for o in outcomes],
                primary_objective=f"urn:coursepack:{course.slug}:{part or 'course'}",
            )
        )
    else:
        # A unit's page reads the unit, its position, the course-level context and which units
        # its links can reach; with all of them unchanged it is reused (``builder.cache.piece``).
        reach = text_key(" ".join(sorted(in_package)))
        for n, unit in enumerate(units, start=1):
            href = f"{SCO_DIR}/{unit.id}.html"
            page, origin = piece_and_origin(
                "sco-page",
                lambda unit=unit, n=n: (
                    course_context(course), model_key(unit), flavor.version, flavor.edition,
                    options.sco, n, total, reach,
                ),
                lambda unit=unit, n=n: PAGE_FRAMES.page(
                    course, unit, (unit.id, n, total, reach, options.sco), page_context([unit], "unit", n)
                ),
            )  # fmt: skip
            members.set(href, page, origin)  # the zip reuses it by origin, unread
            progress.unit_done()
            resources.append(Resource(ident("RES", unit.id), "sco", href, [href], [ident("RES", "_shared")]))

        def unit_item(unit: Unit) -> Item:
            return Item(
                identifier=ident("ITEM", unit.id),
                title=truncate_title(unit.title, tmax),
                resource=ident("RES", unit.id),
                mastery=course.grading.pass_cutoff if unit.problems else None,
                objectives=[objective_ref(course, flavor, o) for o in unit_outs[unit.id]],
                primary_objective=f"urn:coursepack:{course.slug}:{unit.id}",
            )

        def sub_items(section: Section) -> list[Item]:
            return [
                Item(
                    ident("ITEM", ss.id),
                    truncate_title(ss.title, tmax),
                    [unit_item(u) for u in ss.units],
                    cluster=True,
                )
                for ss in section.subsections
            ]

        if not package_files:
            pass  # no manifest: no organization items
        elif part:  # one section per package: the section is the root cluster
            section = sections[0]
            org_items.append(
                Item(
                    ident("ITEM", section.id),
                    truncate_title(section.title, tmax),
                    sub_items(section),
                    cluster=True,
                )
            )
        else:
            org_items.append(
                Item(
                    ident("ITEM", "_root"),
                    truncate_title(course.title, tmax),
                    [
                        Item(ident("ITEM", s.id), truncate_title(s.title, tmax), sub_items(s), cluster=True)
                        for s in sections
                    ],
                    cluster=True,
                )
            )

    if not package_files:
        return Output(filename=filename, format="zip", members=members, summary="")
    if flavor.version == "2004":
        def lom() -> Template:
            return env.get_template("lom2004.xml.j2")  # compiled only when a LOM file is rendered

        for item in _walk(org_items):
            if item.resource:
                name = f"metadata/{item.identifier}.xml"
                item.metadata_file = name
                lom_file, origin = piece_and_origin(
                    "lom",
                    lambda item=item: (
                        course_context(course), flavor.version, item.title, item.identifier,
                        [o.outcome_id for o in item.objectives],  # the rest follows from the map
                    ),
                    lambda item=item: lom().render(
                        course=course, title=item.title, identifier=item.identifier,
                        objectives=item.objectives, language=course.language,
                    ).encode("utf-8"),
                )  # fmt: skip
                members.set(name, lom_file, origin)
                shared_files.append(name)
        package_lom = "metadata/package.xml"
        all_outcomes = package_outcomes(units, unit_outs)
        members[package_lom] = lom().render(
            course=course, title=truncate_title(_root_title(course, sections, part), tmax),
            identifier=ident("MANIFEST", "package"), language=course.language,
            objectives=[objective_ref(course, flavor, o) for o in all_outcomes],
        ).encode("utf-8")  # fmt: skip
        shared_files.append(package_lom)

    resources.insert(0, Resource(ident("RES", "_shared"), "asset", "", sorted(shared_files)))
    members.update(control_files(flavor.version, flavor.edition))

    # The manifest reads the course-level context and the items and resources built above, whose
    # every field ``_items_key``/``_resources_key`` list: unchanged by an edit of a unit's text.
    manifest_parts = lambda: (  # noqa: E731
        course_context(course), repr(flavor), options.map_info, part, _items_key(org_items),
        _resources_key(resources), package_outcomes(units, unit_outs), _root_title(course, sections, part),
    )  # fmt: skip
    members["imsmanifest.xml"] = piece(
        "manifest",
        manifest_parts,
        lambda: render_bytes(
            env.get_template("imsmanifest12.xml.j2" if flavor.version == "1.2" else "imsmanifest2004.xml.j2"),
            course=course,
            flavor=flavor,
            manifest_id=ident("MANIFEST", "package"),
            org_id=ident("ORG", "default"),
            org_title=truncate_title(_root_title(course, sections, part), tmax),
            item_steps=item_steps(org_items, 3),
            resources=resources,
            map_info=options.map_info,
            framework=course.competences.framework,
            package_outcomes=[
                objective_ref(course, flavor, o)
                for o in package_outcomes(units, unit_outs)
            ],
            description=course.short_description,
        ),
    )

    n_sco = 1 if options.sco == "course" else len(units)
    summary = f"{n_sco} SCO{'s' if n_sco != 1 else ''}, SCORM {flavor.schemaversion}"
    if ui_language(course.language) != primary_subtag(course.language):
        summary += f" (no UI strings for language {course.language!r}: English)"
    return Output(filename=filename, format="zip", members=members, summary=summary)


def _items_key(items: list[Item]) -> list[object]:
    """Every field of the items, for the manifest's key: a repr of the dataclasses holds the same,
    at three times the cost (4,000 objects at 2,000 units). An objective stands by its outcome id:
    the rest of it follows from the competence map (in ``course_context``) and the version."""
    return [
        [
            i.identifier, i.title, i.resource, i.mastery, [o.outcome_id for o in i.objectives],
            i.primary_objective, i.metadata_file, i.cluster, _items_key(i.children),
        ]
        for i in items
    ]  # fmt: skip


def _resources_key(resources: list[Resource]) -> list[object]:
    """Every field of the resources, for the manifest's key (see ``_items_key``)."""
    return [[r.identifier, r.scormtype, r.href, r.files, r.dependencies] for r in resources]


def _root_title(course: Course, sections: list[Section], part: str) -> str:
    return f"{course.title}: {sections[0].title}" if part else course.title


def item_steps(items: list[Item], depth: int) -> Iterator[tuple[bool, Item, int]]:
    """The organization in document order as (opening?, item, depth) steps: an item opens, its
    children follow, it closes. The manifest templates write one step at a time, so the tree is
    never rendered as one string."""
    for item in items:
        yield True, item, depth
        yield from item_steps(item.children, depth + 1)
        yield False, item, depth


def _walk(items: list[Item]) -> Iterable[Item]:
    for item in items:
        yield item
        yield from _walk(item.children)


def _identifiers(course: Course, part: str):
    """XML IDs must be NCNames: author ids may start with a digit, so every id gets a prefix.

    Author ids start with a letter or digit, so generated names (``ITEM-_root``) never collide.
    """
    scope = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{course.slug}{'.' + part if part else ''}")

    def ident(kind: str, name: str) -> str:
        if kind in ("MANIFEST", "ORG"):
            return f"{kind}-{scope}"
        return f"{kind}-{name}"

    return ident


def check_split_links(course: Course, options: BuildOptions) -> list[Diagnostic]:
    """With ``--split section`` each section is its own package, and a page cannot link to a page
    of another package (an LMS launches each package on its own): such a link is written as plain
    text, and this says so, at the line of the link."""
    if options.split != "section":
        return []
    section_of = {u.id: s.id for s in course.sections for ss in s.subsections for u in ss.units}
    unit_of = {u.source: u.id for u in course.units()}
    found: list[Diagnostic] = []
    for link in course.unit_links:
        here = unit_of.get(link.file)
        if here is None or section_of.get(here) == section_of.get(link.target):
            continue  # the overview is no SCO page; a link within one section stays a link
        found.append(
            Diagnostic(
                link.file,
                link.line,
                None,
                f"the link to unit `{link.target}` (section `{section_of.get(link.target)}`) is plain text"
                " in the SCORM packages: with --split section that unit is in another package",
                "link units of the same section, or build without --split section",
                "warning",
                "split-unit-link",
            )
        )
    return found
