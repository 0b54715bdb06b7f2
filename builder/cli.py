"""The ``coursepack`` command line: click commands only; the work lives in the modules they call.

Exit codes: 0 success; 1 the course has errors (source, checks or validation); 2 wrong usage;
3 the build failed for another reason (a bug or an I/O problem) — nothing was published.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import NoReturn

import click

from builder import __version__, gcpause
from builder.archive import EpochError
from builder.diagnostics import Diagnostic, SourceErrors
from builder.model import Course
from builder.targets import TARGETS, BuildOptions

EXIT_ERRORS = 1
EXIT_FAILED = 3

TARGET_CHOICES = [*TARGETS, "all"]


def _fmt_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class Ctx:
    def __init__(self, quiet: bool, verbose: bool):
        self.quiet, self.verbose = quiet, verbose
        self.machine = False
        """A machine format owns stdout: everything said for people goes to stderr."""

    def say(self, text: str, err: bool = False) -> None:
        if not self.quiet:
            click.echo(text, err=err or self.machine)

    def debug(self, text: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(text, err=True)


def _print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        colour = {"error": "red", "warning": "yellow"}.get(d.severity, "cyan")
        click.secho(str(d), fg=colour, err=True)


def _report_findings(fmt: str, diags: list[Diagnostic], src: Path) -> None:
    """``--format``: people get coloured lines on stderr; machines get one document on stdout."""
    if fmt == "text":
        _print_diagnostics(diags)
        return
    from builder.diagnostic_formats import render

    click.echo(render(diags, fmt, src), nl=False)


def _set_flag(click_ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        setattr(click_ctx.ensure_object(Ctx), param.name or "", True)


def _verbosity(f):  # type: ignore[no-untyped-def]
    """``-q``/``-v`` after the subcommand too (``coursepack check -q``), same as before it."""
    flag = {"is_flag": True, "expose_value": False, "callback": _set_flag}
    f = click.option("-v", "--verbose", help="Print what is being done.", **flag)(f)  # type: ignore[arg-type]
    return click.option("-q", "--quiet", help="Print errors only.", **flag)(f)  # type: ignore[arg-type]


DEFAULT_SRC = "course_src"


def find_src(src: Path | None) -> Path:
    """SRC as given; else ./course_src; else the current folder when it holds course.yaml."""
    if src is not None:
        return src
    if not Path(DEFAULT_SRC).exists() and Path("course.yaml").is_file():
        return Path(".")
    return Path(DEFAULT_SRC)


src_argument = click.argument("src", type=click.Path(path_type=Path), required=False)

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default="text",
    show_default=True,
    help="How findings are printed: text for people; json, github (Actions annotations) or sarif "
    "on stdout for machines. Codes: coursepack docs diagnostics.",
)


def _load(ctx: Ctx, src: Path, fmt: str = "text", cache_dir: Path | None = None) -> Course:
    from builder.source import load_course

    try:
        course = load_course(src, cache_dir=cache_dir)
    except EpochError as exc:
        raise click.UsageError(str(exc)) from None
    except SourceErrors as exc:
        _report_findings(fmt, exc.diagnostics, src)
        n_errors = sum(d.severity == "error" for d in exc.diagnostics)
        click.secho(f"{n_errors} error(s) in {src}; nothing was written.", fg="red", err=True)
        sys.exit(EXIT_ERRORS)
    ctx.debug(f"loaded {src}: {len(course.units())} units, {len(course.problems())} problems")
    return course


def _options(scorm_edition: str, sco: str, split: str, map_info: bool) -> BuildOptions:
    return BuildOptions(scorm_edition=scorm_edition, sco=sco, split=split, map_info=map_info)  # type: ignore[arg-type]


scorm_options = [
    click.option(
        "--scorm-edition",
        type=click.Choice(["3rd", "4th"]),
        default="4th",
        show_default=True,
        help="SCORM 2004 edition.",
    ),
    click.option(
        "--sco",
        type=click.Choice(["unit", "course"]),
        default="unit",
        show_default=True,
        help="One SCO per unit, or one SCO for the whole course (for weak multi-SCO players).",
    ),
    click.option(
        "--split",
        type=click.Choice(["course", "section"]),
        default="course",
        show_default=True,
        help="One SCORM package for the course, or one per section.",
    ),
    click.option(
        "--map-info/--no-map-info",
        default=False,
        show_default=True,
        help="Emit imsss:mapInfo on 2004 objectives (Moodle 4.5 on PHP 8 rejects it).",
    ),
]


def _with_scorm_options(f):  # type: ignore[no-untyped-def]
    for opt in reversed(scorm_options):
        f = opt(f)
    return f


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  coursepack build                          # every target of ./course_src into ./dist
  coursepack build --target olx             # only the Open edX tarball
  coursepack build --target scorm2004 --scorm-edition 3rd --sco course
  coursepack check course_src               # the build's checks, writing nothing
  coursepack report                         # competence coverage page into ./dist
  coursepack new my-course                  # scaffold a small working course
  cd my-course && coursepack check          # inside a course folder SRC is found
  coursepack check --format github          # annotations for GitHub Actions
  coursepack docs source-format             # the source format reference

Exit codes: 0 ok, 1 course errors, 2 usage error, 3 build failure.""",
)
@click.version_option(__version__, "--version", prog_name="coursepack")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Print what is being done.")
@click.pass_context
def main(click_ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Compile one course source tree into Open edX, SCORM and competence-map packages.

    SRC defaults to ./course_src, or to the current folder when it holds course.yaml.
    """
    click_ctx.obj = Ctx(quiet, verbose)


lang_option = click.option(
    "--lang",
    "langs",
    multiple=True,
    default=(),
    metavar="LANG",
    help="Language(s) to build (repeatable): a catalog in SRC/translations/, or all "
    "(the source language and every catalog).  [default: the source language only]",
)


def _translations(ctx: Ctx, course: Course, src: Path, langs: tuple[str, ...], strict: bool):  # type: ignore[no-untyped-def]
    """The course in each requested language, and the fallback warnings (errors under --strict)."""
    if not langs:
        # The source language alone: the course as loaded (``translate`` gives it back as it is),
        # without importing the translation machinery (YAML, Markdown, the readers: ~0.1 s CPU of
        # a no-op rebuild that takes the course from the cache).
        return [course], []
    from builder.diagnostics import escalate
    from builder.i18n.apply import NoCatalog, translate
    from builder.i18n.commands import resolve_langs

    out, diags = [], []
    for lang in resolve_langs(course, src, langs):
        try:
            translated, found = translate(course, src, lang)
        except NoCatalog as exc:
            raise click.UsageError(str(exc)) from None
        out.append(translated)
        diags += escalate(found) if strict else found
    return out, diags


def _stop_on_translation_errors(diags: list[Diagnostic], src: Path, verb: str) -> None:
    """Print the translation findings and exit when one is an error (a gap under --strict), before
    anything is ``verb`` ("published" by build, "written" by report)."""
    errors = sum(d.severity == "error" for d in diags)
    if errors:
        _print_diagnostics(diags)
        message = f"{errors} error(s) in the translations of {src}; nothing was {verb}."
        click.secho(message, fg="red", err=True)
        sys.exit(EXIT_ERRORS)


translation_strict_option = click.option(
    "--strict", is_flag=True, help="A string without a current translation is an error."
)


def dist_option(help: str):  # type: ignore[no-untyped-def]
    """``-o/--out``, the output folder of build and report (``dist`` beside the course by default)."""
    return click.option(
        "-o",
        "--out",
        type=click.Path(path_type=Path, file_okay=False),
        default="dist",
        show_default=True,
        help=help,
    )


jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Parallel target processes.  [default: 1 for courses under 100 units, where workers "
    "cost more than they save; else one per core]",
)

target_option = click.option(
    "-t",
    "--target",
    "targets",
    type=click.Choice(TARGET_CHOICES),
    multiple=True,
    help="What to build or check (repeatable).  [default: all]",
)


@main.command(
    epilog="""\b
Examples:
  coursepack build                          # every target (and the coverage report) into ./dist
  coursepack build course_src -o dist -t olx -t scorm12
  coursepack build --format github          # findings as GitHub Actions annotations
  coursepack build -j 1                     # no worker processes"""
)
@src_argument
@target_option
@dist_option("Output folder (may not be SRC, nor inside its outline/ or static/).")
@jobs_option
@lang_option
@translation_strict_option
@format_option
@click.option(
    "--no-cache",
    is_flag=True,
    help="Render and check everything afresh; neither read nor write OUT/.coursepack-cache/.",
)
@_with_scorm_options
@_verbosity
@click.pass_obj
def build(
    ctx: Ctx,
    src: Path | None,
    targets: tuple[str, ...],
    out: Path,
    jobs: int | None,
    langs: tuple[str, ...],
    strict: bool,
    fmt: str,
    no_cache: bool,
    scorm_edition: str,
    sco: str,
    split: str,
    map_info: bool,
) -> None:
    """Check and build packages from SRC into OUT.

    Runs every check `coursepack check` runs on the packages it builds; if any reports an error,
    nothing is published. `--target all` (the default) also writes the coverage report, so OUT
    never mixes fresh packages with a stale report. SRC defaults to ./course_src, or to the
    current folder when it holds course.yaml.
    """
    from builder.build import OutDirError, check_out_dir, expand_targets

    src = find_src(src)
    ctx.machine = fmt != "text"
    try:
        check_out_dir(src, out)
    except OutDirError as exc:
        raise click.UsageError(str(exc)) from None
    show = not ctx.quiet and sys.stderr.isatty()
    if show:
        click.echo(f"reading {src} …", err=True)
    from builder.cache import CACHE_DIR

    # The courses live until the build ends. They are built with the cycle collector paused (each
    # collection would walk the growing model again) and then frozen out of its sight before it
    # resumes, so that the first collection after loading does not walk them all (~0.1 s CPU at
    # 2,000 units); ``pipeline.run``'s own freeze nests inside this one. The build thaws them
    # when it ends, for a caller in the same process (tests).
    started = time.time()  # cache files not used since then are pruned, the loader's included
    with gcpause.paused():
        source_course = _load(ctx, src, fmt, None if no_cache else out / CACHE_DIR)
        names = expand_targets(targets or ("all",))
        with_report = set(names) == set(TARGETS)
        options = _options(scorm_edition, sco, split, map_info)
        courses, i18n_diags = _translations(ctx, source_course, src, langs, strict)
    with gcpause.frozen():
        _stop_on_translation_errors(i18n_diags, src, "published")
        if i18n_diags and not ctx.quiet and fmt == "text":
            _print_diagnostics(i18n_diags)
        if i18n_diags and fmt != "text":
            _report_findings(fmt, i18n_diags, src)
        for course in courses:
            cache = not no_cache
            _build_one(ctx, src, course, out, names, options, jobs, show, fmt, with_report, cache, started)
    global _LEAVE_FAST
    _LEAVE_FAST = True


