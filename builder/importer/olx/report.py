"""What an import did, for the terminal and ``import-report.md``: nothing is lost without a line here.

Counts by block type, what was converted into the source format, what was kept as a pass-through
```` ```olx ```` block (and why), what was dropped (and why), and every id or file name that had to
change to satisfy the source format's rules.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ImportReport:
    source: str = ""
    found: Counter[str] = field(default_factory=Counter)
    """Blocks of the export by type (``problem`` subdivided by capa response type)."""
    converted: Counter[str] = field(default_factory=Counter)
    """What each block became in the source: ``prose``, ``raw-html``, ``problem:single``…"""
    passthrough: list[tuple[str, str, str]] = field(default_factory=list)
    """(where, block, reason) for every ```olx block written."""
    dropped: list[tuple[str, str, str]] = field(default_factory=list)
    """(where, what, why) for everything not carried into the source."""
    renamed_ids: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind, url_name in the export, id in the source)."""
    renamed_files: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def passed(self, where: str, block: str, reason: str) -> None:
        self.passthrough.append((where, block, reason))
        self.converted["olx pass-through"] += 1

    def drop(self, where: str, what: str, why: str) -> None:
        self.dropped.append((where, what, why))

    def summary(self) -> str:
        found = ", ".join(f"{n} {k}" for k, n in sorted(self.found.items()))
        made = ", ".join(f"{n} {k}" for k, n in sorted(self.converted.items()))
        lines = [
            f"imported {self.source}",
            f"  found: {found or 'nothing'}",
            f"  wrote: {made or 'nothing'}",
            f"  kept as ```olx pass-through: {len(self.passthrough)}; dropped: {len(self.dropped)}; "
            f"renamed ids: {len(self.renamed_ids)}; renamed files: {len(self.renamed_files)}",
        ]
        lines += [f"  pass-through {block} ({where}): {reason}" for where, block, reason in self.passthrough]
        lines += [f"  dropped {what} ({where}): {why}" for where, what, why in self.dropped]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        out = [f"# Import report: {cell(self.source)}", ""]
        out += ["## Blocks found in the export", "", "| type | count |", "|---|---|"]
        out += [f"| {cell(k)} | {n} |" for k, n in sorted(self.found.items())]
        out += ["", "## Written to the source", "", "| became | count |", "|---|---|"]
        out += [f"| {cell(k)} | {n} |" for k, n in sorted(self.converted.items())]
        sections = [
            (
                "Kept as pass-through ```olx blocks",
                "The OLX build writes these back unchanged; SCORM pages show a notice that the activity "
                "is available in the Open edX version.",
                ["where", "block", "why"],
                self.passthrough,
            ),
            ("Dropped", "Not carried into the source.", ["where", "what", "why"], self.dropped),
            (
                "Renamed ids",
                "url_names changed to match the source format's id rule `[A-Za-z0-9][A-Za-z0-9_.-]*`, "
                "unique across the course. Open edX keys learner state by url_name.",
                ["kind", "url_name in the export", "id in the source"],
                self.renamed_ids,
            ),
            (
                "Renamed files",
                "Static files renamed to names Open edX and the loader accept; every reference was updated.",
                ["in the export", "in static/"],
                self.renamed_files,
            ),
        ]
        for title, intro, header, rows in sections:
            out += ["", f"## {title} ({len(rows)})", "", intro, ""]
            if rows:
                out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                out += ["| " + " | ".join(cell(str(c)) for c in row) + " |" for row in rows]
            else:
                out.append("None.")
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {cell(n)}" for n in self.notes]
        return "\n".join(out) + "\n"
