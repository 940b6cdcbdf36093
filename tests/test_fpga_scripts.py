"""Unit tests of the FPGA flow's and the energy script's pure functions (no tools needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from script_loader import load_script

REPO = Path(__file__).resolve().parents[1]


def test_ice40_summary_counts_every_flip_flop_kind():
    flow = load_script("fpga_flow")
    cells = {"SB_LUT4": 10, "SB_DFF": 1, "SB_DFFE": 2, "SB_DFFESR": 3, "SB_CARRY": 4}
    cells |= {"SB_RAM40_4K": 5, "SB_SPRAM256KA": 2, "SB_MAC16": 1}
    s = flow.ice40_summary(cells)
    assert s == {"LUT": 10, "FF": 6, "CARRY": 4, "BRAM": 5, "SPRAM": 2, "DSP": 1}
    assert flow.fits_up5k(s)
    assert not flow.fits_up5k({**s, "BRAM": 31})


def test_xilinx_summary_counts_lutram_and_half_brams():
    flow = load_script("fpga_flow")
    cells = {"LUT2": 3, "LUT6": 4, "RAM64M": 2, "FDRE": 5, "FDSE": 1, "RAMB18E1": 3}
    cells |= {"RAMB36E1": 1, "DSP48E1": 2, "CARRY4": 7}
    x = flow.xilinx_summary(cells)
    assert x["LUT_logic"] == 7 and x["LUTRAM"] == 8 and x["LUT"] == 15
    assert x["FF"] == 6 and x["BRAM36"] == 2.5 and x["DSP"] == 2 and x["CARRY4"] == 7


def test_energy_rows():
    energy = load_script("energy")
    rows = energy.energy_rows(1_200_000, 1000, 24.0, 3600, 0.02, 0.1)
    by_f = {r["f_mhz"]: r for r in rows}
    assert set(by_f) == {6.0, 12.0, 24.0}
    r = by_f[12.0]
    assert r["time_per_window_ms"] == pytest.approx(100.0)
    assert r["duty_cycle_percent"] == pytest.approx(1.0)  # 0.1 s of every 10 s
    assert r["p_active_mw"] == pytest.approx(0.1 + 0.02 * 1000 * 12 / 1000)
    assert r["energy_per_window_uj"] == pytest.approx(r["p_active_mw"] * 100.0)


def test_cycles_from_bench(tmp_path):
    energy = load_script("energy")
    path = tmp_path / "cycles.json"
    assert energy.cycles_from_bench(path, 16, 1) is None
    path.write_text(json.dumps({"configs": [{"SIMD": 16, "PE": 1, "latency_cycles": 1234}]}))
    assert energy.cycles_from_bench(path, 16, 1) == 1234
    assert energy.cycles_from_bench(path, 8, 1) is None


def test_committed_results_render():
    flow = load_script("fpga_flow")
    path = REPO / "results" / "fpga.json"
    if not path.exists():
        pytest.skip("results/fpga.json not generated (make fpga)")
    res = json.loads(path.read_text())
    md = flow.markdown(res)
    assert "| default | 16 | 1 |" in md
    dflt = res["configs"]["default"]
    assert flow.fits_up5k(dflt["ice40"]), "the default configuration must fit the UP5K"
    lc = dflt["pnr"]["utilization"]["ICESTORM_LC"]
    assert lc < 0.9 * flow.UP5K["LUT"], "the default configuration must leave room on the UP5K"
