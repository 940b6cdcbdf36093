"""The integer golden model and the exporter work on a machine without PyTorch.

Each check runs in a fresh interpreter whose import system refuses ``torch`` (a meta-path finder
that raises ``ImportError``), so an accidental top-level ``import torch`` anywhere on the import
path of these modules fails here. The exporter path that needs no checkpoint is exercised end to
end: the committed ROM images are read back, written again through :func:`write_params`, read
back once more and run on the shipped demo windows by the golden model.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BLOCK_TORCH = """
import sys

class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"torch is blocked in this test ({name})")
        return None

sys.meta_path.insert(0, _NoTorch())
"""


def run_without_torch(body: str) -> str:
    """Run ``body`` in a new interpreter with torch unavailable; return its stdout."""
    code = BLOCK_TORCH + textwrap.dedent(body) + "\nassert 'torch' not in sys.modules\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_blocker_blocks_torch():
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH + "import pymodel.model"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "torch is blocked" in proc.stderr


def test_golden_and_export_import_without_torch():
    run_without_torch(
        """
        import pymodel.export, pymodel.fold, pymodel.golden, pymodel.memfile, pymodel.network
        import pymodel.packing
        """
    )


def test_export_round_trip_without_torch(tmp_path):
    out = run_without_torch(
        f"""
        import numpy as np
        from pymodel import golden
        from pymodel.demo import load_demo
        from pymodel.export import load_params, main, write_params

        params = load_params("rtl/mem/bnn5_paper")
        res = write_params(params, {str(tmp_path)!r}, {{"checkpoint": None}})
        again = load_params(res.out_dir)
        assert again.equal(params)
        windows = load_demo("mitdb").windows
        a = golden.run_batch(params, windows).pred
        b = golden.run_batch(again, windows).pred
        assert np.array_equal(a, b)
        assert main(["--storage-only"]) == 0
        print("ok", len(windows))
        """
    )
    assert "ok" in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "ecg_bnn_params.svh",
        "manifest.json",
        "thresholds.mem",
        "weights.mem",
    ]


def module_imports(path: Path) -> set[str]:
    """``pymodel`` modules imported at module level by ``path`` (not in functions or
    ``TYPE_CHECKING`` blocks, which do not run on import)."""
    import ast

    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "pymodel":
                found |= {f"pymodel.{a.name}" for a in node.names}
            elif node.module.startswith("pymodel."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pymodel.")}
    return found


def test_no_import_cycles_in_pymodel():
    """The module-level import graph of pymodel is acyclic (golden no longer imports model)."""
    graph = {f"pymodel.{p.stem}": module_imports(p) for p in (REPO / "pymodel").glob("*.py")}
    state: dict[str, int] = {}

    def visit(mod: str, chain: tuple[str, ...]) -> None:
        if state.get(mod) == 1:
            raise AssertionError(f"import cycle: {' -> '.join((*chain, mod))}")
        if state.get(mod) == 2:
            return
        state[mod] = 1
        for dep in sorted(graph.get(mod, ())):
            visit(dep, (*chain, mod))
        state[mod] = 2

    for mod in sorted(graph):
        visit(mod, ())
    assert "pymodel.model" not in graph["pymodel.golden"]
    assert "pymodel.network" in graph["pymodel.golden"]
