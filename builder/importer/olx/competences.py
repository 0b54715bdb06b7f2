"""Outcome tags → the source's outcome ids and a ``competences.yaml`` that holds them.

Open edX carries tags as taxonomy export_id + tag **value** (``tags.csv`` rows and ``tags-v1``
attributes), plus coursepack's own ``learning_outcomes`` attribute on verticals. The taxonomy's own
file (ids, parents, descriptions) is not part of a course export, so the competence map written
here is the part the export can give — outcome ids and their text as tagged — with the fields the
source format requires but the export cannot know (category when the id does not say it, EQF
level, ECVET points, hours, base URI) filled with placeholders that the report lists for review.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from builder.importer.olx.ids import ascii_slug
from builder.importer.olx.report import ImportReport
from builder.model import ID_PATTERN

CATEGORIES = {"K": "knowledge", "S": "skills", "R": "responsibility_autonomy", "C": "responsibility_autonomy"}


@dataclass
class Tags:
    """Tag values by (block type, url_name) and taxonomy export_id."""

    by_block: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    outcome_attr: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """``learning_outcomes`` attributes (coursepack's own), already outcome ids."""
    columns: list[str] = field(default_factory=list)

    def add(self, kind: str, url_name: str, taxonomy: str, values: list[str]) -> None:
        if taxonomy not in self.columns:
            self.columns.append(taxonomy)
        slot = self.by_block.setdefault((kind, url_name), {}).setdefault(taxonomy, [])
        slot += [v for v in values if v not in slot]

    def read_csv(self, text: str) -> None:
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or [c.strip() for c in rows[0][:3]] != ["Name", "Type", "ID"]:
            return
        columns = [c.strip() for c in rows[0][3:]]
        for row in rows[1:]:
            if len(row) < 3:
                continue
            for taxonomy, cell in zip(columns, row[3:], strict=False):
                values = [v.strip() for v in cell.split(";") if v.strip()]
                if values:
                    self.add(row[1].strip(), row[2].strip(), taxonomy, values)

    def read_attrs(self, kind: str, url_name: str, attrs: dict[str, str]) -> None:
        for part in (attrs.get("tags-v1") or "").split(";"):
            taxonomy, sep, values = part.partition(":")
            if sep and taxonomy.strip():
                self.add(
                    kind, url_name, taxonomy.strip(), [unquote(v).strip() for v in values.split(",") if v]
                )
        ids = (attrs.get("learning_outcomes") or "").split()
        if ids:
            self.outcome_attr[(kind, url_name)] = ids


class OutcomeIndex:
    """Tag values → outcome ids, and the competence map that defines them."""

    def __init__(self, tags: Tags, report: ImportReport):
        self.tags = tags
        self.report = report
        self.statement: dict[str, str] = {}
        self.value_id: dict[tuple[str, str], str] = {}
        self.unit_of: dict[str, str] = {}
        for taxonomy in tags.columns:
            values = list(dict.fromkeys(v for per in tags.by_block.values() for v in per.get(taxonomy, [])))
            id_like = all(self._id_part(v) for v in values)
            for value in values:
                if id_like:
                    oid, _, text = value.partition(" ")
                else:
                    oid, text = ascii_slug(value) or "outcome", value
                self.value_id[(taxonomy, value)] = oid
                self.statement.setdefault(oid, text.strip() or oid)
                self.unit_of.setdefault(oid, oid.rsplit(".", 1)[0] if id_like and "." in oid else taxonomy)
        for ids in tags.outcome_attr.values():
            for oid in ids:
                if re.match(ID_PATTERN, oid):
                    self.statement.setdefault(oid, oid)
                    self.unit_of.setdefault(oid, oid.rsplit(".", 1)[0] if "." in oid else "outcomes")

    @staticmethod
    def _id_part(value: str) -> bool:
        first = value.split(" ", 1)[0]
        return bool(re.match(ID_PATTERN, first)) and bool(re.search(r"[.\d]", first))

    def outcomes(self, kind: str, url_name: str) -> list[str]:
        found = list(self.tags.outcome_attr.get((kind, url_name), []))
        for taxonomy, values in self.tags.by_block.get((kind, url_name), {}).items():
            found += [self.value_id[(taxonomy, v)] for v in values if (taxonomy, v) in self.value_id]
        return [o for o in dict.fromkeys(found) if o in self.statement]

    def competences_yaml(self, course_title: str, language: str, fallback_id: str) -> dict[str, Any]:
        framework_id = ascii_slug(self.tags.columns[0]) if self.tags.columns else ""
        framework_id = framework_id if re.match(ID_PATTERN, framework_id) else ascii_slug(fallback_id)
        framework = {
            "id": framework_id,
            "title": f"{course_title}: learning outcomes",
            "version": "1.0",
            "language": language,
            "base_uri": f"https://example.org/competences/{framework_id}",
            "profile": course_title,
            "description": "Imported from an Open edX course export; review every placeholder.",
        }
        units: dict[str, list[str]] = {}
        for oid in self.statement:
            units.setdefault(self.unit_of[oid], []).append(oid)
        out_units = []
        used = set(self.statement)
        for unit_id, ids in units.items():
            uid = unit_id if unit_id not in used and re.match(ID_PATTERN, unit_id) else f"{unit_id}-unit"
            used.add(uid)
            outcomes = []
            for oid in ids:
                last = oid.rsplit(".", 1)[-1][:1].upper()
                outcomes.append(
                    {
                        "id": oid,
                        "category": CATEGORIES.get(last, "knowledge"),
                        "statement": self.statement[oid],
                    }
                )
            out_units.append(
                {
                    "id": uid,
                    "title": unit_id,
                    "eqf_level": 5,
                    "ecvet_points": 0,
                    "hours": 0,
                    "outcomes": outcomes,
                }
            )
        if self.statement:
            self.report.notes.append(
                f"competences.yaml: {len(self.statement)} outcomes in {len(out_units)} units from the "
                f"export's tags ({', '.join(self.tags.columns) or 'learning_outcomes'}); the export does not "
                "carry the taxonomy itself, so unit titles, EQF levels (5), ECVET points and hours (0), "
                "base_uri and categories not given by an id letter (K/S/R) are placeholders to review"
            )
        else:
            self.report.notes.append(
                "competences.yaml: the export carries no outcome tags, so the competence map is empty; "
                "units have no outcomes (`coursepack check` warns about each)"
            )
        return {"framework": framework, "units": out_units}
