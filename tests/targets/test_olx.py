"""The OLX target against the OLX references: capa structure, pointers, tags, escaping, olxcleaner."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote

import olxcleaner
import pytest
from lxml import etree

from builder import taxonomy
from builder.archive import extract_to, write_tar_gz
from builder.model import Choice, Course, Problem
from builder.targets import BuildOptions
from builder.targets.olx import render, xml_fragment
from tests.factories import TRICKY_TITLE, make_course

RUN = "2026_T1"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path / "src")


def build(course: Course) -> dict[str, bytes | Path]:
    outputs = render(course, BuildOptions())
    assert len(outputs) == 1
    return outputs[0].members


def xml(members: dict[str, bytes | Path], path: str) -> etree._Element:
    data = members[f"course/{path}"]
    assert isinstance(data, bytes)
    return etree.fromstring(data)


def problem(members: dict[str, bytes | Path], pid: str) -> etree._Element:
    root = xml(members, f"problem/{pid}.xml")
    assert root.tag == "problem"
    return root


def parse_tags_v1(value: str) -> dict[str, list[str]]:
    """What Studio's TaggedBlockMixin.add_tags_from_field reads back from the attribute."""
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        export, tags = part.split(":")
        out[export] = [unquote(t) for t in tags.split(",")]
    return out


def values_of(course: Course, outcome_ids: list[str]) -> list[str]:
    index = course.competences.outcome_index()
    return list(dict.fromkeys(taxonomy.tag_value(index[o]) for o in outcome_ids))


def olxcleaner_errors(members: dict[str, bytes | Path], tmp_path: Path) -> list[object]:
    out = tmp_path / "olx"
    extract_to(members, out)
    _course, store, _urls = olxcleaner.validate(str(out / "course"), 8, allowed_xblocks=[])
    return store.errors


# --------------------------------------------------------------------------- layout


def test_output_is_one_tarball_under_one_course_folder(course: Course) -> None:
    [out] = render(course, BuildOptions())
    assert out.filename == "TestOrg-T101-2026_T1.olx.tar.gz"
    assert out.format == "tar.gz"
    assert out.summary == "3 units, 5 problems"
    assert all(name.startswith("course/") for name in out.members)
    assert [n for n in out.members if n.endswith("/course.xml")] == ["course/course.xml"]


def test_course_pointer_is_exact(course: Course) -> None:
    members = build(course)
    root = xml(members, "course.xml")
    assert root.tag == "course"
    assert dict(root.attrib) == {"url_name": RUN, "org": "TestOrg", "course": "T101"}
    assert len(root) == 0 and not (root.text or "").strip()


def test_course_run_file_settings_and_chapter_pointers(course: Course) -> None:
    members = build(course)
    root = xml(members, f"course/{RUN}.xml")
    assert root.get("display_name") == TRICKY_TITLE
    assert root.get("start") == "2026-02-02T09:00:00Z"
    assert root.get("end") == "2026-12-18T17:00:00Z"
    assert root.get("language") == "en"
    assert root.get("self_paced") == "true"
    assert root.get("course_image") == course.image.flat_name
    assert f"course/static/{course.image.flat_name}" in members
    assert [(c.tag, dict(c.attrib)) for c in root] == [
        ("chapter", {"url_name": "s-one"}),
        ("chapter", {"url_name": "s-two"}),
    ]


def test_instructor_paced_course_without_end(course: Course) -> None:
    course.pacing = "instructor"
    course.end = None
    members = build(course)
    root = xml(members, f"course/{RUN}.xml")
    assert "self_paced" not in root.attrib and "end" not in root.attrib
    policy = json.loads(members[f"course/policies/{RUN}/policy.json"])
    assert policy[f"course/{RUN}"]["self_paced"] is False
    assert "end" not in policy[f"course/{RUN}"]


def test_every_container_child_is_an_exact_resolving_pointer(course: Course) -> None:
    members = build(course)
    containers = [n for n in members if n.split("/")[1] in {"course", "chapter", "sequential", "vertical"}]
    assert len(containers) == 1 + 2 + 3 + 3
    seen = 0
    for name in containers:
        raw = members[name]
        assert isinstance(raw, bytes)
        for child in etree.fromstring(raw):
            assert dict(child.attrib).keys() == {"url_name"}, (name, child.attrib)
            assert len(child) == 0 and child.text is None
            assert f"course/{child.tag}/{child.get('url_name')}.xml" in members
            seen += 1
        # Byte-level: pointer lines are exactly <tag url_name="…"/>.
        for line in raw.decode().splitlines()[1:-1]:
            assert re.fullmatch(
                r'  <(chapter|sequential|vertical|html|problem|video) url_name="[^"]+"/>', line
            )
    assert seen == 2 + 3 + 3 + 8


