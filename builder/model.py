"""The one typed course model that every target reads.

The loader (``builder.source``) builds it from ``course_src/``; targets only read it. Text fields
hold both the author's Markdown (``*_md``) and the HTML rendered from it once at load time
(``*_html``), so that no target parses Markdown again. Rendered HTML links local files as
``/static/<flat_name>`` (the Open edX form); targets that need another URL rewrite that prefix.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from builder.diagnostics import Diagnostic

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
"""Author ids: they become OLX url_names, SCORM identifiers and file names, so stay ASCII-safe."""

OutcomeCategory = Literal["knowledge", "skills", "responsibility_autonomy"]
ProblemType = Literal["single", "multiple", "numeric", "text", "dropdown"]


WEB_URI = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s<>\"'`\\]*)?$")
"""An http(s) address and nothing else: these values become links in reports and CASE packages,
where ``javascript:`` would run when clicked."""
ESCO_URI = re.compile(r"^https?://data\.europa\.eu/esco/[A-Za-z0-9/_.-]+$")


def _web_uri(value: str) -> str:
    if not WEB_URI.fullmatch(value):
        raise ValueError("must be a web address starting with https:// (or http://)")
    return value


def _esco_uri(value: str) -> str:
    if not ESCO_URI.fullmatch(value):
        raise ValueError("must be an ESCO concept URI, like http://data.europa.eu/esco/skill/<uuid>")
    return value


WebUri = Annotated[str, AfterValidator(_web_uri)]
EscoUri = Annotated[str, AfterValidator(_esco_uri)]


class Model(BaseModel):
    # allow_inf_nan: a NaN answer or an infinite weight is never meant, and NaN is not JSON: one
    # in a SCORM page's data breaks every problem on the page.
    # Field docstrings describe the keys in the editor schemas: ``builder.field_docs`` adds them
    # when a schema is made (pydantic's use_attribute_docstrings parsed sources at every start).
    model_config = ConfigDict(frozen=False, extra="forbid", allow_inf_nan=False)


# --------------------------------------------------------------------------- competence map


class EcfRef(Model):
    """A reference to an e-CF competence by code and proficiency level (never its licensed text)."""

    code: str
    level: int = Field(ge=1, le=5)
    """Proficiency level 1–5 for e-1…e-5; ``"e-3"`` is accepted as written in the standard."""

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, v: object) -> object:
        if isinstance(v, str) and v.lower().startswith("e-"):
            return v[2:]
        return v

    @property
    def label(self) -> str:
        return f"{self.code} (e-{self.level})"


class Outcome(Model):
    id: str = Field(pattern=ID_PATTERN, max_length=100)
    category: OutcomeCategory
    statement: str
    assessment_criteria: list[str] = []
    ecf: EcfRef | None = None
    esco: list[EscoUri] = []
    unit_id: str = ""
    """Filled by the loader: the id of the unit of learning outcomes that holds this outcome."""


class LearningUnit(Model):
    """A unit of learning outcomes in the ECVET sense."""

    id: str = Field(pattern=ID_PATTERN, max_length=100)
    title: str
    description: str = ""
    eqf_level: int = Field(ge=1, le=8)
    ecvet_points: float = Field(ge=0)
    hours: float = Field(ge=0)
    outcomes: list[Outcome]


class Framework(Model):
    id: str = Field(pattern=ID_PATTERN, max_length=100)
    """Also the Open edX taxonomy export_id and the Moodle framework idnumber."""
    title: str
    version: str
    language: str
    base_uri: WebUri
    profile: str
    description: str = ""
    licence: str = ""
    ecf_edition: str = ""
    last_changed: datetime | None = None


class CompetenceMap(Model):
    framework: Framework
    units: list[LearningUnit]

    def outcomes(self) -> list[Outcome]:
        return [o for u in self.units for o in u.outcomes]

    def outcome_index(self) -> dict[str, Outcome]:
        return {o.id: o for o in self.outcomes()}

    def unit_index(self) -> dict[str, LearningUnit]:
        return {u.id: u for u in self.units}

    def uri(self, node_id: str = "") -> str:
        """A stable URI for the framework (no id) or one of its nodes; SCORM 2004 objectiveIDs use it."""
        base = self.framework.base_uri.rstrip("/")
        return f"{base}/{node_id}" if node_id else base

    def uuid(self, node_id: str = "") -> str:
        """Deterministic UUIDv5 of a node's URI, so CASE identifiers survive rebuilds."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.uri(node_id)))


