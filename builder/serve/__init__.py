"""``coursepack serve``: a live preview of a course source tree while it is being written.

- ``units.py`` — re-reads only the unit files that changed since the last load;
- ``site.py`` — the loaded course, its pages (rendered by the SCORM page code, cached per unit)
  and the last findings; one ``refresh`` call after every change on disk;
- ``app.py`` — the Starlette application: routes, the server-sent events stream, the watcher;
- ``templates/`` and ``static/`` — the preview shell: outline sidebar, the unit frame, the LMS
  panel with its strict SCORM API stub (``static/lms.js``) and the error overlay.

The web stack (starlette, uvicorn, watchfiles) is the optional ``serve`` extra, so building
courses in CI does not install a web server: :func:`missing_dependencies` says what to install.
"""

from __future__ import annotations

import importlib.util

SERVE_PACKAGES = ("starlette", "uvicorn", "watchfiles")


def missing_dependencies() -> list[str]:
    """The packages of the ``serve`` extra that are not installed."""
    return [name for name in SERVE_PACKAGES if importlib.util.find_spec(name) is None]