_LEAVE_FAST = False
"""Set once a build has published: ``entry`` may then end the process without tearing it down."""


def entry() -> None:
    """The ``coursepack`` command: ``main``, then, after a build that published, leave at once.

    An interpreter's orderly exit frees every object one by one; after a build that is the course
    model and the cache's memo of its units — ~0.15 s CPU at 2,000 units, a fifth of a no-op
    rebuild. By then the outputs are published, the cache is pruned, every worker pool has been
    joined and every file closed, so only the standard streams are flushed before ``os._exit``.
    Any other ending (errors, a usage error, a failure, ``serve``) exits the ordinary way.
    """
    try:
        main()
    except SystemExit as exc:
        if not _LEAVE_FAST:
            raise
        code = exc.code
    else:  # pragma: no cover - click's standalone mode always ends with SystemExit
        code = 0
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say there
            stream.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


def _build_one(ctx, src, course, out, names, options, jobs, show, fmt, with_report, cache, started) -> None:  # type: ignore[no-untyped-def]
    """Build and publish one language's packages (each language is checked and published alone)."""
    from builder.build import build as run_build

    try:
        with (
            click.progressbar(
                length=len(names) * max(1, len(course.units())),
                label=f"building {len(course.units())} units × {len(names)} targets",
                file=sys.stderr,
                show_percent=True,
                show_eta=True,
                item_show_func=lambda name: f"{name} done" if name else "",
            )
            if show
            else _NullBar() as bar
        ):
            result, written = run_build(
                course,
                out,
                names,
                options,
                on_done=lambda n: bar.update(0, n),
                on_units=lambda n: bar.update(n),
                jobs=jobs,
                report=with_report,
                cache=cache,
                started=started,
            )
    except Exception as exc:  # a bug or an I/O error: report it plainly, publish nothing
        _fail(ctx, exc)
    if fmt != "text":
        _report_findings(fmt, result.diagnostics, src)
    if result.errors:
        if fmt == "text":
            _print_diagnostics(result.diagnostics if ctx.verbose else result.errors)
        click.secho(f"{len(result.errors)} error(s) in {src}; nothing was published.", fg="red", err=True)
        sys.exit(EXIT_ERRORS)
    if result.warnings and fmt == "text":
        if ctx.verbose:
            _print_diagnostics(result.warnings)
        elif not ctx.quiet:
            n = len(result.warnings)
            click.secho(
                f"{n} warning{'s' if n != 1 else ''} — run coursepack check for details (or build -v)",
                fg="yellow",
                err=True,
            )
    if result.notes and not ctx.quiet and fmt == "text":
        # Advice about the LMS that will run these packages (e.g. Moodle and multi-SCO 2004):
        # the build summary says it, not only `check`.
        _print_diagnostics(result.notes)
    units = len(course.units())
    for w in written:
        ctx.say(f"wrote {w.path} ({_fmt_size(w.size)}, {w.summary or f'{units} units'})")
    ctx.say(
        f"built {len(written)} file(s) for {course.stem}: {units} units, "
        f"{len(course.problems())} problems, {len(course.competences.outcomes())} outcomes"
    )


