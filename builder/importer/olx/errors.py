"""The one way an import stops: a refusal that names the file and what is wrong with it."""

from __future__ import annotations


class ImportRefused(Exception):
    """The export is unsafe or unreadable; nothing has been written to the destination."""

    def __init__(self, where: str, message: str, hint: str = ""):
        self.where, self.message, self.hint = where, message, hint
        super().__init__(f"{where}: {message}" + (f" — {hint}" if hint else ""))
