"""Ralph's ASGI app with its file-system backend appending statements instead of creating a file.

Ralph 5.1's ``fs`` LRS backend writes every POST with the data backend's default operation,
``create``, which refuses to write to an existing file: the first POST creates ``fs_lrs.jsonl``
and every later one fails with "Statements bulk indexation failed" (HTTP 500). Its ``append``
operation is the one an LRS needs; this module switches the default before the app is imported.
Nothing else of Ralph changes: its xAPI validation, authentication, conflict checks and queries
are the ones under test. Run as ``uvicorn tests.browser.ralph_app:app``.
"""

from __future__ import annotations

from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend

FSDataBackend.default_operation_type = BaseOperationType.APPEND

from ralph.api import app  # noqa: E402  (must be imported after the switch)

__all__ = ["app"]
