"""Open edX OLX target: the course as a Studio-importable ``.tar.gz`` in Studio's own export layout.

Layout (``../shared/reference/olx.md`` §1): one top folder ``course/`` holding a three-attribute
``course.xml`` pointer, one file per container and component, pointer children that are exactly
``<tag url_name="…"/>`` (any other attribute makes Studio treat the tag as an empty inline block and
silently drop the content), policies under ``policies/<run>/``, every static file under its flat
name, and ``tags.csv`` at the course root so Studio (Redwood+) re-applies competence tags.

Learning outcomes ride on the root element of each ``vertical/<id>.xml`` (``learning_outcomes``,
kept by Studio in ``xml_attributes`` and written back on export, never shown) and as Open edX tags
whose taxonomy identity comes from :mod:`builder.taxonomy`: ``tags.csv`` is what a course import
applies; ``tags-v1`` on each block is applied only when Studio duplicates or pastes that block
(README "How the outcome tags get onto the blocks").

Rendered HTML from the model is inserted as-is into ``html/*.html`` files (HTML is what Studio reads
there), but capa problems are XML: each fragment is parsed with lxml's HTML parser and re-serialised
as XML so a stray ``<br>`` or ``&nbsp;`` cannot make the problem file, and with it the whole import,
fail.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

import lxml.html
from lxml import etree
from markupsafe import Markup, escape

from builder import csvsafe, progress, spare, taxonomy, xmlsafe
from builder.archive import Member, Members
from builder.cache import course_context, model_key, piece, piece_stored
from builder.model import Course, Html, OlxBlock, Problem, Unit, Video
from builder.render.links import rewrite_unit_links
from builder.spare import Shared, Spare
from builder.targets import BuildOptions, Output
from builder.templates import environment

ROOT = "course"
"""The single top folder; Studio's exporter and the demo course both use it."""

POINTER_TAGS = frozenset(
    {
        "html", "problem", "video", "library_content", "word_cloud", "lti", "conditional", "split_test",
        "poll_question", "annotatable", "itembank",
    }
)  # fmt: skip
"""Block types Studio exports as ``<tag url_name="…"/>`` plus ``<tag>/<id>.xml`` (its XmlMixin
blocks). Every other ```olx pass-through block (pure XBlocks: drag-and-drop-v2, lti_consumer,
openassessment…) is written inline in its vertical, as Studio exports them."""

BUILT_IN_TAGS = frozenset({"html", "problem", "video", "discussion", "library_content", "vertical"})
"""Block types every Studio offers without listing them in ``advanced_modules``."""

SHOWANSWER = "finished"
"""A pre-2019 value: olxcleaner (which Studio may run before import) rejects the newer ones."""

Attrs = list[tuple[str, str]]


# --------------------------------------------------------------------------- small formatters


def olx_date(value: datetime) -> str:
    """ISO 8601 UTC with ``Z``, as Studio exports dates; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def olx_number(value: float) -> str:
    """``24`` rather than ``24.0``; ``repr`` otherwise, which round-trips every float exactly."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def xml_fragment(html: str, unwrap: bool = False) -> Markup:
    """An HTML fragment re-serialised as well-formed XML, ready to sit inside an OLX element.

    ``unwrap`` drops a single enclosing ``<p>`` so one-paragraph prompts, choices and hints render
    inline (a ``<p>`` inside a ``<label>``/``<legend>`` renders with stray margins). Text is
    escaped by lxml's serializer, never concatenated raw.
    """
    if not html.strip():
        return Markup("")
    if "<" not in html and "&" not in html:
        return Markup(html.strip())  # plain text: already XML-safe, no parse needed
    holder = lxml.html.fragment_fromstring(html, create_parent="div")
    children = list(holder)
    if (
        unwrap
        and len(children) == 1
        and children[0].tag == "p"
        and not (holder.text or "").strip()
        and not (children[0].tail or "").strip()
    ):
        holder = children[0]
        holder.tail = None
    parts = [str(escape(holder.text or ""))]
    for child in holder:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions: nothing to show a learner
        parts.append(etree.tostring(child, method="xml", encoding="unicode", with_tail=True))
    xml = "".join(parts).strip()
    # Prove well-formedness here, so a bad fragment fails the build, not a Studio import.
    xmlsafe.parse(f"<x>{xml}</x>".encode())
    return Markup(xml)


