# ruff: noqa: E501 — fixture markup reads best one element per line
"""A small Open edX Studio export, written by the tests, with every block type Studio produces.

Layout and markup follow Studio's exporter (``../shared/reference/olx.md`` §1): ``course.xml``
pointer, ``course/<run>.xml``, one file per container and per XmlMixin component (html, problem,
video, library_content, word_cloud) with GUID url_names, pure XBlocks (discussion,
drag-and-drop-v2, lti_consumer, openassessment) inline in their vertical, policies, a static
folder with names Studio allows but the source format does not, and ``tags.csv``.

``EXPECTED`` says what each block should become, so the tests read as a specification.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from tests.factories import PNG_1X1, SRT

RUN = "2025_T1"


def g(n: int) -> str:
    """A Studio-style GUID url_name."""
    return f"{n:032x}"


CH1, CH2 = g(0xC1), g(0xC2)
SEQ1, SEQ2, SEQ3 = g(0x51), g(0x52), g(0x53)
V1, V2, V3, V4, V5 = g(0xA1), g(0xA2), g(0xA3), g(0xA4), g(0xA5)
HTML1, HTML2, HTML3 = g(0x11), g(0x12), g(0x13)
P_SINGLE, P_MULTI, P_NUM, P_TEXT, P_DROP = g(0x21), g(0x22), g(0x23), g(0x24), g(0x25)
P_CUSTOM, P_FORMULA, P_LIB1 = g(0x26), g(0x27), g(0x28)
VIDEO, DISCUSSION, LIBRARY, WORDCLOUD = g(0x31), g(0x32), g(0x33), g(0x34)
DND, LTI, ORA = g(0x41), g(0x42), g(0x43)

EXPECTED = {
    P_SINGLE: "problem:single",
    P_MULTI: "problem:multiple",
    P_NUM: "problem:numeric",
    P_TEXT: "problem:text",
    P_DROP: "problem:dropdown",
    VIDEO: "video",
    P_CUSTOM: "olx",
    P_FORMULA: "olx",
    DISCUSSION: "olx",
    LIBRARY: "olx",
    WORDCLOUD: "olx",
    DND: "olx",
    LTI: "olx",
    ORA: "olx",
}
PASS_THROUGH = {k for k, v in EXPECTED.items() if v == "olx"}

GRADING = {
    "GRADER": [
        {"type": "Homework", "short_label": "HW", "min_count": 2, "drop_count": 0, "weight": 0.4},
        {"type": "Final Exam", "short_label": "Final", "min_count": 1, "drop_count": 0, "weight": 0.6},
    ],
    "GRADE_CUTOFFS": {"Pass": 0.5},
}

FILES: dict[str, str | bytes] = {
    "course.xml": f'<course url_name="{RUN}" org="TestOrg" course="ALL101"/>\n',
    f"course/{RUN}.xml": (
        '<course display_name="Every Studio block" language="en" start="2025-01-06T00:00:00Z" '
        'end="2025-12-19T00:00:00Z" course_image="Course Image.png" '
        'license="creative-commons: ver=4.0 BY SA">\n'
        f'  <chapter url_name="{CH1}"/>\n  <chapter url_name="{CH2}"/>\n</course>\n'
    ),
    f"policies/{RUN}/policy.json": json.dumps(
        {
            f"course/{RUN}": {
                "display_name": "Every Studio block",
                "start": "2025-01-06T00:00:00Z",
                "end": "2025-12-19T00:00:00Z",
                "course_image": "Course Image.png",
                "self_paced": False,
                "advanced_modules": ["drag-and-drop-v2", "lti_consumer", "openassessment", "word_cloud"],
                "lti_passports": ["tool:key:secret"],
                "tabs": [{"type": "courseware", "name": "Course"}],
            }
        },
        indent=4,
        sort_keys=True,
    ),
    f"policies/{RUN}/grading_policy.json": json.dumps(GRADING, indent=4),
    "policies/assets.json": "{}",
    f"chapter/{CH1}.xml": (
        f'<chapter display_name="Basics">\n  <sequential url_name="{SEQ1}"/>\n'
        f'  <sequential url_name="{SEQ2}"/>\n</chapter>\n'
    ),
    f"chapter/{CH2}.xml": f'<chapter display_name="Activities">\n  <sequential url_name="{SEQ3}"/>\n</chapter>\n',
    f"sequential/{SEQ1}.xml": (
        f'<sequential display_name="Reading">\n  <vertical url_name="{V1}"/>\n</sequential>\n'
    ),
    f"sequential/{SEQ2}.xml": (
        '<sequential display_name="Homework 1" graded="true" format="Homework" due="2025-03-01T23:59:00Z">\n'
        f'  <vertical url_name="{V2}"/>\n</sequential>\n'
    ),
    f"sequential/{SEQ3}.xml": (
        '<sequential display_name="Final" graded="true" format="Final Exam">\n'
        f'  <vertical url_name="{V3}"/>\n  <vertical url_name="{V4}"/>\n  <vertical url_name="{V5}"/>\n'
        "</sequential>\n"
    ),
    f"vertical/{V1}.xml": (
        '<vertical display_name="Welcome">\n'
        f'  <html url_name="{HTML1}"/>\n  <video url_name="{VIDEO}"/>\n  <problem url_name="{P_SINGLE}"/>\n'
        "</vertical>\n"
    ),
    f"vertical/{V2}.xml": (
        '<vertical display_name="Practice">\n'
        f'  <problem url_name="{P_MULTI}"/>\n  <problem url_name="{P_NUM}"/>\n'
        f'  <problem url_name="{P_TEXT}"/>\n  <problem url_name="{P_DROP}"/>\n</vertical>\n'
    ),
    f"vertical/{V3}.xml": (
        '<vertical display_name="Rich page">\n'
        f'  <html url_name="{HTML2}"/>\n'
        f'  <discussion url_name="{DISCUSSION}" xblock-family="xblock.v1" display_name="Talk about it" '
        'discussion_category="Week 1" discussion_target="Introductions" discussion_id="d-week1"/>\n'
        f'  <problem url_name="{P_CUSTOM}"/>\n  <problem url_name="{P_FORMULA}"/>\n</vertical>\n'
    ),
    f"vertical/{V4}.xml": (
        '<vertical display_name="XBlocks">\n'
        f'  <drag-and-drop-v2 url_name="{DND}" xblock-family="xblock.v1" display_name="Sort the layers" '
        'data="{&quot;items&quot;: [{&quot;id&quot;: 0, &quot;zones&quot;: [&quot;z1&quot;]}]}" weight="1"/>\n'
        f'  <lti_consumer url_name="{LTI}" xblock-family="xblock.v1" display_name="External tool" lti_id="tool" '
        'launch_url="https://tool.example.org/launch" has_score="false"/>\n'
        f'  <openassessment url_name="{ORA}" xblock-family="xblock.v1" display_name="Essay" submission_start="2025-01-06T00:00:00Z" '
        'submission_due="2025-12-01T00:00:00Z">\n'
        "    <title>Essay</title>\n"
        "    <prompts><prompt><description>Describe your team.</description></prompt></prompts>\n"
        "    <rubric><criterion><name>Ideas</name><label>Ideas</label><prompt>Clear?</prompt>"
        '<option points="0"><name>No</name><label>No</label><explanation>Unclear.</explanation></option>'
        '<option points="2"><name>Yes</name><label>Yes</label><explanation>Clear.</explanation></option>'
        "</criterion></rubric>\n"
        '    <assessments><assessment name="self-assessment" start="2025-01-06T00:00:00Z" '
        'due="2025-12-01T00:00:00Z"/></assessments>\n'
        "  </openassessment>\n"
        "</vertical>\n"
    ),
    f"vertical/{V5}.xml": (
        '<vertical display_name="Library and cloud">\n'
        f'  <html url_name="{HTML3}"/>\n  <library_content url_name="{LIBRARY}"/>\n'
        f'  <word_cloud url_name="{WORDCLOUD}"/>\n</vertical>\n'
    ),
    f"html/{HTML1}.xml": f'<html filename="{HTML1}" display_name="Text"/>\n',
    f"html/{HTML1}.html": (
        '<h2>Welcome</h2>\n<p>Read the <a href="/static/Guide%20(v2).pdf">guide</a>, see '
        '<a href="https://openedx.org">Open edX</a> and <a href="/jump_to_id/'
        + P_SINGLE
        + '">the quiz</a>.</p>\n'
        '<p><img src="/static/Diagram é.png" alt="A diagram"/></p>\n<ul><li>one</li><li>two <strong>bold</strong></li></ul>\n'
    ),
    f"html/{HTML2}.xml": f'<html filename="{HTML2}" display_name="Rich"/>\n',
    f"html/{HTML2}.html": (
        '<table class="grid"><tr><th colspan="2">Merged</th></tr><tr><td>a</td><td>b<sup>2</sup></td></tr></table>\n'
        '<iframe src="https://www.youtube.com/embed/x"></iframe><script>alert(1)</script>\n'
        '<p style="color:red" onclick="x()">Styled</p>\n'
    ),
    f"html/{HTML3}.xml": f'<html filename="{HTML3}" display_name="Intro"/>\n',
    f"html/{HTML3}.html": "<p>Answer from the library, then add words to the cloud.</p>\n",
    f"problem/{P_SINGLE}.xml": (
        '<problem display_name="Capital" max_attempts="3" weight="2" showanswer="finished" markdown="null">\n'
        "  <multiplechoiceresponse>\n"
        "    <label>Which city is the capital of <em>Belgium</em>?</label>\n"
        "    <description>Pick one.</description>\n"
        '    <choicegroup type="MultipleChoice">\n'
        '      <choice correct="false">Antwerp<choicehint>A port, not the capital.</choicehint></choice>\n'
        '      <choice correct="true">Brussels<choicehint>Right.</choicehint></choice>\n'
        "    </choicegroup>\n"
        '    <solution><div class="detailed-solution"><p>Explanation</p><p>Brussels since 1830.</p></div></solution>\n'
        "  </multiplechoiceresponse>\n"
        "  <demandhint><hint>Think of the EU.</hint><hint>Starts with B.</hint></demandhint>\n"
        "</problem>\n"
    ),
    f"problem/{P_MULTI}.xml": (
        '<problem display_name="Primes" max_attempts="2">\n'
        "  <choiceresponse>\n"
        "    <label>Select the primes.</label>\n"
        "    <checkboxgroup>\n"
        '      <choice correct="true">2<choicehint selected="true">Even and prime.</choicehint>'
        '<choicehint selected="false">2 is prime.</choicehint></choice>\n'
        '      <choice correct="true">3</choice>\n'
        '      <choice correct="false">4<choicehint selected="true">4 = 2 × 2.</choicehint></choice>\n'
        '      <compoundhint value="A B">Both right.</compoundhint>\n'
        "    </checkboxgroup>\n"
        "  </choiceresponse>\n"
        "</problem>\n"
    ),
    f"problem/{P_NUM}.xml": (
        '<problem display_name="Payback" weight="1.5">\n'
        '  <numericalresponse answer="24">\n'
        "    <label>After how many months has it paid off?</label>\n"
        '    <responseparam type="tolerance" default="5%"/>\n'
        "    <formulaequationinput/>\n"
        '    <solution><div class="detailed-solution"><p>12000 / 500 = 24.</p></div></solution>\n'
        "  </numericalresponse>\n"
        "</problem>\n"
    ),
    f"problem/{P_TEXT}.xml": (
        '<problem display_name="Acronym">\n'
        '  <stringresponse answer="GDPR" type="ci">\n'
        "    <label>Which EU regulation protects personal data?</label>\n"
        '    <additional_answer answer="RGPD"/>\n'
        '    <additional_answer answer="AVG"/>\n'
        '    <textline size="20"/>\n'
        "  </stringresponse>\n"
        "</problem>\n"
    ),
    f"problem/{P_DROP}.xml": (
        '<problem display_name="Indicator">\n'
        "  <optionresponse>\n"
        "    <label>Which is a leading indicator?</label>\n"
        "    <optioninput>\n"
        '      <option correct="False">Revenue<optionhint>Lagging.</optionhint></option>\n'
        '      <option correct="True">Quote requests<optionhint>Leading.</optionhint></option>\n'
        "    </optioninput>\n"
        "  </optionresponse>\n"
        "</problem>\n"
    ),
    f"problem/{P_CUSTOM}.xml": (
        '<problem display_name="Custom grader">\n'
        '<script type="loncapa/python">\n'
        "def check(expect, ans):\n"
        "    return ans.strip() == '42'\n"
        "</script>\n"
        '  <customresponse cfn="check"><label>What is six times seven?</label><textline size="5"/></customresponse>\n'
        "</problem>\n"
    ),
    f"problem/{P_FORMULA}.xml": (
        '<problem display_name="Formula">\n'
        '  <formularesponse answer="x^2+1" type="ci"><label>Enter x squared plus one.</label>'
        '<responseparam type="tolerance" default="0.01"/><formulaequationinput/></formularesponse>\n'
        "</problem>\n"
    ),
    f"problem/{P_LIB1}.xml": (
        '<problem display_name="Library question">\n'
        '  <multiplechoiceresponse><label>Pick A.</label><choicegroup type="MultipleChoice">'
        '<choice correct="true">A</choice><choice correct="false">B</choice></choicegroup>'
        "</multiplechoiceresponse>\n</problem>\n"
    ),
    f"video/{VIDEO}.xml": (
        '<video display_name="Intro video" youtube="1.00:dQw4w9WgXcQ" youtube_id_1_0="dQw4w9WgXcQ" '
        'html5_sources="[&quot;https://media.example.org/intro.mp4&quot;]" start_time="00:00:05" '
        'end_time="00:01:00" download_video="false" transcripts="{&quot;en&quot;: &quot;intro en.srt&quot;}">\n'
        '  <source src="https://media.example.org/intro.mp4"/>\n'
        '  <transcript language="en" src="intro en.srt"/>\n'
        "</video>\n"
    ),
    f"library_content/{LIBRARY}.xml": (
        '<library_content display_name="Random question" max_count="1" '
        'source_library_id="library-v1:TestOrg+LIB">\n'
        f'  <problem url_name="{P_LIB1}"/>\n</library_content>\n'
    ),
    f"word_cloud/{WORDCLOUD}.xml": (
        '<word_cloud display_name="Cloud" instructions="Add two words" num_inputs="2" num_top_words="50"/>\n'
    ),
    "about/overview.html": (
        '<section class="about"><h2>About This Course</h2><p>All the blocks <em>Studio</em> makes.</p></section>\n'
    ),
    "about/short_description.html": "Every Studio block, imported.",
    "about/effort.html": "2:00",
    "info/updates.html": "<ol></ol>",
    "static/Course Image.png": PNG_1X1,
    "static/Diagram é.png": PNG_1X1,
    "static/Guide (v2).pdf": b"%PDF-1.4\n%%EOF\n",
    "static/intro en.srt": SRT,
    "static/._Diagram é.png": b"mac fork",
    "tags.csv": (
        '"Name","Type","ID","skills"\r\n'
        f'"Every Studio block","course","course-v1:TestOrg+ALL101+{RUN}",""\r\n'
        f'"      Welcome","vertical","{V1}","Reading maps; Capitals"\r\n'
        f'"        Capital","problem","{P_SINGLE}","Capitals"\r\n'
    ),
}


def write_export(root: Path) -> Path:
    """The export's ``course/`` folder under ``root``; returns that folder."""
    course = root / "course"
    for rel, content in FILES.items():
        path = course / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return course


def write_tarball(root: Path) -> Path:
    """The export as Studio hands it out: ``course/…`` in a ``.tar.gz``."""
    course = write_export(root / "tree")
    tarball = root / "export.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(course, arcname="course")
    return tarball
