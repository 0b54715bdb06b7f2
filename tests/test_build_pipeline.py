"""``check`` and ``build`` run one pipeline: the same checks, on the bytes that will be written,
with findings about generated files placed at the source file and line an author edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from builder import pipeline
from builder.cache import CACHE_DIR
from builder.cli import main
from builder.diagnostics import Diagnostic
from builder.pipeline import OutputCheck, WorkerError, run
from builder.scaffold import scaffold
from builder.source import load_course
from builder.source_map import SourceMap
from builder.targets import BuildOptions, Output

UNIT = "outline/01-getting-started/01-first-steps/01-welcome.md"
FINDING = re.compile(r"^(\S+?):(\d+): (error|warning): ", re.M)


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    scaffold(src)
    return src


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _errors(output: str) -> set[str]:
    return {line for line in output.splitlines() if ": error: " in line}


def test_build_refuses_a_control_character_that_check_reports(course_dir: Path, tmp_path: Path) -> None:
    _edit(course_dir / UNIT, "title: Welcome", 'title: "Wel\\x01come"')
    runner = CliRunner()
    out = tmp_path / "dist"
    built = runner.invoke(main, ["build", str(course_dir), "-o", str(out)])
    checked = runner.invoke(main, ["check", str(course_dir)])
    assert built.exit_code == 1, built.output
    assert checked.exit_code == 1
    assert "nothing was" in built.output
    assert not out.exists() or [p for p in out.iterdir() if p.name != CACHE_DIR] == []
    assert _errors(built.output) == _errors(checked.output) != set()
    for line in _errors(built.output):
        # named at the unit's source (the reader refuses the character at its line and column)
        assert line.startswith(f"{UNIT}:") and "U+0001" in line, line


def test_a_unit_without_outcomes_is_the_same_warning_in_build_and_check_at_its_source(
    course_dir: Path, tmp_path: Path
) -> None:
    """A unit without outcomes is a warning (docs/source-format.md): build and check say so alike,
    at the unit's source line, never only in a generated file."""
    _edit(course_dir / UNIT, "outcomes: [MY.U1.K1, MY.U1.S1]", "outcomes: []")
    _edit(course_dir / UNIT, "assesses: [MY.U1.K1, MY.U1.S1]", "assesses: []")
    runner = CliRunner()
    built = runner.invoke(main, ["-v", "build", str(course_dir), "-o", str(tmp_path / "dist")])
    checked = runner.invoke(main, ["check", str(course_dir)])
    strict = runner.invoke(main, ["check", "--strict", str(course_dir)])
    assert built.exit_code == checked.exit_code == 0, built.output
    assert strict.exit_code == 1
    warned = {line for line in checked.output.splitlines() if "learning_outcomes" in line}
    assert warned and warned <= set(built.output.splitlines())
    (line,) = warned
    assert line.startswith(f"{UNIT}:2: warning: vertical carries no learning_outcomes (in ")
    assert "course/vertical/u-welcome.xml" in line
    assert not any(f.group(1).startswith("course/") for f in FINDING.finditer(checked.output))


def test_build_counts_warnings_in_one_line_and_lists_them_with_v(course_dir: Path, tmp_path: Path) -> None:
    _edit(
        course_dir / "competences.yaml",
        "      - id: MY.U1.S1\n",
        "      - id: MY.U1.K2\n        category: knowledge\n        statement: Not taught yet.\n"
        "        assessment_criteria: [Says so.]\n"
        "      - id: MY.U1.S1\n",
    )
    runner = CliRunner()
    built = runner.invoke(main, ["build", str(course_dir), "-t", "olx", "-o", str(tmp_path / "d")])
    assert built.exit_code == 0, built.output
    assert "2 warnings — run coursepack check for details" in built.output, built.output
    assert "warning:" not in built.output
    verbose = runner.invoke(main, ["-v", "build", str(course_dir), "-t", "olx", "-o", str(tmp_path / "d")])
    assert verbose.output.count(": warning: no ") == 2
    assert "competences.yaml:" in verbose.output


def test_check_says_what_it_validated(course_dir: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(course_dir)])
    assert result.exit_code == 0, result.output
    assert "SCORM manifests validated against the IMS/ADL XSDs" in result.output
    assert "ran: olxcleaner" in result.output


