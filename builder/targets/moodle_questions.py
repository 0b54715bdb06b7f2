"""Moodle question bank target: every problem as a native Moodle question, in Moodle XML.

VET institutions on Moodle often want the course's problems in their own quizzes (gradebook, quiz
reports) rather than inside a SCORM package. ``<slug>.moodle-questions.xml`` is imported with
*Question bank → Import → Moodle XML format* ("Get category from file", "Get context from file").

What Moodle reads is fixed by ``qformat_xml`` (moodle/moodle ``question/format/xml/format.php``) and
its base class ``qformat_default`` (``question/format.php``); the element paths below are the ones
those functions read, and the tests assert exactly these paths:

- ``readquestions()``: ``quiz/question``, dispatched on ``question/@type``.
- ``import_category()``: ``category/text`` (the path), ``info/@format`` + ``info/text``.
  ``create_category_path()`` drops a leading ``$course$`` context token and ensures ``top``;
  ``split_category_path()`` splits on single ``/``, so a ``/`` inside a name is written ``//``
  (``assemble_category_path()``, which also pads a name starting or ending with ``/``).
- ``import_headers()``: ``name/text``, ``questiontext/@format`` + ``text`` + ``file``,
  ``generalfeedback`` (same), ``defaultgrade``, ``penalty``, ``idnumber``, and
  ``import_question_tags()``: ``tags/tag/text``.
- ``import_text_with_files()`` / ``import_files_as_draft()``: ``file/@name``, ``file/@path`` and the
  base64 content; the HTML refers to such a file as ``@@PLUGINFILE@@/<name>``. Each text field has
  its own file area, so a file is embedded in every field whose HTML uses it.
- ``import_multichoice()``: ``single``, ``shuffleanswers``, ``answernumbering``,
  ``showstandardinstruction``, ``answer/@fraction`` + ``@format`` + ``text`` + ``file`` +
  ``feedback``; ``import_shortanswer()``: ``usecase``, ``answer/@fraction`` + ``text`` + ``feedback``;
  ``import_numerical()``: ``answer/@fraction`` + ``text`` + ``tolerance`` + ``feedback``;
  ``import_hints()``: ``hint/@format`` + ``text`` + ``file``.

Grades. ``qformat_default::importprocess()`` checks every answer fraction against
``question_bank::fraction_options_full()`` (``question/engine/bank.php``) with
``match_grade_options()``; the default "Error if grade not listed" stops the import on any other
value. So fractions are only ever chosen from that list (:data:`GRADE_FRACTIONS`). Then
``qtype_multichoice::save_question_options()`` requires a single-answer question's best fraction to
be exactly 1 and a multiple-answer question's positive fractions to round (2 dp) to 1.

Mapping (README "Moodle: question bank" explains it to admins):

- ``single`` → ``multichoice`` ``single=true``: 100 for the right choice, 0 for the others.
- ``multiple`` → ``multichoice`` ``single=false``: the right choices share +100 and the wrong ones
  share −100 (:func:`split_fraction`), so ticking everything scores 0 as in Open edX.
- ``dropdown`` → ``multichoice`` ``single=true`` without numbering. Not ``gapselect``: the source
  format has no gap in the prompt (the list follows the prompt), gapselect choices are plain text,
  and gapselect has no per-choice feedback, which the source has.
- ``numeric`` → ``numerical`` with an absolute ``tolerance``; a relative ``"5%"`` becomes
  5 % of the answer (:meth:`builder.model.Problem.tolerance_value`), as Open edX grades it.
- ``text`` → ``shortanswer``, every accepted answer at 100, ``usecase`` 1 when case-sensitive; a
  ``*`` (Moodle's wildcard) in an answer is escaped as ``\\*``.
- ``weight`` → ``defaultgrade``; ``explanation`` → ``generalfeedback``; ``hints`` → ``hint``;
  choice feedback → answer ``feedback``; ``assesses`` → question tags (the outcome ids, which are
  also the competency idnumbers of ``<slug>.moodle-competencies.csv``); problem id → ``idnumber``.
- ``max_attempts`` → ``penalty`` (:func:`penalty`).
- One category per section and one per subsection holding problems, in outline order.

Escaping. Every ``<text>`` is one CDATA section (``builder.templates.cdata``, split at ``]]>`` as
qformat_xml's ``xml_escape()`` does), never entity references: Moodle's ``core_xml_parser``
(``lib/xmlize.php``) drops every character-data chunk that is only whitespace, and the XML parser
hands ``&lt; &gt;`` over in three chunks, so the space between two references would be lost.

The file is byte-for-byte reproducible: no dates, outline order, files in name order.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from markupsafe import Markup

from builder.cache import file_sha256, model_key, piece
from builder.model import Asset, Choice, Course, Problem, Subsection
from builder.render.links import rewrite_unit_links
from builder.targets import BuildOptions, Output
from builder.templates import environment, render_bytes

UNIT = 10_000_000
"""Fractions are handled as integers in units of 1e-7, the precision Moodle stores them with."""

GRADE_FRACTIONS: tuple[int, ...] = (
    10_000_000,
    9_000_000,
    8_333_333,
    8_000_000,
    7_500_000,
    7_000_000,
    6_666_667,
    6_000_000,
    5_000_000,
    4_000_000,
    3_333_333,
    3_000_000,
    2_500_000,
    2_000_000,
    1_666_667,
    1_428_571,
    1_250_000,
    1_111_111,
    1_000_000,
    500_000,
)
"""The positive grades of ``question_bank::fraction_options_full()`` (``question/engine/bank.php``,
``ensure_fraction_options_initialised()``); their negatives and 0 complete the list."""

PENALTIES: tuple[str, ...] = ("1", "0.5", "0.3333333", "0.25", "0.2", "0.1", "0")
"""The penalty choices of Moodle's question edit form (``add_interactive_settings()``)."""

