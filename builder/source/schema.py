"""What authors write, as pydantic schemas: keys, types and the rules within one file.

These are deliberately separate from ``builder.model``: the source holds Markdown and relative
paths, the model holds rendered HTML and resolved assets. Rules that span files (references,
uniqueness, grading) live in the loader, which sees the whole tree.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from builder.model import ID_PATTERN, CompetenceMap, Grading, ProblemType
from builder.source import languages

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=120)]
CourseKeyPart = Annotated[str, StringConstraints(pattern=r"^[\w.-]+$", max_length=64)]
TIME_PATTERN = r"^\d{2}:[0-5]\d:[0-5]\d$"


class Strict(BaseModel):
    # allow_inf_nan: `.nan`/`.inf` are YAML numbers, but no answer, weight or tolerance means them
    # The docstring under a field is its description in the editor schemas: ``builder.field_docs``
    # adds them when a schema is made (pydantic's use_attribute_docstrings parsed sources at every start).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("date needs a UTC time zone, e.g. 2026-02-02T09:00:00Z")
    if value.utcoffset() != UTC.utcoffset(None):
        raise ValueError("date must be in UTC (end it with Z or +00:00)")
    return value.astimezone(UTC)


def language_code(value: Any) -> Any:
    """Refuse a language name or a country code with the code meant (``Italiano`` → ``it``,
    ``gr`` → ``el``); the pattern then checks the form of anything else."""
    if not isinstance(value, str):
        return value
    meant = languages.suggestion(value)
    if meant or not languages.is_known(value.strip()):
        raise PydanticCustomError(
            "language_code",
            "`{value}` is not a language code",
            {
                "value": value.strip(),
                "hint": f"did you mean `{meant}`?"
                if meant
                else "use an ISO 639 code such as `en`, `it`, `el` or `pt-BR`",
            },
        )
    return value


YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_URL = re.compile(
    r"^(?:https?://)?(?:[\w-]+\.)?(?:youtube(?:-nocookie)?\.com|youtu\.be)/(?P<rest>\S*)$", re.IGNORECASE
)


def youtube_id(value: Any) -> Any:
    """``youtube:`` takes the video id; an author pasting the address from the browser means that
    video, so its id is taken from any YouTube address form (watch?v=, youtu.be/, embed/, shorts/,
    live/) without a word — the result is exactly what they meant. An address with no video id in
    it (a playlist, a channel) is refused."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    m = _YOUTUBE_URL.match(text)
    if m is None:
        return text
    from urllib.parse import parse_qs, urlsplit

    rest = urlsplit("//x/" + m.group("rest"))
    candidates = parse_qs(rest.query).get("v", [])
    parts = [p for p in rest.path.split("/") if p]
    if parts and parts[0] in ("embed", "shorts", "live", "v", "e") and len(parts) > 1:
        candidates.append(parts[1])
    elif "youtu.be" in text.lower() and parts:
        candidates.append(parts[0])
    for c in candidates:
        if YOUTUBE_ID.match(c):
            return c
    raise PydanticCustomError(
        "youtube_url",
        "`{value}` has no video id",
        {
            "value": text,
            "hint": "give the 11-character id from the video's address, e.g. `youtube: dQw4w9WgXcQ`",
        },
    )


