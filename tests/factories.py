"""Small hand-built ``Course`` models for unit tests that must not depend on the sample course.

``make_course(tmp_path)`` writes its static files (an image, a transcript, a PDF) under
``tmp_path`` because ``Asset.source`` must be a real file. It covers every component kind, all
five problem types, a graded subsection and a title with characters that need escaping, so
targets can be tested against one small, fully known course. Tests may mutate the returned model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from builder.model import (
    Asset,
    Choice,
    CompetenceMap,
    Course,
    Framework,
    Grader,
    Grading,
    Html,
    LearningUnit,
    Outcome,
    Problem,
    Section,
    Subsection,
    Transcript,
    Unit,
    Video,
)

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
SRT = "1\n00:00:00,000 --> 00:00:02,000\nWelcome to the course.\n"
TRICKY_TITLE = 'Risks & rewards <now> "quoted" — Zürich café'
"""Markup characters, quotes and non-ASCII: must survive every target as text."""


def make_asset(root: Path, rel_path: str, data: bytes) -> Asset:
    src = root / "static" / rel_path
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data)
    return Asset(source=src, rel_path=rel_path, flat_name=rel_path.replace("/", "_"), size=len(data))


def make_competences() -> CompetenceMap:
    return CompetenceMap(
        framework=Framework(
            id="test-map",
            title="Test competence map",
            version="1.0",
            language="en",
            base_uri="https://example.org/map",
            profile="Tester",
        ),
        units=[
            LearningUnit(
                id="TM.U1",
                title="Testing & checking",
                eqf_level=5,
                ecvet_points=2,
                hours=50,
                outcomes=[
                    Outcome(
                        id="TM.U1.K1",
                        category="knowledge",
                        statement="Explains why tests matter; and when > 1 check is needed.",
                        unit_id="TM.U1",
                    ),
                    Outcome(
                        id="TM.U1.S1",
                        category="skills",
                        statement="Writes a\ttest for a small function.",
                        unit_id="TM.U1",
                    ),
                ],
            ),
            LearningUnit(
                id="TM.U2",
                title="Reporting",
                eqf_level=6,
                ecvet_points=1,
                hours=25,
                outcomes=[
                    Outcome(
                        id="TM.U2.R1",
                        category="responsibility_autonomy",
                        statement="Takes responsibility for the quality of reports, including Ünïcode ones.",
                        unit_id="TM.U2",
                    )
                ],
            ),
        ],
    )


def _p(text: str) -> str:
    return f"<p>{text}</p>\n"


def make_problems() -> list[Problem]:
    return [
        Problem(
            id="p-single",
            type="single",
            title="Single & select",
            prompt_md="Which is **right**?",
            prompt_html=_p("Which is <strong>right</strong>?"),
            choices=[
                Choice(
                    text_md="Right",
                    text_html=_p("Right"),
                    correct=True,
                    feedback_md="Yes.",
                    feedback_html=_p("Yes."),
                ),
                Choice(
                    text_md="Wrong <b>",
                    text_html=_p("Wrong &lt;b&gt;"),
                    feedback_md="No.",
                    feedback_html=_p("No, see <em>above</em>."),
                ),
            ],
            hints_md=["Think."],
            hints_html=[_p("Think.")],
            explanation_md="Because.",
            explanation_html=_p("Because."),
            max_attempts=2,
            assesses=["TM.U1.K1"],
        ),
        Problem(
            id="p-multiple",
            type="multiple",
            title="Multiple",
            prompt_md="Pick all even numbers.",
            prompt_html=_p("Pick all even numbers.") + _p("There are two."),
            choices=[
                Choice(
                    text_md="2", text_html=_p("2"), correct=True, feedback_md="Even", feedback_html=_p("Even")
                ),
                Choice(text_md="3", text_html=_p("3"), feedback_md="Odd", feedback_html=_p("Odd")),
                Choice(text_md="4", text_html=_p("4"), correct=True),
            ],
            assesses=["TM.U1.S1"],
        ),
        Problem(
            id="p-numeric",
            type="numeric",
            title="Numeric",
            prompt_md="What is 10% of 240?",
            prompt_html=_p("What is 10% of 240?"),
            answer=24,
            tolerance="5%",
            hints_md=["Divide by ten.", "240 / 10"],
            hints_html=[_p("Divide by ten."), _p("240 / 10")],
            weight=2.0,
            assesses=["TM.U1.S1"],
        ),
        Problem(
            id="p-text",
            type="text",
            title="Text",
            prompt_md="What does KPI stand for?",
            prompt_html=_p("What does KPI stand for?"),
            answers=["key performance indicator", "key performance indicators", 'a "quoted" & <odd> one'],
            case_sensitive=False,
            explanation_md="Key performance indicator.",
            explanation_html=_p("Key performance indicator."),
            assesses=["TM.U2.R1"],
        ),
        Problem(
            id="p-dropdown",
            type="dropdown",
            title="Dropdown",
            prompt_md="The capital of France is",
            prompt_html=_p("The capital of France is"),
            choices=[
                Choice(text_md="Lyon", text_html=_p("Lyon"), feedback_md="No", feedback_html=_p("No")),
                Choice(
                    text_md="Paris",
                    text_html=_p("Paris"),
                    correct=True,
                    feedback_md="Yes",
                    feedback_html=_p("Yes"),
                ),
            ],
            assesses=["TM.U1.K1"],
        ),
    ]


def make_course(tmp_path: Path) -> Course:
    """A two-section course with every component kind; static files are written under ``tmp_path``."""
    image = make_asset(tmp_path, "images/course-image.png", PNG_1X1)
    diagram = make_asset(tmp_path, "images/diagram.png", PNG_1X1)
    srt = make_asset(tmp_path, "transcripts/intro-en.srt", SRT.encode())
    pdf = make_asset(tmp_path, "downloads/guide.pdf", b"%PDF-1.4\n%%EOF\n")
    problems = make_problems()
    intro = Unit(
        id="u-intro",
        title=TRICKY_TITLE,
        outcomes=["TM.U1.K1"],
        source="outline/01-a/01-a/01-intro.md",
        components=[
            Html(
                id="u-intro.html-1",
                markdown="Intro",
                html=_p("Hello &amp; welcome, Zürich.")
                + f'<p><img src="/static/{diagram.flat_name}" alt="A diagram"></p>\n'
                + f'<p><a href="/static/{pdf.flat_name}">Guide</a></p>\n',
            ),
            Video(
                id="v-intro",
                title="Welcome",
                youtube_id="dQw4w9WgXcQ",
                mp4_url="https://media.example.org/intro.mp4",
                transcripts=[Transcript(language="en", asset=srt)],
                start="00:00:05",
                end="00:01:00",
            ),
            problems[0],
        ],
    )
    practice = Unit(
        id="u-practice",
        title="Practice",
        outcomes=["TM.U1.S1"],
        source="outline/01-a/02-b/01-practice.md",
        components=[Html(id="u-practice.html-1", markdown="Try", html=_p("Try these.")), *problems[1:3]],
    )
    report = Unit(
        id="u-report",
        title="Reporting",
        outcomes=["TM.U2.R1"],
        source="outline/02-c/01-d/01-report.md",
        components=[problems[3], problems[4]],
    )
    return Course(
        org="TestOrg",
        number="T101",
        run="2026_T1",
        title=TRICKY_TITLE,
        language="en",
        start=datetime(2026, 2, 2, 9, 0, tzinfo=UTC),
        end=datetime(2026, 12, 18, 17, 0, tzinfo=UTC),
        pacing="self",
        short_description="A tiny course & its <tests>.",
        overview_html="<h2>About</h2>\n" + _p("Learn &amp; test."),
        image=image,
        license="CC-BY-SA-4.0",
        grading=Grading(
            graders=[
                Grader(type="Quiz", short_label="Q", min_count=1, drop_count=0, weight=0.4),
                Grader(type="Final Exam", short_label="FE", min_count=1, drop_count=0, weight=0.6),
            ],
            pass_cutoff=0.6,
        ),
        competences=make_competences(),
        sections=[
            Section(
                id="s-one",
                title="Section one",
                subsections=[
                    Subsection(id="ss-intro", title="Intro", units=[intro]),
                    Subsection(
                        id="ss-practice",
                        title="Practice",
                        graded=True,
                        format="Quiz",
                        due=datetime(2026, 4, 30, 23, 59, tzinfo=UTC),
                        units=[practice],
                    ),
                ],
            ),
            Section(
                id="s-two",
                title="Section two",
                subsections=[
                    Subsection(id="ss-final", title="Final", graded=True, format="Final Exam", units=[report])
                ],
            ),
        ],
        assets=sorted([image, diagram, srt, pdf], key=lambda a: a.flat_name),
        source_epoch=1767225600,
    )
