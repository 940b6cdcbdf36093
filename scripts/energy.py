"""Time and energy per classification on the iCE40 UP5K (results/energy.json, results/energy.md).

Cycles per window come from ``results/cycles.json`` when ``scripts/bench_cycles.py`` produced
it, else from a Verilator simulation run here (``ecg_bnn_top``, one real MIT-BIH window streamed
at one sample per cycle, cycles from the window's last sample to its result). The clock
frequencies are nextpnr's Fmax from ``results/fpga.json`` (``make fpga``) and fixed low-power
clocks (6 and 12 MHz). At 360 samples/s one window is classified every HOP/360 s; the duty cycle
is the busy time over that period.

Energy model (an estimate, not a measurement; every constant is a command-line option):

* static power ``P_s = I_static * V_core`` with ``I_static`` = 100 uA and ``V_core`` = 1.2 V,
  the order of the typical core static current in the iCE40 UltraPlus data sheet
  (Lattice FPGA-DS-02008, "Static Supply Current", UP5K);
* dynamic power while classifying ``P_d = k * LC * f``: ``LC`` = logic cells used after place
  and route (``results/fpga.json``), ``f`` in MHz, ``k`` = 0.018 uW per logic cell per MHz,
  i.e. an assumed switched capacitance of 0.1 pF per logic cell (with its routing) at 1.2 V and
  12.5 % toggle rate per cycle (``C * V^2 * alpha``); block RAM, SPRAM and DSP accesses, the
  clock tree and I/O are not modelled separately;
* energy per classification ``E = (P_s + P_d) * t_window``; average power at 360 Hz
  ``P_avg = P_s + P_d * duty`` (the design idles, with almost no toggling, between windows).

Calibrate ``k`` and ``I_static`` with Lattice's Power Calculator or a board measurement before
quoting these numbers as more than an order of magnitude.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

try:  # the cocotb side only exists inside the simulator
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
except ImportError:  # pragma: no cover
    cocotb = None

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"
WINDOW = 3600
FS_HZ = 360.0

# ----------------------------------------------------------------------------- cocotb side

if cocotb is not None:

    @cocotb.test()
    async def measure_window_cycles(dut: Any) -> None:
        """Stream one window at full rate; record cycles from its last sample to the result."""
        cfg = json.loads(Path(os.environ["ECG_BNN_ENERGY_CFG"]).read_text())
        samples = [int(s) for s in cfg["samples"]]
        Clock(dut.clk_i, 10, unit="ns").start()
        dut.rst_ni.value = 0
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tdata.value = 0
        dut.m_axis_tready.value = 1
        await ClockCycles(dut.clk_i, 5)
        dut.rst_ni.value = 1
        await RisingEdge(dut.clk_i)
        cycle = 0
        first = last = None
        i = 0
        while True:
            if i < len(samples):
                dut.s_axis_tdata.value = samples[i] & 0xFFFF
                dut.s_axis_tvalid.value = 1
            else:
                dut.s_axis_tvalid.value = 0
            await ReadOnly()
            if i < len(samples) and dut.s_axis_tready.value:
                first = cycle if first is None else first
                i += 1
                if i == len(samples):
                    last = cycle
            done = bool(dut.m_axis_tvalid.value)
            await RisingEdge(dut.clk_i)
            cycle += 1
            if done:
                break
            assert cycle < 50_000_000, "no result"
        assert first is not None and last is not None
        out = {"input_cycles": last - first + 1, "latency_cycles": cycle - 1 - last}
        Path(cfg["out"]).write_text(json.dumps(out))


# ----------------------------------------------------------------------------- host side


def simulate_cycles(simd: int, pe: int, mem: Path) -> dict[str, int]:
    """Cycles of one window of ``ecg_bnn_top`` (Verilator via the cocotb runner)."""
    sys.path[:0] = [str(REPO / "tb"), str(REPO / "scripts"), str(REPO)]
    from ecg_bnn_runner import SIM_BUILD, run_cocotb, sv_string
    from fpga_flow import mitdb_windows

    work = SIM_BUILD / f"energy_SIMD{simd}_PE{pe}"
    work.mkdir(parents=True, exist_ok=True)
    window = mitdb_windows("100", 1, start=5 * WINDOW)[0]
    cfg = {"samples": [int(s) for s in window], "out": str(work / "cycles.json")}
    (work / "cfg.json").write_text(json.dumps(cfg))
    run_cocotb(
        sim="verilator",
        toplevel="ecg_bnn_top",
        test_module="energy",
        build_id=f"energy_SIMD{simd}_PE{pe}/verilator",
        parameters={
            "SIMD": simd,
            "PE": pe,
            "WEIGHTS_FILE": sv_string(mem / "weights.mem"),
            "THRESHOLDS_FILE": sv_string(mem / "thresholds.mem"),
            "SCORES_FILE": sv_string(mem / "scores.mem"),
        },
        extra_env={"ECG_BNN_ENERGY_CFG": str(work / "cfg.json")},
    )
    return json.loads((work / "cycles.json").read_text())


def cycles_from_bench(path: Path, simd: int, pe: int) -> int | None:
    """Latency cycles per window for (SIMD, PE) from ``results/cycles.json``, if it has them."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    rows = data.get("configs") or data.get("results") or []
    if isinstance(rows, dict):
        rows = [{"name": k, **v} for k, v in rows.items() if isinstance(v, dict)]
    for row in rows:
        if (
            int(row.get("SIMD", row.get("simd", -1))) == simd
            and int(row.get("PE", row.get("pe", -1))) == pe
        ):
            for key in ("latency_cycles", "cycles_per_window", "cycles"):
                if key in row:
                    return int(row[key])
    return None