def test_sequentials_carry_grading(course: Course) -> None:
    members = build(course)
    practice = xml(members, "sequential/ss-practice.xml")
    assert practice.get("graded") == "true"
    assert practice.get("format") == "Quiz"
    assert practice.get("due") == "2026-04-30T23:59:00Z"
    final = xml(members, "sequential/ss-final.xml")
    assert final.get("graded") == "true" and final.get("format") == "Final Exam" and "due" not in final.attrib
    intro = xml(members, "sequential/ss-intro.xml")
    assert {"graded", "format", "due"}.isdisjoint(intro.attrib)
    grader_types = {g.type for g in course.grading.graders}
    assert {practice.get("format"), final.get("format")} <= grader_types


def test_policies(course: Course) -> None:
    members = build(course)
    raw = members[f"course/policies/{RUN}/policy.json"]
    assert isinstance(raw, bytes)
    policy = json.loads(raw)
    assert raw.decode() == json.dumps(policy, sort_keys=True, indent=4, ensure_ascii=False) + "\n"
    entry = policy[f"course/{RUN}"]
    assert entry == {
        "display_name": TRICKY_TITLE,
        "start": "2026-02-02T09:00:00Z",
        "end": "2026-12-18T17:00:00Z",
        "language": "en",
        "course_image": course.image.flat_name,
        "self_paced": True,
    }
    grading = json.loads(members[f"course/policies/{RUN}/grading_policy.json"])
    assert grading["GRADE_CUTOFFS"] == {"Pass": 0.6}
    assert [
        (g["type"], g["short_label"], g["min_count"], g["drop_count"], g["weight"]) for g in grading["GRADER"]
    ] == [
        ("Quiz", "Q", 1, 0, 0.4),
        ("Final Exam", "FE", 1, 0, 0.6),
    ]
    assert sum(g["weight"] for g in grading["GRADER"]) == pytest.approx(1.0)


def test_about_pages(course: Course) -> None:
    members = build(course)
    overview = members["course/about/overview.html"]
    assert isinstance(overview, bytes) and course.overview_html.encode() in overview
    short = members["course/about/short_description.html"]
    assert isinstance(short, bytes)
    assert short.decode().strip() == "A tiny course &amp; its &lt;tests&gt;."


# --------------------------------------------------------------------------- components


def test_html_pairs(course: Course) -> None:
    members = build(course)
    pointer = xml(members, "html/u-intro.html-1.xml")
    assert pointer.get("filename") == "u-intro.html-1"
    assert pointer.get("display_name") == TRICKY_TITLE
    html = course.units()[0].components[0]
    assert members["course/html/u-intro.html-1.html"] == (html.html + "\n").encode()  # type: ignore[union-attr]


def test_static_files_and_links(course: Course) -> None:
    members = build(course)
    for asset in course.assets:
        assert members[f"course/static/{asset.flat_name}"] == asset.source
    text = b"".join(v for k, v in members.items() if isinstance(v, bytes) and k.endswith((".html", ".xml")))
    links = re.findall(rb'(?:src|href)="/static/([^"]+)"', text)
    assert len(links) >= 2
    for link in links:
        assert f"course/static/{link.decode()}" in members


def test_video(course: Course) -> None:
    members = build(course)
    video = xml(members, "video/v-intro.xml")
    assert video.get("display_name") == "Welcome"
    assert video.get("youtube") == "1.00:dQw4w9WgXcQ"
    assert video.get("youtube_id_1_0") == "dQw4w9WgXcQ"
    assert json.loads(video.get("html5_sources")) == ["https://media.example.org/intro.mp4"]
    assert video.get("start_time") == "00:00:05" and video.get("end_time") == "00:01:00"
    assert json.loads(video.get("transcripts")) == {"en": "transcripts_intro-en.srt"}
    [transcript] = video.findall("transcript")
    assert transcript.attrib == {"language": "en", "src": "transcripts_intro-en.srt"}
    assert "course/static/transcripts_intro-en.srt" in members
    assert [s.get("src") for s in video.findall("source")] == ["https://media.example.org/intro.mp4"]


