"""YAML with positions: every value's line and column, so errors can point into the author's file.

PyYAML's composer already knows where each node starts; we keep that map (path → line, column)
beside the plain Python value that pydantic validates. Only the safe loader is used: partner
sources must not be able to construct Python objects.

Partner sources are untrusted input, so the walk over the composed nodes also refuses, before any
Python value is built:

- aliases (``*name``): a few lines of nested aliases ("billion laughs") expand to gigabytes, and a
  self-referencing one never ends. Course sources have no need for them (docs/source-format.md);
- nesting deeper than ``MAX_DEPTH``;
- characters XML 1.0 cannot carry, written as YAML escapes (``"\\x00"``, ``"\\uFFFE"``): every
  output is XML or HTML, and they would make it non-well-formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from builder.source.text import describe, first_invalid_char

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


MAX_DEPTH = 50
"""Deeper than any course file needs, far below Python's recursion limit."""


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int, hint: str = "", code: str = "yaml-syntax"):
        super().__init__(message)
        self.message, self.line, self.column, self.hint, self.code = message, line, column, hint, code


def load(text: str, line_offset: int = 0) -> YamlDoc:
    """Parse one YAML document; ``line_offset`` shifts positions for YAML embedded in Markdown."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(value=None, positions={(): (line_offset + 1, 1)})
        doc = YamlDoc(value=None)
        # A character no output can carry is in a value only if it is in the text, or written as an
        # escape (``"\x00"``), which needs a backslash: without either, no value is checked.
        build = _Build(loader, check_chars=first_invalid_char(text) is not None or "\\" in text)
        value = _walk(node, (), doc, line_offset, set(), (line_offset + 1, 1), build)
        # PyYAML's constructor, when the walk met a node it does not build the same way itself
        doc.value = loader.construct_document(node) if build.slow else value
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else line_offset + 1
        col = (mark.column + 1) if mark else 1
        msg = f"invalid YAML: {exc.problem or exc.context}"
        hint = "check indentation, and quote values that contain ': ' or start with a special character"
        if "\t" in text:
            hint = "YAML does not allow tabs for indentation; use spaces"
        quoted = _inner_double_quotes(text, line - line_offset)
        if quoted is not None:
            msg = 'invalid YAML: a double-quoted value ends at its second `"`'
            hint = f"put the value in single quotes: {quoted}"
        raise YamlSyntaxError(msg, line, col, hint) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", line_offset + 1, 1) from None
    except RecursionError:  # the pure-Python composer, when PyYAML has no libyaml, recurses per level
        raise YamlSyntaxError(
            "values are nested too deeply", line_offset + 1, 1, "flatten the structure", code="yaml-depth"
        ) from None
    finally:
        loader.dispose()


_DOUBLE_QUOTED = re.compile(r'^(\s*(?:-\s+)?[\w.-]+:\s*)"(.*)"\s*(#.*)?$')


def _inner_double_quotes(text: str, line: int) -> str | None:
    """``title: "The "best" start"``, rewritten as it parses (single quotes), if that is the line."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    m = _DOUBLE_QUOTED.match(lines[line - 1])
    if m is None or '"' not in m.group(2):
        return None
    return f"{m.group(1).strip()} '{m.group(2).replace(chr(39), chr(39) * 2)}'"


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SCALARS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)
"""Scalar tags whose constructors (``SafeConstructor.construct_yaml_int`` …) read only the node's
text: the walk calls them itself. Any other tag (``!!binary``, ``!!set``, ``!!omap``, a merge key
``<<``, a local ``!tag``) leaves the document to PyYAML's ``construct_document``."""


class _Build:
    """The walk's half of PyYAML's constructor: ``construct_document`` walks every node again, one
    generator per mapping and sequence, which cost as much as the position walk itself. The walk
    builds the same value (a dict in key order, the last of duplicate keys winning; a list; a
    scalar from the safe constructor's own function) for the tags above, and gives up — ``slow`` —
    at anything else or at an exception, so that ``construct_document`` makes the value, or raises
    the very error, it always did."""

    def __init__(self, loader: Any, check_chars: bool = True) -> None:
        self.constructors = loader.yaml_constructors
        self.loader = loader
        self.slow = False
        self.check_chars = check_chars
        """Whether keys and values may hold a character ``_check_scalar`` refuses."""

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag in _SCALARS and not self.slow:
            try:
                return self.constructors[node.tag](self.loader, node)
            except Exception:  # raised again, in its own order, by ``construct_document``
                self.slow = True
                return None
        self.slow = True
        return None


def _walk(
    node: yaml.Node,
    path: Path_,
    doc: YamlDoc,
    offset: int,
    seen_nodes: set[int],
    where: tuple[int, int],
    build: _Build,
) -> Any:
    """Record positions and return the node's value; ``where`` is the position of the key or item
    that holds ``node``.

    The composer gives an alias the very node object of its anchor, so meeting a node twice is
    how an alias shows itself; its own position is lost, hence ``where``.
    """
    if id(node) in seen_nodes:
        raise YamlSyntaxError(
            "YAML aliases (`*name`) are not allowed in a course source",
            *where,
            "write the value out in full; aliases can expand a few lines into gigabytes",
            code="yaml-alias",
        )
    seen_nodes.add(id(node))
    pos = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
    doc.positions[path] = pos
    if len(path) > MAX_DEPTH:
        raise YamlSyntaxError(
            f"values are nested more than {MAX_DEPTH} levels deep",
            *pos,
            "flatten the structure; `coursepack docs source-format` shows the expected shape",
            code="yaml-depth",
        )
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            build.slow = True
        seen: set[str] = set()
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if build.check_chars:
                    _check_scalar(key_node, offset)
                key = key_node.value
                if key_node.tag != _STR:
                    build.slow = True
            else:
                key = str(key_node.value)
                build.slow = True
            child = (*path, key)
            kpos = (key_node.start_mark.line + 1 + offset, key_node.start_mark.column + 1)
            if key in seen:
                doc.duplicates.append((child, *kpos))
            seen.add(key)
            doc.key_positions[child] = kpos
            mapping[key] = _walk(value_node, child, doc, offset, seen_nodes, kpos, build)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            build.slow = True
        return [
            _walk(item, (*path, i), doc, offset, seen_nodes, pos, build) for i, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.ScalarNode):
        if build.check_chars:
            _check_scalar(node, offset)
        return build.scalar(node)
    build.slow = True
    return None


def _check_scalar(node: yaml.ScalarNode, offset: int) -> None:
    bad = first_invalid_char(node.value)
    if bad is not None:
        _, char = bad
        raise YamlSyntaxError(
            f"value contains the character {describe(char)}, which no output format can carry",
            node.start_mark.line + 1 + offset,
            node.start_mark.column + 1,
            "remove it (control characters other than tab and newline are not text)",
            code="bad-char",
        )
