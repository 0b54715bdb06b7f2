"""Field docstrings reach the editor schemas exactly as pydantic's ``use_attribute_docstrings``
would put them there, without any source being read when the models are imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from builder import field_docs


def test_importing_the_models_reads_no_source() -> None:
    probe = textwrap.dedent(
        """
        import inspect
        read = []
        real = inspect.findsource
        def spy(obj):
            read.append(obj)
            return real(obj)
        inspect.findsource = spy
        import builder.model, builder.source.schema, builder.source.handbook, builder.source.session_plans
        assert not read, f"{len(read)} classes' sources read at import"
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


class _Docs(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)


class _Lazy(BaseModel):
    pass


# The same shapes twice: with pydantic's own docstring reading, and described afterwards.
class DocBase(_Docs):
    a: int
    """Doc of a."""
    b: int = Field(description="explicit b")
    """Not used: b has a description."""
    c: int


class DocChild(DocBase):
    c: int
    """Doc of c, redeclared."""
    d: DocBase
    """Doc of d."""


class LazyBase(_Lazy):
    a: int
    """Doc of a."""
    b: int = Field(description="explicit b")
    """Not used: b has a description."""
    c: int


class LazyChild(LazyBase):
    c: int
    """Doc of c, redeclared."""
    d: LazyBase
    """Doc of d."""


def _without_names(schema: dict) -> str:  # type: ignore[type-arg]
    return str(schema).replace("Doc", "X").replace("Lazy", "X")


def test_described_models_give_pydantics_schemas() -> None:
    field_docs.describe(_Lazy)
    assert LazyChild.model_fields["a"].description == "Doc of a."
    assert _without_names(LazyChild.model_json_schema()) == _without_names(DocChild.model_json_schema())
    assert _without_names(LazyBase.model_json_schema()) == _without_names(DocBase.model_json_schema())
    field_docs.describe(_Lazy)  # idempotent
    assert _without_names(LazyChild.model_json_schema()) == _without_names(DocChild.model_json_schema())


def test_editor_schemas_describe_the_keys(tmp_path: Path) -> None:
    from builder.editor_schemas import by_name, generate

    section = generate(by_name("section"))
    assert section["properties"]["title"]["description"] == "Section title shown in the course outline."