def test_check_says_plainly_when_schema_validation_could_not_run(
    course_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder.resources.scorm_schemas import SchemaUnavailable
    from builder.validate import scorm

    def broken(version: str, edition: str | None = None) -> None:
        raise SchemaUnavailable("the vendored set is missing")

    monkeypatch.setattr(scorm, "load_schema", broken)
    monkeypatch.setattr(scorm, "load_fast_schema", broken)  # both read the same vendored set
    result = CliRunner().invoke(main, ["check", str(course_dir), "-t", "scorm12"])
    assert result.exit_code == 1
    assert "SCORM manifests were NOT validated against the XSDs" in result.output
    assert "error: imsmanifest.xml was NOT validated against the SCORM XSDs" in result.output
    assert "validated against the IMS/ADL XSDs\n" not in result.output


def test_build_of_one_target_runs_only_its_checks(course_dir: Path) -> None:
    course = load_course(course_dir)
    result = run(course, ["olx"], BuildOptions(), jobs=1)
    assert result.checks == [
        "reader warnings (images without alt text, raw HTML)",
        "competence map",
        "static files with script",
        "LMS behaviour (Open edX dates, Moodle SCORM players)",
        "olxcleaner + OLX import rules",
    ]
    result = run(course, ["competences"], BuildOptions(), jobs=1)
    assert result.checks == ["reader warnings (images without alt text, raw HTML)", "competence map"]


@pytest.fixture(autouse=True)
def _forked_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers forked from this process, so the monkeypatches below reach them: the pipeline
    starts them from a fork server once Typst is loaded, and an earlier handbook test in the same
    pytest worker may have loaded it. None of these tests typesets in a worker."""
    monkeypatch.setattr(pipeline, "_pool_context", lambda: None)


def test_a_plugged_in_output_check_runs_in_build_and_check(
    course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_scripts(output: Output, course, options) -> list[Diagnostic]:  # type: ignore[no-untyped-def]
        return [Diagnostic(f"{output.filename}:sco/u-welcome.html", None, None, "made-up finding")]

    monkeypatch.setattr(
        pipeline, "OUTPUT_CHECKS", [*pipeline.OUTPUT_CHECKS, OutputCheck("x", "scorm12", no_scripts)]
    )
    runner = CliRunner()
    for argv in (
        ["check", str(course_dir)],
        ["build", str(course_dir), "-o", str(tmp_path / "d"), "-j", "1"],
    ):
        result = runner.invoke(main, argv)
        assert result.exit_code == 1
        assert f"{UNIT}:2: error: made-up finding (in MyOrg-C101-2026_T1.scorm12.zip:sco/u-welcome.html)" in (
            result.output
        )


# --------------------------------------------------------------------------- source map


def test_manifest_findings_are_placed_at_the_item_source(course_dir: Path) -> None:
    course = load_course(course_dir)
    (output,) = pipeline.render_target("scorm2004", course, BuildOptions())
    where = SourceMap(course)
    xsd = Diagnostic(output.filename, None, None, "XSD: bad value (at /manifest/x, in 'ITEM-u-welcome')")
    assert where.locate(xsd, output).location() == f"{UNIT}:2"
    text = output.members["imsmanifest.xml"].decode()  # type: ignore[union-attr]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if 'identifier="ITEM-u-welcome"' in t) + 1
    broken = Diagnostic(
        output.filename, None, None, f"imsmanifest.xml is not well-formed XML: x, line {line}"
    )
    assert where.locate(broken, output).location() == f"{UNIT}:2"
    problem = Diagnostic(f"{output.filename}:metadata/ITEM-u-welcome.xml", None, None, "LOM: x")
    assert where.locate(problem, output).file == UNIT


def test_olx_findings_are_placed_at_the_block_or_course_yaml(course_dir: Path) -> None:
    course = load_course(course_dir)
    (output,) = pipeline.render_target("olx", course, BuildOptions())
    where = SourceMap(course)
    located = where.locate(Diagnostic("course/problem/p-outline-levels.xml", None, None, "bad"), output)
    assert located.file == UNIT and located.line and located.line > 2
    tags = output.members["course/tags.csv"].decode()  # type: ignore[union-attr]
    row = next(i for i, t in enumerate(tags.splitlines(), 1) if '"u-welcome"' in t)
    assert where.locate(Diagnostic(f"course/tags.csv:{row}", None, None, "x"), output).file == UNIT
    policy = where.locate(Diagnostic("course/policies/2026_T1/policy.json", None, None, "x"), output)
    assert policy.file == "course.yaml"
    assert "(in MyOrg-C101-2026_T1.olx.tar.gz:course/policies/2026_T1/policy.json)" in policy.message


# --------------------------------------------------------------------------- errors in workers


def _lxml_error(name, course, options):  # type: ignore[no-untyped-def]
    if name == "competences":
        etree.XMLSchema(etree.fromstring(b"<not-a-schema/>"))  # raises with an unpicklable error log
    return real_render(name, course, options)


real_render = pipeline.render_target


def test_an_unpicklable_worker_error_reaches_the_user_as_itself(
    course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "render_target", _lxml_error)
    course = load_course(course_dir)
    with pytest.raises(WorkerError) as caught:
        run(course, ["olx", "competences"], BuildOptions(), jobs=2)
    assert caught.value.type_name == "XMLSchemaParseError"
    assert "pickle" not in str(caught.value)
    assert "_lxml_error" in caught.value.details  # the worker's own traceback

    out = tmp_path / "dist"
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(course_dir), "-t", "olx", "-t", "competences", "-o", str(out)])
    assert result.exit_code == 3
    assert "build failed: XMLSchemaParseError: " in result.output
    assert "pickle" not in result.output and "Traceback" not in result.output
    verbose = runner.invoke(
        main, ["-v", "build", str(course_dir), "-t", "olx", "-t", "competences", "-o", str(out)]
    )
    assert "Traceback" in verbose.output and "_lxml_error" in verbose.output
    assert [p for p in out.iterdir() if p.name != CACHE_DIR] == []  # the build cache is no output


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_unit_of_every_target_exactly_once(sample_course, jobs: int) -> None:
    """The bar's length is units × targets; per-unit ticks plus each target's top-up reach it exactly,
    in forked workers too, and the renderers do report units (not only the final top-up)."""
    from builder import progress

    ticks: list[int] = []
    targets = ["olx", "scorm12", "competences"]
    run(sample_course, targets, BuildOptions(), jobs=jobs, on_units=ticks.append)
    assert sum(ticks) == len(sample_course.units()) * len(targets)
    if jobs == 1 or pipeline._pool_context() is None:  # a fork server (Typst loaded) sends top-ups only
        assert len(ticks) > len(targets)  # per-unit steps, not one per target
    seen: list[int] = []
    previous = progress.set_sink(seen.append)
    try:
        pipeline.render_target("olx", sample_course, BuildOptions())
    finally:
        progress.set_sink(previous)
    assert sum(seen) == len(sample_course.units())


@pytest.mark.parametrize("target", ["scorm12", "olx", "cmi5"])
def test_a_build_spills_each_member_as_it_is_rendered_and_streams_it_into_the_archive(
    sample_course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """Issue 9: a package is never held whole. Every page is on disk (not in memory) from the moment
    the target sets it, long before the last member is rendered, and the archive writer reads the
    members one by one from there — yet the archive has the bytes of an unspilled render."""
    from builder import archive

    events: list[tuple[str, bool, int]] = []
    real_set = archive.Members.__setitem__

    def recording_set(self, name, member):  # type: ignore[no-untyped-def]
        real_set(self, name, member)
        events.append((name, self.spilled, self.held()))

    written: list[tuple[bool, int, int]] = []
    real_writers = {"zip": archive.write_zip, "tar.gz": archive.write_tar_gz}

    def recording_writer(kind: str):  # type: ignore[no-untyped-def]
        def write(members, dest, epoch):  # type: ignore[no-untyped-def]
            spilled = isinstance(members, archive.Members) and members.spilled
            written.append((spilled, members.held(), len(events)))
            real_writers[kind](members, dest, epoch)

        return write

    monkeypatch.setattr(archive.Members, "__setitem__", recording_set)
    monkeypatch.setattr(archive, "write_zip", recording_writer("zip"))
    monkeypatch.setattr(archive, "write_tar_gz", recording_writer("tar.gz"))
    staging = tmp_path / "staging"
    staging.mkdir()
    result = run(sample_course, [target], BuildOptions(), staging=staging, jobs=1)
    assert not result.errors

    pages = [i for i, (name, _, _) in enumerate(events) if name.endswith(".html") or "/vertical/" in name]
    assert len(pages) >= len(sample_course.units()), "every unit's page goes through Members"
    assert all(spilled and held == 0 for _, spilled, held in events), "a rendered member stayed in memory"
    assert pages[0] < len(events) - 1, "the first page is on disk before the last member is rendered"
    ((spilled, held, when),) = written
    assert spilled and held == 0 and when == len(events)
    published = [f for f, _, _ in result.targets[target].files]
    assert [p.name for p in staging.iterdir() if not p.name.startswith(".")] == published

    (output,) = pipeline.render_target(target, sample_course, BuildOptions())  # in memory, as before
    assert not output.members.spilled  # type: ignore[attr-defined]
    plain = tmp_path / "plain"
    real_writers[output.format](output.members, plain, sample_course.source_epoch)
    assert plain.read_bytes() == (staging / output.filename).read_bytes()


def test_workers_take_the_longest_targets_first() -> None:
    """Two workers: the handbook (the longest) starts at once and the others fill the other core."""
    from builder.targets import TARGETS

    order = pipeline.by_cost(list(TARGETS))
    assert order[0] == "handbook" and sorted(order) == sorted(TARGETS)
    assert pipeline.by_cost(["competences", "olx"]) == ["olx", "competences"]
    assert pipeline.by_cost(["plugin", "olx"]) == ["olx", "plugin"]


def test_results_keep_the_requested_target_order_whatever_order_workers_ran(sample_course) -> None:
    targets = ["competences", "olx", "scorm12"]
    result = run(sample_course, targets, BuildOptions(), jobs=2)
    assert list(result.targets) == targets


def test_the_main_process_renders_beside_one_worker_fewer(
    sample_course, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9 (memory): each forked worker ends up with its own copy of the course model, so two
    jobs are the main process and ONE worker, not an idle main process and two workers."""
    import concurrent.futures
    import os

    pools: list[int] = []

    class CountingPool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs):  # type: ignore[no-untyped-def]
            pools.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    here: list[str] = []
    main_pid = os.getpid()

    def recording_render(name, course, options):  # type: ignore[no-untyped-def]
        if os.getpid() == main_pid:
            here.append(name)
        return real_render(name, course, options)

    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(pipeline, "render_target", recording_render)
    targets = ["olx", "scorm12", "competences", "cmi5"]
    result = run(sample_course, targets, BuildOptions(), jobs=2)
    assert pools == [1]
    assert here and set(here) < set(targets)  # some targets here, the others in the worker
    serial = run(sample_course, targets, BuildOptions(), jobs=1)
    assert result.diagnostics == serial.diagnostics and result.checks == serial.checks