def _fail(ctx: Ctx, exc: Exception, what: str = "build") -> NoReturn:
    """Report a failure that is not a finding (a bug, an I/O error) and exit 3."""
    from builder.pipeline import WorkerError

    if isinstance(exc, WorkerError):
        name, details = exc.type_name, exc.details
    else:
        name, details = type(exc).__name__, "".join(traceback.format_exception(exc))
    if ctx.verbose:
        click.echo(details.rstrip(), err=True)
    hint = "" if ctx.verbose else "; -v for details"
    done = "nothing was published" if what == "build" else "the course was not fully checked"
    click.secho(f"{what} failed: {name}: {exc} ({done}{hint})", fg="red", err=True)
    sys.exit(EXIT_FAILED)


def _print_totals(ctx: Ctx, course: Course) -> None:
    """ECVET points and notional hours per unit of learning outcomes and for the course."""
    from builder.validate.competences import totals

    t = totals(course.competences)
    for u in t.units:
        points = f"{u.ecvet_points:g} ECVET points"
        ctx.say(f"  {u.id}  EQF {u.eqf_level}  {points}  {u.hours:g} h  {u.outcomes} outcomes")
    levels = ", ".join(f"EQF {lvl}: {n}" for lvl, n in t.eqf_levels.items())
    ctx.say(f"  total  {t.ecvet_points:g} ECVET points  {t.hours:g} h  {t.outcomes} outcomes  ({levels})")


