"""Findings about a course: what is wrong, where, and how to fix it.

The loader, the competence checks and the output validators all report through this one type so
that ``coursepack check`` prints them alike and decides the exit code in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    """Path relative to the source root (or an output name for output checks)."""
    line: int | None
    column: int | None
    message: str
    hint: str = ""
    severity: Severity = "error"
    code: str = ""
    """A short stable name (``unknown-key``, ``olxcleaner.InvalidPointer``) for filtering and tests."""

    def location(self) -> str:
        loc = self.file
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        text = f"{self.location()}: {self.severity}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


class SourceErrors(Exception):
    """Raised by the loader when the source cannot become a valid model; carries every finding."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line or 0, d.column or 0))
        super().__init__(f"{len(self.diagnostics)} error(s) in the course source")

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)
