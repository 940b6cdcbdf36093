"""The product stays apart from the accuracy studies (studies/README.md).

Nothing in the product (``pymodel/``, ``scripts/``, ``tb/``, ``fpga/``) or in the product's tests
(``tests/``) imports the ``studies`` package, so the IP, its golden model and its test suite work
without it.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("pymodel", "scripts", "tb", "fpga", "tests")
STUDY_IMPORT = re.compile(r"^\s*(from|import)\s+studies\b", re.M)


def test_product_never_imports_the_studies():
    offenders = [
        str(path.relative_to(REPO))
        for top in PRODUCT
        for path in sorted((REPO / top).rglob("*.py"))
        if STUDY_IMPORT.search(path.read_text())
    ]
    assert offenders == []


def test_studies_have_their_own_tests():
    assert sorted(p.name for p in (REPO / "studies" / "tests").glob("test_*.py"))
    assert (REPO / "studies" / "README.md").is_file()