class _NullBar:
    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int, current_item: object = None) -> None:
        return None


@main.command(
    epilog="""\b
Examples:
  coursepack check                          # ./course_src, or . inside a course folder
  coursepack check course_src --strict      # warnings fail too
  coursepack check --format json > findings.json
  coursepack check --format sarif > coursepack.sarif   # for code scanning
  coursepack check -t scorm2004 --scorm-edition 3rd"""
)
@src_argument
@target_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors (notes stay notes).")
@jobs_option
@lang_option
@format_option
@_with_scorm_options
@_verbosity
@click.pass_obj
def check(
    ctx: Ctx,
    src: Path | None,
    targets: tuple[str, ...],
    strict: bool,
    jobs: int | None,
    langs: tuple[str, ...],
    fmt: str,
    scorm_edition: str,
    sco: str,
    split: str,
    map_info: bool,
) -> None:
    """Run every check `build` runs on SRC and the packages built from it, without writing anything.

    SRC defaults to ./course_src, or to the current folder when it holds course.yaml.
    Exit status 1 when any finding is an error.
    """
    src = find_src(src)
    ctx.machine = fmt != "text"
    source_course = _load(ctx, src, fmt)
    options = _options(scorm_edition, sco, split, map_info)
    courses, i18n_diags = _translations(ctx, source_course, src, langs, strict)
    errors = sum(d.severity == "error" for d in i18n_diags)
    warnings = sum(d.severity == "warning" for d in i18n_diags)
    if i18n_diags:
        _report_findings(fmt, i18n_diags, src)
    for course in courses:
        errors_here, warnings_here = _check_one(ctx, src, course, targets, strict, jobs, options, fmt)
        errors, warnings = errors + errors_here, warnings + warnings_here
    if len(courses) > 1:
        ctx.say(f"checked {len(courses)} languages: {errors} error(s), {warnings} warning(s)")
    if errors:
        sys.exit(EXIT_ERRORS)


