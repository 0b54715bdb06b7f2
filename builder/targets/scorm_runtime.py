"""Assemble the SCO runtime script each package ships as ``shared/coursepack.js``.

The runtime is one quiz engine (``scorm_templates/runtime/engine.js``: grading, page, learner
state) and one small adapter per tracking protocol, all written against the interface documented
at the top of the engine. A package gets only the adapter of its protocol, plus the standalone
adapter as the fallback when no LMS is found. The files are joined here, in Python, inside one
function scope; there is no Node or bundler step, and the bytes depend only on the files, so
builds stay reproducible.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from builder.templates import template_dir

RUNTIME_SCRIPT = "shared/coursepack.js"
ENGINE = "engine.js"
FALLBACK = "standalone.js"
PROTOCOL_FILES: dict[str, tuple[str, ...]] = {
    "1.2": ("scorm.js", "scorm12.js"),
    "2004": ("scorm.js", "scorm2004.js"),
}
"""Files of each protocol's adapter, in order (``scorm.js`` holds what both SCORM versions share).

A future cmi5 or preview adapter adds an entry here and a file under ``scorm_templates/runtime``.
"""


def runtime_dir() -> Path:
    return template_dir("scorm_templates") / "runtime"


def runtime_files(protocol: str) -> list[str]:
    """The source files of ``protocol``'s script, in the order they are joined.

    Adapters register in file order and the engine keeps the first that connects, so the
    protocol's adapter comes before the standalone fallback, and the engine comes last.
    """
    if protocol not in PROTOCOL_FILES:
        raise ValueError(f"no SCO runtime adapter for {protocol!r}; known: {', '.join(PROTOCOL_FILES)}")
    return [*PROTOCOL_FILES[protocol], FALLBACK, ENGINE]


def runtime_source(name: str) -> str:
    """One source file with ``\\n`` line endings and a final newline (bytes independent of checkout)."""
    text = (runtime_dir() / name).read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def assemble(sources: list[tuple[str, str]]) -> bytes:
    """Join ``(name, text)`` sources into one strict-mode function scope that declares ``adapters``.

    Adapters push themselves onto ``adapters`` in source order; the engine must come last.
    """
    parts = [
        "/* coursepack SCO runtime, assembled by coursepack from scorm_templates/runtime/: "
        f"{', '.join(name for name, _ in sources)}. */\n",
        "(function () {\n",
        '"use strict";\n',
        "var adapters = [];  /* tracking adapters, tried in order; see the interface in engine.js */\n",
    ]
    for name, text in sources:
        parts.append(f"\n/* ---- {name} ---- */\n")
        parts.append(text)
    parts.append("})();\n")
    return "".join(parts).encode("utf-8")


@cache
def runtime_script(protocol: str) -> bytes:
    """The script of ``protocol``'s packages: its adapter, the standalone fallback, the engine."""
    return assemble([(name, runtime_source(name)) for name in runtime_files(protocol)])
