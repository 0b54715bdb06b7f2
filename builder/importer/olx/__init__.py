"""``coursepack import olx``: an Open edX course export → a ``course_src/`` tree that builds back.

The inverse of :mod:`builder.targets.olx`. Modules, in the order an import uses them:

- ``archive`` — open the ``.tar.gz`` (or folder) safely: traversal, links, devices, size caps;
- ``files`` — paths from url_names stay inside the export; XML without DTDs or entities;
- ``course`` — ``course.xml``, the run file, ``policies/`` → ``course.yaml``;
- ``static`` — ``static/`` under safe flat names, every reference rewritten;
- ``competences`` — outcome tags (``tags.csv``, ``tags-v1``, ``learning_outcomes``) → ids and
  ``competences.yaml``;
- ``outline`` — pointers resolved; chapters/sequentials/verticals → sections/subsections/units;
  ``html`` (Markdown or ```raw-html), ``capa`` (five problem types), ``video``; anything else is
  kept as a pass-through ```olx block;
- ``writer`` — the files; ``report`` — what happened, for the terminal and ``import-report.md``.

Nothing is written to the destination until the whole tree has been written to a staging folder
beside it and loaded back by the source loader (so ``coursepack check`` accepts it); the staging
folder is then renamed into place, or removed on any failure.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import lxml.html

from builder.diagnostics import Diagnostic, SourceErrors
from builder.importer.olx import html as html_convert
from builder.importer.olx.archive import check_folder, extract_tar, find_course_root
from builder.importer.olx.competences import OutcomeIndex, Tags
from builder.importer.olx.course import course_yaml
from builder.importer.olx.errors import ImportRefused
from builder.importer.olx.files import Export
from builder.importer.olx.ids import Ids
from builder.importer.olx.outline import OutlineReader, TreeLoader
from builder.importer.olx.report import ImportReport
from builder.importer.olx.static import StaticFiles
from builder.importer.olx.writer import clean, dump_yaml, write_outline

REPORT_FILE = "import-report.md"

PLACEHOLDER_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class ImportIncomplete(ImportRefused):
    """The written source does not load: a gap in the importer, reported with the loader's findings."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__(
            "import",
            f"the imported source has {len(diagnostics)} error(s); nothing was written",
            "please report this with the export",
        )


