"""url_names → source ids: kept when they already follow the id rule, otherwise made to, with a record.

The source format's ids (``model.ID_PATTERN``) are unique across the whole course, whatever their
kind; Open edX only needs them unique per block type. Every change is listed in the report, since
Open edX keys learner state by url_name.
"""

from __future__ import annotations

import re
import unicodedata

from builder.importer.olx.report import ImportReport
from builder.model import ID_PATTERN

MAX_ID = 100


def ascii_slug(text: str, keep: str = "_.-") -> str:
    """Letters, digits and ``keep`` only; accents folded, everything else a ``-``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(rf"[^A-Za-z0-9{re.escape(keep)}]+", "-", folded)
    return re.sub(r"-{2,}", "-", slug).strip("-._")


class Ids:
    def __init__(self, report: ImportReport):
        self.report = report
        self.used: set[str] = set()

    def claim(self, kind: str, url_name: str | None, fallback: str) -> str:
        """The source id for a block of ``kind`` whose url_name is ``url_name`` (None when missing)."""
        raw = url_name or ""
        base = ascii_slug(raw)[:MAX_ID] if raw else ""
        if not base or not re.match(ID_PATTERN, base):
            base = ascii_slug(fallback)[:MAX_ID] or kind
        candidate, n = base, 2
        while candidate.lower() in self.used:
            suffix = f"-{n}"
            candidate = base[: MAX_ID - len(suffix)] + suffix
            n += 1
        self.used.add(candidate.lower())
        if candidate != raw:
            self.report.renamed_ids.append((kind, raw or "(none)", candidate))
        return candidate
