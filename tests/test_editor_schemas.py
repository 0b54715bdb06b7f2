"""Editor schemas: generated from the loader's schemas, they say yes and no exactly where the loader does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from builder.cli import main
from builder.diagnostics import SourceErrors
from builder.editor_schemas import (
    COMPONENT_SCHEMAS,
    NOT_YAML,
    SCHEMA_DIR,
    SCHEMAS,
    _json_ready,
    by_name,
    generate,
    render,
)
from builder.scaffold import scaffold
from builder.source import load_course
from builder.source import units as _units  # noqa: F401 — the unit reader imports every component's module
from builder.source.blocks import COMPONENTS
from builder.source.trainer_notes import NEAR_MISSES

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(problem|video)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(generate(by_name(name)))


def documents(root: Path) -> list[tuple[str, str, Any]]:
    """(schema name, where, JSON value as an editor sees it) for every YAML text of a course."""
    docs: list[tuple[str, str, Any]] = []

    def add(name: str, where: str, text: str) -> None:
        docs.append((name, where, _json_ready(yaml.safe_load(text))))

    add("course", "course.yaml", (root / "course.yaml").read_text())
    add("competences", "competences.yaml", (root / "competences.yaml").read_text())
    for path in sorted(root.glob("outline/*/section.yaml")):
        add("section", str(path), path.read_text())
    for path in sorted(root.glob("outline/*/*/subsection.yaml")):
        add("subsection", str(path), path.read_text())
    for path in sorted(root.glob("outline/*/*/session.yaml")):
        add("session", str(path), path.read_text())
    if (root / "handbook" / "index.yaml").is_file():
        add("handbook", "handbook/index.yaml", (root / "handbook" / "index.yaml").read_text())
    for path in sorted(root.glob("outline/*/*/*.md")):
        text = path.read_text()
        add("unit", str(path), text.split("---\n")[1])
        for m in FENCE.finditer(text):
            add(m.group(1), f"{path}:{m.group(1)}", m.group(2))
    return docs


def test_every_schema_is_a_valid_json_schema_with_editor_help() -> None:
    for spec in SCHEMAS:
        schema = generate(spec)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["title"] and schema["description"] and schema["examples"], spec.name
        assert schema["additionalProperties"] is False, spec.name
        for example in schema["examples"]:
            jsonschema.validate(example, schema)
        described = [p for p in schema["properties"].values() if p.get("description")]
        if spec.model.__module__ == "builder.source.schema" and spec.name != "competences":
            assert len(described) == len(schema["properties"]), spec.name


def test_nested_objects_refuse_unknown_keys_like_the_loader() -> None:
    for spec in SCHEMAS:
        for name, sub in generate(spec).get("$defs", {}).items():
            if sub.get("type") == "object" and "properties" in sub:
                assert sub.get("additionalProperties") is False, (spec.name, name)


def test_every_yaml_component_has_a_schema() -> None:
    """A new ```component registered in builder/source/blocks.py needs a schema (or NOT_YAML)."""
    refused_only = set(NEAR_MISSES)  # near misses of ```trainer-notes, registered to be refused
    assert set(COMPONENTS) - refused_only == set(COMPONENT_SCHEMAS) | NOT_YAML
    assert {by_name(s).name for s in COMPONENT_SCHEMAS.values()} == set(COMPONENT_SCHEMAS.values())


@pytest.mark.parametrize("course", ["sample", "scaffold"])
def test_schemas_accept_every_file_and_block(course: str, tmp_path: Path) -> None:
    root = ROOT / "course_src"
    if course == "scaffold":
        root = tmp_path / "new"
        scaffold(root)
    load_course(root)  # the loader accepts it…
    docs = documents(root)
    kinds = {name for name, _, _ in docs}
    expected = {"course", "competences", "section", "subsection", "session", "handbook", "unit", "problem"}
    assert kinds == expected | ({"video"} if course == "sample" else set())
    for name, where, value in docs:  # …and so does every schema
        errors = list(validator(name).iter_errors(value))
        assert not errors, f"{where}: {errors[0].message}"


UNIT = "outline/01-getting-started/01-first-steps/01-welcome.md"
SUB = "outline/01-getting-started/01-first-steps/subsection.yaml"
SECTION = "outline/01-getting-started/section.yaml"
SESSION = "outline/01-getting-started/01-first-steps/session.yaml"
VIDEO = "```video\nid: v-intro\ntitle: Intro\nyoutube: aqz-KE-bpKQ\n```\n"

