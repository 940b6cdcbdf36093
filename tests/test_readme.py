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


def test_readme_reads_like_a_datasheet():
    """At most 12 KB, the two commands, the interface and the input contract; no study prose."""
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) <= 12 * 1024
    for needed in ("make sim", "make test", "## Interface of `ecg_bnn_top`", "Input contract"):
        assert needed in readme
    for study in ("readme:selection", "readme:sweep", "readme:split", "this 2-core", "lent H"):
        assert study not in readme


def test_split_table_states_small_chances_as_one_in_n():
    """The split-spread column reads "1 in N" splits; zero chance and no paper figure differ."""
    readme = load_script("update_readme")
    assert readme.one_in(0.0048) == "1 in 208"
    assert readme.one_in(2.5e-5) == "1 in 40,000"
    assert readme.one_in(0.0) == "never"
    assert readme.one_in(None) == "-"
