"""Findings for machines: JSON, GitHub Actions annotations and SARIF 2.1.0 (``check/build --format``).

People read ``str(Diagnostic)``; CI systems and editors read these. Every format carries the
stable code from ``builder.diagnostic_codes`` (``CP104``) and the finding's short name, so a rule
can be filtered or suppressed by a code that never changes meaning.

File paths: a finding names a file relative to the course source (``outline/…/01-x.md``) or a
built package (``course.scorm12.zip``). Machines open files from the folder they run in, so
``where`` joins source files with the SRC given on the command line; package names stay as they
are (they are not files in the repository).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from builder import __version__
from builder.diagnostic_codes import CODES, stable_code
from builder.diagnostics import Diagnostic

Format = Literal["text", "json", "github", "sarif"]
FORMATS: tuple[str, ...] = ("text", "json", "github", "sarif")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def where(d: Diagnostic, src: Path | None) -> str:
    """The finding's file as a path from the current folder when it is a source file, else as is."""
    if src is None or not d.file or Path(d.file).is_absolute():
        return d.file
    if re.split(r"[/:]", d.file, maxsplit=1)[0].endswith(PACKAGE_SUFFIXES):
        return d.file
    return (src / d.file).as_posix()


PACKAGE_SUFFIXES = (".zip", ".tar.gz", ".imscc")
"""A finding about a built package names it (``x.scorm12.zip``, ``x.olx.tar.gz:course/…``): no source file."""


def _fix(d: Diagnostic) -> str:
    return d.hint


def to_json(diags: Iterable[Diagnostic], src: Path | None = None) -> str:
    """A JSON array, one object per finding (stable key order, for diffing in CI)."""
    rows = [
        {
            "severity": d.severity,
            "code": stable_code(d.code),
            "name": d.code,
            "file": where(d, src),
            "line": d.line,
            "column": d.column,
            "message": d.message,
            "fix": _fix(d),
        }
        for d in diags
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- GitHub Actions

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message: % CR LF are percent-encoded (actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: also ``:`` and ``,`` (actions/toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(diags: Iterable[Diagnostic], src: Path | None = None) -> str:
    """One ``::error file=…,line=…,col=…,title=CODE::message`` line per finding."""
    lines = []
    for d in diags:
        props = []
        file = where(d, src)
        if file:
            props.append(f"file={escape_property(file)}")
        if d.line:
            props.append(f"line={d.line}")
            if d.column:
                props.append(f"col={d.column}")
        title = stable_code(d.code) + (f" {d.code}" if d.code else "")
        props.append(f"title={escape_property(title)}")
        message = d.message + (f" — {_fix(d)}" if _fix(d) else "")
        lines.append(f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- SARIF 2.1.0

_SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def to_sarif(diags: Iterable[Diagnostic], src: Path | None = None) -> str:
    """A SARIF 2.1.0 log with one run; its rules are the registry entries the findings use."""
    diags = list(diags)
    used = sorted({stable_code(d.code) for d in diags})
    entries = {c.code: c for c in CODES}
    rules = []
    for code in used:
        entry = entries.get(code)
        rules.append(
            {
                "id": code,
                "name": entry.name.rstrip(".") if entry else "unregistered",
                "shortDescription": {
                    "text": entry.summary if entry else "A finding with no registered code."
                },
                "help": {"text": "Every code is explained by `coursepack docs diagnostics`."},
            }
        )
    index = {code: i for i, code in enumerate(used)}
    results = []
    for d in diags:
        code = stable_code(d.code)
        text = d.message + (f" — {_fix(d)}" if _fix(d) else "")
        result: dict[str, object] = {
            "ruleId": code,
            "ruleIndex": index[code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": text},
            "properties": {"name": d.code, "fix": _fix(d)},
        }
        file = where(d, src)
        if file:
            physical: dict[str, object] = {"artifactLocation": {"uri": quote(file)}}
            if d.line:
                region: dict[str, int] = {"startLine": d.line}
                if d.column:
                    region["startColumn"] = d.column
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "coursepack",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def render(diags: Iterable[Diagnostic], fmt: str, src: Path | None = None) -> str:
    """Findings in a machine format (``text`` is printed by the CLI, in colour)."""
    if fmt == "json":
        return to_json(diags, src)
    if fmt == "github":
        return to_github(diags, src)
    if fmt == "sarif":
        return to_sarif(diags, src)
    return "".join(f"{d}\n" for d in diags)