YOUTUBE_DEFAULTS = {"1_0": "3_yD_cEKoCk", "0_75": "", "1_25": "", "1_5": ""}
"""Open edX's field defaults (openedx-platform ``xmodule/video_block/video_xfields.py``): a block
that never sets ``youtube_id_1_0`` plays Open edX's own demo clip."""


def openedx_youtube_streams(video: etree._Element) -> dict[str, str]:
    """The YouTube ids Open edX's video player is given for this OLX element.

    A transcription of ``VideoBlock.parse_video_xml`` (``xmodule/video_block/video_block.py``):
    ``<source>`` children set ``html5_sources``; ``youtube="1.00:ID,…"`` sets each speed's id (an
    empty id only when there are HTML5 sources); a ``youtube_id_*`` attribute sets its field; any
    field left unset keeps its default. The player prefers a non-empty YouTube stream to the MP4.
    """
    fields = dict(YOUTUBE_DEFAULTS)
    has_sources = bool(video.findall("source")) or "html5_sources" in video.attrib
    for attr, value in video.attrib.items():
        if attr == "youtube":
            for piece in value.split(","):
                speed, _, yid = piece.partition(":")
                normal = f"{float(speed):.2f}"
                key = (normal[:-1] if normal.endswith("0") else normal).replace(".", "_")
                if yid or has_sources:
                    fields[key] = yid
        elif attr.startswith("youtube_id_"):
            fields[attr.removeprefix("youtube_id_")] = value
    return {speed: yid for speed, yid in fields.items() if yid}


def test_mp4_only_video_plays_the_mp4_not_open_edx_default_clip(course: Course) -> None:
    """Without ``youtube_id_1_0=""`` Open edX fills in 3_yD_cEKoCk and plays that clip instead."""
    [video_model] = [v for u in course.units() for v in u.videos]
    video_model.youtube_id = None
    video = xml(build(course), "video/v-intro.xml")
    assert openedx_youtube_streams(video) == {}
    assert video.get("youtube_id_1_0") == ""
    assert "youtube" not in video.attrib
    assert [s.get("src") for s in video.findall("source")] == ["https://media.example.org/intro.mp4"]


def test_transcripts_are_downloadable_in_open_edx_as_on_the_scorm_page(course: Course) -> None:
    """Open edX's ``download_track`` defaults to False (``video_xfields.py``); the SCORM page links
    each transcript for download, so the OLX must switch the download on explicitly."""
    video = xml(build(course), "video/v-intro.xml")
    assert video.get("download_track") == "true"
    [video_model] = [v for u in course.units() for v in u.videos]
    video_model.transcripts = []
    assert "download_track" not in xml(build(course), "video/v-intro.xml").attrib


def test_youtube_video_streams_only_its_own_id(course: Course) -> None:
    video = xml(build(course), "video/v-intro.xml")
    assert openedx_youtube_streams(video) == {"1_0": "dQw4w9WgXcQ"}


def test_sample_course_videos_stream_what_the_source_says(sample_course: Course) -> None:
    members = render(sample_course, BuildOptions())[0].members
    for video_model in (v for u in sample_course.units() for v in u.videos):
        video = xml(members, f"video/{video_model.id}.xml")
        expected = {"1_0": video_model.youtube_id} if video_model.youtube_id else {}
        assert openedx_youtube_streams(video) == expected, video_model.id


def test_single_select_problem(course: Course) -> None:
    root = problem(build(course), "p-single")
    assert root.get("display_name") == "Single & select"
    assert (
        root.get("max_attempts") == "2" and root.get("weight") == "1" and root.get("showanswer") == "finished"
    )
    [response] = root.findall("multiplechoiceresponse")
    assert etree.tostring(response.find("label"), encoding="unicode", with_tail=False) == (
        "<label>Which is <strong>right</strong>?</label>"
    )
    group = response.find("choicegroup")
    assert group.get("type") == "MultipleChoice"
    choices = group.findall("choice")
    assert [c.get("correct") for c in choices] == ["true", "false"]
    assert [c.text for c in choices] == ["Right", "Wrong <b>"]
    assert [c.find("choicehint").xpath("string()") for c in choices] == ["Yes.", "No, see above."]
    assert choices[1].find("choicehint/em").text == "above"
    solution = response.find("solution/div")
    assert solution.get("class") == "detailed-solution" and solution.xpath("string()") == "Because."
    assert [h.xpath("string()") for h in root.findall("demandhint/hint")] == ["Think."]
    # Order inside the response follows the reference: label, input group, solution.
    assert [c.tag for c in response] == ["label", "choicegroup", "solution"]