def plain_text(html: str) -> str:
    """Visible text of an HTML fragment, whitespace-collapsed (dropdown options cannot hold markup)."""
    if not html.strip():
        return ""
    return " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())


# --------------------------------------------------------------------------- tags


class Tagger:
    """Outcome ids → ``tags-v1`` attribute values and ``tags.csv`` cells for one course."""

    def __init__(self, course: Course):
        self.course = course
        self.export_id = taxonomy.export_id(course.competences)
        # Each outcome's tag value, made once: ``tags.csv`` asks for the values of every block
        # (8,000 rows at 2,000 units), and ``outcome_values`` rebuilds the index on every call.
        self._values = {o.id: taxonomy.tag_value(o) for o in course.competences.outcomes()}

    def values(self, outcome_ids: Iterable[str]) -> list[str]:
        ids = list(dict.fromkeys(outcome_ids))
        if all(i in self._values for i in ids):
            return list(dict.fromkeys(self._values[i] for i in ids))
        return taxonomy.outcome_values(self.course.competences, ids)  # raises, naming the unknown ids

    def attrs(self, outcome_ids: Iterable[str]) -> Attrs:
        serialized = taxonomy.tags_v1(self.export_id, self.values(outcome_ids))
        return [("tags-v1", serialized)] if serialized else []


def _unit_outcomes(units: Iterable[Unit]) -> list[str]:
    return list(dict.fromkeys(o for u in units for o in u.all_outcomes()))


# --------------------------------------------------------------------------- renderers


def olx_license(spdx: str) -> str | None:
    """Studio's ``license`` value for ``CC-BY-SA-4.0`` style ids (``creative-commons: ver=4.0 BY SA``),
    or ``all-rights-reserved``; None for any other licence, which Studio cannot express."""
    parts = spdx.strip().split("-")
    if spdx.strip() == "all-rights-reserved":
        return "all-rights-reserved"
    if (
        len(parts) >= 3
        and parts[0].upper() == "CC"
        and all(p.upper() in ("BY", "NC", "ND", "SA") for p in parts[1:-1])
    ):
        return f"creative-commons: ver={parts[-1]} {' '.join(p.upper() for p in parts[1:-1])}"
    return None


def course_attrs(course: Course) -> Attrs:
    attrs: Attrs = [
        ("display_name", course.title),
        ("language", course.language),
        ("start", olx_date(course.start)),
    ]
    if course.end is not None:
        attrs.append(("end", olx_date(course.end)))
    attrs.append(("course_image", course.image.flat_name))
    if course.pacing == "self":
        attrs.append(("self_paced", "true"))
    if (licence := olx_license(course.license)) is not None:
        attrs.append(("license", licence))  # Studio shows it under the course's content
    return attrs


def policy_json(course: Course) -> bytes:
    """``policies/<run>/policy.json``; policy beats XML on import, so it repeats the same values."""
    fields: dict[str, object] = {
        "display_name": course.title,
        "language": course.language,
        "start": olx_date(course.start),
        "course_image": course.image.flat_name,
        "self_paced": course.pacing == "self",
    }
    if course.end is not None:
        fields["end"] = olx_date(course.end)
    if modules := advanced_modules(course):
        fields["advanced_modules"] = modules
    return _json({f"course/{course.run}": fields})


def advanced_modules(course: Course) -> list[str]:
    """The XBlock types of the course's ```olx blocks that Studio lists as advanced modules; Studio
    needs them to edit those blocks (and olxcleaner to accept some, e.g. lti_consumer)."""
    return sorted(
        {
            c.tag
            for u in course.units()
            for c in u.components
            if isinstance(c, OlxBlock) and c.tag not in BUILT_IN_TAGS
        }
    )


def grading_policy_json(course: Course) -> bytes:
    graders = [
        {
            "type": g.type,
            "short_label": g.short_label,
            "min_count": g.min_count,
            "drop_count": g.drop_count,
            "weight": g.weight,
        }
        for g in course.grading.graders
    ]
    return _json({"GRADER": graders, "GRADE_CUTOFFS": {"Pass": course.grading.pass_cutoff}})