class CourseFile(Strict):
    org: CourseKeyPart
    """Organisation part of the course key (Open edX `org`), e.g. `MyOrg`."""
    number: CourseKeyPart
    """Course number part of the course key, e.g. `C101`."""
    run: CourseKeyPart
    """Course run part of the course key, e.g. `2026_T1`."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """The course title learners see."""
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    """Language code of the course text (BCP 47), e.g. `en`, `el`, `pt-BR`."""
    start: datetime
    """Start date and time in UTC, e.g. `2026-01-05T09:00:00Z`."""
    end: datetime | None = None
    """End date and time in UTC (optional; after `start`)."""
    pacing: Literal["self", "instructor"]
    """`self`-paced or `instructor`-paced (only instructor-paced courses show due dates)."""
    short_description: Annotated[str, StringConstraints(min_length=1, max_length=150)]
    """One line for course catalogues (at most 150 characters)."""
    overview: str
    """Markdown file with the course overview, relative to course.yaml, e.g. `overview.md`."""
    image: str
    """Course card image inside static/, e.g. `static/images/course-image.png`."""
    license: str
    """Licence of the course content, e.g. `CC-BY-4.0`."""
    competence_map: str = "competences.yaml"
    """The competence map file, relative to course.yaml."""
    grading: Grading
    """Grading policy: graders (assignment types with weights summing to 1) and the pass cutoff."""

    _utc_start = field_validator("start")(_utc)
    _language = field_validator("language", mode="before")(language_code)

    @field_validator("end")
    @classmethod
    def _utc_end(cls, v: datetime | None) -> datetime | None:
        return _utc(v) if v else v

    @model_validator(mode="after")
    def _end_after_start(self) -> CourseFile:
        if self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class SectionFile(Strict):
    id: Id
    """Unique id of the section (letters, digits, `.`, `_`, `-`)."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """Section title shown in the course outline."""


class SubsectionFile(Strict):
    id: Id
    """Unique id of the subsection."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """Subsection title shown in the course outline."""
    format: str | None = None
    """Grader type from course.yaml `grading.graders` (e.g. `Quiz`): makes the subsection graded."""
    due: datetime | None = None
    """Due date in UTC, e.g. `2026-06-30T23:59:00Z`; needs `format`."""

    @field_validator("due")
    @classmethod
    def _utc_due(cls, v: datetime | None) -> datetime | None:
        return _utc(v) if v else v

    @model_validator(mode="after")
    def _due_needs_format(self) -> SubsectionFile:
        if self.due and not self.format:
            raise ValueError(
                "a due date only makes sense on a graded subsection: add `format: <grader type>`"
            )
        return self


class UnitFrontMatter(Strict):
    id: Id
    """Unique id of the unit."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """Unit title."""
    outcomes: list[str] = []
    """Ids of the learning outcomes (from the competence map) this unit teaches."""


class ChoiceBlock(Strict):
    text: Annotated[str, StringConstraints(min_length=1)]
    """The choice as learners see it (Markdown, inline)."""
    correct: bool = False
    """Whether this choice is correct."""
    feedback: str = ""
    """Shown when the learner picks this choice."""


class ProblemBlock(Strict):
    id: Id
    """Unique id of the problem."""
    type: ProblemType
    """Kind of problem."""
    title: str = "Question"
    """Title of the problem component."""
    prompt: Annotated[str, StringConstraints(min_length=1)]
    """The question (Markdown)."""
    choices: list[ChoiceBlock] = []
    """For `single`, `multiple` and `dropdown` problems: at least two."""
    answer: float | None = None
    """For `numeric` problems: the correct number."""
    tolerance: str | float = "0"
    """For `numeric` problems: absolute (`0.5`) or relative (`"5%"`) tolerance."""
    answers: list[str] = []
    """For `text` problems: the accepted answers."""
    case_sensitive: bool = False
    """For `text` problems: whether case matters."""
    hints: list[str] = []
    """Hints learners can reveal one by one (Markdown)."""
    explanation: str = ""
    """Shown after answering (Markdown)."""
    max_attempts: int | None = Field(default=None, ge=1)
    """Attempts allowed (unlimited when omitted)."""
    weight: float = Field(default=1.0, gt=0)
    """Weight of the problem in its subsection's grade."""
    assesses: list[str] = []
    """Ids of the learning outcomes this problem assesses."""

    @field_validator("tolerance", mode="before")
    @classmethod
    def _tolerance(cls, v: Any) -> str:
        text = str(v).strip()
        if not re.fullmatch(r"\d+(\.\d+)?%?", text):
            raise ValueError('tolerance is a non-negative number (0.5) or a percentage ("5%")')
        return text

    @model_validator(mode="after")
    def _type_rules(self) -> ProblemBlock:
        t = self.type
        if t in ("single", "multiple", "dropdown"):
            if len(self.choices) < 2:
                raise ValueError(f"a `{t}` problem needs at least two `choices`")
            correct = sum(c.correct for c in self.choices)
            if t in ("single", "dropdown") and correct != 1:
                raise ValueError(
                    f"a `{t}` problem needs exactly one choice with `correct: true`, found {correct}"
                )
            if t == "multiple" and correct < 1:
                raise ValueError("a `multiple` problem needs at least one choice with `correct: true`")
        elif self.choices:
            raise ValueError(f"a `{t}` problem takes no `choices`")
        if t == "numeric" and self.answer is None:
            raise ValueError("a `numeric` problem needs `answer: <number>`")
        if t != "numeric" and self.answer is not None:
            raise ValueError("`answer` is for numeric problems; text problems list `answers`")
        if t == "text" and not [a for a in self.answers if a.strip()]:
            raise ValueError("a `text` problem needs `answers:` with at least one accepted answer")
        if t != "text" and self.answers:
            raise ValueError(
                f"`answers` is for text problems; a `{t}` problem lists `choices` and marks the right"
                " one with `correct: true`"
                if t in ("single", "multiple", "dropdown")
                else "`answers` is for text problems"
            )
        return self


class VideoBlock(Strict):
    id: Id
    """Unique id of the video."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """Video title."""
    youtube: Annotated[str, StringConstraints(pattern=YOUTUBE_ID.pattern)] | None = None
    """YouTube video id (11 characters), e.g. `dQw4w9WgXcQ`; a YouTube address is taken too."""
    mp4: Annotated[str, StringConstraints(pattern=r"^https://[^\s<>\"'`\\]+$")] | None = None
    """https:// address of an MP4 file."""
    transcripts: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")], str] = {}
    """Transcripts by language code: `.srt` files inside static/."""
    start: Annotated[str, StringConstraints(pattern=TIME_PATTERN)] | None = None
    """Start time `HH:MM:SS`."""
    end: Annotated[str, StringConstraints(pattern=TIME_PATTERN)] | None = None
    """End time `HH:MM:SS`."""

    _youtube = field_validator("youtube", mode="before")(youtube_id)

    @field_validator("transcripts", mode="before")
    @classmethod
    def _transcript_languages(cls, value: Any) -> Any:
        for key in value if isinstance(value, dict) else ():
            language_code(key)
        return value

    @model_validator(mode="after")
    def _source_and_times(self) -> VideoBlock:
        if not self.youtube and not self.mp4:
            raise ValueError("a video needs `youtube: <id>` or `mp4: https://…` (or both)")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("video `end` must be after `start`")
        return self


class CompetencesFile(CompetenceMap):
    """The competence map as authors write it; ``unit_id`` is derived, so it may not be written."""

    @model_validator(mode="before")
    @classmethod
    def _no_unit_id(cls, data: Any) -> Any:
        units = data.get("units") if isinstance(data, dict) else None
        for unit in units if isinstance(units, list) else []:
            outcomes = unit.get("outcomes") if isinstance(unit, dict) else None
            for outcome in outcomes if isinstance(outcomes, list) else []:
                if isinstance(outcome, dict) and "unit_id" in outcome:
                    raise ValueError("`unit_id` is derived from the enclosing unit; remove it")
        return data  # any other shape is left for the field types to report