def test_multi_select_problem(course: Course) -> None:
    root = problem(build(course), "p-multiple")
    assert "max_attempts" not in root.attrib
    [response] = root.findall("choiceresponse")
    assert [p.text for p in response.findall("label/p")] == ["Pick all even numbers.", "There are two."]
    choices = response.findall("checkboxgroup/choice")
    assert [c.get("correct") for c in choices] == ["true", "false", "true"]
    hints = [c.find("choicehint") for c in choices]
    assert [h.get("selected") if h is not None else None for h in hints] == ["true", "true", None]
    assert [h.text for h in hints if h is not None] == ["Even", "Odd"]
    assert response.find("solution") is None and root.find("demandhint") is None


def test_numeric_problem(course: Course) -> None:
    root = problem(build(course), "p-numeric")
    assert root.get("weight") == "2"
    [response] = root.findall("numericalresponse")
    assert response.get("answer") == "24"
    [param] = response.findall("responseparam")
    assert param.attrib == {"type": "tolerance", "default": "5%"}
    assert response.find("formulaequationinput") is not None
    assert [h.text for h in root.findall("demandhint/hint")] == ["Divide by ten.", "240 / 10"]


@pytest.mark.parametrize(("answer", "tolerance", "expected"), [(0.125, "0.01", "0.125"), (-3.0, "0", "-3")])
def test_numeric_answer_and_absolute_tolerance(
    course: Course, answer: float, tolerance: str, expected: str
) -> None:
    p = course.problems()[2]
    p.answer, p.tolerance = answer, tolerance
    response = problem(build(course), "p-numeric").find("numericalresponse")
    assert response.get("answer") == expected
    assert float(response.get("answer")) == answer
    assert response.find("responseparam").get("default") == tolerance


def test_text_problem(course: Course) -> None:
    members = build(course)
    response = problem(members, "p-text").find("stringresponse")
    assert response.get("answer") == "key performance indicator"
    assert response.get("type") == "ci"
    assert [a.get("answer") for a in response.findall("additional_answer")] == [
        "key performance indicators",
        'a "quoted" & <odd> one',
    ]
    assert response.find("textline") is not None
    assert response.find("solution/div").xpath("string()") == "Key performance indicator."


def test_text_problem_case_sensitive(course: Course) -> None:
    course.problems()[3].case_sensitive = True
    assert problem(build(course), "p-text").find("stringresponse").get("type") == "cs"


def test_dropdown_problem(course: Course) -> None:
    response = problem(build(course), "p-dropdown").find("optionresponse")
    options = response.findall("optioninput/option")
    assert [(o.get("correct"), o.text) for o in options] == [("False", "Lyon"), ("True", "Paris")]
    assert [o.find("optionhint").text for o in options] == ["No", "Yes"]


# --------------------------------------------------------------------------- escaping


def test_titles_survive_as_text_and_cannot_inject(course: Course) -> None:
    evil = '"/><script>alert(1)</script><x y="'
    p = course.problems()[0]
    p.title = evil
    p.choices[0].text_html = "<p>a &amp; b<br>c&nbsp;d</p>"
    course.sections[0].title = TRICKY_TITLE
    members = build(course)
    root = problem(members, "p-single")
    assert root.get("display_name") == evil
    assert root.find(".//script") is None and root.find(".//x") is None
    first = root.find(".//choice")
    assert first.xpath("string()").startswith("a & bc\u00a0d")
    assert first.find("br") is not None
    assert xml(members, "chapter/s-one.xml").get("display_name") == TRICKY_TITLE
    assert xml(members, "vertical/u-intro.xml").get("display_name") == TRICKY_TITLE
    assert xml(members, f"course/{RUN}.xml").get("display_name") == TRICKY_TITLE
    # Every XML member is well-formed UTF-8.
    for name, data in members.items():
        if name.endswith(".xml"):
            assert isinstance(data, bytes)
            etree.fromstring(data)
            data.decode("utf-8")


def test_xml_fragment_makes_html_well_formed() -> None:
    frag = xml_fragment('<p>x<img src="/static/a.png" alt="A &amp; B"><br>y &lt; z</p><p>2</p>')
    root = etree.fromstring(f"<r>{frag}</r>")
    assert root.find("p/img").get("alt") == "A & B"
    assert root.xpath("string()") == "xy < z2"
    assert str(xml_fragment("<p>only</p>", unwrap=True)) == "only"
    assert str(xml_fragment("")) == ""


