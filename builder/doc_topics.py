"""``coursepack docs TOPIC``: the reference documents, shipped in the wheel.

Messages send authors to a document; a pip user has no checkout, so the documents in ``docs/``
travel as package data (``builder/docs`` in the wheel, see pyproject's package-dir) and this
module prints them. In a checkout the repository's own ``docs/`` folder is read.
"""

from __future__ import annotations

from pathlib import Path

from builder.templates import template_dir


def docs_dir() -> Path:
    return template_dir("docs")


def _files() -> dict[str, Path]:
    root = docs_dir()
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        found[rel.removesuffix(".md")] = path
    return found


def topics() -> list[tuple[str, str]]:
    """(topic, first heading or file kind) for every shipped document."""
    out = []
    for name, path in _files().items():
        title = ""
        if path.suffix == ".md":
            lines = path.read_text(encoding="utf-8").splitlines()
            first = next((ln for ln in lines if ln.startswith("#")), "")
            title = first.lstrip("# ").strip()
        else:
            title = f"({path.suffix.lstrip('.')} recipe)"
        out.append((name, title))
    return out


def read_doc(topic: str) -> str:
    """The text of ``topic`` (``source-format``, ``ci/gitlab-ci.yml``…); KeyError if none."""
    files = _files()
    key = topic.removesuffix(".md")
    if key not in files:
        raise KeyError(topic)
    return files[key].read_text(encoding="utf-8")
