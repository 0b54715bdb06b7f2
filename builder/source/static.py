"""``static/``: the files a course shows or links, and the links in Markdown that point at them.

Open edX flattens ``static/`` into one folder of file names, so names are checked here against
what it would rewrite or collide; every other part refers to an asset through this index.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote

from builder.diagnostics import Diagnostic
from builder.model import Asset, Course
from builder.source.context import ReadContext, printable_name
from builder.source.files import (
    IGNORED_FILES,
    inside,
    no_similar_file,
    normalise,
    refuse_symlink,
    safe_name,
    safe_path,
    short,
    similar_file,
    static_folder,
)

if TYPE_CHECKING:  # Markdown is imported where links are resolved: a cached build's check_static needs none
    from builder.render import markdown

FLAT_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def scan_static(ctx: ReadContext) -> None:
    static = ctx.root / "static"
    if not static.is_dir():
        return
    flat_seen: dict[str, str] = {}
    for path in sorted(static.rglob("*")):
        rel = ctx.rel(path)
        if path.is_symlink():
            refuse_symlink(ctx, rel)
            continue
        if not path.is_file() or any(IGNORED_FILES.match(p) for p in path.relative_to(static).parts):
            continue
        inner = path.relative_to(static).as_posix()
        flat = inner.replace("/", "_")
        if not FLAT_NAME.match(flat):
            bad = printable_name(next(p for p in path.relative_to(static).parts if not FLAT_NAME.match(p)))
            where = rel if bad == printable_name(path.name) else _folder_of(ctx, static, inner, bad)
            if not any(d.file == where and d.code == "bad-asset-name" for d in ctx.diags):
                ctx.error(
                    where,
                    None,
                    f"{'file' if where == rel else 'folder'} name `{bad}` has spaces or characters"
                    " that Open edX would rewrite",
                    f"rename it to `{safe_name(bad)}` (letters, digits, '.', '_' and '-' only)"
                    " and update the links to it",
                    code="bad-asset-name",
                )
            ctx.bad_names.add(rel)
            continue
        if flat in flat_seen:
            ctx.error(
                rel,
                None,
                f"publishes as `{flat}`, the same name as `{flat_seen[flat]}`",
                "rename one of them (Open edX flattens folders into file names)",
                code="asset-collision",
            )
            continue
        flat_seen[flat] = rel
        ctx.assets[rel] = Asset(source=path.resolve(), rel_path=rel, flat_name=flat, size=path.stat().st_size)


def _folder_of(ctx: ReadContext, static: Path, inner: str, bad: str) -> str:
    """The folder of ``static/`` whose name is ``bad``, as a path for the message."""
    parts = inner.split("/")
    for i, part in enumerate(parts):
        if printable_name(part) == bad:
            return ctx.rel(static.joinpath(*parts[: i + 1]))
    return ctx.rel(static)


def asset(ctx: ReadContext, raw: str, file: str, line: int | None, what: str) -> Asset | None:
    """The asset a YAML value names, or a finding saying why it is not one."""
    path = safe_path(ctx, raw, file, line, what)
    if path is None:
        return None
    rel = ctx.rel(path)
    if rel in ctx.bad_names:
        return None  # its name is the one error to fix
    if rel not in ctx.assets:
        ctx.error(
            file,
            line,
            f"{what} `{short(raw)}` is not in the course's `static/` folder",
            f"move it to `{static_folder(ctx)}` and write `static/…`",
            code="not-static",
        )
        return None
    return ctx.assets[rel]


def link_resolver(ctx: ReadContext, md_file: Path) -> markdown.LinkResolver:
    """Resolve Markdown links relative to the file, or root-anchored as ``/static/…``; links to
    other unit files are resolved once every unit is read (``builder.source.unitlinks``)."""
    from builder.render.markdown import is_external

    file = ctx.rel(md_file)

    def resolve(url: str, line: int) -> str | None:
        if not url or is_external(url):
            return None
        target, sep, frag = url.partition("#")
        target = unquote(target)  # markdown-it percent-encodes spaces and accents
        if target.startswith("/static/"):
            rel = target.lstrip("/")
        elif target.startswith("/") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
            ctx.error(
                file,
                line,
                f"link `{short(url)}` is neither a web address nor a file in static/",
                "use https://… for web pages and static/ paths for files",
                code="bad-link",
            )
            return None
        else:
            full = md_file.parent / target
            if not inside(ctx, full):
                ctx.error(
                    file,
                    line,
                    f"link `{short(url)}` points outside the course source",
                    "link only files inside the course's `static/` folder",
                    code="unsafe-path",
                )
                return None
            rel = ctx.rel(Path(normalise(full.as_posix())))
        if rel in ctx.bad_names:
            return None  # its name is the one error to fix
        found = ctx.assets.get(rel)
        if found is None:
            if rel.startswith("outline/") and rel.endswith(".md"):
                from builder.source.unitlinks import unit_link

                return unit_link(ctx, file, line, rel, url, frag)
            ctx.error(
                file,
                line,
                f"link `{short(url)}` does not resolve to a file in the course's `static/` folder",
                _link_hint(ctx, md_file, target, rel),
                code="missing-file",
            )
            return None
        return f"/static/{found.flat_name}" + (sep + frag if sep else "")

    return resolve


def _link_hint(ctx: ReadContext, md_file: Path, target: str, rel: str) -> str:
    """A similar file, written the way the author wrote the link: ``/static/…`` stays root-anchored,
    a relative link stays relative to the Markdown file's folder."""
    if not rel.startswith("static/"):
        in_static = "static/" + target.split("static/", 1)[1] if "static/" in target else None
        if in_static in ctx.assets or in_static in ctx.bad_names:
            return f"a link in a Markdown file is relative to that file's folder: write `/{in_static}`"
        match = similar_file(ctx, in_static or "static/" + PurePosixPath(target).name)
        if match:
            return f"did you mean `/{match}`?"
        return f"files a course shows live in `{static_folder(ctx)}`; link them as `/static/…`"
    match = similar_file(ctx, rel)
    if match is None:
        return no_similar_file(ctx)
    if target.startswith("/static/"):
        return f"did you mean `/{match}`?"
    return f"did you mean `{os.path.relpath(ctx.root / match, md_file.parent).replace(os.sep, '/')}`?"