def test_problem_without_optional_parts(course: Course) -> None:
    course.sections[1].subsections[0].units[0].components = [
        Problem(
            id="p-bare",
            type="single",
            title="Bare",
            prompt_md="?",
            prompt_html="<p>?</p>",
            choices=[
                Choice(text_md="a", text_html="<p>a</p>", correct=True),
                Choice(text_md="b", text_html="<p>b</p>"),
            ],
            assesses=["TM.U2.R1"],
        )
    ]
    root = problem(build(course), "p-bare")
    assert root.find(".//choicehint") is None and root.find(".//solution") is None
    assert root.find("demandhint") is None


# --------------------------------------------------------------------------- outcomes and tags


def test_learning_outcomes_on_vertical_roots_only(course: Course) -> None:
    members = build(course)
    for unit in course.units():
        root = xml(members, f"vertical/{unit.id}.xml")
        assert root.get("learning_outcomes") == " ".join(unit.all_outcomes())
    # u-report teaches U2.R1 and its dropdown assesses U1.K1: both, taught first.
    assert xml(members, "vertical/u-report.xml").get("learning_outcomes") == "TM.U2.R1 TM.U1.K1"
    carriers = []
    for name, data in members.items():
        if name.endswith(".xml") and isinstance(data, bytes):
            for element in etree.fromstring(data).iter():
                if "learning_outcomes" in element.attrib:
                    carriers.append((name, element.tag, element.getparent() is None))
    assert carriers and all(
        n.startswith("course/vertical/") and tag == "vertical" and is_root for n, tag, is_root in carriers
    )


def test_tags_v1_attributes(course: Course) -> None:
    members = build(course)
    export = taxonomy.export_id(course.competences)
    assert export == "test-map"
    for section in course.sections:
        units = [u for ss in section.subsections for u in ss.units]
        expected = values_of(course, [o for u in units for o in u.all_outcomes()])
        assert parse_tags_v1(xml(members, f"chapter/{section.id}.xml").get("tags-v1")) == {export: expected}
        for sub in section.subsections:
            expected = values_of(course, [o for u in sub.units for o in u.all_outcomes()])
            assert parse_tags_v1(xml(members, f"sequential/{sub.id}.xml").get("tags-v1")) == {
                export: expected
            }
            for unit in sub.units:
                got = parse_tags_v1(xml(members, f"vertical/{unit.id}.xml").get("tags-v1"))
                assert got == {export: values_of(course, unit.all_outcomes())}
    for p in course.problems():
        got = parse_tags_v1(problem(members, p.id).get("tags-v1"))
        assert got == {export: values_of(course, p.assesses)}
    # Values with "," or ":" must be quoted, or Studio would split them.
    assert "%2C" in xml(members, "vertical/u-intro.xml").get("tags-v1")
    assert "tags-v1" not in xml(members, "video/v-intro.xml").attrib
    assert "tags-v1" not in xml(members, f"course/{RUN}.xml").attrib


def test_tags_csv(course: Course) -> None:
    members = build(course)
    raw = members["course/tags.csv"]
    assert isinstance(raw, bytes)
    text = raw.decode("utf-8")
    # QUOTE_NONNUMERIC as Studio's exporter writes it: every (string) field quoted.
    assert all(line.startswith('"') and line.endswith('"') for line in text.split("\r\n") if line)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Name", "Type", "ID", "test-map"]
    by_id = {r[2]: r for r in rows[1:]}
    assert by_id["course-v1:TestOrg+T101+2026_T1"][:2] == [TRICKY_TITLE, "course"]
    taxonomy_values = {v for _i, v, _p in taxonomy.taxonomy_rows(course.competences)}
    for _name, kind, block_id, cell in rows[1:]:
        if kind != "course":
            assert f"course/{kind}/{block_id}.xml" in members
        for value in filter(None, cell.split("; ")):
            assert value in taxonomy_values
    assert by_id["u-report"][3].split("; ") == values_of(course, ["TM.U2.R1", "TM.U1.K1"])
    assert by_id["p-dropdown"][3] == taxonomy.tag_value(course.competences.outcome_index()["TM.U1.K1"])
    assert by_id["v-intro"][3] == "" and by_id["u-intro.html-1"][3] == ""
    # Name is indented two spaces per level, as in Studio exports.
    assert by_id["u-intro"][0] == "      " + TRICKY_TITLE
    kinds = [r[1] for r in rows[1:]]
    assert kinds.count("vertical") == 3 and kinds.count("problem") == 5 and kinds.count("chapter") == 2


