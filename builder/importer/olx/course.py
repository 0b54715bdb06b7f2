"""``course.xml``, the run file, ``policies/`` and ``about/`` → the mapping written as ``course.yaml``.

Policy beats XML in Open edX (``apply_policy`` runs after the attributes are read), so it does here;
an unreadable policy file is ignored with a note, as Studio ignores it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from builder.importer.olx.files import Export
from builder.importer.olx.ids import ascii_slug
from builder.importer.olx.report import ImportReport

DEFAULT_START = datetime(2030, 1, 1, tzinfo=UTC)
"""Open edX's own default start for a course without one."""

DEFAULT_GRADERS = [
    {"type": "Homework", "short_label": "HW", "min_count": 12, "drop_count": 2, "weight": 0.15},
    {"type": "Lab", "short_label": "Lab", "min_count": 12, "drop_count": 2, "weight": 0.15},
    {"type": "Midterm Exam", "short_label": "Midterm", "min_count": 1, "drop_count": 0, "weight": 0.3},
    {"type": "Final Exam", "short_label": "Final", "min_count": 1, "drop_count": 0, "weight": 0.4},
]
"""Open edX's default grading policy, which a course without grading_policy.json gets."""

LICENCES = {"BY": "BY", "NC": "NC", "ND": "ND", "SA": "SA"}


def parse_date(value: object) -> datetime | None:
    """Studio's dates (``2026-02-02T09:00:00Z``, ``"2013-02-05T05:00:00+00:00"``, ``null``) in UTC."""
    if not isinstance(value, str):
        return None
    text = value.strip().strip('"').strip()
    if not text or text.lower() in ("null", "none"):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_json(export: Export, report: ImportReport, *parts: str) -> Any:
    path = export.path(*parts)
    if not path.is_file():
        return None
    try:
        return json.loads(export.read_text(path))
    except ValueError as exc:
        report.notes.append(f"{export.rel(path)}: not valid JSON ({exc}); ignored, as Studio ignores it")
        return None


def apply_policy(attrs: dict[str, str], entry: object) -> None:
    if isinstance(entry, dict):
        for key, value in entry.items():
            if isinstance(value, bool):
                attrs[key] = "true" if value else "false"
            elif isinstance(value, str | int | float):
                attrs[key] = str(value)
            elif value is None:
                attrs.pop(key, None)
            else:
                attrs[key] = json.dumps(value)


def licence(value: str, report: ImportReport) -> str:
    """Open edX's ``creative-commons: ver=4.0 BY SA`` as ``CC-BY-SA-4.0``; ``all-rights-reserved`` as is."""
    value = value.strip()
    if not value:
        report.notes.append(
            "course.yaml: the export names no licence; `license: all-rights-reserved` written"
        )
        return "all-rights-reserved"
    if value.startswith("creative-commons"):
        version = re.search(r"ver=([\d.]+)", value)
        parts = [p for p in value.split() if p in LICENCES]
        return "-".join(["CC", *parts] + ([version.group(1)] if version else []))
    return value