SCRIPT_FILES = (".js", ".mjs")
ACTIVE_DOCUMENTS = (".html", ".htm", ".xhtml", ".xht", ".shtml", ".svg", ".xml", ".xsl", ".xslt")
"""Files a browser renders as documents, where an inline script or handler runs."""
_ACTIVE = re.compile(rb"<script|\bon[a-z]+\s*=|javascript:", re.IGNORECASE)


def check_static(course: Course) -> list[Diagnostic]:
    """Warnings for static files that carry script: shipped as they are, they run on the LMS's own
    origin (Open edX serves ``/static/`` from the course's domain, a SCORM player from its own), with
    the learner's session. A warning, not an error, because a trainer may have vetted a page; under
    ``check --strict`` it is an error. Policy in docs/source-format.md, "Static files"."""
    found: list[Diagnostic] = []
    for a in course.assets:
        name = a.rel_path.lower()
        if name.endswith(SCRIPT_FILES):
            what = "is a JavaScript file"
        elif name.endswith(ACTIVE_DOCUMENTS) and _has_script(a.source):
            what = "contains a script (<script>, an on…= handler or a javascript: link)"
        else:
            continue
        found.append(
            Diagnostic(
                a.rel_path,
                None,
                None,
                f"{what}; it would run with the learner's session on the LMS's own web address",
                "remove the script, or host the page elsewhere and link it with https://",
                "warning",
                "static-script",
            )
        )
    return found


def _has_script(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return _ACTIVE.search(f.read(MAX_SCAN_BYTES)) is not None
    except OSError:
        return False


MAX_SCAN_BYTES = 16 * 1024 * 1024
"""How much of a static document is searched for script: more than any page a course ships."""