def _json(data: object) -> bytes:
    # Studio's exporter writes sort_keys=True, indent=4; ensure_ascii=False keeps titles readable.
    return (json.dumps(data, sort_keys=True, indent=4, ensure_ascii=False) + "\n").encode("utf-8")


def problem_xml(problem: Problem, tagger: Tagger) -> str:
    attrs: Attrs = [("display_name", problem.title)]
    if problem.max_attempts is not None:
        attrs.append(("max_attempts", str(problem.max_attempts)))
    attrs += [("weight", olx_number(problem.weight)), ("showanswer", SHOWANSWER)]
    attrs += tagger.attrs(problem.assesses)
    choices = [
        {
            "correct": "true" if c.correct else "false",
            "correct_option": "True" if c.correct else "False",
            "text_xml": xml_fragment(c.text_html, unwrap=True),
            "option_text": plain_text(c.text_html) or c.text_md.strip(),
            "feedback_xml": xml_fragment(c.feedback_html, unwrap=True),
        }
        for c in problem.choices
    ]
    if problem.type == "numeric" and problem.answer is None:
        raise ValueError(f"numeric problem {problem.id} has no answer")
    if problem.type == "text" and not problem.answers:
        raise ValueError(f"text problem {problem.id} has no answers")
    return _render(
        "problem.xml",
        p=problem,
        attrs=attrs,
        prompt_xml=xml_fragment(problem.prompt_html, unwrap=True),
        choices=choices,
        answer=olx_number(problem.answer) if problem.answer is not None else "",
        explanation_xml=xml_fragment(problem.explanation_html),
        hints_xml=[xml_fragment(h, unwrap=True) for h in problem.hints_html if h.strip()],
    )


def video_xml(video: Video) -> str:
    """``<video>`` whose every YouTube field says what the source says.

    Open edX's ``youtube_id_1_0`` defaults to its own demo clip (``3_yD_cEKoCk``, in
    ``xmodule/video_block/video_xfields.py``), and its player prefers a YouTube stream to the
    HTML5 sources. So an MP4-only video must say ``youtube_id_1_0=""`` (as Studio's exports do) or
    learners watch the wrong clip. The other speeds (0.75, 1.25, 1.5) default to empty.
    """
    attrs: Attrs = [("display_name", video.title)]
    if video.youtube_id:
        attrs += [("youtube", f"1.00:{video.youtube_id}"), ("youtube_id_1_0", video.youtube_id)]
    else:
        attrs.append(("youtube_id_1_0", ""))
    if video.mp4_url:
        attrs.append(("html5_sources", json.dumps([video.mp4_url])))
    if video.start:
        attrs.append(("start_time", video.start))
    if video.end:
        attrs.append(("end_time", video.end))
    if video.transcripts:
        mapping = {t.language: t.asset.flat_name for t in video.transcripts}
        attrs.append(("transcripts", json.dumps(mapping, sort_keys=True)))
        # Open edX's download_track defaults to False: without this learners could read the
        # transcript beside the video but not download it, which the SCORM page offers.
        attrs.append(("download_track", "true"))
    return _render("video.xml", video=video, attrs=attrs)


