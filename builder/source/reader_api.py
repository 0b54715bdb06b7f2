"""What the handbook readers need from the loader, as a protocol.

The trainer-notes, session-plan and handbook readers live in their own modules and receive the
loader through this narrow interface, so the loader's own structure can change without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel

from builder.render import markdown
from builder.source import yamlpos

S = TypeVar("S", bound=BaseModel)


class LoaderApi(Protocol):
    root: Path
    positions: dict[str, tuple[str, int]]

    def error(
        self,
        file: str,
        line: int | None,
        message: str,
        hint: str = "",
        column: int | None = None,
        code: str = "",
    ) -> None: ...

    def rel(self, path: Path) -> str: ...

    def read_text(self, path: Path) -> str | None: ...

    def parse_with_positions(
        self, schema: type[S], text: str, file: str, line_offset: int = 0
    ) -> tuple[S | None, yamlpos.YamlDoc | None]: ...

    def link_resolver(self, md_file: Path) -> markdown.LinkResolver: ...
