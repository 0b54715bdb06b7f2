"""The SCORM control documents are vendored, unmodified, and the product looks nowhere else for them."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest

from builder.resources import scorm_schemas
from builder.resources.scorm_schemas import (
    PINNED_SHA256,
    SchemaUnavailable,
    control_files,
    load_schema,
    schema_dir,
)

ROOT = Path(__file__).resolve().parents[2]
RESEARCH_COPIES = [ROOT.parent / "shared" / "scorm_xsd", ROOT.parents[1] / "shared" / "scorm_xsd"]
"""The research copy of the schemas beside the checkout (or beside the worktree folder)."""

EDITIONS = [("1.2", None), ("2004", "3rd"), ("2004", "4th")]


def _research_copy() -> Path:
    for folder in RESEARCH_COPIES:
        if folder.is_dir():
            return folder
    pytest.skip("no ../shared/scorm_xsd beside this checkout to compare the vendored files with")


def test_vendored_files_are_byte_identical_to_the_published_ones() -> None:
    shared = _research_copy()
    vendored = sorted(p for p in scorm_schemas.XSD_ROOT.rglob("*") if p.suffix in {".xsd", ".dtd"})
    assert len(vendored) == 4 + 17 + 7
    for path in vendored:
        rel = path.relative_to(scorm_schemas.XSD_ROOT)
        assert path.read_bytes() == (shared / rel).read_bytes(), rel
    # Every file of the research copy is vendored, except the 4th-edition imsss_* copies whose
    # IMS licence notice was stripped: packages ship the 3rd-edition ones, which keep it.
    published = {p.relative_to(shared) for p in shared.rglob("*") if p.suffix in {".xsd", ".dtd"}}
    left_out = published - {p.relative_to(scorm_schemas.XSD_ROOT) for p in vendored}
    assert left_out and all(str(p).startswith("scorm2004_4th/imsss_") for p in left_out)


@pytest.mark.parametrize(("version", "edition"), EDITIONS)
def test_control_files_are_pinned_and_keep_the_ims_notice(version: str, edition: str | None) -> None:
    files = control_files(version, edition)  # type: ignore[arg-type]
    for name, path in files.items():
        pin = PINNED_SHA256.get(name) or PINNED_SHA256[f"{edition}/{name}"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == pin, name
        if name.startswith("imsss_"):
            assert b"IPR, License and Distribution Notices" in path.read_bytes(), name
    if version == "2004":
        assert sum(n.startswith("imsss_") for n in files) == 10
        assert files["imscp_v1p1.xsd"].parent == schema_dir("2004", edition)  # type: ignore[arg-type]


@pytest.mark.parametrize(("version", "edition"), EDITIONS)
def test_every_edition_schema_loads_offline_and_is_itself_valid(version: str, edition: str | None) -> None:
    schema = load_schema(version, edition, meta_check=True)  # type: ignore[arg-type]
    assert schema.validation == "strict" and schema.all_errors == []


def test_an_altered_control_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    copy = tmp_path / "scorm_xsd"
    shutil.copytree(scorm_schemas.XSD_ROOT, copy)
    target = copy / "scorm12" / "imscp_rootv1p1p2.xsd"
    target.write_bytes(target.read_bytes().replace(b"IMS", b"XMS", 1))
    monkeypatch.setattr(scorm_schemas, "XSD_ROOT", copy)
    control_files.cache_clear()
    try:
        with pytest.raises(SchemaUnavailable, match="differs from the published schema"):
            control_files("1.2")
    finally:
        control_files.cache_clear()


def _code_strings(tree: ast.AST) -> list[ast.Constant]:
    """String literals that are code, not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_product_code_never_fetches_or_looks_beside_the_checkout() -> None:
    """No npm, no cache folder, no ../shared: a build's bytes must follow from the commit alone."""
    pattern = re.compile(r"\bnpm\b|^shared$|\.\./shared|XDG_CACHE_HOME|^\.cache$|scorm_xsd$")
    offenders = []
    for path in sorted((ROOT / "builder").rglob("*.py")):
        for node in _code_strings(ast.parse(path.read_text())):
            if pattern.search(node.value) and path.name != "scorm_schemas.py":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == []
    for gone in ("SHARED_XSD", "CACHE_XSD", "_npm_dir"):
        assert not hasattr(__import__("builder.validate.scorm", fromlist=["x"]), gone)


def test_the_wheel_declares_the_vendored_files_as_package_data() -> None:
    """Checked for real (pip wheel, installed elsewhere) by tests/test_packaging.py's slow test."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "builder.resources" in setuptools["packages"]
    assert "scorm_xsd/**/*" in setuptools["package-data"]["builder.resources"]