def import_olx(src: Path, dest: Path) -> ImportReport:
    """Import ``src`` (a ``.tar.gz`` export or its folder) into the new or empty folder ``dest``."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ImportRefused(str(dest), "exists and is not empty", "choose a new folder")
    if not src.exists():
        raise ImportRefused(str(src), "not found", "pass a Studio course export (.tar.gz) or its folder")
    parent = dest.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coursepack-import-") as work:
        if src.is_dir():
            check_folder(src)
            tree = src
        else:
            tree = Path(work) / "export"
            tree.mkdir()
            extract_tar(src, tree)
        root = find_course_root(tree, src.name)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.importing-", dir=parent))
        try:
            report = ImportReport(source=src.name)
            write_source(Export(root), staging, report)
            (staging / REPORT_FILE).write_text(report.to_markdown(), "utf-8")
            verify(staging)
            if dest.exists():
                dest.rmdir()
            staging.rename(dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return report


def verify(staging: Path) -> None:
    from builder.source import load_course

    try:
        load_course(staging)
    except SourceErrors as exc:
        raise ImportIncomplete(exc.diagnostics) from None


def write_source(export: Export, dest: Path, report: ImportReport) -> None:
    pointer = export.xml(export.path("course.xml"))
    if pointer.tag != "course":
        raise ImportRefused("course.xml", f"root is <{pointer.tag}>, expected <course>")
    run = pointer.get("url_name") or ""
    if not run:
        raise ImportRefused(
            "course.xml", "has no url_name (the course run)", "Studio cannot import it either"
        )
    # course.xml is a pointer to course/<run>.xml in Studio exports, or the whole course inline.
    inline = len(pointer) > 0 or bool(pointer.get("display_name"))
    course_el = pointer if inline else export.xml(export.path("course", f"{run}.xml", where="course.xml"))
    meta, policy = course_yaml(export, pointer, course_el, report)
    static = StaticFiles(export, report)
    tags = Tags()
    tags_path = export.path("tags.csv")
    if tags_path.is_file():
        tags.read_csv(export.read_text(tags_path))
    loaded = TreeLoader(export, report, policy).load(course_el)
    if loaded is None:
        raise ImportRefused("course.xml", "the course file is missing")
    course_el = loaded
    # Tags on every block, read before any outcome lookup, so ids are derived from all values at once.
    for el in course_el.iter():
        if isinstance(el.tag, str) and el.get("url_name"):
            tags.read_attrs(el.tag, el.get("url_name", ""), dict(el.attrib))
    outcomes = OutcomeIndex(tags, report)
    ids = Ids(report)
    reader = OutlineReader(
        export, report, ids, static, outcomes, [g["type"] for g in meta["grading"]["graders"]]
    )
    sections = reader.sections(course_el)
    if not sections:
        raise ImportRefused("course.xml", "the course has no units", "export a course with content")
    if reader.html_ids_dropped:
        report.notes.append(
            f"{reader.html_ids_dropped} html components: their ids are now `<unit id>-textN` by position "
            "(as for every text block of the source); html blocks hold no learner state, and adjacent "
            "html components of one unit are now one text block"
        )
    dest.mkdir(exist_ok=True)
    static.copy_to(dest)
    meta["short_description"] = short_description(export, meta["title"])
    meta["overview"] = "overview.md"
    (dest / "overview.md").write_text(clean(overview(export, static, report)) + "\n", "utf-8")
    meta["image"] = course_image(course_el.get("course_image", ""), static, dest, report)
    meta["competence_map"] = "competences.yaml"
    ordered = {
        k: meta[k]
        for k in ("org", "number", "run", "title", "language", "start", "end", "pacing", "short_description",
                  "overview", "image", "license", "competence_map", "grading")
        if k in meta
    }  # fmt: skip
    (dest / "course.yaml").write_text(dump_yaml(ordered), "utf-8")
    cmap = outcomes.competences_yaml(meta["title"], meta["language"], f"{meta['org']}-{meta['number']}")
    (dest / "competences.yaml").write_text(dump_yaml(cmap), "utf-8")
    write_outline(dest, sections)
    for extra in ("tabs", "info", "wiki", "drafts", "assets", "about"):
        if export.path(extra).is_dir() and extra != "about":
            report.drop(
                f"{extra}/", "folder", "course pages, updates, wiki and drafts are not part of the source"
            )
    about = export.path("about")
    if about.is_dir():
        for page in sorted(about.iterdir()):
            if page.name not in ("overview.html", "short_description.html"):
                report.drop(
                    f"about/{page.name}", "about page", "only the overview and short description are carried"
                )


def short_description(export: Export, title: str) -> str:
    path = export.path("about", "short_description.html")
    text = ""
    if path.is_file():
        raw = export.read_text(path).strip()
        if raw:
            text = " ".join(lxml.html.fragment_fromstring(raw, create_parent="div").text_content().split())
    text = text or title
    if len(text) > 150:
        text = text[:149].rsplit(" ", 1)[0] + "…"
    return text


def overview(export: Export, static: StaticFiles, report: ImportReport) -> str:
    path = export.path("about", "overview.html")
    if not path.is_file():
        report.notes.append("overview.md: the export has no about/overview.html; a placeholder was written")
        return "This course was imported from Open edX."
    holder = html_convert.prepare(export.read_text(path), static, report, "about/overview.html")
    for wrapper in list(holder.iter("section", "article", "div", "span")):
        if wrapper is not holder:
            wrapper.drop_tag()  # Studio wraps the overview in <section class="about">: layout only
    reason = html_convert.markdown_problem(holder)
    if reason:
        report.drop("about/overview.html", f"markup {reason}", "overview.md is Markdown; the text is kept")
    inner = html_convert.inner(holder)
    return html_convert.to_markdown(inner) or "This course was imported from Open edX."


def course_image(raw: str, static: StaticFiles, dest: Path, report: ImportReport) -> str:
    name = static.name(raw.strip()) if raw.strip() else None
    if name is not None:
        return f"static/{name}"
    placeholder = "course-image-placeholder.png"
    while (dest / "static" / placeholder).exists():
        placeholder = "x-" + placeholder
    (dest / "static").mkdir(exist_ok=True)
    (dest / "static" / placeholder).write_bytes(PLACEHOLDER_PNG)
    report.notes.append(
        f"course image `{raw or '(none)'}` is not in the export's static/; a 1×1 placeholder "
        f"static/{placeholder} was written"
    )
    return f"static/{placeholder}"


__all__ = ["REPORT_FILE", "ImportIncomplete", "ImportRefused", "ImportReport", "import_olx"]