def _check_one(ctx, src, course, targets, strict, jobs, options, fmt) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from builder.pipeline import expand_targets, run

    try:
        result = run(course, expand_targets(targets or ("all",)), options, strict=strict, jobs=jobs)
    except Exception as exc:
        _fail(ctx, exc, "check")
    # -q: errors only, as the README promises; a machine format always gets every finding
    _report_findings(fmt, result.errors if ctx.quiet and fmt == "text" else result.diagnostics, src)
    _print_totals(ctx, course)
    for name in result.checks:
        ctx.say(f"  ran: {name}")
    xsd_missing = [d for d in result.diagnostics if d.code == "scorm.xsd-unavailable"]
    if xsd_missing:
        ctx.say("SCORM manifests were NOT validated against the XSDs (see the errors above)")
    elif any(n.startswith("SCORM") for n in result.checks):
        ctx.say("SCORM manifests validated against the IMS/ADL XSDs")
    notes = len(result.notes)
    tail = f", {notes} note(s) about LMS behaviour" if notes else ""
    lang = f" ({course.language})" if course.source_language else ""
    ctx.say(
        f"checked {course.slug}{lang}: {len(result.errors)} error(s), {len(result.warnings)} warning(s){tail}"
    )
    return len(result.errors), len(result.warnings)


@main.command(
    epilog="""\b
Examples:
  coursepack report                         # <slug>.coverage.html/.csv/.json into ./dist
  coursepack report course_src -o reports
  coursepack report --lang it               # <slug>-it.coverage.* in Italian
  coursepack report --lang all --strict     # every language; a gap in a catalog is an error"""
)
@src_argument
@dist_option("Output folder.")
@lang_option
@translation_strict_option
@_verbosity
@click.pass_obj
def report(ctx: Ctx, src: Path | None, out: Path, langs: tuple[str, ...], strict: bool) -> None:
    """Write the competence coverage report (HTML, CSV, JSON) and print a summary.

    `build` writes the same report when it builds every target. With --lang, one report per
    language, named and worded like that language's packages (the source language unsuffixed);
    the summary printed here stays in English, like every other line of the command line.
    """
    src = find_src(src)
    from builder.build import OutDirError, check_out_dir
    from builder.report.coverage import summary, write_reports

    try:
        check_out_dir(src, out)
    except OutDirError as exc:
        raise click.UsageError(str(exc)) from None
    source_course = _load(ctx, src)
    courses, i18n_diags = _translations(ctx, source_course, src, langs, strict)
    _stop_on_translation_errors(i18n_diags, src, "written")
    if i18n_diags and not ctx.quiet:
        _print_diagnostics(i18n_diags)
    for course in courses:
        for path in write_reports(course, out):
            ctx.say(f"wrote {path}")
        ctx.say(summary(course))


