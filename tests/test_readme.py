"""The README's result tables are generated from results/ and must be current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from script_loader import load_script

REPO = Path(__file__).resolve().parents[1]


def test_readme_tables_match_the_results_files():
    """scripts/update_readme.py --check: no table was typed by hand or left stale."""
    proc = subprocess.run(
        [sys.executable, "scripts/update_readme.py", "--check"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_split_table_states_small_chances_as_one_in_n():
    """The split-spread column reads "1 in N" splits; zero chance and no paper figure differ."""
    readme = load_script("update_readme")
    assert readme.one_in(0.0048) == "1 in 208"
    assert readme.one_in(2.5e-5) == "1 in 40,000"
    assert readme.one_in(0.0) == "never"
    assert readme.one_in(None) == "-"
