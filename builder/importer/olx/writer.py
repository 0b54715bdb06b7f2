"""The source tree on disk: YAML files, ``overview.md`` and one Markdown file per unit.

Folder and file names are ``NN-slug`` in outline order (the loader orders by the numeric prefix);
ids live inside the files. Fences are made longer than any backtick run in their content, so a
prompt or a kept XML block that contains ```` ``` ```` cannot end its block early.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from builder.importer.olx.ids import ascii_slug
from builder.importer.olx.outline import SectionOut, UnitOut


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so prompts and explanations stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not re.search(r"[ \t]\n|\n[ \t]*\n[ \t]*$|^\s", value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML cannot carry and the loader refuses; HTML files of an export may hold them."""


def clean(text: str) -> str:
    return CONTROL.sub("", text)


def _cleaned(data: Any) -> Any:
    if isinstance(data, str):
        return clean(data)
    if isinstance(data, dict):
        return {k: _cleaned(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_cleaned(v) for v in data]
    return data


def dump_yaml(data: Any) -> str:
    """YAML of ``data`` with control characters removed first (YAML would otherwise escape them)."""
    return yaml.dump(_cleaned(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def fence(kind: str, body: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{kind}\n{body.rstrip()}\n{ticks}"


def _name(n: int, width: int, title: str, fallback: str) -> str:
    slug = ascii_slug(title).lower()[:40].strip("-._") or ascii_slug(fallback).lower()[:40] or "part"
    return f"{n:0{width}d}-{slug}"


def unit_text(unit: UnitOut) -> str:
    front = dump_yaml({"id": unit.id, "title": unit.title, "outcomes": unit.outcomes})
    blocks = []
    for kind, content in unit.parts:
        if kind == "prose":
            blocks.append(content.strip())
        elif kind in ("raw-html", "olx"):
            blocks.append(fence(kind, content))
        else:
            blocks.append(fence(kind, dump_yaml(content)))
    return clean(f"---\n{front}---\n\n" + "\n\n".join(blocks) + "\n")


def write_outline(dest: Path, sections: list[SectionOut]) -> None:
    outline = dest / "outline"
    width = max(2, len(str(len(sections))))
    for si, section in enumerate(sections, 1):
        sdir = outline / _name(si, width, section.title, section.id)
        sdir.mkdir(parents=True)
        (sdir / "section.yaml").write_text(dump_yaml({"id": section.id, "title": section.title}), "utf-8")
        swidth = max(2, len(str(len(section.subsections))))
        for ssi, sub in enumerate(section.subsections, 1):
            ssdir = sdir / _name(ssi, swidth, sub.title, sub.id)
            ssdir.mkdir()
            meta: dict[str, Any] = {"id": sub.id, "title": sub.title}
            if sub.format:
                meta["format"] = sub.format
            if sub.due:
                meta["due"] = sub.due
            (ssdir / "subsection.yaml").write_text(dump_yaml(meta), "utf-8")
            uwidth = max(2, len(str(len(sub.units))))
            for ui, unit in enumerate(sub.units, 1):
                path = ssdir / f"{_name(ui, uwidth, unit.title, unit.id)}.md"
                path.write_text(unit_text(unit), "utf-8")