def test_a_workers_progress_is_sent_in_batches_that_add_up() -> None:
    """A message per unit cost a worker as much as rendering some targets; batches keep the count."""
    sent: list[int] = []
    now = [0.0]
    sink = pipeline._Batched(sent.append, interval=0.1, clock=lambda: now[0])
    for i in range(2000):
        now[0] = 5 + i * 0.001  # 2,000 units in 2 s: about 20 messages, not 2,000
        sink(1)
    assert sent[0] == 1  # the first unit at once
    assert 10 <= len(sent) <= 25
    sink.flush()
    sink.flush()  # nothing left: nothing sent
    assert sum(sent) == 2000


def test_prepare_computes_once_what_the_scorm_and_cmi5_targets_read(
    sample_course, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Done before workers fork, so each inherits it rather than scanning every page again."""
    from builder import targets
    from builder.targets import scorm_common

    scans: list[int] = []
    real = scorm_common.find_static_files_used

    def counting(course, units):  # type: ignore[no-untyped-def]
        scans.append(1)
        return real(course, units)

    monkeypatch.setattr(scorm_common, "find_static_files_used", counting)
    monkeypatch.setattr(scorm_common, "_STATIC_USED", [])
    names = ["scorm12", "scorm2004", "cmi5"]
    targets.prepare(names, sample_course, BuildOptions())
    assert scans == [1]
    before = {n: pipeline.render_target(n, sample_course, BuildOptions()) for n in names}
    assert scans == [1]  # every target found it prepared
    monkeypatch.setattr(scorm_common, "_STATIC_USED", [])
    for name in names:  # and what it found is what each would have found by itself
        again = pipeline.render_target(name, sample_course, BuildOptions())
        assert [dict(o.members) for o in again] == [dict(o.members) for o in before[name]]


def test_targets_are_prepared_before_workers_fork(sample_course, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared: list[list[str]] = []
    monkeypatch.setattr(pipeline, "prepare", lambda names, course, options: prepared.append(list(names)))
    run(sample_course, ["competences", "scorm12"], BuildOptions(), jobs=2)
    if pipeline._pool_context() is None:  # forked: a fork server would inherit nothing
        assert prepared == [["competences", "scorm12"]]
    prepared.clear()
    run(sample_course, ["competences", "scorm12"], BuildOptions(), jobs=1)
    assert prepared == []  # one process: nothing to share


def test_workers_are_forked_only_for_targets_the_cache_cannot_restore(
    sample_course, tmp_path: Path, pools: list[int]
) -> None:
    """-j is an upper bound: a rebuild whose targets all come from the cache runs in one process,
    one with a single outdated target too; the files are the same bytes either way."""
    from builder.build import build
    from builder.model import Course

    out = tmp_path / "dist"
    targets = ["olx", "scorm12", "competences"]

    def files() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}

    build(sample_course, out, targets, BuildOptions(), jobs=2)
    assert pools == [1]  # nothing cached: a worker beside the main process
    first = files()
    build(sample_course, out, targets, BuildOptions(), jobs=2)
    assert pools == [1]  # every target restored: no worker
    assert files() == first
    key = pipeline._target_key("scorm12", pipeline.course_key(sample_course), BuildOptions())
    (out / CACHE_DIR / "entries" / key[:2] / f"{key}.json").unlink()
    build(sample_course, out, targets, BuildOptions(), jobs=2)
    assert pools == [1]  # one target to render: rendered here, the others restored beside it
    assert files() == first
    retitled = Course.model_validate(sample_course.model_dump() | {"title": sample_course.title + " (2)"})
    build(retitled, out, targets, BuildOptions(), jobs=2)
    assert pools == [1, 1]  # the course changed: every target is outdated again