# --------------------------------------------------------------------------- course content


class Asset(Model):
    """A file from ``course_src/static/``, published under a flat, URL-safe name."""

    source: Path
    rel_path: str
    flat_name: str
    size: int


class Choice(Model):
    text_md: str
    text_html: str
    correct: bool = False
    feedback_md: str = ""
    feedback_html: str = ""


class Problem(Model):
    kind: Literal["problem"] = "problem"
    id: str
    type: ProblemType
    title: str
    prompt_md: str
    prompt_html: str
    choices: list[Choice] = []
    answer: float | None = None
    tolerance: str = "0"
    """Absolute (``"0.5"``) or relative (``"5%"``), as Open edX writes it."""
    answers: list[str] = []
    case_sensitive: bool = False
    hints_md: list[str] = []
    hints_html: list[str] = []
    explanation_md: str = ""
    explanation_html: str = ""
    max_attempts: int | None = None
    weight: float = 1.0
    assesses: list[str] = []
    line: int = 0

    def tolerance_value(self) -> float:
        """The tolerance as an absolute amount around ``answer``."""
        if self.answer is None:
            return 0.0
        if self.tolerance.endswith("%"):
            return abs(self.answer) * float(self.tolerance[:-1]) / 100.0
        return float(self.tolerance)


class Transcript(Model):
    language: str
    asset: Asset


class Video(Model):
    kind: Literal["video"] = "video"
    id: str
    title: str
    youtube_id: str | None = None
    mp4_url: str | None = None
    transcripts: list[Transcript] = []
    start: str | None = None
    """``HH:MM:SS`` or None."""
    end: str | None = None
    line: int = 0


class Html(Model):
    kind: Literal["html"] = "html"
    id: str
    """Derived from the unit id and the block's position among its unit's prose blocks."""
    markdown: str
    html: str


class OlxBlock(Model):
    """Open edX content that coursepack cannot express (custom Python or formula problems, XBlocks
    such as drag-and-drop or ORA), kept verbatim from an import (```` ```olx ```` blocks).

    The OLX target writes ``xml`` back as ``<tag>/<id>.xml``; every other target shows a notice that
    the activity is available in the Open edX version, and never the XML itself.
    """

    kind: Literal["olx"] = "olx"
    id: str
    tag: str
    """The element name, e.g. ``problem`` or ``drag-and-drop-v2``."""
    title: str
    xml: str
    """The element as it will be written to ``<tag>/<id>.xml`` (no ``url_name``, children inlined)."""
    line: int = 0


Component = Annotated[Html | Problem | Video | OlxBlock, Field(discriminator="kind")]


class TrainerNote(Model):
    """A ```trainer-notes block: facilitation advice for the trainer's handbook only.

    Deliberately not a ``Component``: learner targets iterate ``Unit.components``, so a note can
    never reach an OLX, SCORM or any other learner artefact by omission in one of their writers.
    """

    markdown: str
    html: str
    line: int = 0


class Unit(Model):
    id: str
    title: str
    outcomes: list[str]
    components: list[Component]
    source: str
    """Path relative to the source root, for messages and reports."""
    trainer_notes: list[TrainerNote] = []
    """For the handbook only; never rendered for learners."""

    @property
    def problems(self) -> list[Problem]:
        return [c for c in self.components if isinstance(c, Problem)]

    @property
    def videos(self) -> list[Video]:
        return [c for c in self.components if isinstance(c, Video)]

    def assessed_outcomes(self) -> list[str]:
        seen: dict[str, None] = {}
        for p in self.problems:
            for o in p.assesses:
                seen.setdefault(o, None)
        return list(seen)

    def all_outcomes(self) -> list[str]:
        """Taught then assessed outcome ids, each once, in declaration order."""
        return list(dict.fromkeys([*self.outcomes, *self.assessed_outcomes()]))