@main.command(
    epilog="""\b
Examples:
  coursepack serve                          # ./course_src, or . inside a course folder
  coursepack serve course_src --open        # and open it in the web browser
  coursepack serve --port 8001 --scorm 1.2
  coursepack serve --lang it                # through translations/it.po, reloaded on save"""
)
@src_argument
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Listen address (loopback: this machine only)."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the web browser.")
@click.option(
    "--scorm", "version", type=click.Choice(["2004", "1.2"]), default="2004", show_default=True,
    help="The LMS the panel imitates first (switchable in the page).",
)  # fmt: skip
@click.option(
    "--lang", metavar="LANG", default=None,
    help="Preview the course in this language: its catalog in SRC/translations/ (strings without a "
    "current translation show in the source language, as in a build).  [default: the source language]",
)  # fmt: skip
@_verbosity
@click.pass_obj
def serve(
    ctx: Ctx, src: Path | None, port: int, host: str, open_browser: bool, version: str, lang: str | None
) -> None:
    """Preview the course in a browser, reloading on every save (an LMS panel shows what it records).

    SRC defaults to ./course_src, or to the current folder when it holds course.yaml.
    """
    src = find_src(src)
    from builder.serve import missing_dependencies

    if missing := missing_dependencies():
        click.secho(
            f"coursepack serve needs {', '.join(missing)}; "
            "install them with: pip install 'coursepack[serve]'",
            fg="red", err=True,
        )  # fmt: skip
        sys.exit(EXIT_FAILED)
    from builder.serve.server import PortInUse
    from builder.serve.server import serve as run

    if not (src / "course.yaml").is_file():
        raise click.UsageError(f"{src} holds no course.yaml; pass the folder of the course source")
    from builder.i18n.apply import NoCatalog

    try:
        run(src, host=host, port=port, open_browser=open_browser, version=version, log=ctx.say, lang=lang)
    except (PortInUse, NoCatalog) as exc:
        raise click.UsageError(str(exc)) from None


@main.command(
    epilog="""\b
Examples:
  coursepack new my-course && cd my-course && coursepack check
Editors: the YAML files name their JSON Schema (.coursepack/schemas/), and
.vscode/settings.json maps them for VS Code's YAML extension."""
)
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@_verbosity
@click.pass_obj
def new(ctx: Ctx, dest: Path) -> None:
    """Scaffold a small working course in DEST (which must not exist or be empty)."""
    from builder.scaffold import scaffold

    if dest.exists() and any(dest.iterdir()):
        click.secho(f"{dest} exists and is not empty; choose a new folder", fg="red", err=True)
        sys.exit(EXIT_ERRORS)
    files = scaffold(dest)
    ctx.say(f"created {len(files)} files in {dest}; next: cd {dest} && coursepack check && coursepack build")


@main.group(
    name="import",
    epilog="""\b
Examples:
  coursepack import olx course.tar.gz course_src""",
)
def import_() -> None:
    """Bring a course from another system in as a new course source."""