# --------------------------------------------------------------------------- whole-course checks


def test_deterministic_bytes(course: Course, tmp_path: Path) -> None:
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    write_tar_gz(build(course), a, course.source_epoch)
    write_tar_gz(build(course), b, course.source_epoch)
    assert a.read_bytes() == b.read_bytes()


def test_olxcleaner_finds_no_errors_in_factory_course(course: Course, tmp_path: Path) -> None:
    errors = olxcleaner_errors(build(course), tmp_path)
    assert [e for e in errors if e.level == "ERROR"] == []
    # Its only warnings: policy.json repeating course settings (Studio exports do the same).
    assert {e.name for e in errors} <= {"SettingOverride"}


def test_olxcleaner_finds_no_errors_in_sample_course(sample_course: Course, tmp_path: Path) -> None:
    members = build(sample_course)
    errors = olxcleaner_errors(members, tmp_path)
    assert [(e.name, e.filename, e.description) for e in errors if e.level == "ERROR"] == []
    from builder.validate.olx import check_olx

    assert check_olx(members, sample_course.competences) == []


def test_olx_tags_exist_in_the_shipped_taxonomy_file(course: Course) -> None:
    """The OLX tags and the competence target's taxonomy CSV come from one source, so they agree."""
    competences = pytest.importorskip("builder.targets.competences")
    files = {o.filename: o.members[o.filename] for o in competences.render(course, BuildOptions())}
    raw = files[f"{course.slug}.openedx-taxonomy.csv"]
    assert isinstance(raw, bytes)
    shipped = {row["value"] for row in csv.DictReader(io.StringIO(raw.decode("utf-8")))}
    members = build(course)
    rows = list(csv.reader(io.StringIO(members["course/tags.csv"].decode("utf-8"))))  # type: ignore[union-attr]
    used = {v for r in rows[1:] for v in r[3].split("; ") if v}
    assert used and used <= shipped
    for p in course.problems():
        for value in parse_tags_v1(problem(members, p.id).get("tags-v1"))["test-map"]:
            assert value in shipped


def test_tagger_values_are_the_taxonomy_values_and_unknown_ids_still_raise(course: Course) -> None:
    """``Tagger`` keeps each outcome's tag value instead of asking ``taxonomy.outcome_values``
    (which rebuilds the outcome index) for every row of tags.csv: same values, same order, each
    once, and an unknown id still raises the KeyError that names it."""
    from builder.targets.olx import Tagger

    tagger = Tagger(course)
    ids = [o.id for o in course.competences.outcomes()]
    for chosen in (ids, ids[::-1], ids[:1] * 3, [ids[-1], ids[0], ids[-1]], []):
        expected = taxonomy.outcome_values(course.competences, list(dict.fromkeys(chosen)))
        assert tagger.values(chosen) == expected
    with pytest.raises(KeyError, match="NOPE"):
        tagger.values([ids[0], "NOPE"])


def test_the_members_know_the_sha_of_every_file_they_hold_as_bytes(course: Course) -> None:
    """The OLX check keys its per-file facts by these shas without reading the files back: each
    must be the sha256 of the bytes the archive gets (after the jump-link rewrite), and a member
    replaced or deleted must not keep its old one."""
    import hashlib

    members = render(course, BuildOptions())[0].members
    for name in members:
        data = members[name]
        expect = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else None
        assert members.known_sha(name) == expect, name  # type: ignore[attr-defined]
    name = next(n for n in members if n.endswith(".html"))
    unit = course.units()[0].id
    members[name] = f'<a href="/unit/{unit}">next</a>'.encode()
    stored = members[name]
    assert b"/jump_to_id/" in stored  # type: ignore[operator]
    assert members.known_sha(name) == hashlib.sha256(stored).hexdigest()  # type: ignore[arg-type, attr-defined]
    members[name] = b"<p>new</p>"
    assert members.known_sha(name) == hashlib.sha256(b"<p>new</p>").hexdigest()  # type: ignore[attr-defined]
    del members[name]
    assert members.known_sha(name) is None  # type: ignore[attr-defined]
    shas = members.known_shas("course/")  # type: ignore[attr-defined]
    held = [n for n in members if isinstance(members[n], bytes)]
    assert shas == {n[len("course/") :]: members.known_sha(n) for n in held}  # type: ignore[attr-defined]
