"""JSON Schemas for editors, generated from the loader's own pydantic schemas so they cannot drift.

An editor with the YAML language server (VS Code's YAML extension, Neovim, JetBrains…) underlines
an unknown key or a wrong type while the author types, if it knows the file's schema. The
schemas here are ``model_json_schema()`` of ``builder.source.schema`` — the very classes the
loader validates with — plus what an editor needs: a title and description per file, an example
(the scaffold's own file, so it is always a valid one) and two corrections where the loader is
more lenient or stricter than a plain type (below, ``_adjust``).

``coursepack schema`` writes them; ``coursepack new`` writes them into ``.coursepack/schemas/``
of the new course and points each YAML file and ``.vscode/settings.json`` at them.

Fenced components that are not YAML (```raw-html, ```olx) have no schema: ``NOT_YAML`` names
them, and a test fails if a new YAML component is registered without a schema here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from builder import field_docs
from builder.model import Model
from builder.source.handbook import HandbookIndex
from builder.source.schema import (
    CompetencesFile,
    CourseFile,
    ProblemBlock,
    SectionFile,
    Strict,
    SubsectionFile,
    UnitFrontMatter,
    VideoBlock,
)
from builder.source.session_plans import SessionFile

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR = ".coursepack/schemas"
"""Where ``coursepack new`` puts them, relative to the course folder."""


@dataclass(frozen=True)
class EditorSchema:
    name: str
    """File stem: ``<name>.schema.json``."""
    model: type[BaseModel]
    title: str
    description: str
    globs: tuple[str, ...]
    """Files of a course folder this schema applies to (for ``.vscode/settings.json``)."""
    example: str | dict[str, Any]
    """Scaffold file (under ``builder/scaffold_files``) whose content is the example (``#problem``
    takes the first such block of the scaffold's unit), or the example itself."""


UNIT_EXAMPLE = "outline/01-getting-started/01-first-steps/01-welcome.md.tmpl"

SCHEMAS: tuple[EditorSchema, ...] = (
    EditorSchema(
        "course",
        CourseFile,
        "coursepack course.yaml",
        "Course metadata: the course key, dates, language, overview, image and grading policy. "
        "Reference: coursepack docs source-format",
        ("course.yaml",),
        "course.yaml.tmpl",
    ),
    EditorSchema(
        "section",
        SectionFile,
        "coursepack section.yaml",
        "One section of the outline (outline/NN-name/section.yaml).",
        ("outline/*/section.yaml",),
        "outline/01-getting-started/section.yaml.tmpl",
    ),
    EditorSchema(
        "subsection",
        SubsectionFile,
        "coursepack subsection.yaml",
        "One subsection (outline/NN-section/NN-name/subsection.yaml); `format` makes it graded.",
        ("outline/*/*/subsection.yaml",),
        "outline/01-getting-started/01-first-steps/subsection.yaml.tmpl",
    ),
    EditorSchema(
        "competences",
        CompetencesFile,
        "coursepack competences.yaml",
        "The competence map: framework, units of learning outcomes (ECVET) and their outcomes. "
        "Reference: coursepack docs competence-map",
        ("competences.yaml",),
        "competences.yaml.tmpl",
    ),
    EditorSchema(
        "session",
        SessionFile,
        "coursepack session.yaml",
        "The session plan of a subsection (beside subsection.yaml), for the trainer's handbook.",
        ("outline/*/*/session.yaml",),
        "outline/01-getting-started/01-first-steps/session.yaml.tmpl",
    ),
    EditorSchema(
        "handbook",
        HandbookIndex,
        "coursepack handbook/index.yaml",
        "The trainer's handbook: which chapters of handbook/ come before and after the sessions.",
        ("handbook/index.yaml",),
        "handbook/index.yaml.tmpl",
    ),
    EditorSchema(
        "unit",
        UnitFrontMatter,
        "coursepack unit front matter",
        "The YAML between the `---` lines at the top of a unit's Markdown file.",
        (),
        UNIT_EXAMPLE,
    ),
    EditorSchema(
        "problem",
        ProblemBlock,
        "coursepack ```problem block",
        "A problem fenced as ```problem in a unit: single, multiple, dropdown, numeric or text.",
        (),
        UNIT_EXAMPLE + "#problem",
    ),
    EditorSchema(
        "video",
        VideoBlock,
        "coursepack ```video block",
        "A video fenced as ```video in a unit: a YouTube id and/or an https MP4, with .srt transcripts.",
        (),
        {
            "id": "v-welcome",
            "title": "Welcome to the course",
            "youtube": "aqz-KE-bpKQ",
            "transcripts": {"en": "static/transcripts/welcome-en.srt"},
        },
    ),
)

NOT_YAML = frozenset({"raw-html", "olx", "trainer-notes"})
"""Registered components whose body is HTML, XML or Markdown, not YAML: no schema. (Near misses
of ```trainer-notes are registered only to be refused; they have none either.)"""

COMPONENT_SCHEMAS = {"problem": "problem", "video": "video"}
"""Fence name → schema name, for every YAML component in ``builder.source.blocks.COMPONENTS``."""


def _json_ready(value: Any) -> Any:
    """YAML timestamps as the strings an editor sees; everything else as it is."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _example(ref: str | dict[str, Any]) -> Any:
    if isinstance(ref, dict):
        return ref
    path, _, block = ref.partition("#")
    text = (files("builder") / "scaffold_files" / path).read_text(encoding="utf-8")
    if path.endswith(".md.tmpl"):
        if not block:
            return _json_ready(yaml.safe_load(text.split("---\n")[1]))
        fence = f"```{block}\n"
        if fence not in text:
            return None
        body = text.split(fence, 1)[1].split("```", 1)[0]
        return _json_ready(yaml.safe_load(body))
    return _json_ready(yaml.safe_load(text))


def _adjust(name: str, schema: dict[str, Any]) -> None:
    """Where the loader accepts more, or less, than the plain field types say."""
    defs = schema.get("$defs", {})
    # EcfRef.level: the loader also reads the standard's own spelling, "e-3".
    ecf = defs.get("EcfRef", {}).get("properties", {})
    if "level" in ecf:
        level = ecf["level"]
        ecf["level"] = {
            "title": level.get("title", "Level"),
            "description": level.get("description", ""),
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 5},
                {"type": "string", "pattern": "^[eE]-[1-5]$"},
            ],
        }
    # Outcome.unit_id is derived by the loader, which refuses it in competences.yaml.
    outcome = defs.get("Outcome", {})
    outcome.get("properties", {}).pop("unit_id", None)


def generate(spec: EditorSchema) -> dict[str, Any]:
    """The JSON Schema of one file kind, as written to ``<name>.schema.json``."""
    field_docs.describe(Model, Strict)  # the keys' descriptions: the docstrings under the fields
    body = spec.model.model_json_schema()
    _adjust(spec.name, body)
    body.pop("title", None)
    body.pop("description", None)
    example = _example(spec.example)
    head: dict[str, Any] = {"$schema": DRAFT, "title": spec.title, "description": spec.description}
    if example is not None:
        head["examples"] = [example]
    return head | body


def render(spec: EditorSchema) -> str:
    return json.dumps(generate(spec), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def by_name(name: str) -> EditorSchema:
    return next(s for s in SCHEMAS if s.name == name)


def write_schemas(out: Path) -> list[Path]:
    """Write every ``<name>.schema.json`` into ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SCHEMAS:
        path = out / f"{spec.name}.schema.json"
        path.write_text(render(spec), encoding="utf-8")
        written.append(path)
    return written


def vscode_settings(schema_dir: str = SCHEMA_DIR) -> str:
    """``.vscode/settings.json`` mapping each schema to the files it describes (relative paths)."""
    mapping = {f"./{schema_dir}/{s.name}.schema.json": list(s.globs) for s in SCHEMAS if s.globs}
    return json.dumps({"yaml.schemas": mapping}, indent=2) + "\n"


def modeline(name: str, depth: int) -> str:
    """The yaml-language-server comment for a file ``depth`` folders below the course folder."""
    up = "../" * depth
    return f"# yaml-language-server: $schema={up}{SCHEMA_DIR}/{name}.schema.json\n"