def course_yaml(
    export: Export, pointer: etree._Element, course: etree._Element, report: ImportReport
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(course.yaml mapping without overview/image, the policy.json of the run)."""
    run_raw = pointer.get("url_name", "")
    policy = load_json(export, report, "policies", run_raw, "policy.json") if run_raw else None
    if policy is None and run_raw:
        policy = load_json(export, report, "policies", f"{run_raw}.json")
    policy = policy if isinstance(policy, dict) else {}
    attrs = dict(course.attrib)
    apply_policy(attrs, policy.get(f"course/{run_raw}"))
    data: dict[str, Any] = {}
    for key, raw, fallback in (
        ("org", pointer.get("org"), "edx"),
        ("number", pointer.get("course"), "course"),
        ("run", run_raw, "run"),
    ):
        value = ascii_slug(raw or "", keep="_.-")[:64] or fallback
        if value != (raw or ""):
            report.renamed_ids.append((f"course {key}", raw or "(none)", value))
        data[key] = value
    data["title"] = (attrs.get("display_name") or "").strip()[:255] or "Untitled course"
    lang = (attrs.get("language") or "").strip().replace("_", "-")
    lang = lang[:1].lower() + lang[1:] if lang else ""
    if not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", lang):
        report.notes.append(
            f"course.yaml: language `{lang or '(none)'}` is not a language code; `en` written"
        )
        lang = "en"
    data["language"] = lang.split("-")[0].lower() + lang[len(lang.split("-")[0]) :]
    start = parse_date(attrs.get("start"))
    if start is None:
        report.notes.append(
            "course.yaml: the export has no start date; Open edX's default 2030-01-01 written"
        )
        start = DEFAULT_START
    data["start"] = iso(start)
    end = parse_date(attrs.get("end"))
    if end is not None and end > start:
        data["end"] = iso(end)
    elif end is not None:
        report.drop("course", f"end {iso(end)}", "it is not after the start date")
    data["pacing"] = "self" if attrs.get("self_paced", "").lower() == "true" else "instructor"
    data["license"] = licence(attrs.get("license", ""), report)
    data["grading"] = grading(export, run_raw, report)
    carried = {
        "display_name",
        "language",
        "start",
        "end",
        "self_paced",
        "license",
        "course_image",
        "url_name",
    }
    if "lti_passports" in attrs:
        carried.add("lti_passports")
        report.drop(
            "course",
            "lti_passports",
            "LTI 1.1 credentials do not belong in a source repository; enter them again in Studio "
            "(Advanced Settings) after importing the OLX",
        )
    ignored = sorted(k for k in attrs if k not in carried and k not in ("org", "course"))
    if ignored:
        report.drop("course", ", ".join(ignored), "course settings the source format does not carry")
    return data, policy


def short_label(grader_type: str) -> str:
    """Initials of a several-word type (``Final Exam`` → ``FE``), else the type itself, at most 10 chars."""
    words = grader_type.split()
    return ("".join(w[0] for w in words).upper() if len(words) > 1 else grader_type)[:10]


def grading(export: Export, run: str, report: ImportReport) -> dict[str, Any]:
    raw = load_json(export, report, "policies", run, "grading_policy.json") if run else None
    if not isinstance(raw, dict):
        report.notes.append("grading: no readable grading_policy.json; Open edX's default policy written")
        raw = {"GRADER": DEFAULT_GRADERS, "GRADE_CUTOFFS": {"Pass": 0.5}}
    graders = []
    for g in raw.get("GRADER") or []:
        if not isinstance(g, dict) or not str(g.get("type", "")).strip():
            continue
        gtype = str(g["type"]).strip()
        try:
            entry = {
                "type": gtype,
                "short_label": str(g.get("short_label") or "").strip() or short_label(gtype),
                "min_count": max(int(g.get("min_count", 0) or 0), 0),
                "drop_count": max(int(g.get("drop_count", 0) or 0), 0),
                "weight": float(g.get("weight", 0) or 0),
            }
        except (TypeError, ValueError):
            report.drop("grading", f"grader {gtype}", "its counts or weight are not numbers")
            continue
        graders.append(entry)
    total = sum(g["weight"] for g in graders)
    if graders and abs(total - 1) > 1e-6:
        if total > 0:
            for g in graders:
                g["weight"] = round(g["weight"] / total, 6)
            report.notes.append(f"grading: grader weights summed to {total:g}; scaled to sum to 1")
        else:
            report.drop("grading", "graders", "all weights are 0")
            graders = []
    for g in graders:
        if g["weight"] > 1:
            g["weight"] = 1.0
    cutoffs = raw.get("GRADE_CUTOFFS") if isinstance(raw.get("GRADE_CUTOFFS"), dict) else {}
    values = [float(v) for v in cutoffs.values() if isinstance(v, int | float) and 0 < float(v) <= 1]
    pass_cutoff = min(values) if values else 0.5
    if len(values) > 1:
        report.drop(
            "grading",
            f"letter grades {sorted(cutoffs)}",
            f"one pass cutoff is kept (the lowest, {pass_cutoff:g})",
        )
    return {"pass_cutoff": pass_cutoff, "graders": graders}
