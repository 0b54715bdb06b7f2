"""The coverage report: matrix data, CSV/JSON/HTML writers, and the page as Chromium renders it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from builder.model import (
    CompetenceMap,
    Course,
    EcfRef,
    Framework,
    Html,
    LearningUnit,
    Outcome,
    Problem,
    Section,
    Subsection,
    Unit,
)
from builder.report.coverage import coverage, summary, to_csv, to_html, to_json, write_reports
from tests.factories import TRICKY_TITLE, make_course


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = make_course(tmp_path)
    for o in c.competences.outcomes():
        o.assessment_criteria = ["Does it."]
    return c


def with_gaps(course: Course) -> Course:
    """TM.U1.S1 no longer taught (still assessed), TM.U2.R1 no longer assessed, one empty unit."""
    units = {u.id: u for u in course.units()}
    units["u-practice"].outcomes = []
    for p in course.problems():
        p.assesses = [o for o in p.assesses if o != "TM.U2.R1"]
    course.sections[1].subsections[0].units.append(
        Unit(id="u-empty", title="Empty", outcomes=[], components=[], source="outline/02-c/01-d/02-empty.md")
    )
    return course


# --------------------------------------------------------------------------- data


def test_cells_record_teaching_and_assessing_problems(course: Course) -> None:
    cov = coverage(course)
    assert [r.id for r in cov.rows] == ["u-intro", "u-practice", "u-report"]
    intro_k1 = cov.cell("u-intro", "TM.U1.K1")
    assert (intro_k1.taught, intro_k1.problems, intro_k1.state) == (True, ("p-single",), "both")
    report_k1 = cov.cell("u-report", "TM.U1.K1")  # p-dropdown assesses K1 in a unit that does not teach it
    assert (report_k1.taught, report_k1.problems, report_k1.state) == (False, ("p-dropdown",), "assessed")
    practice_s1 = cov.cell("u-practice", "TM.U1.S1")
    assert practice_s1.problems == ("p-multiple", "p-numeric") and practice_s1.state == "both"
    assert cov.cell("u-intro", "TM.U2.R1").state == ""

    by_id = {o.outcome.id: o for o in cov.outcomes}
    assert by_id["TM.U1.K1"].taught_by == ("u-intro",)
    assert by_id["TM.U1.K1"].assessed_by == (("u-intro", "p-single"), ("u-report", "p-dropdown"))
    assert {o.status for o in cov.outcomes} == {"covered"}
    assert [o.code for o in cov.outcomes] == ["K1", "S1", "R1"]


def test_gaps(course: Course) -> None:
    cov = coverage(with_gaps(course))
    assert [o.outcome.id for o in cov.not_taught] == ["TM.U1.S1"]
    assert [o.outcome.id for o in cov.not_assessed] == ["TM.U2.R1"]
    # u-practice still assesses TM.U1.S1, so only the empty unit serves no outcome.
    assert [r.id for r in cov.units_without_outcomes] == ["u-empty"]
    statuses = {o.outcome.id: o.status for o in cov.outcomes}
    assert statuses == {"TM.U1.K1": "covered", "TM.U1.S1": "not taught", "TM.U2.R1": "not assessed"}
    # The same findings reach the report's check list.
    assert {d.code for d in cov.diagnostics} == {
        "outcome-not-taught",
        "outcome-not-assessed",
        "unit-without-outcomes",
    }


def test_totals_and_summary(course: Course) -> None:
    cov = coverage(with_gaps(course))
    assert (cov.totals.ecvet_points, cov.totals.hours, cov.totals.eqf_levels) == (3, 75, {5: 1, 6: 1})
    text = summary(cov)
    assert "3 outcomes in 2 units of learning outcomes, 4 course units" in text
    assert "taught 2/3, assessed 2/3, both 1/3" in text
    assert "not taught: TM.U1.S1" in text and "not assessed: TM.U2.R1" in text
    assert "u-empty" in text and "3 ECVET points, 75 h (25 h/point)" in text
    assert summary(course) == text  # the CLI passes the course itself


# --------------------------------------------------------------------------- writers


def test_csv_matrix(course: Course) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(coverage(with_gaps(course))).decode("utf-8"))))
    assert rows[0] == ["section", "subsection", "unit", "unit_title", "TM.U1.K1", "TM.U1.S1", "TM.U2.R1"]
    matrix = {r[2]: dict(zip(rows[0][4:], r[4:], strict=True)) for r in rows[1:]}
    assert matrix["u-intro"] == {"TM.U1.K1": "T+A", "TM.U1.S1": "", "TM.U2.R1": ""}
    assert matrix["u-practice"] == {"TM.U1.K1": "", "TM.U1.S1": "A", "TM.U2.R1": ""}
    assert matrix["u-report"] == {"TM.U1.K1": "A", "TM.U1.S1": "", "TM.U2.R1": "T"}
    assert matrix["u-empty"] == {"TM.U1.K1": "", "TM.U1.S1": "", "TM.U2.R1": ""}
    assert rows[1][3] == TRICKY_TITLE


def test_json_data(course: Course) -> None:
    data = json.loads(to_json(coverage(with_gaps(course))))
    assert data["gaps"] == {
        "not_taught": ["TM.U1.S1"],
        "not_assessed": ["TM.U2.R1"],
        "units_without_outcomes": ["u-empty"],
    }
    k1 = data["units_of_learning_outcomes"][0]["outcomes"][0]
    assert k1["assessed_by"] == [
        {"unit": "u-intro", "problem": "p-single"},
        {"unit": "u-report", "problem": "p-dropdown"},
    ]
    assert data["totals"]["ecvet_points"] == 3 and data["totals"]["eqf_levels"] == {"5": 1, "6": 1}
    assert {d["code"] for d in data["diagnostics"]} == {
        "outcome-not-taught",
        "outcome-not-assessed",
        "unit-without-outcomes",
    }


def test_html_is_self_contained_and_escaped(course: Course) -> None:
    page = to_html(coverage(with_gaps(course))).decode("utf-8")
    doc = lxml_html.fromstring(page)
    assert not doc.xpath("//script | //link | //img | //iframe | //object | //*[@src]")
    style = " ".join(doc.xpath("//style/text()"))
    assert "url(" not in style and "@import" not in style
    # The tricky title arrives as text, not markup.
    assert TRICKY_TITLE in doc.xpath('string(//tr[@data-unit="u-intro"]/th)')
    assert "<rewards>" not in page
    cell = doc.xpath('//td[@data-unit="u-report"][@data-outcome="TM.U1.K1"]')[0]
    assert cell.text_content() == "A" and "p-dropdown" in cell.get("title")
    assert doc.xpath('string(//tfoot//td[@data-outcome="TM.U2.R1"]/@data-status)') == "not assessed"


def test_write_reports_is_deterministic(course: Course, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    paths = write_reports(course, out)
    assert [p.name for p in paths] == [f"{course.slug}.coverage.{ext}" for ext in ("html", "csv", "json")]
    first = [p.read_bytes() for p in paths]
    assert [p.read_bytes() for p in write_reports(course, out)] == first
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp files left


def test_sample_course_report(sample_course: Course) -> None:
    cov = coverage(sample_course)
    assert len(cov.outcomes) == len(sample_course.competences.outcomes())
    assert len(cov.rows) == len(sample_course.units())
    lxml_html.fromstring(to_html(cov))


# --------------------------------------------------------------------------- in a browser


def wide_course(tmp_path: Path) -> Course:
    """Five units of learning outcomes × five outcomes against twelve course units, with gaps."""
    base = make_course(tmp_path)
    cats = ["knowledge", "knowledge", "skills", "skills", "responsibility_autonomy"]
    codes = ["K1", "K2", "S1", "S2", "RA1"]
    ulos = []
    for u in range(1, 6):
        eqf = 5 if u in (3, 4) else 6
        ulos.append(
            LearningUnit(
                id=f"HTL.U{u}",
                title=f"Unit {u} of the map",
                eqf_level=eqf,
                ecvet_points=3 if eqf == 6 else 2,
                hours=75 if eqf == 6 else 50,
                outcomes=[
                    Outcome(
                        id=f"HTL.U{u}.{code}",
                        category=cat,  # type: ignore[arg-type]
                        statement=f"Outcome {code} of unit {u}: explains & applies <things>.",
                        assessment_criteria=["Does it."],
                        ecf=EcfRef(code="A.1", level=3 if eqf == 6 else 2),
                        unit_id=f"HTL.U{u}",
                    )
                    for code, cat in zip(codes, cats, strict=True)
                ],
            )
        )
    # Deliberate inconsistency for the checks list: an e-4 claim in an EQF 6 unit.
    ulos[4].outcomes[3].ecf = EcfRef(code="D.9", level=4)
    cmap = CompetenceMap(
        framework=Framework(
            id="elead-htl",
            title="eLead High-Tech Leader competence map",
            version="1.0",
            language="en",
            base_uri="https://elead.example.org/competence-map/htl",
            profile="High-Tech Leader",
        ),
        units=ulos,
    )
    sections = []
    for s in range(1, 6):
        subs = []
        for ss in range(1, 3):
            units = []
            for n in range(1, 3 if s < 5 else 2):
                idx = (ss - 1) * 2 + n  # 1..4
                taught = [f"HTL.U{s}.{codes[idx - 1]}"] if not (s == 3 and idx == 4) else []
                if idx == 4:
                    taught.append(f"HTL.U{s}.RA1")
                assessed = [f"HTL.U{s}.{codes[idx - 1]}"] if (s, idx) not in ((2, 3), (4, 1)) else []
                if s == 1 and idx == 2:
                    assessed.append("HTL.U2.K1")  # assessed in another section's unit
                problems = [
                    Problem(
                        id=f"p-{s}-{ss}-{n}",
                        type="single",
                        title="Check",
                        prompt_md="?",
                        prompt_html="<p>?</p>",
                        assesses=assessed,
                    )
                ]
                units.append(
                    Unit(
                        id=f"u-{s}-{ss}-{n}",
                        title=f"Lesson {s}.{ss}.{n} — working with data & <tools>",
                        outcomes=taught,
                        components=[
                            Html(id=f"u-{s}-{ss}-{n}.html-1", markdown="x", html="<p>x</p>"),
                            *problems,
                        ],
                        source=f"outline/0{s}/0{ss}/0{n}-lesson.md",
                    )
                )
            subs.append(Subsection(id=f"ss-{s}-{ss}", title=f"Subsection {s}.{ss}", units=units))
        sections.append(Section(id=f"s-{s}", title=f"Section {s}: theme {s}", subsections=subs))
    sections[-1].subsections[-1].units.append(
        Unit(id="u-wrapup", title="Wrap-up", outcomes=[], components=[], source="outline/05/02/02-wrapup.md")
    )
    return base.model_copy(update={"competences": cmap, "sections": sections, "title": "High-Tech Leader"})


@pytest.mark.browser
def test_coverage_page_in_chromium(browser, artifacts_dir: Path, tmp_path: Path) -> None:
    course = wide_course(tmp_path)
    cov = coverage(course)
    page = browser.new_page(viewport={"width": 1500, "height": 900})
    try:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.set_content(to_html(cov).decode("utf-8"), wait_until="load")

        def cell(unit_id: str, outcome_id: str):
            return page.locator(f'td[data-unit="{unit_id}"][data-outcome="{outcome_id}"]')

        both = cell("u-1-1-1", "HTL.U1.K1")
        assert both.inner_text() == "T+A" and both.get_attribute("data-state") == "both"
        only_assessed = cell("u-1-1-2", "HTL.U2.K1")
        assert only_assessed.inner_text() == "A"
        only_taught = cell("u-2-2-1", "HTL.U2.S1")
        assert only_taught.inner_text() == "T"
        assert cell("u-1-1-1", "HTL.U3.K1").inner_text() == ""

        def bg(loc) -> str:
            return loc.evaluate("el => getComputedStyle(el).backgroundColor")

        colours = {bg(both), bg(only_assessed), bg(only_taught), bg(cell("u-1-1-1", "HTL.U3.K1"))}
        assert len(colours) == 4, "each state has its own colour (besides its symbol)"

        status = page.locator('tfoot td[data-outcome="HTL.U3.S2"]')
        assert status.get_attribute("data-status") == "not taught" and "no T" in status.inner_text()
        assert page.locator("#gaps-not-taught li").count() == len(cov.not_taught)
        assert page.locator("#gaps-units li", has_text="u-wrapup").count() == 1
        assert (
            page.locator(".checks li", has_text="ecf-eqf").count() == 0
        )  # codes are not shown, messages are
        assert page.locator(".checks li", has_text="e-CF D.9 (e-4)").count() == 1
        assert page.locator("#totals-table tfoot").inner_text().count("13") == 1  # 3+3+2+2+3 points
        assert requests == [], f"the page must not load anything: {requests}"
        page.screenshot(path=str(artifacts_dir / "coverage.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize(
    "uri", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "ftp://x.org/a"]
)
def test_report_links_only_http_uris_even_from_an_unchecked_model(course: Course, uri: str) -> None:
    # The loader refuses these; a model built some other way must still not get a live link.
    course.competences.units[0].outcomes[0].esco = [uri, "http://data.europa.eu/esco/skill/abc"]
    doc = lxml_html.fromstring(to_html(coverage(course)))
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert "http://data.europa.eu/esco/skill/abc" in hrefs
    assert not [h for h in hrefs if h and not h.startswith(("http://", "https://", "#"))]
    assert uri in doc.text_content()  # still shown, as text


def test_cells_are_the_units_facts_and_equal_cells_are_made_once(
    course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every cell says whether its unit teaches the outcome and which of its problems assess it
    (each once, in order); a course of 2,000 units has 50,000 cells of a handful of values, so
    each distinct value is made once."""
    from builder.report import coverage as module

    made: list[tuple[bool, tuple[str, ...]]] = []
    real = module.Cell

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, taught: bool, problems: tuple[str, ...]) -> None:
            made.append((taught, problems))
            super().__init__(taught, problems)

    monkeypatch.setattr(module, "Cell", Counting)
    cov = coverage(course)
    known = list(course.competences.outcome_index())
    units = {u.id: u for u in course.units()}
    for row in cov.rows:
        unit = units[row.id]
        for oid in known:
            ids = tuple(dict.fromkeys(p.id for p in unit.problems for o in p.assesses if o == oid))
            cell = row.cells[oid]
            assert (cell.taught, cell.problems) == (oid in unit.outcomes, ids)
    assert len(made) == len(set(made)) < len(cov.rows) * len(known)