def tags_csv(
    course: Course,
    tagger: Tagger,
    unit_rows: Mapping[str, str] | None = None,
    outcomes: Mapping[str, list[str]] | None = None,
) -> bytes:
    """Studio's ``tags.csv``: every block in outline order, its tag values joined with ``"; "``.

    Studio deletes an object's tags before applying a row, so untagged blocks get a row too (a
    re-import then clears stale tags), exactly as its exporter lists the whole tree.
    ``unit_rows``: each unit's rows already written (``unit_rows``, kept with the unit's files);
    ``outcomes``: each section's and subsection's outcomes, by id (``build_members`` has them).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(["Name", "Type", "ID", tagger.export_id])
    row = _row_writer(writer, tagger)
    known = outcomes or {}
    row(0, course.title, "course", f"course-v1:{course.org}+{course.number}+{course.run}", [])
    for section in course.sections:
        units = (u for ss in section.subsections for u in ss.units)
        row(1, section.title, "chapter", section.id, known.get(section.id) or _unit_outcomes(units))
        for sub in section.subsections:
            row(2, sub.title, "sequential", sub.id, known.get(sub.id) or _unit_outcomes(sub.units))
            for unit in sub.units:
                text = unit_rows.get(unit.id) if unit_rows is not None else None
                buffer.write(text if text is not None else unit_rows_csv(unit, tagger))
    return buffer.getvalue().encode("utf-8")


def _row_writer(writer: Any, tagger: Tagger) -> Callable[[int, str, str, str, Iterable[str]], None]:
    def row(level: int, name: str, kind: str, block_id: str, outcome_ids: Iterable[str]) -> None:
        # Studio matches rows by ID; the Name column is for people, so it is escaped for spreadsheets
        name_cell = csvsafe.cell("  " * level + name)
        writer.writerow([name_cell, kind, block_id, "; ".join(tagger.values(outcome_ids))])

    return row


def unit_rows_csv(unit: Unit, tagger: Tagger) -> str:
    """A unit's rows of ``tags.csv`` (its vertical, then its components), as CSV text: rows stand
    alone, so the file is these texts joined with the course's, section's and subsection's rows."""
    buffer = io.StringIO()
    row = _row_writer(csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n"), tagger)
    row(3, unit.title, "vertical", unit.id, unit.all_outcomes())
    for comp in unit.components:
        if isinstance(comp, Problem):
            row(4, comp.title, "problem", comp.id, comp.assesses)
        elif isinstance(comp, Video):
            row(4, comp.title, "video", comp.id, [])
        elif isinstance(comp, OlxBlock):
            row(4, comp.title, comp.tag, comp.id, [])
        else:
            row(4, unit.title, "html", comp.id, [])
    return buffer.getvalue()


def _render(template: str, **context: object) -> str:
    return environment("olx_templates").get_template(template).render(**context)


def _add(members: MutableMapping[str, Member], path: str, text: str) -> None:
    name = f"{ROOT}/{path}"
    if name in members:
        raise ValueError(f"two OLX files would be written to {name}: ids must be unique")
    members[name] = text.encode("utf-8")


def build_members(course: Course) -> Members:
    """Every file of the tarball, by path under ``course/``; deterministic for a given model."""
    tagger = Tagger(course)
    m = _JumpLinked({u.id for u in course.units()})
    _add(m, "course.xml", _render("course_pointer.xml", course=course))
    _add(
        m,
        f"course/{course.run}.xml",
        _render("course.xml", attrs=course_attrs(course), chapters=[s.id for s in course.sections]),
    )
    unit_rows: dict[str, str] = {}
    outcomes: dict[str, list[str]] = {}  # each container's, asked by its file and by tags.csv
    with spare.process() as beside:
        _sections(m, course, tagger, unit_rows, outcomes, _share_units(beside, course, tagger))
    _add(m, "about/overview.html", _render("about_overview.html", course=course))
    _add(m, "about/short_description.html", _render("about_short_description.html", course=course))
    _add(m, f"policies/{course.run}/policy.json", policy_json(course).decode("utf-8"))
    _add(m, f"policies/{course.run}/grading_policy.json", grading_policy_json(course).decode("utf-8"))
    _add(m, "tags.csv", tags_csv(course, tagger, unit_rows, outcomes).decode("utf-8"))
    for asset in course.assets:
        name = f"{ROOT}/static/{asset.flat_name}"
        if name in m:
            raise ValueError(f"two static files flatten to {asset.flat_name}")
        m[name] = asset.source
    return m


def _sections(
    m: MutableMapping[str, Member],
    course: Course,
    tagger: Tagger,
    unit_rows: dict[str, str],
    outcomes: dict[str, list[str]],
    ahead: Shared | None,
) -> None:
    """The chapters', sequentials' and units' files, in course order; ``ahead``: the units the
    spare process renders (``_share_units``), by their position in the course."""
    position = 0
    for section in course.sections:
        for sub in section.subsections:
            outcomes[sub.id] = _unit_outcomes(sub.units)
        # The units' outcomes in order, each once: the subsections' lists joined in order, each once.
        outcomes[section.id] = list(dict.fromkeys(o for ss in section.subsections for o in outcomes[ss.id]))
        attrs: Attrs = [("display_name", section.title)]
        children = [("sequential", ss.id) for ss in section.subsections]
        path = f"chapter/{section.id}.xml"
        _cached_container(m, course, tagger, path, attrs, outcomes[section.id], children)
        for sub in section.subsections:
            attrs = [("display_name", sub.title)]
            if sub.graded:
                attrs.append(("graded", "true"))
                if sub.format:
                    attrs.append(("format", sub.format))
                if sub.due is not None:
                    attrs.append(("due", olx_date(sub.due)))
            children = [("vertical", u.id) for u in sub.units]
            path = f"sequential/{sub.id}.xml"
            _cached_container(m, course, tagger, path, attrs, outcomes[sub.id], children)
            for unit in sub.units:
                unit_rows[unit.id] = _cached_unit(m, course, unit, tagger, ahead, position)
                position += 1
                progress.unit_done()


SPARE_MIN_UNITS = 200
"""Units to render below which none goes to a spare process (``builder.spare``): a unit's files
cost ~0.3 ms (0.55 s at 2,000 units) and forking ~20 ms of wall time."""


def _share_units(beside: Spare | None, course: Course, tagger: Tagger) -> Shared | None:
    """With a spare process, the units whose files the build cache does not hold (all, without a
    cache) are rendered there from the last while this process renders them from the first: a
    unit's files read only the unit and the course context (the tagger), so either process makes
    the same text, and this one sets them all, in course order."""
    if beside is None:
        return None
    units = course.units()
    todo = [i for i, unit in enumerate(units) if not piece_stored("olx-unit", _unit_parts(course, unit))]
    if len(todo) < SPARE_MIN_UNITS:
        return None
    return beside.share(lambda i: _make_unit(units[i], tagger), todo, len(units))


class _JumpLinked(Members):
    """Members whose links between units are written as Open edX writes them, as each is set:
    ``/jump_to_id/<url_name>`` of the unit's vertical, which the LMS rewrites to the course's own
    jump URL in HTML and problem text. (Set members are spilled to disk at once, so they are
    rewritten on the way in, not read back afterwards.)"""

    def __init__(self, unit_ids: set[str]):
        super().__init__()
        self.unit_ids = unit_ids
        self._shas: dict[str, bytes] = {}

    def _jump(self, unit_id: str, fragment: str) -> str | None:
        return f"/jump_to_id/{unit_id}{fragment}" if unit_id in self.unit_ids else None

    def __setitem__(self, name: str, member: Member) -> None:
        if isinstance(member, bytes) and b'href="/unit/' in member:
            member = rewrite_unit_links(member.decode("utf-8"), self._jump).encode("utf-8")
        super().__setitem__(name, member)
        # Hashed while in hand: the OLX check keys its per-file facts by sha, and reading 12,000
        # spilled members back only to hash them cost more than the check of an edit itself.
        if isinstance(member, bytes):
            self._shas[name] = hashlib.sha256(member).digest()
        else:
            self._shas.pop(name, None)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._shas.pop(name, None)

    def known_sha(self, name: str) -> str | None:
        """sha256 (hex) of a member set as bytes, without reading it back; None for source files."""
        sha = self._shas.get(name)
        return sha.hex() if sha is not None else None

    def known_shas(self, prefix: str = "") -> dict[str, str]:
        """``known_sha`` of every member under ``prefix`` that has one, named without the prefix."""
        cut = len(prefix)
        return {name[cut:]: sha.hex() for name, sha in self._shas.items() if name.startswith(prefix)}


def _container(
    tag: str, attrs: Attrs, children: list[tuple[str, str]], inline: dict[str, Markup] | None = None
) -> str:
    """``inline``: child id → the child's whole element, written in place of a pointer."""
    rows = [(t, i, (inline or {}).get(i)) for t, i in children]
    return _render("container.xml", tag=tag, attrs=attrs, children=rows)


def olx_block_inline(block: OlxBlock) -> Markup:
    """A pass-through block as an inline element of its vertical, ``url_name`` restored."""
    element = xmlsafe.parse(block.xml.encode("utf-8"))
    element.set("url_name", block.id)
    return Markup(etree.tostring(element, encoding="unicode"))


def _cached_container(
    m: MutableMapping[str, Member],
    course: Course,
    tagger: Tagger,
    path: str,
    attrs: Attrs,
    outcomes: list[str],
    children: list[tuple[str, str]],
) -> None:
    """A chapter's or sequential's file, reused while its attributes, outcomes (its tags read the
    competence map: the course context) and children are unchanged (``builder.cache.piece``)."""
    tag = path.split("/", 1)[0]
    parts = lambda: (course_context(course), tag, attrs, outcomes, children)  # noqa: E731
    make = lambda: _container(tag, [*attrs, *tagger.attrs(outcomes)], children)  # noqa: E731
    _add(m, path, piece("olx-container", parts, make))


def _cached_unit(
    m: MutableMapping[str, Member],
    course: Course,
    unit: Unit,
    tagger: Tagger,
    ahead: Shared | None = None,
    position: int = 0,
) -> str:
    """A unit's files, set into ``m``, and its rows of tags.csv (returned), reused from the last
    build when the unit and the course-level context (the tagger reads the competence map) are
    unchanged (``builder.cache.piece``); made by the spare process when it took the unit."""

    def make() -> list[str]:
        if ahead is not None and not ahead.here(position):
            return ahead.result(position)  # type: ignore[no-any-return]
        return _make_unit(unit, tagger)

    made = piece("olx-unit", lambda: _unit_parts(course, unit), make)
    for name, text in zip(made[1::2], made[2::2], strict=True):
        if name in m:
            raise ValueError(f"two OLX files would be written to {name}: ids must be unique")
        m[name] = text.encode("utf-8")
    return made[0]


def _unit_parts(course: Course, unit: Unit) -> tuple[object, ...]:
    return (course_context(course), model_key(unit))


def _make_unit(unit: Unit, tagger: Tagger) -> list[str]:
    """The unit's rows of tags.csv, then each file's name and text: a list of texts, stored
    without JSON."""
    own: dict[str, Member] = {}
    _render_unit(own, unit, tagger)
    made = [unit_rows_csv(unit, tagger)]
    for name, data in own.items():
        made += [name, data.decode("utf-8")]  # type: ignore[union-attr]
    return made


def _render_unit(m: MutableMapping[str, Member], unit: Unit, tagger: Tagger) -> None:
    outcomes = unit.all_outcomes()
    attrs: Attrs = [("display_name", unit.title)]
    if outcomes:
        attrs.append(("learning_outcomes", " ".join(outcomes)))
    attrs += tagger.attrs(outcomes)
    children: list[tuple[str, str]] = []
    inline: dict[str, Markup] = {}
    for comp in unit.components:
        if isinstance(comp, Html):
            children.append(("html", comp.id))
            _add(m, f"html/{comp.id}.xml", _render("html.xml", html=comp, display_name=unit.title))
            _add(m, f"html/{comp.id}.html", _render("html.html", html=comp))
        elif isinstance(comp, Problem):
            children.append(("problem", comp.id))
            _add(m, f"problem/{comp.id}.xml", problem_xml(comp, tagger))
        elif isinstance(comp, OlxBlock):
            # Written back as imported, in Studio's export layout: built-in blocks as a pointer and
            # their own file, pure XBlocks inline (the only form olxcleaner accepts for them).
            children.append((comp.tag, comp.id))
            if comp.tag in POINTER_TAGS:
                _add(m, f"{comp.tag}/{comp.id}.xml", comp.xml)
            else:
                inline[comp.id] = olx_block_inline(comp)
        else:
            children.append(("video", comp.id))
            _add(m, f"video/{comp.id}.xml", video_xml(comp))
    _add(m, f"vertical/{unit.id}.xml", _container("vertical", attrs, children, inline))


def render(course: Course, options: BuildOptions) -> list[Output]:
    members = build_members(course)
    units = len(course.units())
    problems = len(course.problems())
    return [
        Output(
            filename=f"{course.stem}.olx.tar.gz",
            format="tar.gz",
            members=members,
            summary=f"{units} units, {problems} problems",
        )
    ]