TAG_MAX_LENGTH = 50
"""``TAG_MAX_LENGTH`` in Moodle's ``lib/setuplib.php``: ``clean_param(PARAM_TAG)`` cuts longer tags."""

IDNUMBER_MAX_LENGTH = 100
"""``question_bank_entries.idnumber`` is ``varchar(100)``."""

CONTEXT = "$course$"
"""The context token Moodle's exporter writes first; "Get context from file" maps it to the course."""

STATIC_REF = re.compile(r'(?P<attr>\b(?:src|href)=")/static/(?P<name>[^"?#]+)"')
"""How rendered HTML refers to a course file (``builder.render.markdown`` writes ``/static/<flat>``)."""

# --------------------------------------------------------------------------- text helpers


def number(value: float) -> str:
    """``2`` rather than ``2.0``; otherwise the shortest exact form, which PHP's ``is_numeric`` accepts."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def tolerance_text(problem: Problem) -> str:
    """The absolute tolerance; a relative one is converted (15 significant digits hide float dust)."""
    value = problem.tolerance_value()
    return number(float(f"{value:.15g}"))


def fraction_text(units: int) -> str:
    """A fraction in 1e-7 units as the percentage qformat_xml reads in ``@fraction`` (``33.33333``)."""
    return f"{(Decimal(units) / Decimal(100_000)).normalize():f}"


def shortanswer_text(answer: str) -> str:
    """A literal answer for qtype_shortanswer, where an unescaped ``*`` matches anything."""
    return answer.strip().replace("*", "\\*")


# --------------------------------------------------------------------------- grading rules


def split_fraction(count: int, where: str = "") -> list[int]:
    """``count`` grades from :data:`GRADE_FRACTIONS` that add up to 100 %, as equal as Moodle allows.

    1–10 and 20 right answers split evenly (1/7 is 14.28571 %, and 7 × 0.1428571 rounds to 1 as
    Moodle checks). Other counts use two listed grades that sum to 100 % and stay closest, in total,
    to an even share, e.g. 11 → 9 × 10 % + 2 × 5 %. Beyond 20 no split exists.
    """
    if count < 1:
        raise ValueError("split_fraction needs at least one answer")
    for grade in GRADE_FRACTIONS:
        if abs(grade * count - UNIT) <= count:  # an even split, up to Moodle's 7-digit rounding
            return [grade] * count
    best: tuple[int, list[int]] | None = None
    for high in GRADE_FRACTIONS:
        for low in GRADE_FRACTIONS:
            if low >= high:
                continue
            for n_high in range(1, count):
                if abs(n_high * high + (count - n_high) * low - UNIT) <= count:
                    # total distance from an even share, in units of 1/count
                    spread = n_high * abs(high * count - UNIT) + (count - n_high) * abs(low * count - UNIT)
                    if best is None or spread < best[0]:
                        best = (spread, [high] * n_high + [low] * (count - n_high))
    if best is None:
        raise ValueError(
            f"{where}{count} answers cannot share 100% using Moodle's grade list "
            "(at most 20 right or 20 wrong choices); split the problem"
        )
    return best[1]


def choice_fractions(problem: Problem) -> list[int]:
    """One fraction per choice, in choice order (see the module docstring)."""
    if problem.type in ("single", "dropdown"):
        return [UNIT if c.correct else 0 for c in problem.choices]
    where = f"problem {problem.id}: "
    right = iter(split_fraction(sum(c.correct for c in problem.choices), where))
    n_wrong = sum(not c.correct for c in problem.choices)
    wrong = iter(split_fraction(n_wrong, where) if n_wrong else [])
    return [next(right) if c.correct else -next(wrong) for c in problem.choices]


def penalty(max_attempts: int | None) -> str:
    """The mark lost per wrong try in Moodle's interactive and adaptive behaviours.

    Open edX gives full credit on any of ``max_attempts`` tries and nothing after. Moodle cannot cap
    tries per question, so the penalty is 1/``max_attempts`` (nearest choice of Moodle's form):
    the credit reaches zero when an Open edX learner would run out of attempts, and a single
    attempt means only the first try counts. Unlimited attempts cost nothing (penalty 0).
    """
    if max_attempts is None:
        return "0"
    target = 1 / max_attempts
    return min(PENALTIES, key=lambda p: (abs(float(p) - target), -float(p)))


# --------------------------------------------------------------------------- files and text fields


@dataclass(frozen=True)
class File:
    name: str
    data: str
    """Base64, one line, as qformat_xml's ``write_files()`` writes it."""


@dataclass
class Field:
    """One HTML text field and the files its ``@@PLUGINFILE@@`` references need."""

    html: str
    files: list[File] = field(default_factory=list)


class Embedder:
    """Rewrites ``/static/<name>`` references to ``@@PLUGINFILE@@/<name>`` and embeds those files."""

    def __init__(self, assets: list[Asset]):
        self.assets = {a.flat_name: a for a in assets}
        self._data: dict[str, str] = {}

    def field(self, html: str, where: str) -> Field:
        names: list[str] = []

        def swap(match: re.Match[str]) -> str:
            name = match.group("name")
            if name not in self.assets:
                raise ValueError(f"{where} refers to /static/{name}, which is not a course file")
            names.append(name)
            return f'{match.group("attr")}@@PLUGINFILE@@/{name}"'

        # A question bank has no units to link to: a link to one is kept as its text.
        text = STATIC_REF.sub(swap, rewrite_unit_links(html.strip(), lambda unit_id, fragment: None))
        files = [File(name, self._base64(name)) for name in sorted(set(names))]
        return Field(text, files)

    def _base64(self, name: str) -> str:
        if name not in self._data:
            self._data[name] = base64.b64encode(Path(self.assets[name].source).read_bytes()).decode("ascii")
        return self._data[name]


# --------------------------------------------------------------------------- categories


def category_path(*names: str) -> str:
    """``$course$/top/<name>/…`` with each name escaped as ``assemble_category_path()`` does."""
    escaped = []
    for name in names:
        part = " ".join(name.split()).replace("/", "//")
        if part.startswith("/"):
            part = " " + part
        if part.endswith("/"):
            part += " "
        escaped.append(part)
    return "/".join([CONTEXT, "top", *escaped])


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


# --------------------------------------------------------------------------- questions


def _check_limits(course: Course, problem: Problem) -> None:
    def at(node_id: str) -> str:
        file, line = course.positions.get(node_id, ("", 0))
        return f"{file}:{line}: " if file and line else f"{file}: " if file else ""

    if len(problem.id) > IDNUMBER_MAX_LENGTH:
        raise ValueError(
            f"{at(problem.id)}problem id {problem.id} is longer than {IDNUMBER_MAX_LENGTH} characters, "
            "the most a Moodle question idnumber holds; shorten the id"
        )
    for outcome_id in problem.assesses:
        if len(outcome_id) > TAG_MAX_LENGTH:
            raise ValueError(
                f"{at(outcome_id)}outcome id {outcome_id} is longer than {TAG_MAX_LENGTH} characters; "
                f"Moodle cuts question tags there, so problem {problem.id}'s tag would no longer match "
                "the competency idnumber: shorten the outcome id"
            )


def _names(course: Course) -> dict[str, str]:
    """Question names: the problem title, with the id added where two problems share a title.

    ``import_headers()`` rejects a question whose name is empty, so a blank title becomes the id.
    """
    titles = {p.id: " ".join(p.title.split()) for p in course.problems()}
    counts = Counter(titles.values())
    return {
        pid: title if title and counts[title] == 1 else f"{title} ({pid})" if title else pid
        for pid, title in titles.items()
    }


def _choice(c: Choice, fraction: int, embed: Embedder, where: str) -> dict[str, object]:
    return {
        "fraction": fraction_text(fraction),
        "text": embed.field(c.text_html, where),
        "feedback": embed.field(c.feedback_html, where),
    }


def question(course: Course, problem: Problem, name: str, embed: Embedder) -> dict[str, object]:
    """Everything the template writes for one problem; type-specific keys only where they apply."""
    _check_limits(course, problem)
    where = f"problem {problem.id}"
    q: dict[str, object] = {
        "name": name,
        "text": embed.field(problem.prompt_html, where),
        "generalfeedback": embed.field(problem.explanation_html, where),
        "defaultgrade": number(problem.weight),
        "penalty": penalty(problem.max_attempts),
        "idnumber": problem.id,
        "hints": [embed.field(h, where) for h in problem.hints_html if h.strip()],
        "tags": list(dict.fromkeys(problem.assesses)),
    }
    if problem.type in ("single", "multiple", "dropdown"):
        fractions = choice_fractions(problem)
        q.update(
            type="multichoice",
            single="false" if problem.type == "multiple" else "true",
            answernumbering="none" if problem.type == "dropdown" else "abc",
            answers=[_choice(c, f, embed, where) for c, f in zip(problem.choices, fractions, strict=True)],
        )
    elif problem.type == "numeric":
        if problem.answer is None:
            raise ValueError(f"numeric problem {problem.id} has no answer")
        q.update(
            type="numerical",
            answers=[
                {"fraction": "100", "value": number(problem.answer), "tolerance": tolerance_text(problem)}
            ],
        )
    else:
        answers = [shortanswer_text(a) for a in problem.answers if a.strip()]
        if not answers:
            raise ValueError(f"text problem {problem.id} has no answers")
        q.update(
            type="shortanswer",
            usecase="1" if problem.case_sensitive else "0",
            answers=[{"fraction": "100", "value": a} for a in dict.fromkeys(answers)],
        )
    return q


def categories(course: Course) -> list[dict[str, object]]:
    """Section and subsection categories in outline order, each with the markup of its questions.

    A subsection's questions are rendered (``question.xml.j2``) as one piece of the build cache,
    keyed by its units' models, the question names and the bytes of every course file their HTML
    may embed: an edit renders the questions of one subsection again, not the whole bank (3.7 s of
    a one-unit edit at 20,000 units).
    """
    embed = Embedder(course.assets)
    names = _names(course)
    template = environment("moodle_templates").get_template("question.xml.j2")
    shas: dict[str, str | None] = {}

    def sha(name: str) -> str | None:
        if name not in shas:
            asset = embed.assets.get(name)
            shas[name] = file_sha256(asset.source) if asset is not None else None
        return shas[name]

    def questions(sub: Subsection, problems: list[Problem]) -> Markup:
        def parts() -> tuple[object, ...]:
            files = sorted({n for p in problems for h in _html_fields(p) for n in STATIC_NAME.findall(h)})
            return (
                [model_key(u) for u in sub.units],
                [names[p.id] for p in problems],
                [[n, sha(n)] for n in files],
            )

        def make() -> str:
            return template.render(questions=[question(course, p, names[p.id], embed) for p in problems])

        return Markup(piece("questions-subsection", parts, make))

    out: list[dict[str, object]] = []
    for section in course.sections:
        if not any(u.problems for ss in section.subsections for u in ss.units):
            continue
        out.append(
            {
                "path": category_path(section.title),
                "info": _paragraph(f"{course.title} — {section.title}"),
                "questions": [],
            }
        )
        for sub in section.subsections:
            problems = [p for u in sub.units for p in u.problems]
            if not problems:
                continue
            out.append(
                {
                    "path": category_path(section.title, sub.title),
                    "info": _paragraph(f"{course.title} — {section.title} — {sub.title}"),
                    # Made as the template writes it: the whole bank's pieces (23 MB at 20,000
                    # units) are never in memory beside the document they are written into.
                    "questions": _Later(questions, sub, problems),
                }
            )
    return out


class _Later:
    """A category's questions, rendered (or taken from the build cache) when iterated."""

    def __init__(
        self, make: Callable[[Subsection, list[Problem]], Markup], sub: Subsection, problems: list[Problem]
    ):
        self.make, self.sub, self.problems = make, sub, problems

    def __iter__(self) -> Iterator[Markup]:
        yield self.make(self.sub, self.problems)


STATIC_NAME = re.compile(r'/static/([^"?#]+)')
"""Every name after ``/static/`` in a text: a superset of the files ``Embedder`` embeds for it."""


def _html_fields(p: Problem) -> list[str]:
    """Every HTML text of a problem that ``question`` passes to ``Embedder.field``."""
    return [
        p.prompt_html,
        p.explanation_html,
        *p.hints_html,
        *(c.text_html for c in p.choices),
        *(c.feedback_html for c in p.choices),
    ]


def questions_xml(course: Course) -> bytes:
    template = environment("moodle_templates").get_template("questions.xml.j2")
    return render_bytes(template, categories=categories(course))


def render(course: Course, options: BuildOptions) -> list[Output]:
    name = f"{course.stem}.moodle-questions.xml"
    count = len(course.problems())
    return [Output(name, "file", {name: questions_xml(course)}, f"{count} questions")]
