"""Open edX's own tagging code reads what coursepack writes for it.

The competence target writes ``<slug>.openedx-taxonomy.csv`` for an admin to import, and the OLX
target tags blocks with ``tags-v1`` attributes and ``course/tags.csv``. Tags only show up in Studio
when all three agree with Open edX's rules, so reading our files with our own understanding of
those rules proves little. These tests hand them to ``openedx_tagging`` (PyPI ``openedx-core``,
formerly ``openedx-learning``) instead: its CSV parser, its import plan and executor, its Django
models (on an in-memory SQLite database, migrated by its own migrations), ``tag_object`` and
``resync_object_tags``. Block keys are built with ``opaque_keys`` as Studio builds them.

Two thin parts of the import live in openedx-platform, which is not installable from PyPI: the
``tags.csv`` reader (``content_tagging.api.import_course_tags_from_csv`` and
``set_exported_object_tags``) and the ``tags-v1`` reader (``TaggedBlockMixin.add_tags_from_field``).
``_import_tags_csv`` and ``_apply_tags_v1`` below re-state those few lines. Every step that decides
whether a tag is valid runs in ``openedx_tagging`` itself.

Django settings are global to a process and can be configured only once. So the Open edX side runs
in a child Python process (this file run as a script, see ``_driver``) and reports JSON. The pytest
process, its other tests and the xdist workers never see Django. Expectations are computed here, in
the parent, from the course model: ids and parents from the competence map, and for each block the
outcomes it teaches or assesses.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from lxml import etree

from builder import taxonomy
from builder.model import Course, Problem
from builder.targets import BuildOptions, competences, olx

REQUIRED_MODULES = ("django", "openedx_tagging", "opaque_keys")
TAMPER = " (edited)"
"""Appended to one tag value in the negative controls: a value Open edX must not resolve."""


# --------------------------------------------------------------------------- child process (Open edX side)


def _configure_django() -> None:
    """The smallest Django that ``openedx_tagging`` runs in: its app and an in-memory SQLite database.

    ``LOGGING_CONFIG=None`` leaves logging alone. Nothing this module calls needs ``auth`` or
    ``contenttypes`` (only the user-based system taxonomy would).
    """
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["openedx_tagging"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _block_label(object_id: str) -> str:
    """``"<type>/<block_id>"`` for a usage key, ``"course"`` for the course key (how results are keyed)."""
    from opaque_keys.edx.keys import UsageKey

    if object_id.startswith("course-v1:"):
        return "course"
    key = UsageKey.from_string(object_id)
    return f"{key.block_type}/{key.block_id}"


def _object_key(course_id: str, block_type: str, block_id: str) -> str:
    from opaque_keys.edx.keys import CourseKey

    course_key = CourseKey.from_string(course_id)
    if block_type == "course":
        return str(course_key)
    return str(course_key.make_usage_key(block_type, block_id))


def _snapshot_object_tags() -> dict[str, list[dict[str, Any]]]:
    """Every stored ObjectTag, grouped by block. ``tag_id`` is None for an "invalid" tag that Studio hides."""
    from openedx_tagging.models import ObjectTag

    result: dict[str, list[dict[str, Any]]] = {}
    for ot in ObjectTag.objects.select_related("tag", "taxonomy").order_by("object_id", "id"):
        result.setdefault(_block_label(ot.object_id), []).append(
            {
                "value": ot.value,
                "tag_id": ot.tag.external_id if ot.tag else None,
                "taxonomy": ot.taxonomy.export_id if ot.taxonomy else None,
                "export_id": ot.export_id,
            }
        )
    return result


def _import_tags_csv(path: Path, course_id: str) -> list[str]:
    """openedx-platform's ``import_course_tags_from_csv`` and ``set_exported_object_tags``, re-stated.

    Every column but Type, Name and ID is a taxonomy export_id; cells are split on
    ``TAGS_CSV_SEPARATOR``; an object's tags are deleted, then applied with ``create_invalid=True``.
    A ValueError stops the whole file in Studio, so it does here too (and is reported).
    """
    from openedx_tagging import api as oel_tagging
    from openedx_tagging.models.utils import TAGS_CSV_SEPARATOR

    with open(path, encoding="utf-8") as csv_file:
        rows = list(csv.DictReader(csv_file))
    try:
        for block in rows:
            exported = {
                key: value.split(TAGS_CSV_SEPARATOR)
                for key, value in block.items()
                if key not in ("Type", "Name", "ID") and value
            }
            block_type, block_id = block.get("Type", ""), block.get("ID", "")
            if not block_type or not block_id:
                raise ValueError(f"Invalid format of csv in: '{block}'.")
            object_id = _object_key(course_id, block_type, block_id)
            oel_tagging.delete_object_tags(object_id)
            for export_id, values in exported.items():
                if not values:
                    continue
                oel_tagging.tag_object(
                    object_id=object_id,
                    taxonomy=oel_tagging.get_taxonomy_by_export_id(str(export_id)),
                    tags=values,
                    create_invalid=True,
                    taxonomy_export_id=str(export_id),
                )
    except ValueError as error:
        return [str(error)]
    return []


def _apply_tags_v1(entries: list[list[str]], course_id: str) -> dict[str, str]:
    """``TaggedBlockMixin.add_tags_from_field``'s parsing, then ``tag_object`` with no invalid tags allowed.

    ``<export_id>:<v>,<v>;<export_id>:…`` with URL-quoted values. Returns block → error for each
    block whose attribute does not parse or names a value that is not in the taxonomy.
    """
    from openedx_tagging import api as oel_tagging
    from openedx_tagging.models import Tag

    errors: dict[str, str] = {}
    for block_type, block_id, serialized in entries:
        label = f"{block_type}/{block_id}"
        object_id = _object_key(course_id, block_type, block_id)
        try:
            by_taxonomy: dict[str, list[str]] = {}
            for part in serialized.split(";"):
                export_id, tags = part.split(":")
                by_taxonomy[export_id] = [unquote(tag) for tag in tags.split(",")]
            for export_id, values in by_taxonomy.items():
                found = oel_tagging.get_taxonomy_by_export_id(export_id)
                if found is None:
                    raise ValueError(f"no taxonomy with export_id {export_id!r}")
                oel_tagging.tag_object(object_id=object_id, taxonomy=found, tags=values)
        except (ValueError, Tag.DoesNotExist) as error:
            errors[label] = f"{type(error).__name__}: {error}"
    return errors


def _clear_object_tags() -> None:
    from openedx_tagging.models import ObjectTag

    ObjectTag.objects.all().delete()


def _driver(workdir: Path) -> None:
    """Run Open edX's import of our files; read ``inputs.json`` in ``workdir``, write ``results.json``."""
    inputs = json.loads((workdir / "inputs.json").read_text(encoding="utf-8"))
    _configure_django()

    import django
    from openedx_tagging import api as oel_tagging
    from openedx_tagging.import_export import api as import_export_api
    from openedx_tagging.import_export.parsers import CSVParser, ParserFormat
    from openedx_tagging.models import Tag, Taxonomy

    taxonomy_csv = (workdir / "taxonomy.csv").read_bytes()
    course_id = inputs["course_id"]
    results: dict[str, Any] = {"django": django.get_version()}

    # 1. The parser alone (what the import dialog runs first).
    items, parse_errors = CSVParser.parse_import(io.BytesIO(taxonomy_csv))
    results["parse"] = {
        "rows": [[i.id, i.value, i.parent_id] for i in items],
        "errors": [str(e) for e in parse_errors],
    }

    # 2. tags.csv of a course imported before the admin imported the taxonomy: stored, not yet valid.
    results["csv_before_taxonomy_errors"] = _import_tags_csv(workdir / "tags.csv", course_id)
    results["csv_before_taxonomy"] = _snapshot_object_tags()

    # 3. What Studio's "create taxonomy from file" view does: create, import, resync object tags.
    created = oel_tagging.create_taxonomy(
        name=inputs["taxonomy_name"],
        description=inputs["taxonomy_description"],
        export_id=inputs["export_id"],
    )
    ok, task, plan = import_export_api.import_tags(created, io.BytesIO(taxonomy_csv), ParserFormat.CSV)
    results["import"] = {
        "ok": ok,
        "status": str(task.status),
        "log": task.log,
        "plan": plan.plan() if plan else "",
    }
    results["resynced"] = oel_tagging.resync_object_tags()
    results["csv_after_resync"] = _snapshot_object_tags()

    # 4. The taxonomy as stored, each tag checked by the model's own validation.
    stored = Taxonomy.objects.get(export_id=inputs["export_id"])
    tags = []
    for tag in Tag.objects.filter(taxonomy=stored).select_related("parent").order_by("id"):
        original = tag.value
        try:
            tag.full_clean()
            clean_errors: list[str] = []
        except Exception as error:
            clean_errors = [str(error)]
        tags.append(
            {
                "id": tag.external_id,
                "value": original,
                "cleaned_value": tag.value,
                "parent": tag.parent.external_id if tag.parent else None,
                "depth": tag.depth,
                "lineage": tag.get_lineage(),
                "clean_errors": clean_errors,
            }
        )
    results["taxonomy"] = {"export_id": stored.export_id, "name": stored.name, "tags": tags}
    results["export"] = import_export_api.export_tags(stored, ParserFormat.CSV)

    # 5. tags.csv imported once the taxonomy exists, as given and with one value altered.
    for label, filename in (("tags_csv", "tags.csv"), ("tags_csv_tampered", "tags_tampered.csv")):
        _clear_object_tags()
        errors = _import_tags_csv(workdir / filename, course_id)
        results[label] = {"errors": errors, "object_tags": _snapshot_object_tags()}

    # 6. tags-v1 attributes, as given and with one value altered.
    for label in ("tags_v1", "tags_v1_tampered"):
        _clear_object_tags()
        errors_v1 = _apply_tags_v1(inputs[label], course_id)
        results[label] = {"errors": errors_v1, "object_tags": _snapshot_object_tags()}

    (workdir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


# --------------------------------------------------------------------------- parent (expectations)


def _missing_modules() -> list[str]:
    return [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]


def _member(members: dict[str, Any], name: str) -> bytes:
    assert name in members, f"no output member {name!r}"
    data = members[name]
    assert isinstance(data, bytes), f"{name} should be generated bytes"
    return data


def _tags_v1_entries(members: dict[str, Any]) -> list[list[str]]:
    """``[block_type, block_id, tags-v1]`` for every element of the OLX that carries the attribute."""
    entries = []
    for name, data in sorted(members.items()):
        if not (name.endswith(".xml") and isinstance(data, bytes)):
            continue
        root = etree.fromstring(data)
        for element in root.iter():
            value = element.get("tags-v1")
            if value is None:
                continue
            block_id = element.get("url_name") or (Path(name).stem if element is root else None)
            assert block_id, f"{name}: <{element.tag}> has tags-v1 but no url_name"
            entries.append([element.tag, block_id, value])
    return entries


def _tamper_tags_csv(data: bytes) -> tuple[bytes, str]:
    """The header and first tagged row of tags.csv, its first tag value altered; and that row's block.

    Only that row: the negative control needs one bad value, not a second full import.
    """
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    for row in rows[1:]:
        if row[3]:
            row[3] = row[3].replace(";", TAMPER + ";", 1) if ";" in row[3] else row[3] + TAMPER
            buffer = io.StringIO()
            csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n").writerows([rows[0], row])
            return buffer.getvalue().encode("utf-8"), f"{row[1]}/{row[2]}"
    raise AssertionError("tags.csv tags no block: nothing to tamper with")


def _tamper_tags_v1(entries: list[list[str]]) -> tuple[list[list[str]], str]:
    """The first tags-v1 entry alone, its first value altered; and that entry's block."""
    block_type, block_id, value = entries[0]
    export_id, _, values = value.partition(":")
    first, sep, rest = values.partition(",")
    altered = f"{export_id}:{first}{TAMPER.replace(' ', '%20')}{sep}{rest}"
    return [[block_type, block_id, altered]], f"{block_type}/{block_id}"


def _expected_block_outcomes(course: Course) -> dict[str, set[str]]:
    """Outcome ids each block should carry: taught or assessed by a unit, assessed by a problem, and
    every outcome below a section or subsection. Untagged blocks are left out."""
    expected: dict[str, set[str]] = {}
    for section in course.sections:
        section_ids: set[str] = set()
        for sub in section.subsections:
            sub_ids: set[str] = set()
            for unit in sub.units:
                unit_ids = set(unit.outcomes) | {o for p in unit.problems for o in p.assesses}
                sub_ids |= unit_ids
                expected[f"vertical/{unit.id}"] = unit_ids
                for comp in unit.components:
                    if isinstance(comp, Problem):
                        expected[f"problem/{comp.id}"] = set(comp.assesses)
            expected[f"sequential/{sub.id}"] = sub_ids
            section_ids |= sub_ids
        expected[f"chapter/{section.id}"] = section_ids
    return {block: ids for block, ids in expected.items() if ids}


def _tag_ids_by_block(object_tags: dict[str, list[dict[str, Any]]]) -> dict[str, set[str | None]]:
    return {block: {t["tag_id"] for t in tags} for block, tags in object_tags.items()}


@pytest.fixture(scope="module")
def openedx(sample_course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the sample course's files, run the child process on them once, return its results."""
    missing = _missing_modules()
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not installed: these tests need openedx-core from the test extras "
            "(pip install -e '.[test]')",
            pytrace=False,
        )
    cmap = sample_course.competences
    workdir = tmp_path_factory.mktemp("openedx_tagging")
    competence_members = {
        name: data
        for out in competences.render(sample_course, BuildOptions())
        for name, data in out.members.items()
    }
    taxonomy_csv = _member(competence_members, f"{sample_course.slug}.openedx-taxonomy.csv")
    olx_members = olx.render(sample_course, BuildOptions())[0].members
    tags_csv = _member(olx_members, "course/tags.csv")
    tags_v1 = _tags_v1_entries(olx_members)
    assert tags_v1, "the OLX carries no tags-v1 attribute at all"
    tampered_csv, tampered_csv_block = _tamper_tags_csv(tags_csv)
    tampered_v1, tampered_v1_block = _tamper_tags_v1(tags_v1)

    (workdir / "taxonomy.csv").write_bytes(taxonomy_csv)
    (workdir / "tags.csv").write_bytes(tags_csv)
    (workdir / "tags_tampered.csv").write_bytes(tampered_csv)
    inputs = {
        "course_id": f"course-v1:{sample_course.org}+{sample_course.number}+{sample_course.run}",
        "export_id": taxonomy.export_id(cmap),
        "taxonomy_name": cmap.framework.title,
        "taxonomy_description": cmap.framework.description,
        "tags_v1": tags_v1,
        "tags_v1_tampered": tampered_v1,
    }
    (workdir / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(workdir)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=workdir,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"Open edX tagging driver failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    results = json.loads((workdir / "results.json").read_text(encoding="utf-8"))
    results["_inputs"] = inputs
    results["_tampered_csv_block"] = tampered_csv_block
    results["_tampered_v1_block"] = tampered_v1_block
    return results


def _check_value(node_id: str, text: str, value: str) -> None:
    """A tag value is ``"<id> <text>"``; long text may be cut at a word and end with "…"."""
    assert value.startswith(node_id + " "), f"{node_id}: value {value!r} does not start with its id"
    shown = value[len(node_id) + 1 :]
    source = " ".join(text.split())
    if ";" in source or " > " in source:
        return  # reserved characters are rewritten in the value; the id prefix is what matters then
    if shown.endswith("…"):
        stem = shown[:-1]
        assert source.startswith(stem), f"{node_id}: {shown!r} is not a cut of {source!r}"
        assert len(stem) >= 40, f"{node_id}: value cut too short to recognise: {shown!r}"
    else:
        assert shown == source, f"{node_id}: value {shown!r} differs from {source!r}"


def test_openedx_csv_parser_reads_every_tag_with_its_parent(sample_course: Course, openedx: dict) -> None:
    cmap = sample_course.competences
    parse = openedx["parse"]
    assert parse["errors"] == []
    expected = [(u.id, None) for u in cmap.units] + [(o.id, u.id) for u in cmap.units for o in u.outcomes]
    got = [(row[0], row[2]) for row in parse["rows"]]
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert len(got) == len(expected), "a tag row is missing or repeated"
    seen: set[str] = set()
    for tag_id, parent in got:
        assert parent is None or parent in seen, f"{tag_id}: parent {parent} must come earlier in the file"
        seen.add(tag_id)
    texts = {u.id: u.title for u in cmap.units} | {o.id: o.statement for o in cmap.outcomes()}
    for tag_id, value, _parent in parse["rows"]:
        _check_value(tag_id, texts[tag_id], value)


def test_openedx_imports_the_taxonomy_under_our_export_id(sample_course: Course, openedx: dict) -> None:
    cmap = sample_course.competences
    imported = openedx["import"]
    assert imported["ok"], f"Open edX refused the taxonomy CSV:\n{imported['log']}\n{imported['plan']}"
    assert imported["status"] == "success"
    stored = openedx["taxonomy"]
    assert stored["export_id"] == taxonomy.export_id(cmap)
    by_id = {t["id"]: t for t in stored["tags"]}
    assert len(by_id) == len(stored["tags"]) == len(cmap.units) + len(cmap.outcomes())
    parsed_values = {row[0]: row[1] for row in openedx["parse"]["rows"]}
    for unit in cmap.units:
        assert by_id[unit.id]["parent"] is None
        assert by_id[unit.id]["depth"] == 0
        for outcome in unit.outcomes:
            tag = by_id[outcome.id]
            assert tag["parent"] == unit.id
            assert tag["lineage"] == [by_id[unit.id]["value"], tag["value"]]
    for tag in stored["tags"]:
        assert tag["clean_errors"] == [], f"{tag['id']}: Open edX's Tag.full_clean() refuses it"
        assert tag["cleaned_value"] == tag["value"], f"{tag['id']}: Open edX would strip the value"
        assert tag["value"] == parsed_values[tag["id"]], f"{tag['id']}: value changed on the way in"
    exported = list(csv.DictReader(io.StringIO(openedx["export"])))
    assert {(r["id"], r["value"], r["parent_id"] or None) for r in exported} == {
        (t["id"], t["value"], t["parent"]) for t in stored["tags"]
    }, "Open edX's own export of the imported taxonomy lost or changed tags"


def test_tags_csv_resolves_to_exactly_the_outcomes_of_each_block(
    sample_course: Course, openedx: dict
) -> None:
    result = openedx["tags_csv"]
    assert result["errors"] == [], "Studio would stop reading tags.csv here"
    object_tags = result["object_tags"]
    export_id = taxonomy.export_id(sample_course.competences)
    invalid = {
        block: [t["value"] for t in tags if t["tag_id"] is None or t["taxonomy"] != export_id]
        for block, tags in object_tags.items()
    }
    assert {b: v for b, v in invalid.items() if v} == {}, "values Open edX cannot find in the taxonomy"
    assert _tag_ids_by_block(object_tags) == _expected_block_outcomes(sample_course)


def test_tags_csv_imported_before_the_taxonomy_resolves_after_its_import(
    sample_course: Course, openedx: dict
) -> None:
    """Course first, taxonomy later: Studio keeps the tags as invalid and the taxonomy import resyncs them."""
    assert openedx["csv_before_taxonomy_errors"] == []
    before = openedx["csv_before_taxonomy"]
    export_id = taxonomy.export_id(sample_course.competences)
    assert before, "no object tags were stored from tags.csv"
    assert all(t["tag_id"] is None and t["export_id"] == export_id for ts in before.values() for t in ts)
    assert openedx["resynced"] == sum(len(ts) for ts in before.values())
    after = openedx["csv_after_resync"]
    assert _tag_ids_by_block(after) == _expected_block_outcomes(sample_course)


def test_tags_v1_attributes_resolve_to_exactly_the_outcomes_of_each_block(
    sample_course: Course, openedx: dict
) -> None:
    result = openedx["tags_v1"]
    assert result["errors"] == {}, "tags-v1 values Open edX cannot parse or find in the taxonomy"
    assert _tag_ids_by_block(result["object_tags"]) == _expected_block_outcomes(sample_course)


def test_an_altered_value_is_caught_by_open_edx(openedx: dict) -> None:
    """Negative control: the checks above would fail if a value did not match the taxonomy."""
    csv_block = openedx["_tampered_csv_block"]
    tampered_csv = openedx["tags_csv_tampered"]["object_tags"][csv_block]
    assert [t["value"] for t in tampered_csv if t["tag_id"] is None] != []
    assert any(t["value"].endswith(TAMPER) for t in tampered_csv if t["tag_id"] is None)
    v1_errors = openedx["tags_v1_tampered"]["errors"]
    assert list(v1_errors) == [openedx["_tampered_v1_block"]]
    assert "DoesNotExist" in v1_errors[openedx["_tampered_v1_block"]]


if __name__ == "__main__":
    _driver(Path(sys.argv[1]))
