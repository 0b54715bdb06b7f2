"""CLI habits (issue 8 §5): flags anywhere, SRC found from inside a course, help with examples,
docs for pip users, full builds that never leave a stale report, a --jobs default that never loses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from builder import pipeline
from builder.cli import main
from builder.scaffold import scaffold
from builder.source import load_course

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scaffolded course folder, and the current folder is inside it."""
    root = tmp_path / "my-course"
    scaffold(root)
    monkeypatch.chdir(root)
    return root


def _commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, cmd in group.commands.items():
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
    return out


@pytest.mark.parametrize("argv", _commands(), ids=" ".join)
def test_every_subcommand_help_has_examples_and_defaults(argv: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*argv, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Examples:" in result.output, argv
    cmd = main
    for name in argv:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    for param in cmd.params:
        if isinstance(param, click.Option) and param.default not in (None, False, ()) and not param.is_flag:
            shown = param.show_default or "[default:" in (param.help or "")
            assert shown, f"{' '.join(argv)} {param.opts[0]} hides its default"


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_and_verbose_work_before_or_after_the_subcommand(course: Path, where: str) -> None:
    def run(flag: str) -> str:
        argv = [flag, "check", "-t", "olx"] if where == "before" else ["check", "-t", "olx", flag]
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == 0, result.output
        return result.output

    assert run("-q") == ""
    assert "ran: olxcleaner" in run("-v")
    assert "checked MyOrg-C101-2026_T1" in run("--verbose")


def test_commands_find_the_course_from_inside_its_folder(course: Path) -> None:
    result = CliRunner().invoke(main, ["check", "-t", "olx"])
    assert result.exit_code == 0, result.output
    assert "checked MyOrg-C101-2026_T1" in result.output
    result = CliRunner().invoke(main, ["build", "-t", "olx"])
    assert result.exit_code == 0, result.output
    tarball = course / "dist" / "MyOrg-C101-2026_T1.olx.tar.gz"
    first = hashlib.sha256(tarball.read_bytes()).hexdigest()
    load_course(course)  # dist/ beside course.yaml is not read as source…
    assert CliRunner().invoke(main, ["build", "-t", "olx"]).exit_code == 0
    assert hashlib.sha256(tarball.read_bytes()).hexdigest() == first  # …so it is never packed into the next


def test_course_src_still_wins_when_both_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scaffold(tmp_path / "course_src")
    (tmp_path / "course.yaml").write_text("not: a course\n")
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["check", "-t", "olx", "-q"]).exit_code == 0


def test_build_all_publishes_the_coverage_report_with_the_packages(course: Path) -> None:
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (course / "dist").iterdir())
    for ext in ("html", "csv", "json"):
        assert f"MyOrg-C101-2026_T1.coverage.{ext}" in names
        assert f"wrote dist/MyOrg-C101-2026_T1.coverage.{ext}" in result.output
    assert not [n for n in names if n.startswith(".coursepack-") and n != ".coursepack-cache"], (
        "no staging left"
    )


def test_a_partial_build_leaves_the_report_alone(course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", "-t", "olx", "-o", str(out)]).exit_code == 0
    assert not list(out.glob("*.coverage.*"))


def test_a_failed_full_build_writes_no_report(course: Path) -> None:
    (course / "course.yaml").write_text((course / "course.yaml").read_text().replace("title:", "titel:", 1))
    assert CliRunner().invoke(main, ["build"]).exit_code == 1
    assert not (course / "dist").exists() or not list((course / "dist").iterdir())


def test_docs_topics_are_printed_from_the_package() -> None:
    result = CliRunner().invoke(main, ["docs"])
    assert result.exit_code == 0
    topics = ["source-format", "competence-map", "diagnostics", "ci/github-workflow.yml", "ci/gitlab-ci.yml"]
    for topic in topics:
        assert topic in result.output
    result = CliRunner().invoke(main, ["docs", "source-format"])
    assert result.output == (ROOT / "docs" / "source-format.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["docs", "no-such-topic"])
    assert result.exit_code == 2 and "source-format" in result.output


def test_messages_point_to_docs_a_pip_user_has(tmp_path: Path) -> None:
    """No finding sends an author to a path inside a checkout they do not have."""
    root = tmp_path / "c"
    scaffold(root)
    (root / "course.yaml").write_text((root / "course.yaml").read_text().replace("org: MyOrg\n", ""))
    result = CliRunner().invoke(main, ["check", str(root)])
    assert "missing required key `org`" in result.output
    assert "coursepack docs source-format" in result.output
    assert "docs/source-format.md" not in result.output
    for path in (root / "course.yaml", root / "competences.yaml"):
        assert "Reference: coursepack docs " in path.read_text()


def test_default_jobs_stays_serial_for_small_courses(
    sample_course,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    targets = pipeline.expand_targets(["all"])
    assert len(sample_course.units()) < pipeline.PARALLEL_MIN_UNITS
    assert pipeline.default_jobs(sample_course, targets) == 1
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_UNITS", 1)
    monkeypatch.setattr(pipeline, "_cores", lambda: 2)
    assert pipeline.default_jobs(sample_course, targets) == 2
    assert pipeline.default_jobs(sample_course, ["olx"]) == 1


def test_license_is_the_agpl_the_package_declares() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    head = [line.strip() for line in text.splitlines()[:2]]
    assert head == ["GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3, 19 November 2007"]
    assert hashlib.md5(text.encode()).hexdigest() == "73f1eb20517c55bf9493b7dd6e480788"  # FSF agpl-3.0.txt
    assert 'license = { text = "AGPL-3.0-or-later" }' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_check_prints_errors_only(where: str) -> None:
    """The sample has notes about Moodle's SCORM players: -q, before or after the subcommand, hides them."""
    sample = str(Path(__file__).resolve().parent.parent / "course_src")
    args = ["check", sample, "-t", "scorm12"]
    args = ["-q", *args] if where == "before" else [*args, "-q"]
    loud = CliRunner().invoke(main, ["check", sample, "-t", "scorm12"])
    assert loud.exit_code == 0 and ": note: " in loud.output
    quiet = CliRunner().invoke(main, args)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""
