"""The README's result tables are generated from results/ and must be current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_tables_match_the_results_files():
    """scripts/update_readme.py --check: no table was typed by hand or left stale."""
    proc = subprocess.run(
        [sys.executable, "scripts/update_readme.py", "--check"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