DeliveryMode = Literal["classroom", "online", "blended", "workplace"]


class Activity(Model):
    """One timed step of a session plan."""

    minutes: int = Field(gt=0)
    title: str
    trainer_md: str = ""
    trainer_html: str = ""
    learners_md: str = ""
    learners_html: str = ""
    outcomes: list[str] = []
    line: int = 0


class SessionPlan(Model):
    """How a trainer runs one subsection face to face, online or at the workplace."""

    duration: int = Field(gt=0)
    """Minutes; the activities' minutes add up to it (checked by the loader)."""
    mode: DeliveryMode
    preparation_md: str = ""
    preparation_html: str = ""
    materials_html: list[str] = []
    activities: list[Activity]
    source: str = ""
    """``session.yaml`` path relative to the source root, for messages."""


class Subsection(Model):
    id: str
    title: str
    graded: bool = False
    format: str | None = None
    """The grader type this subsection counts towards (Open edX ``format``)."""
    due: datetime | None = None
    units: list[Unit]
    session_plan: SessionPlan | None = None
    """From ``session.yaml`` beside ``subsection.yaml``; only the handbook reads it."""


class Section(Model):
    id: str
    title: str
    subsections: list[Subsection]


class Grader(Model):
    type: str
    short_label: str
    min_count: int = Field(ge=0)
    drop_count: int = Field(ge=0)
    weight: float = Field(ge=0, le=1)


class Grading(Model):
    graders: list[Grader]
    pass_cutoff: float = Field(gt=0, le=1)


class UnitLink(Model):
    """A link from a source file (a unit or the overview) to a unit, kept for checks that must say
    where it is written; the HTML itself holds it as ``/unit/<target>`` (``builder.render.links``)."""

    file: str
    line: int
    target: str
    """The linked unit's id."""


class HandbookChapter(Model):
    """A Markdown chapter of the handbook's front or back matter (``handbook/*.md``)."""

    id: str
    title: str
    html: str
    source: str


class Handbook(Model):
    """``handbook/index.yaml``: the chapters before and after the course chapters."""

    title: str = ""
    front: list[HandbookChapter] = []
    back: list[HandbookChapter] = []


class Course(Model):
    org: str
    number: str
    run: str
    title: str
    language: str
    start: datetime
    end: datetime | None = None
    pacing: Literal["self", "instructor"]
    short_description: str
    overview_html: str
    image: Asset
    license: str
    grading: Grading
    competences: CompetenceMap
    sections: list[Section]
    assets: list[Asset]
    """Every file of ``static/``, sorted by flat name; targets ship all of them."""
    source_epoch: int
    """Timestamp for archive members: SOURCE_DATE_EPOCH, the source's last commit, or a constant."""
    handbook: Handbook | None = None
    """The trainer's handbook front and back matter, when ``handbook/`` exists."""
    positions: dict[str, tuple[str, int]] = {}
    """Where each id (section, unit, problem, outcome…) is defined: (source file, line), for messages."""
    source_language: str = ""
    """Set on a translated copy (``builder.i18n.apply``): the language the course was written in.
    Empty for the source model itself."""
    unit_links: list[UnitLink] = []
    """Every link between units, in source order."""
    reader_warnings: list[Diagnostic] = []
    """Warnings the reader found (an image without alt text, HTML shown as text): the course builds,
    and the pipeline's course check reports them in ``check`` and ``build`` alike."""

    @property
    def slug(self) -> str:
        """``<org>-<number>-<run>``: the course key, in identifiers (SCORM objectives, cmi5 IRIs).
        Identical across languages, so LMS records and competence tags line up."""
        return f"{self.org}-{self.number}-{self.run}"

    @property
    def stem(self) -> str:
        """The stem of every artefact name: the slug, plus ``-<lang>`` for a translated build."""
        return f"{self.slug}-{self.language}" if self.source_language else self.slug

    def units(self) -> list[Unit]:
        return [u for s in self.sections for ss in s.subsections for u in ss.units]

    def problems(self) -> list[Problem]:
        return [p for u in self.units() for p in u.problems]
