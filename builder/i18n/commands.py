"""What the ``coursepack translate`` commands and ``--lang`` do, apart from printing."""

from __future__ import annotations

from pathlib import Path

import polib

from builder.i18n import catalog
from builder.i18n.walk import Message, translate_course
from builder.model import Course


def messages(course: Course, root: Path) -> list[Message]:
    found: list[Message] = []

    def record(m: Message) -> str:
        found.append(m)
        return m.source

    translate_course(course, root, record)
    return found


def template(course: Course, root: Path) -> polib.POFile:
    return catalog.template(messages(course, root), course.language)


def write(po: polib.POFile, path: Path) -> None:
    """Write a catalog atomically (a translator's file is never left half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    po.save(str(tmp))
    tmp.replace(path)


def extract(course: Course, root: Path) -> tuple[Path, polib.POFile]:
    pot = template(course, root)
    path = catalog.folder(root) / catalog.TEMPLATE
    write(pot, path)
    return path, pot


def update(course: Course, root: Path, langs: list[str]) -> list[tuple[Path, polib.POFile]]:
    _, pot = extract(course, root)
    done = []
    for lang in langs:
        path = catalog.po_path(root, lang)
        old = catalog.load(path) if path.is_file() else None
        new = catalog.update(pot, old, lang, course.language)
        write(new, path)
        done.append((path, new))
    return done


def resolve_langs(course: Course, root: Path, wanted: tuple[str, ...]) -> list[str]:
    """``--lang`` values → languages: ``all`` = the source language and every catalog."""
    out: list[str] = []
    for w in wanted or (course.language,):
        for lang in ([course.language, *catalog.languages(root)] if w == "all" else [w]):
            if lang not in out:
                out.append(lang)
    return out
