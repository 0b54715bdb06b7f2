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

from builder import __version__
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

    def say(self, text: str, err: bool = False) -> None:
        if not self.quiet:
            click.echo(text, err=err)

    def debug(self, text: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(text, err=True)


def _print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        colour = {"error": "red", "warning": "yellow"}.get(d.severity, "cyan")
        click.secho(str(d), fg=colour, err=True)


def _load(ctx: Ctx, src: Path, cache_dir: Path | None = None) -> Course:
    from builder.source import load_course

    try:
        course = load_course(src, cache_dir=cache_dir)
    except EpochError as exc:
        raise click.UsageError(str(exc)) from None
    except SourceErrors as exc:
        _print_diagnostics(exc.diagnostics)
        click.secho(f"{len(exc.diagnostics)} error(s) in {src}; nothing was written.", fg="red", err=True)
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

Exit codes: 0 ok, 1 course errors, 2 usage error, 3 build failure.""",
)
@click.version_option(__version__, "--version", prog_name="coursepack")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Print what is being done.")
@click.pass_context
def main(click_ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Compile one course source tree into Open edX, SCORM and competence-map packages."""
    click_ctx.obj = Ctx(quiet, verbose)


target_option = click.option(
    "-t",
    "--target",
    "targets",
    type=click.Choice(TARGET_CHOICES),
    multiple=True,
    help="What to build or check (repeatable). Default: all.",
)


@main.command()
@click.argument("src", type=click.Path(path_type=Path), default="course_src")
@target_option
@click.option(
    "-o", "--out", type=click.Path(path_type=Path, file_okay=False), default="dist", show_default=True
)
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel target processes.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Render and check everything afresh; neither read nor write OUT/.coursepack-cache/.",
)
@_with_scorm_options
@click.pass_obj
def build(
    ctx: Ctx,
    src: Path,
    targets: tuple[str, ...],
    out: Path,
    jobs: int | None,
    no_cache: bool,
    scorm_edition: str,
    sco: str,
    split: str,
    map_info: bool,
) -> None:
    """Check and build packages from SRC (default: course_src) into OUT (default: dist).

    Runs every check `coursepack check` runs on the packages it builds; if any reports an error,
    nothing is published.
    """
    from builder.build import OutDirError, check_out_dir, expand_targets
    from builder.build import build as run_build

    try:
        check_out_dir(src, out)
    except OutDirError as exc:
        raise click.UsageError(str(exc)) from None
    show = not ctx.quiet and sys.stderr.isatty()
    if show:
        click.echo(f"reading {src} …", err=True)
    from builder.cache import CACHE_DIR

    started = time.time()  # cache files not used since then are pruned, the loader's included
    course = _load(ctx, src, None if no_cache else out / CACHE_DIR)
    names = expand_targets(targets or ("all",))
    options = _options(scorm_edition, sco, split, map_info)
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
                cache=not no_cache,
                started=started,
            )
    except Exception as exc:  # a bug or an I/O error: report it plainly, publish nothing
        _fail(ctx, exc)
    if result.errors:
        _print_diagnostics(result.diagnostics if ctx.verbose else result.errors)
        click.secho(f"{len(result.errors)} error(s) in {src}; nothing was published.", fg="red", err=True)
        sys.exit(EXIT_ERRORS)
    if result.warnings:
        if ctx.verbose:
            _print_diagnostics(result.warnings)
        elif not ctx.quiet:
            n = len(result.warnings)
            click.secho(
                f"{n} warning{'s' if n != 1 else ''} — run coursepack check for details (or build -v)",
                fg="yellow",
                err=True,
            )
    if result.notes and not ctx.quiet:
        # Advice about the LMS that will run these packages (e.g. Moodle and multi-SCO 2004):
        # the build summary says it, not only `check`.
        _print_diagnostics(result.notes)
    units = len(course.units())
    for w in written:
        ctx.say(f"wrote {w.path} ({_fmt_size(w.size)}, {w.summary or f'{units} units'})")
    ctx.say(
        f"built {len(written)} file(s) for {course.slug}: {units} units, "
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


@main.command()
@click.argument("src", type=click.Path(path_type=Path), default="course_src")
@target_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel target processes.")
@_with_scorm_options
@click.pass_obj
def check(
    ctx: Ctx,
    src: Path,
    targets: tuple[str, ...],
    strict: bool,
    jobs: int | None,
    scorm_edition: str,
    sco: str,
    split: str,
    map_info: bool,
) -> None:
    """Run every check `build` runs on SRC and the packages built from it, without writing anything."""
    from builder.pipeline import expand_targets, run

    course = _load(ctx, src)
    options = _options(scorm_edition, sco, split, map_info)
    try:
        result = run(course, expand_targets(targets or ("all",)), options, strict=strict, jobs=jobs)
    except Exception as exc:
        _fail(ctx, exc, "check")
    _print_diagnostics(result.diagnostics)
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
    ctx.say(f"checked {course.slug}: {len(result.errors)} error(s), {len(result.warnings)} warning(s){tail}")
    if result.errors:
        sys.exit(EXIT_ERRORS)


@main.command()
@click.argument("src", type=click.Path(path_type=Path), default="course_src")
@click.option(
    "-o", "--out", type=click.Path(path_type=Path, file_okay=False), default="dist", show_default=True
)
@click.pass_obj
def report(ctx: Ctx, src: Path, out: Path) -> None:
    """Write the competence coverage report (HTML, CSV, JSON) and print a summary."""
    from builder.build import OutDirError, check_out_dir
    from builder.report.coverage import summary, write_reports

    try:
        check_out_dir(src, out)
    except OutDirError as exc:
        raise click.UsageError(str(exc)) from None
    course = _load(ctx, src)
    for path in write_reports(course, out):
        ctx.say(f"wrote {path}")
    ctx.say(summary(course))


@main.command()
@click.argument("src", type=click.Path(path_type=Path), default="course_src")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Listen address (loopback: this machine only)."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the web browser.")
@click.option(
    "--scorm", "version", type=click.Choice(["2004", "1.2"]), default="2004", show_default=True,
    help="The LMS the panel imitates first (switchable in the page).",
)  # fmt: skip
@click.pass_obj
def serve(ctx: Ctx, src: Path, port: int, host: str, open_browser: bool, version: str) -> None:
    """Preview the course in a browser, reloading on every save (an LMS panel shows what it records)."""
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
    try:
        run(src, host=host, port=port, open_browser=open_browser, version=version, log=ctx.say)
    except PortInUse as exc:
        raise click.UsageError(str(exc)) from None


@main.command()
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.pass_obj
def new(ctx: Ctx, dest: Path) -> None:
    """Scaffold a small working course in DEST (which must not exist or be empty)."""
    from builder.scaffold import scaffold

    if dest.exists() and any(dest.iterdir()):
        click.secho(f"{dest} exists and is not empty; choose a new folder", fg="red", err=True)
        sys.exit(EXIT_ERRORS)
    files = scaffold(dest)
    ctx.say(f"created {len(files)} files in {dest}; next: coursepack check {dest} && coursepack build {dest}")


@main.group(name="import")
def import_() -> None:
    """Bring a course from another system in as a new course source."""


@import_.command(name="olx")
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
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


if __name__ == "__main__":
    main()