@import_.command(
    name="olx",
    epilog="""\b
Examples:
  coursepack import olx export.tar.gz course_src
  coursepack import olx exported-folder/ course_src && coursepack check course_src""",
)
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@_verbosity
@click.pass_obj
def import_olx(ctx: Ctx, src: Path, dest: Path) -> None:
    """Import an Open edX export (SRC: .tar.gz or folder) into DEST (new or empty)."""
    try:
        from builder.importer.olx import REPORT_FILE, ImportIncomplete, ImportRefused, import_olx
    except ImportError as exc:  # markdownify is an optional dependency
        click.secho(f"{exc}; install it with: pip install 'coursepack[import]'", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    try:
        report = import_olx(src, dest)
    except ImportIncomplete as exc:
        _print_diagnostics(exc.diagnostics)
        click.secho(str(exc), fg="red", err=True)
        sys.exit(EXIT_ERRORS)
    except ImportRefused as exc:
        click.secho(f"import refused: {exc}; nothing was written", fg="red", err=True)
        sys.exit(EXIT_ERRORS)
    ctx.say(report.summary())
    ctx.say(f"wrote {dest} and {dest / REPORT_FILE}; next: coursepack check {dest}")


# --------------------------------------------------------------------------- translate


@main.group(
    epilog="""\b
Examples:
  coursepack translate update --lang it     # start or refresh SRC/translations/it.po
  coursepack translate status               # translated / fuzzy / missing per language
  coursepack translate export-xliff --lang nl -o nl.xlf   # for a CAT tool"""
)
def translate() -> None:
    """Translation catalogs: SRC/translations/messages.pot and one <lang>.po each (docs/translation.md)."""


translate_src = click.argument("src", type=click.Path(path_type=Path), default="course_src")


@translate.command(
    "extract",
    epilog="""\b
Examples:
  coursepack translate extract              # course_src/translations/messages.pot
  coursepack translate extract my-course""",
)
@translate_src
@click.pass_obj
def translate_extract(ctx: Ctx, src: Path) -> None:
    """Write the template of every learner-visible string to SRC/translations/messages.pot."""
    from builder.i18n.commands import extract

    path, pot = extract(_load(ctx, src), src)
    ctx.say(f"wrote {path} ({len(pot)} strings)")


@translate.command(
    "update",
    epilog="""\b
Examples:
  coursepack translate update               # every catalog
  coursepack translate update --lang it --lang nl""",
)
@translate_src
@click.option(
    "--lang", "langs", multiple=True, default=(), metavar="LANG", help="Catalog(s) to update or start."
)
@click.pass_obj
def translate_update(ctx: Ctx, src: Path, langs: tuple[str, ...]) -> None:
    """Extract the template and merge it into every catalog (or --lang): changed source → fuzzy."""
    from builder.i18n import catalog
    from builder.i18n.commands import update

    course = _load(ctx, src)
    chosen = list(langs) or catalog.languages(src)
    if course.language in chosen:
        raise click.UsageError(f"{course.language} is the source language; it needs no catalog")
    for path, po in update(course, src, chosen):
        st = catalog.status(po, po, "")
        ctx.say(
            f"updated {path}: {st.translated} translated, {len(st.fuzzy)} fuzzy, {len(st.missing)} missing"
        )


@translate.command(
    "status",
    epilog="""\b
Examples:
  coursepack translate status
  coursepack translate status --lang nl --list   # each missing string with file:line
  coursepack translate status --strict      # exit 1 unless complete (for CI)""",
)
@translate_src
@click.option("--lang", "langs", multiple=True, default=(), metavar="LANG", help="Only these catalogs.")
@click.option("--list", "show", is_flag=True, help="List every fuzzy and missing string with file:line.")
@click.option("--strict", is_flag=True, help="Exit 1 unless every catalog is complete.")
@click.pass_obj
def translate_status(ctx: Ctx, src: Path, langs: tuple[str, ...], show: bool, strict: bool) -> None:
    """How much of each catalog is translated, fuzzy (outdated) and missing, against the current source."""
    from builder.i18n import catalog
    from builder.i18n.commands import template

    course = _load(ctx, src)
    pot = template(course, src)
    incomplete = False
    for lang in list(langs) or catalog.languages(src):
        path = catalog.po_path(src, lang)
        st = catalog.status(pot, catalog.load(path) if path.is_file() else None, lang)
        incomplete |= st.translated < st.total
        click.echo(
            f"{lang}: {st.translated}/{st.total} translated ({st.percent():.1f}%), "
            f"{len(st.fuzzy)} fuzzy, {len(st.missing)} missing"
        )
        if show:
            for label, entries in (("fuzzy", st.fuzzy), ("missing", st.missing)):
                for e in entries:
                    click.echo(f"  {catalog.where(e)}: {label}: {e.msgctxt}")
    if strict and incomplete:
        sys.exit(EXIT_ERRORS)


@translate.command(
    "export-xliff",
    epilog="""\b
Examples:
  coursepack translate export-xliff --lang it -o it.xlf""",
)
@translate_src
@click.option("--lang", required=True, default=None, metavar="LANG")
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), required=True, default=None)
@click.pass_obj
def translate_export_xliff(ctx: Ctx, src: Path, lang: str, out: Path) -> None:
    """Write the catalog of LANG (updated from the source first) as XLIFF 1.2 for a CAT tool."""
    from builder.i18n import xliff
    from builder.i18n.commands import update

    course = _load(ctx, src)
    ((_, po),) = update(course, src, [lang])
    out.write_bytes(xliff.export(po, lang, course.language, "course_src"))
    ctx.say(f"wrote {out} ({sum(1 for e in po if not e.obsolete)} units)")


