"""The Open edX taxonomy identity of the competence map, shared by every target that tags content.

Open edX stores a course's content tags by taxonomy ``export_id`` and tag **value** (not tag id):
``tags.csv`` in the OLX tarball and the ``tags-v1`` attribute both carry values, and the taxonomy
CSV that an admin imports beforehand defines them. If the OLX target and the competence target
derived those strings separately, one wording change would leave every imported tag "invalid"
(stored, but shown nowhere). So both import this module and nothing else computes them.

Rules enforced here come from openedx-learning ``openedx_tagging`` (see
``../shared/reference/olx.md`` §2): ``export_id`` matches ``^[\\w\\-.]+$``; a value is at most 500
characters, has no leading/trailing whitespace and contains none of the reserved ``;`` (the
``tags.csv`` separator), TAB or ``" > "`` (the hierarchy separator in the tag UI); values are
unique case-insensitively within a taxonomy; a ``parent_id`` must name a row earlier in the file.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from builder.model import CompetenceMap, LearningUnit, Outcome

EXPORT_ID_PATTERN = re.compile(r"^[\w\-.]+$", re.ASCII)
"""openedx_tagging's ``Taxonomy.export_id`` validator (ASCII here: ids end up in CSV headers and URLs)."""

MAX_VALUE_CHARS = 500
"""``Tag.value`` max_length in openedx_tagging."""

MAX_TEXT_CHARS = 160
"""How much of a statement or title a tag value keeps: enough to recognise it in Studio's tag
picker, short enough to read there. The id prefix keeps values unique, the full statement lives in
the competence exports."""

MAX_TAGS_PER_OBJECT = 100
"""openedx_tagging refuses more tags than this on one object (and stops a ``tags.csv`` import)."""

FALLBACK_EXPORT_ID = "coursepack-outcomes"


def export_id(cmap: CompetenceMap) -> str:
    """The taxonomy ``export_id``: the framework id, with characters Open edX refuses replaced by ``-``."""
    raw = cmap.framework.id.strip()
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("-")
    return clean if clean and EXPORT_ID_PATTERN.match(clean) else FALLBACK_EXPORT_ID


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """One line of text without the characters a tag value may not hold, cut at a word boundary.

    ``;`` becomes ``,`` and ``" > "`` becomes ``" >"`` so the meaning survives; whitespace runs
    (including TAB and newlines) collapse to one space.
    """
    text = " ".join(text.replace(";", ",").split())
    while " > " in text:  # " >" keeps "more than 1" readable; loop for runs like "a > > b"
        text = text.replace(" > ", " >")
    if len(text) > limit:
        cut = text[: limit - 1]
        if " " in cut[limit // 2 :]:
            cut = cut[: cut.rindex(" ")]
        text = cut.rstrip(" ,.:-") + "…"
    return text


def _value(node_id: str, text: str) -> str:
    value = f"{node_id} {clean_text(text)}".strip() if text.strip() else node_id
    # The id itself is ASCII-safe (model.ID_PATTERN), so only the text part can need cleaning.
    return value[:MAX_VALUE_CHARS].strip()


def tag_value(outcome: Outcome) -> str:
    """The tag value of an outcome, e.g. ``"HTL.U1.K1 Explain what a digital strategy is"``."""
    return _value(outcome.id, outcome.statement)


def unit_value(unit: LearningUnit) -> str:
    """The tag value of a unit of learning outcomes, e.g. ``"HTL.U1 Digital strategy for SMEs"``."""
    return _value(unit.id, unit.title)


def taxonomy_rows(cmap: CompetenceMap) -> list[tuple[str, str, str]]:
    """``(id, value, parent_id)`` rows for the taxonomy import file: units first, then outcomes.

    Units come first because a ``parent_id`` must refer to a row earlier in the file; two levels
    only, because Studio shows at most three. Raises ``ValueError`` when two values would collide
    case-insensitively (openedx_tagging would reject or merge them).
    """
    rows: list[tuple[str, str, str]] = [(u.id, unit_value(u), "") for u in cmap.units]
    rows += [(o.id, tag_value(o), u.id) for u in cmap.units for o in u.outcomes]
    seen: dict[str, str] = {}
    for node_id, value, _parent in rows:
        key = value.casefold()
        if key in seen:
            raise ValueError(f"taxonomy values of {seen[key]!r} and {node_id!r} collide: {value!r}")
        seen[key] = node_id
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"duplicate taxonomy ids: {', '.join(dupes)}")
    return rows


def outcome_values(cmap: CompetenceMap, outcome_ids: list[str]) -> list[str]:
    """Tag values for outcome ids, in the given order, each once; unknown ids raise ``KeyError``."""
    index = cmap.outcome_index()
    missing = [i for i in outcome_ids if i not in index]
    if missing:
        raise KeyError(f"unknown outcome id(s): {', '.join(missing)}")
    return list(dict.fromkeys(tag_value(index[i]) for i in outcome_ids))


def tags_v1(taxonomy_export_id: str, values: list[str]) -> str:
    """Serialise tags the way Studio's ``TaggedBlockMixin.serialize_tag_data`` writes ``tags-v1``.

    ``<export_id>:<value>,<value>`` with each value URL-quoted except spaces, so ``,`` ``:`` ``;``
    inside a value cannot split it. Empty when there are no values (Studio then omits the attribute).
    """
    if not values:
        return ""
    quoted = ",".join(quote(v).replace("%20", " ") for v in values)
    return f"{taxonomy_export_id}:{quoted}"
