"""Findings about a course: what is wrong, where, and how to fix it.

The loader, the competence checks and the output validators all report through this one type so
that ``coursepack check`` prints them alike and decides the exit code in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

Severity = Literal["error", "warning", "note"]
"""``error`` fails the command; ``warning`` is a course fault that ``--strict`` makes an error;
``note`` is advice about how an LMS treats a correct package (e.g. Moodle and multi-SCO SCORM
2004): printed, never counted as a warning, never escalated by ``--strict``."""


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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        """Back from ``to_json`` (the build cache stores findings so)."""
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """``dataclasses.asdict(self)`` (every field is a str, an int or None), at a tenth of its
        cost: a build stores thousands of findings in its cache entries."""
        return {name: getattr(self, name) for name in _FIELDS}

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


def escalate(diags: list[Diagnostic]) -> list[Diagnostic]:
    """``--strict``: every warning becomes an error; notes stay notes (they are not course faults)."""
    return [replace(d, severity="error") if d.severity == "warning" else d for d in diags]


def tally(diags: list[Diagnostic]) -> dict[Severity, int]:
    """How many findings of each severity, for the one summary line a command prints."""
    counts: dict[Severity, int] = {"error": 0, "warning": 0, "note": 0}
    for d in diags:
        counts[d.severity] += 1
    return counts


class SourceErrors(Exception):
    """Raised by the loader when the source cannot become a valid model; carries every finding."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line or 0, d.column or 0))
        super().__init__(f"{len(self.diagnostics)} error(s) in the course source")

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


_FIELDS = tuple(f.name for f in fields(Diagnostic))
