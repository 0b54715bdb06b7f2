"""The taxonomy identity shared by the OLX and competence targets must obey Open edX's tag rules."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from builder import taxonomy
from builder.model import CompetenceMap, Outcome
from tests.factories import make_competences


def _outcome(statement: str, oid: str = "X.U1.K1") -> Outcome:
    return Outcome(id=oid, category="knowledge", statement=statement, unit_id="X.U1")


def test_export_id_is_the_framework_id_when_valid() -> None:
    cmap = make_competences()
    assert taxonomy.export_id(cmap) == cmap.framework.id
    assert re.fullmatch(r"[\w\-.]+", taxonomy.export_id(cmap))


@pytest.mark.parametrize("raw", ["my map/v2", "  über:map ", "!!!"])
def test_export_id_is_always_valid(raw: str) -> None:
    cmap = make_competences()
    cmap.framework.id = raw
    value = taxonomy.export_id(cmap)
    assert taxonomy.EXPORT_ID_PATTERN.fullmatch(value), value


def test_tag_value_starts_with_id_and_has_no_reserved_characters() -> None:
    value = taxonomy.tag_value(_outcome("Plans;\tdecides > acts\n  and reports ;"))
    assert value.startswith("X.U1.K1 ")
    for reserved in (";", "\t", " > ", "\n"):
        assert reserved not in value
    assert value == value.strip()
    assert "decides >acts" in value


def test_long_statements_are_cut_within_limits() -> None:
    value = taxonomy.tag_value(_outcome("word " * 400))
    assert len(value) <= taxonomy.MAX_VALUE_CHARS
    assert len(value) <= len("X.U1.K1 ") + taxonomy.MAX_TEXT_CHARS
    assert value.endswith("…")
    assert not value.endswith(" …")


def test_taxonomy_rows_units_first_then_outcomes_with_unit_parents() -> None:
    cmap = make_competences()
    rows = taxonomy.taxonomy_rows(cmap)
    unit_ids = [u.id for u in cmap.units]
    assert [r[0] for r in rows[: len(unit_ids)]] == unit_ids
    assert all(parent == "" for _, _, parent in rows[: len(unit_ids)])
    seen: set[str] = set()
    for node_id, value, parent in rows:
        # openedx_tagging: a parent must come earlier in the file.
        assert parent == "" or parent in seen
        seen.add(node_id)
        assert value and ";" not in value and "\t" not in value and " > " not in value
    outcome_rows = {r[0]: r for r in rows[len(unit_ids) :]}
    for o in cmap.outcomes():
        assert outcome_rows[o.id] == (o.id, taxonomy.tag_value(o), o.unit_id)
    assert rows[0][1].startswith("TM.U1 Testing & checking")


def test_taxonomy_rows_refuse_case_insensitive_collisions() -> None:
    cmap = make_competences()
    first = cmap.units[0].outcomes[0]
    cmap.units[0].outcomes.append(_outcome(first.statement.upper(), oid=first.id.lower()))
    # Same statement, id differing only by case: Open edX values are case-insensitive.
    with pytest.raises(ValueError, match="collide"):
        taxonomy.taxonomy_rows(cmap)


def test_outcome_values_keep_order_and_reject_unknown_ids() -> None:
    cmap: CompetenceMap = make_competences()
    index = cmap.outcome_index()
    values = taxonomy.outcome_values(cmap, ["TM.U2.R1", "TM.U1.K1", "TM.U2.R1"])
    assert values == [taxonomy.tag_value(index["TM.U2.R1"]), taxonomy.tag_value(index["TM.U1.K1"])]
    with pytest.raises(KeyError):
        taxonomy.outcome_values(cmap, ["nope"])


def test_tags_v1_round_trips_like_studio_reads_it() -> None:
    values = ["A, b: c; d", "Zürich café", "plain words"]
    serialized = taxonomy.tags_v1("my-tax", values)
    # Studio's TaggedBlockMixin.add_tags_from_field: split ';', then ':', then ',', then unquote.
    parsed: dict[str, list[str]] = {}
    for part in serialized.split(";"):
        export, tags = part.split(":")
        parsed[export] = [unquote(t) for t in tags.split(",")]
    assert parsed == {"my-tax": values}
    assert "plain words" in serialized  # spaces stay readable
    assert taxonomy.tags_v1("my-tax", []) == ""
