"""Field docstrings as field descriptions, added only when a JSON Schema is wanted.

The docstring under a model field describes the key in the editor schemas (``editor_schemas``).
Pydantic's ``use_attribute_docstrings`` reads them while each class is made: it fetches the class's
source (``inspect`` parses the whole module once per class) and parses it again — ~0.06 s CPU of
every command's start, a build's included, for text only ``coursepack schema`` shows. So the
models leave it off, and ``describe(root)`` gives the fields their docstrings the way pydantic
would have, then rebuilds the classes so their schemas carry them. It is idempotent.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from pydantic import BaseModel
from pydantic._internal._docs_extraction import extract_docstrings_from_cls

_DONE: set[type[BaseModel]] = set()
_LOCK = threading.Lock()


def _subclasses(root: type[BaseModel]) -> list[type[BaseModel]]:
    """``root``'s subclasses, every class after its bases (the order pydantic made them in)."""
    found: list[type[BaseModel]] = []

    def visit(cls: type[BaseModel]) -> None:
        if cls in found:
            return
        for base in cls.__bases__:
            if isinstance(base, type) and issubclass(base, root) and base is not root:
                visit(base)
        found.append(cls)
        for sub in cls.__subclasses__():
            visit(sub)

    for sub in root.__subclasses__():
        visit(sub)
    return found


def _describe(cls: type[BaseModel]) -> bool:
    """What ``use_attribute_docstrings`` does when ``cls`` is made: a field declared here keeps an
    explicit description, else takes the docstring under it here; an inherited field keeps the
    nearest base's description (copied when the class was made), else takes a docstring here."""
    own = inspect.get_annotations(cls)
    docs = extract_docstrings_from_cls(cls, use_inspect=True)
    changed = False
    for name, field in cls.__pydantic_fields__.items():
        if field.description is not None:
            continue
        if name not in own:
            bases = (getattr(b, "__pydantic_fields__", {}) for b in cls.__mro__[1:])
            inherited: Any = next((fields[name] for fields in bases if name in fields), None)
            if inherited is not None and inherited.description is not None:
                field.description = inherited.description
                changed = True
                continue
        if name in docs:
            field.description = docs[name]
            changed = True
    return changed


def describe(*roots: type[BaseModel]) -> None:
    """Give every model under ``roots`` its field docstrings as descriptions, and rebuild them all
    (a model's schema holds copies of the schemas of the models it names)."""
    with _LOCK:
        classes = [c for root in roots for c in _subclasses(root) if c not in _DONE]
        if not classes:
            return
        for cls in classes:
            _describe(cls)
        # A model's schema copies those of the models it names when it is built: two passes, so
        # that each copy is taken after the named model was rebuilt with its descriptions.
        for _ in range(2):
            for cls in classes:
                cls.model_rebuild(force=True)
        _DONE.update(classes)
