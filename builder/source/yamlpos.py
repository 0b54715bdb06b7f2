"""YAML with positions: every value's line and column, so errors can point into the author's file.

PyYAML's composer already knows where each node starts; we keep that map (path → line, column)
beside the plain Python value that pydantic validates. Only the safe loader is used: partner
sources must not be able to construct Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (several times faster), else the pure one."""


@dataclass
class YamlDoc:
    value: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    """(line, column), 1-based, of each mapping value / sequence item; () is the document."""
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    """Where each mapping key itself stands, for "unknown key" messages."""
    duplicates: list[tuple[Path_, int, int]] = field(default_factory=list)

    def position(self, path: Path_) -> tuple[int, int]:
        """The closest known position of ``path`` or, failing that, of its nearest ancestor."""
        for cut in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:cut]))
            if pos:
                return pos
        return (1, 1)


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int, hint: str = ""):
        super().__init__(message)
        self.message, self.line, self.column, self.hint = message, line, column, hint


def load(text: str, line_offset: int = 0) -> YamlDoc:
    """Parse one YAML document; ``line_offset`` shifts positions for YAML embedded in Markdown."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(value=None, positions={(): (line_offset + 1, 1)})
        doc = YamlDoc(value=None)
        _walk(node, (), doc, line_offset)
        doc.value = loader.construct_document(node)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else line_offset + 1
        col = (mark.column + 1) if mark else 1
        msg = f"invalid YAML: {exc.problem or exc.context}"
        hint = "check indentation, and quote values that contain ': ' or start with a special character"
        if "\t" in text:
            hint = "YAML does not allow tabs for indentation; use spaces"
        raise YamlSyntaxError(msg, line, col, hint) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", line_offset + 1, 1) from None
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path_, doc: YamlDoc, offset: int) -> None:
    doc.positions[path] = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            kpos = (key_node.start_mark.line + 1 + offset, key_node.start_mark.column + 1)
            if key in seen:
                doc.duplicates.append((child, *kpos))
            seen.add(key)
            doc.key_positions[child] = kpos
            _walk(value_node, child, doc, offset)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), doc, offset)
