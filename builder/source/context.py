"""What every reader of the source shares: the root, the findings so far, and the asset index.

Each reader module (``course_file``, ``competences``, ``outline``, ``units``, ``blocks``…) is a
set of functions taking a ``ReadContext``; none stops at the first problem, all report through
``ctx.error`` so that authors see every finding in one round.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from builder.diagnostics import Diagnostic, Severity
from builder.model import Asset, Unit

if TYPE_CHECKING:
    from builder.source.unit_pack import UnitPack


class ReadContext:
    def __init__(self, root: Path, real_root: Path | None = None):
        """``real_root``: ``root.resolve()`` when the caller knows it (one context per unit file
        would otherwise resolve the same root thousands of times)."""
        self.root = root
        self.real_root = real_root or root.resolve()
        self._root_prefix = str(root) + "/" if not str(root).endswith("/") else ""
        self.diags: list[Diagnostic] = []
        self.positions: dict[str, tuple[str, int]] = {}
        """Where each id is defined: (file relative to the root, line)."""
        self.assets: dict[str, Asset] = {}
        """By path relative to the source root (``static/images/x.png``)."""
        self.bad_names: set[str] = set()
        """Files already refused for their name (spaces, accents): links to them say nothing more."""
        self.unit_links: list[tuple[str, int, str, str]] = []
        """Links to unit files, resolved once every unit is read: (file, line, target file, as written)."""
        self.units_read: list[Unit] = []
        """Every unit that parsed, even under a broken section, so its references are checked too."""
        self.cache_dir: Path | None = None
        """The build cache folder (``builder.cache``) for parsed units, or None."""
        self.file_shas: dict[str, str] = {}
        """The sha256 of every regular file ``course_entry.source_key`` walked, by path: the unit entries'
        keys reuse them instead of reading every unit file twice."""
        self.read_shas: dict[str, str] = {}
        """The sha256 of the bytes each source file had when a reader read it (``files.read_text``),
        by path. A file saved while the course loads has other bytes than the walk hashed: its parse
        must not be cached under the walk's hash (``loader.unchanged_while_loading``)."""
        self.unit_pack: UnitPack | None = None
        """The unit entries of the last load (``loader._cached_units``), written once the whole
        course has loaded without errors."""
        self.cache_keep: list[str] = []
        """The raw cache entries this load used: a whole-course entry lists them, so that loading
        from it keeps them from being pruned (the next edit reads them)."""

    def error(
        self,
        file: str,
        line: int | None,
        message: str,
        hint: str = "",
        column: int | None = None,
        *,
        code: str,
    ) -> None:
        self._add("error", file, line, column, message, hint, code)

    def warn(
        self,
        file: str,
        line: int | None,
        message: str,
        hint: str = "",
        column: int | None = None,
        *,
        code: str,
    ) -> None:
        """A fault that still builds (an image without alt text): carried by ``Course.reader_warnings``
        so that ``check`` and ``build`` report it through the pipeline like any other warning."""
        self._add("warning", file, line, column, message, hint, code)

    def _add(
        self,
        severity: Severity,
        file: str,
        line: int | None,
        column: int | None,
        message: str,
        hint: str,
        code: str,
    ) -> None:
        self.diags.append(Diagnostic(file, line, column, message, hint, severity, code))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diags if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diags if d.severity != "error"]

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, as it appears in messages and in the model."""
        text = str(path)
        if self._root_prefix and text.startswith(self._root_prefix) and len(text) > len(self._root_prefix):
            text = text[len(self._root_prefix) :]  # what relative_to gives, without its cost
        else:
            try:
                text = path.relative_to(self.root).as_posix()
            except ValueError:
                text = str(path)
        return printable_name(text)


def is_utf8_name(name: str) -> bool:
    """False for a file name whose bytes are not UTF-8 (Python carries them as lone surrogates)."""
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def printable_name(name: str) -> str:
    """A file name that can be printed and written anywhere: undecodable bytes shown as ``\\xNN``."""
    if is_utf8_name(name):
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
