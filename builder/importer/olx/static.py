"""``static/`` of the export → ``static/`` of the source, under names both Open edX and the loader accept.

Open edX flattens asset paths (``a/b.png`` is the asset ``a_b.png``) and rewrites other characters;
the loader refuses anything outside ``[A-Za-z0-9._-]``. Files are therefore copied flat under a safe
name, and :meth:`StaticFiles.rewrite` updates every ``/static/…`` reference in HTML and XML text.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

from builder.importer.olx.errors import ImportRefused
from builder.importer.olx.files import Export
from builder.importer.olx.ids import ascii_slug
from builder.importer.olx.report import ImportReport

IGNORED = re.compile(r"^(\._.*|\.DS_Store|.*~|\..*)$")
"""macOS forks, editor backups and hidden files: Open edX skips them, and so does the loader."""

STATIC_REF = re.compile(r"""/static/([^"'\s<>()?#\\]+)""")


class StaticFiles:
    def __init__(self, export: Export, report: ImportReport):
        self.export = export
        self.report = report
        self.names: dict[str, str] = {}
        """Path under the export's static/ (as written, posix) → flat safe name."""
        self.missing: set[str] = set()
        self._scan()

    def _scan(self) -> None:
        static = self.export.root / "static"
        if not static.is_dir():
            return
        taken: set[str] = set()
        for path in sorted(static.rglob("*")):
            rel = path.relative_to(static)
            if path.is_symlink():
                raise ImportRefused(self.export.rel(path), "symbolic links are not allowed in an export")
            if any(IGNORED.match(p) for p in rel.parts):
                if path.is_file():
                    self.report.drop(
                        f"static/{rel.as_posix()}", "file", "hidden or backup file (Open edX skips it)"
                    )
                continue
            if not path.is_file():
                continue
            original = rel.as_posix()
            stem, dot, ext = original.replace("/", "_").rpartition(".")
            if not dot:
                stem, ext = ext, ""
            safe = ascii_slug(stem) or "file"
            safe_ext = ascii_slug(ext).lower()
            name = f"{safe}.{safe_ext}" if safe_ext else safe
            n = 2
            while name.lower() in taken:
                name = f"{safe}-{n}.{safe_ext}" if safe_ext else f"{safe}-{n}"
                n += 1
            taken.add(name.lower())
            self.names[original] = name
            if name != original:
                self.report.renamed_files.append((f"static/{original}", f"static/{name}"))

    def name(self, ref: str) -> str | None:
        """The safe name for a reference as written in the export (URL-quoted or not), or None."""
        ref = ref.lstrip("/")
        if ref.startswith("static/"):
            ref = ref[len("static/") :]
        return self.names.get(ref) or self.names.get(unquote(ref))

    def rewrite(self, text: str, where: str) -> str:
        """Every ``/static/<name>`` in ``text`` pointed at the file's safe name; unknown ones reported."""

        def sub(m: re.Match[str]) -> str:
            new = self.name(m.group(1))
            if new is None:
                if m.group(1) not in self.missing:
                    self.missing.add(m.group(1))
                    self.report.notes.append(f"{where}: /static/{m.group(1)} is linked but not in the export")
                return m.group(0)
            return f"/static/{new}"

        return STATIC_REF.sub(sub, text)

    def copy_to(self, dest: Path) -> None:
        target = dest / "static"
        target.mkdir(parents=True, exist_ok=True)
        for original, name in self.names.items():
            shutil.copyfile(self.export.root / "static" / original, target / name)