def energy_rows(
    cycles: int, lc: int, fmax: float | None, hop: int, k_uw: float, p_static_mw: float
) -> list[dict[str, Any]]:
    """Time, duty cycle, power and energy per window at Fmax and the low-power clocks."""
    clocks = [("6 MHz", 6.0), ("12 MHz", 12.0)]
    if fmax:
        clocks.append((f"Fmax {fmax:.1f} MHz", fmax))
    period_s = hop / FS_HZ
    rows = []
    for label, f in clocks:
        t = cycles / (f * 1e6)
        p_dyn_mw = k_uw * lc * f / 1000.0
        duty = t / period_s
        rows.append(
            {
                "clock": label,
                "f_mhz": round(f, 3),
                "time_per_window_ms": round(t * 1e3, 3),
                "duty_cycle_percent": round(100 * duty, 4),
                "p_active_mw": round(p_static_mw + p_dyn_mw, 3),
                "energy_per_window_uj": round((p_static_mw + p_dyn_mw) * t * 1e3, 2),
                "dynamic_energy_per_window_uj": round(p_dyn_mw * t * 1e3, 2),
                "p_average_mw": round(p_static_mw + p_dyn_mw * duty, 4),
            }
        )
    return rows


def markdown(res: dict[str, Any]) -> str:
    """``results/energy.md``."""
    m = res["model"]
    lines = [
        "<!-- generated by scripts/energy.py; do not edit -->",
        f"Time and estimated energy per classification, iCE40 UP5K, configuration "
        f"{res['config']} ({res['cycles']:,} cycles per window from {res['cycles_source']}; "
        f"{res['logic_cells']} logic cells placed; one window every {res['hop']} samples = "
        f"{res['period_s']:g} s at 360 Hz).",
        "",
        "| clock | time per window | duty cycle at 360 Hz | active power | energy per window "
        "| average power |",
        "|---|---|---|---|---|---|",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['clock']} | {r['time_per_window_ms']:.1f} ms | {r['duty_cycle_percent']:.3f} % "
            f"| {r['p_active_mw']:.2f} mW | {r['energy_per_window_uj']:.1f} uJ "
            f"| {r['p_average_mw']:.3f} mW |"
        )
    lines += [
        "",
        f"Estimate, not a measurement: static {m['p_static_mw']:g} mW ({m['i_static_ua']:g} uA "
        f"at {m['v_core']:g} V, order of the iCE40 UltraPlus data sheet's typical static core "
        f"current) plus dynamic {m['k_uw_per_lc_mhz']:g} uW per logic cell per MHz (assumed "
        "0.1 pF per cell at 1.2 V and 12.5 % toggle rate); RAM, DSP, clock tree and I/O power "
        "are not modelled separately. Average power assumes the logic hardly toggles between "
        "windows. Calibrate with Lattice's Power Calculator or a board measurement.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cycles", type=int, help="cycles per window (skip the measurement)")
    ap.add_argument("--hop", type=int, default=WINDOW, help="samples between windows (3600)")
    ap.add_argument("--i-static-ua", type=float, default=100.0, help="static core current, uA")
    ap.add_argument("--v-core", type=float, default=1.2, help="core supply, V")
    ap.add_argument("--k", type=float, default=0.018, help="uW per logic cell per MHz")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    fpga_path = args.out / "fpga.json"
    if not fpga_path.exists():
        print("energy: results/fpga.json missing (run make fpga first)", file=sys.stderr)
        return 2
    fpga = json.loads(fpga_path.read_text())
    cfg = fpga["configs"]["default"]
    simd, pe = cfg["params"]["SIMD"], cfg["params"]["PE"]
    pnr = cfg.get("pnr") or {}
    lc = int(pnr.get("utilization", {}).get("ICESTORM_LC", cfg["ice40"]["LUT"]))
    fmax = pnr.get("fmax_mhz")

    source = "--cycles"
    cycles = args.cycles
    if cycles is None:
        cycles = cycles_from_bench(args.out / "cycles.json", simd, pe)
        source = "results/cycles.json"
    measured: dict[str, int] = {}
    if cycles is None:
        sys.path[:0] = [str(REPO / "scripts")]
        from fpga_flow import rom_images

        mem, _ = rom_images(None)
        print(f"energy: simulating one window (SIMD={simd}, PE={pe}) with Verilator ...")
        measured = simulate_cycles(simd, pe, mem)
        cycles = measured["latency_cycles"]
        source = "a Verilator simulation (last sample to result)"
    p_static_mw = args.i_static_ua * args.v_core / 1000.0
    res = {
        "format": "ecg_bnn_energy/1",
        "config": f"SIMD={simd}, PE={pe}",
        "cycles": cycles,
        "cycles_source": source,
        "measured": measured,
        "logic_cells": lc,
        "fmax_mhz": fmax,
        "hop": args.hop,
        "period_s": args.hop / FS_HZ,
        "model": {
            "i_static_ua": args.i_static_ua,
            "v_core": args.v_core,
            "p_static_mw": p_static_mw,
            "k_uw_per_lc_mhz": args.k,
            "source": "static: iCE40 UltraPlus data sheet FPGA-DS-02008 (typical order); "
            "dynamic: assumed C*V^2*alpha per logic cell (estimate)",
        },
        "rows": energy_rows(cycles, lc, fmax, args.hop, args.k, p_static_mw),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "energy.json").write_text(json.dumps(res, indent=2) + "\n")
    (args.out / "energy.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