@translate.command(
    "import-xliff",
    epilog="""\b
Examples:
  coursepack translate import-xliff --lang it it.xlf""",
)
@translate_src
@click.option("--lang", required=True, default=None, metavar="LANG")
@click.argument("xlf", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_obj
def translate_import_xliff(ctx: Ctx, src: Path, lang: str, xlf: Path) -> None:
    """Take the translations of an XLIFF file back into SRC/translations/LANG.po (matched by id)."""
    from builder.i18n import xliff
    from builder.i18n.commands import update, write

    course = _load(ctx, src)
    ((path, po),) = update(course, src, [lang])
    try:
        res = xliff.import_into(po, xlf.read_bytes())
    except Exception as exc:  # translate-toolkit raises lxml errors for broken files
        raise click.UsageError(f"{xlf} is not a readable XLIFF file: {exc}") from None
    write(po, path)
    ctx.say(
        f"updated {path}: {res.filled} translated, {res.fuzzy} fuzzy, {res.unknown} unknown id(s) ignored"
    )


@main.command(
    epilog="""\b
Examples:
  coursepack schema                         # into ./.coursepack/schemas
  coursepack schema --out schemas
Editors with the YAML language server read them through the `# yaml-language-server: $schema=…`
line at the top of each file, or through yaml.schemas in .vscode/settings.json."""
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=".coursepack/schemas",
    show_default=True,
    help="Folder to write the JSON Schemas into.",
)
@_verbosity
@click.pass_obj
def schema(ctx: Ctx, out: Path) -> None:
    """Write JSON Schemas for course.yaml, section.yaml, subsection.yaml, competences.yaml,
    unit front matter and the ```problem / ```video blocks (generated from the loader's own schemas)."""
    from builder.editor_schemas import write_schemas

    for path in write_schemas(out):
        ctx.say(f"wrote {path}")


@main.command(
    epilog="""\b
Examples:
  coursepack docs                           # list the topics
  coursepack docs source-format             # how to write a course
  coursepack docs diagnostics               # every finding code (CP104…)
  coursepack docs ci/github-workflow.yml    # a ready CI recipe"""
)
@click.argument("topic", required=False)
@_verbosity
def docs(topic: str | None) -> None:
    """Print a document shipped with coursepack (no checkout or network needed)."""
    from builder.doc_topics import read_doc, topics

    if not topic:
        for name, title in topics():
            click.echo(f"{name:28} {title}")
        return
    try:
        click.echo(read_doc(topic), nl=False)
    except KeyError:
        names = ", ".join(n for n, _ in topics())
        raise click.UsageError(f"no topic {topic!r}; choose one of: {names}") from None


if __name__ == "__main__":
    entry()
