"""Every finding code a check can emit is in the one registry, and docs/diagnostics.md is that registry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from builder.diagnostic_codes import CODES, UNKNOWN, lookup, markdown_table, stable_code

ROOT = Path(__file__).resolve().parent.parent
BUILDER = ROOT / "builder"

NOT_FINDINGS = {BUILDER / "targets" / "competences.py"}
"""Its ``item(..., code, ...)`` is a CASE humanCodingScheme, not a finding's code."""

PASS_THROUGH = {"code", "exc.code"}
"""Expressions that only hand on a code chosen (and collected here) elsewhere."""


def emitted_codes() -> list[tuple[str, int, str, str]]:
    """(file, line, kind, text) for every code a Diagnostic can be given anywhere in builder/.

    kind: ``exact`` (a string literal), ``prefix`` (the literal head of an f-string) or ``expr``.
    Positional arguments count too: every function with a ``code`` parameter is followed by name
    within its module (``err(message, "scorm.xsd")``, ``add(oid, "outcome-not-taught", …)``).
    """
    found: list[tuple[str, int, str, str]] = []
    for path in sorted(BUILDER.rglob("*.py")):
        if path in NOT_FINDINGS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        positions: dict[str, list[int]] = {"Diagnostic": [6], "YamlSyntaxError": [4]}
        values: list[ast.expr] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args.posonlyargs + node.args.args
                names = [a.arg for a in args]
                if "code" in names:
                    shift = 1 if names[0] in ("self", "cls") else 0
                    positions.setdefault(node.name, []).append(names.index("code") - shift)
                    first_default = len(args) - len(node.args.defaults)
                    for i, default in enumerate(node.args.defaults):
                        if args[first_default + i].arg == "code":
                            values.append(default)
                values += [
                    d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                    if a.arg == "code" and d is not None
                ]  # fmt: skip
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            values += [kw.value for kw in node.keywords if kw.arg == "code"]
            values += [node.args[i] for i in positions.get(name, []) if i < len(node.args)]
        rel = path.relative_to(ROOT).as_posix()
        for v in values:
            for leaf in (v.body, v.orelse) if isinstance(v, ast.IfExp) else (v,):
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                    found.append((rel, leaf.lineno, "exact", leaf.value))
                elif isinstance(leaf, ast.JoinedStr) and isinstance(leaf.values[0], ast.Constant):
                    found.append((rel, leaf.lineno, "prefix", str(leaf.values[0].value)))
                else:
                    found.append((rel, leaf.lineno, "expr", ast.unparse(leaf)))
    return found


def test_the_collector_sees_codes_of_every_shape() -> None:
    """Guard against a collector that silently finds nothing: known codes of each call shape."""
    texts = {text for _, _, _, text in emitted_codes()}
    known = ["unknown-key", "scorm.xsd", "outcome-not-taught", "cmi5.order", "olx.tags-id"]
    known += ["moodle.grade-method", "yaml-alias", "olxcleaner.", "invalid.", "bad-id", "bad-value"]
    for name in known:
        assert name in texts, name


def test_every_emitted_code_is_registered() -> None:
    missing = []
    for file, line, kind, text in emitted_codes():
        if kind == "expr":
            assert text in PASS_THROUGH, f"{file}:{line}: code {text} cannot be checked; use a literal"
            continue
        entry = lookup(text)
        if entry is None or (kind == "prefix" and not entry.name.endswith(".")):
            missing.append(f"{file}:{line}: {text!r}")
    assert not missing, "add these to builder/diagnostic_codes.py CODES:\n" + "\n".join(missing)


def test_no_finding_goes_without_a_code() -> None:
    """An empty code would be CP000: every code parameter is required or defaults to a real code,
    and every ``Diagnostic(...)`` names one."""
    assert all(text for _, _, kind, text in emitted_codes() if kind != "expr")
    bare = []
    for path in sorted(BUILDER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_diagnostic = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Diagnostic"
            if is_diagnostic and len(node.args) < 7 and not any(kw.arg == "code" for kw in node.keywords):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bare, bare


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [c.code for c in CODES]
    names = [c.name for c in CODES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"CP[1-9]\d\d", c) for c in codes)
    assert all(c.summary.endswith(".") and len(c.summary) < 100 for c in CODES)


@pytest.mark.parametrize(
    ("name", "code"),
    [("unknown-key", "CP104"), ("olxcleaner.InvalidPointer", "CP300"), ("olxcleaner.crash", "CP301"),
     ("invalid.int_parsing", "CP108"), ("never-registered", UNKNOWN)],
)  # fmt: skip
def test_stable_code_exact_family_and_unknown(name: str, code: str) -> None:
    assert stable_code(name) == code


def test_docs_table_is_the_registry() -> None:
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert doc.endswith(markdown_table()), "regenerate the table: builder.diagnostic_codes.markdown_table()"
    assert doc.count("| code | name |") == 1