# (case, file, old text, new text, the loader's finding code, schema that must refuse it)
BREAKAGES = [
    ("course unknown key", "course.yaml", "title:", "titel:", "unknown-key", "course"),
    ("course missing key", "course.yaml", "org: MyOrg\n", "", "missing-key", "course"),
    ("course bad enum", "course.yaml", "pacing: instructor", "pacing: sometimes", "bad-value", "course"),
    ("course wrong type", "course.yaml", "pass_cutoff: 0.5", "pass_cutoff: half", "invalid.float_parsing",
     "course"),
    ("course bad pattern", "course.yaml", "language: en", "language: English", "invalid.language_code",
     "course"),
    ("nested unknown key", "course.yaml", "short_label: Q", "short_lable: Q", "unknown-key", "course"),
    ("section bad id", SECTION, "id: s-getting-started", "id: s getting started", "bad-id", "section"),
    ("section missing title", SECTION, "title: Getting started\n", "", "missing-key", "section"),
    ("subsection unknown key", SUB, "format: Quiz", "formt: Quiz", "unknown-key", "subsection"),
    ("session bad enum", SESSION, "mode: classroom", "mode: beach", "bad-value", "session"),
    ("session wrong type", SESSION, "duration: 45", "duration: long", "invalid.int_parsing", "session"),
    ("handbook unknown key", "handbook/index.yaml", "front:", "fronts:", "unknown-key", "handbook"),
    ("competences wrong type", "competences.yaml", "eqf_level: 5", "eqf_level: five", "invalid.int_parsing",
     "competences"),
    ("competences bad enum", "competences.yaml", "category: skills", "category: attitude", "bad-value",
     "competences"),
    ("competences unit_id", "competences.yaml", "category: skills",
     "category: skills\n        unit_id: MY.U1", "invalid.value_error", "competences"),
    ("unit unknown key", UNIT, "outcomes: [", "outcome: [", "unknown-key", "unit"),
    ("unit wrong type", UNIT, "title: Welcome\n", "title: [Welcome]\n", "invalid.string_type", "unit"),
    ("problem unknown key", UNIT, "prompt: How many", "question: How many", "unknown-key", "problem"),
    ("problem bad enum", UNIT, "type: single", "type: essay", "bad-value", "problem"),
    ("problem bad id", UNIT, "id: p-outline-levels", "id: p/outline", "bad-id", "problem"),
    ("problem wrong type", UNIT, "type: single\n", "type: single\nweight: heavy\n", "invalid.float_parsing",
     "problem"),
    ("video bad youtube id", UNIT, "## How this",
     VIDEO.replace("aqz-KE-bpKQ", "too-short") + "## How this", "bad-value", "video"),
    ("video unknown key", UNIT, "## How this", VIDEO.replace("youtube:", "yotube:") + "## How this",
     "unknown-key", "video"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("file", "old", "new", "code", "schema"), [b[1:] for b in BREAKAGES], ids=[b[0] for b in BREAKAGES]
)
def test_schema_refuses_what_the_loader_refuses(
    tmp_path: Path, file: str, old: str, new: str, code: str, schema: str
) -> None:
    root = tmp_path / "c"
    scaffold(root)
    path = root / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SourceErrors) as caught:
        load_course(root)
    assert code in {d.code for d in caught.value.diagnostics}, caught.value
    docs = documents(root)
    refused = [where for name, where, value in docs if name == schema and not validator(name).is_valid(value)]
    assert refused, f"the {schema} schema accepts what the loader refuses with {code}"


def test_coursepack_schema_writes_what_is_generated(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    for spec in SCHEMAS:
        assert (tmp_path / "s" / f"{spec.name}.schema.json").read_text() == render(spec)


def test_new_wires_editors_to_the_schemas_with_relative_paths(tmp_path: Path) -> None:
    root = tmp_path / "new"
    result = CliRunner().invoke(main, ["new", str(root)])
    assert result.exit_code == 0, result.output
    for spec in SCHEMAS:  # the schemas `new` wrote are today's
        assert (root / SCHEMA_DIR / f"{spec.name}.schema.json").read_text() == render(spec)
    settings = json.loads((root / ".vscode" / "settings.json").read_text())["yaml.schemas"]
    for rel, globs in settings.items():
        assert (root / rel).is_file()
        for glob in globs:
            assert list(root.glob(glob)), glob
    names = ("course", "competences", "section", "subsection", "session", "handbook")
    assert set(settings) == {f"./{SCHEMA_DIR}/{n}.schema.json" for n in names}
    session, index = root / SUB.replace("subsection", "session"), root / "handbook" / "index.yaml"
    for path in [root / "course.yaml", root / "competences.yaml", root / SECTION, root / SUB, session, index]:
        line = next(ln for ln in path.read_text().splitlines() if "yaml-language-server" in ln)
        target = line.split("$schema=", 1)[1]
        assert not target.startswith(("http:", "https:", "/"))
        assert (path.parent / target).resolve().is_file(), (path, target)
    load_course(root)  # the editor wiring does not disturb the loader
