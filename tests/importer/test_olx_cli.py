"""``coursepack import olx`` as users run it, including without the optional ``import`` extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

WITHOUT_MARKDOWNIFY = (
    "import sys; sys.modules['markdownify'] = None\n"  # as if `pip install coursepack` without [import]
    "from builder.cli import main; main()\n"
)


def test_missing_extra_is_explained(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_MARKDOWNIFY, "import", "olx", str(tmp_path), str(tmp_path / "d")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 3
    assert "pip install 'coursepack[import]'" in result.stderr
    assert not (tmp_path / "d").exists()


def test_help_lists_the_import_command() -> None:
    from click.testing import CliRunner

    from builder.cli import main

    result = CliRunner().invoke(main, ["import", "--help"])
    assert result.exit_code == 0 and "olx" in result.output
