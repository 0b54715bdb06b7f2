"""The command line as users run it: outputs, messages and exit codes."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder import __version__
from builder.cache import CACHE_DIR
from builder.cli import main
from builder.scaffold import scaffold


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    scaffold(src)
    return src


def test_version_and_help(runner: CliRunner) -> None:
    assert runner.invoke(main, ["--version"]).output.strip() == f"coursepack, version {__version__}"
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "coursepack build --target olx" in result.output
    assert "Exit codes" in result.output


def test_build_olx_writes_the_tarball_and_a_summary(
    runner: CliRunner, course_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    result = runner.invoke(main, ["build", str(course_dir), "--target", "olx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    tarball = out / "MyOrg-C101-2026_T1.olx.tar.gz"
    assert tarball.is_file()
    assert f"wrote {tarball}" in result.output
    assert "1 units" in result.output
    with tarfile.open(tarball) as tar:
        assert "course/course.xml" in tar.getnames()
    names = [p.name for p in out.iterdir() if p.name != CACHE_DIR]
    assert names == [tarball.name], "no staging folder may be left behind"


def test_quiet_build_prints_nothing(runner: CliRunner, course_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["--quiet", "build", str(course_dir), "-t", "olx", "-o", str(tmp_path / "d")]
    )
    assert result.exit_code == 0
    assert result.output == ""


def test_source_errors_exit_1_and_write_nothing(runner: CliRunner, course_dir: Path, tmp_path: Path) -> None:
    course_yaml = course_dir / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("title:", "titel:"))
    out = tmp_path / "dist"
    result = runner.invoke(main, ["build", str(course_dir), "--out", str(out)])
    assert result.exit_code == 1
    assert "course.yaml:5:1: error: unknown key `titel` — did you mean `title`?" in result.output
    assert "nothing was written" in result.output
    assert not out.exists() or not [p for p in out.iterdir() if p.name != CACHE_DIR]


def test_failed_target_publishes_nothing_and_keeps_old_files(
    runner: CliRunner, course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    assert runner.invoke(main, ["build", str(course_dir), "-t", "olx", "-o", str(out)]).exit_code == 0
    before = (out / "MyOrg-C101-2026_T1.olx.tar.gz").read_bytes()

    import builder.pipeline

    real = builder.pipeline.render_target

    def boom(name, course, options):  # type: ignore[no-untyped-def]
        if name == "competences":
            raise OSError("disk full")
        return real(name, course, options)

    monkeypatch.setattr(builder.pipeline, "render_target", boom)
    result = runner.invoke(
        main, ["build", str(course_dir), "-t", "olx", "-t", "competences", "-o", str(out), "-j", "1"]
    )
    assert result.exit_code == 3
    assert "build failed: OSError: disk full" in result.output
    assert sorted(p.name for p in out.iterdir() if p.name != CACHE_DIR) == ["MyOrg-C101-2026_T1.olx.tar.gz"]
    assert (out / "MyOrg-C101-2026_T1.olx.tar.gz").read_bytes() == before


def test_unknown_target_is_a_usage_error(runner: CliRunner, course_dir: Path) -> None:
    result = runner.invoke(main, ["build", str(course_dir), "--target", "pdf"])
    assert result.exit_code == 2
    assert "'pdf' is not one of" in result.output


def test_missing_source_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["build", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "course source folder not found" in result.output


def test_new_refuses_a_non_empty_folder(runner: CliRunner, course_dir: Path) -> None:
    result = runner.invoke(main, ["new", str(course_dir)])
    assert result.exit_code == 1
    assert "not empty" in result.output


def test_new_then_check_is_clean(runner: CliRunner, tmp_path: Path) -> None:
    dest = tmp_path / "fresh"
    result = runner.invoke(main, ["new", str(dest)])
    assert result.exit_code == 0, result.output
    assert (dest / "course.yaml").is_file()
    check = runner.invoke(main, ["check", str(dest)])
    assert check.exit_code == 0, check.output
    assert "0 error(s)" in check.output
    assert "MY.U1  EQF 5  1 ECVET points  25 h  2 outcomes" in check.output
    assert "total  1 ECVET points  25 h  2 outcomes  (EQF 5: 1)" in check.output


class _Left(Exception):
    """Raised by the stand-in for ``os._exit``: the process would have ended here."""


def test_a_published_build_leaves_without_tearing_down_after_flushing(
    course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``coursepack`` (``entry``) ends a build that published with ``os._exit``: freeing the course
    model object by object cost ~0.15 s CPU at 2,000 units. What it printed is flushed first."""
    import os

    from builder import cli

    codes: list[int] = []

    def left(code: int) -> None:
        codes.append(code)
        raise _Left

    monkeypatch.setattr(os, "_exit", left)
    monkeypatch.setattr(cli, "_LEAVE_FAST", False)
    out = tmp_path / "dist"
    monkeypatch.setattr("sys.argv", ["coursepack", "build", str(course_dir), "-t", "olx", "-o", str(out)])
    with pytest.raises(_Left):
        cli.entry()
    assert codes == [0]
    assert "built 1 file(s)" in capsys.readouterr().out
    assert (out / "MyOrg-C101-2026_T1.olx.tar.gz").is_file()


def test_a_build_with_errors_exits_the_ordinary_way(
    course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from builder import cli

    monkeypatch.setattr(os, "_exit", lambda code: pytest.fail("left without teardown"))
    monkeypatch.setattr(cli, "_LEAVE_FAST", False)
    (course_dir / "course.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["coursepack", "-q", "build", str(course_dir), "-o", str(tmp_path / "d")])
    with pytest.raises(SystemExit) as exc:
        cli.entry()
    assert exc.value.code == 1


def test_the_course_is_out_of_the_collectors_sight_while_the_targets_run(
    runner: CliRunner, course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frozen after loading (``gc.freeze``), the model is not walked by every full collection the
    targets cause; the build thaws it again when it ends, for callers that live on."""
    import gc

    from builder import pipeline

    frozen: list[int] = []
    real = pipeline.run

    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        frozen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run", run)
    monkeypatch.setattr("builder.build.run", run)
    before = gc.get_freeze_count()
    args = ["-q", "build", str(course_dir), "-t", "olx", "-o", str(tmp_path / "d"), "-j", "1"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert frozen and frozen[0] > before
    assert gc.get_freeze_count() == before


def test_the_build_bar_is_drawn_per_fraction_of_its_steps_and_still_ends_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from builder import cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(cli.sys, "stderr", term)
    draws: list[int] = []
    with cli.progress_bar(14000, 2000, 7) as bar:
        bar.is_hidden = False  # click decides from the real stdout; this one is a terminal
        real = bar.render_progress

        def counting() -> None:
            draws.append(bar.pos)
            real()

        bar.render_progress = counting  # type: ignore[method-assign]
        for _ in range(14000):
            bar.update(1)
        bar.update(0, "olx")
    assert len(draws) <= 600  # not 14,000
    assert "100%" in term.getvalue()
