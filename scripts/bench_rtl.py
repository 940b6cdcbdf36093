"""Run whole held-out test sets through the RTL and compare with the golden model.

Every shipped model (``pymodel.shipped``: ``bnn5_paper`` on the 5-class "paper" test set of 1548
windows, ``bnn5_interpatient`` on the inter-patient DS2 set of 3960, ``bnn17`` and ``bnn17_noise``
on the 17-class test set of 200) has its whole held-out test set streamed from its export
through ``ecg_bnn_top`` in Verilator (the file-driven stream testbench of
``ecg_bnn_tools.rtlsim``; no Python per clock cycle), optionally a subset also in Icarus
Verilog (``--icarus-windows``). Reports the agreement with the bit-exact golden model (class,
flat flag and every score; must be 100 %), the accuracy against the labels and the simulation
throughput (windows/s per simulator), and writes ``results/rtl_benchmark.json``. Exits with
status 1 on any disagreement.

When a shipped export (``rtl/mem/<name>/``) is missing, a randomized calibrated model of the
same class count stands in (agreement and throughput stay meaningful, accuracy does not; the
JSON says which model ran).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from ecg_bnn_tools.rtlsim import (
    REPO,
    TopConfig,
    classify,
    export_random_model,
    model_dir,
)
from pymodel.shipped import SHIPPED_MODELS, shipped_names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(
        prog="python scripts/bench_rtl.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data-dir", default=None, help="data directory (default $ECG_DATA_DIR)")
    p.add_argument(
        "--models",
        default=",".join(shipped_names()),
        help="shipped models whose test sets run (default all); the other shipped models' "
        "entries in --out are kept",
    )
    p.add_argument(
        "--limit", type=int, default=0, metavar="N", help="only N windows per set (spread evenly)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="Verilator processes in parallel (default %(default)s)",
    )
    p.add_argument(
        "--icarus-windows",
        type=int,
        default=0,
        metavar="N",
        help="also run N windows of each set in Icarus Verilog (about 20 s per window)",
    )
    p.add_argument(
        "--ice40",
        action="store_true",
        help="also run the same windows through the iCE40 build (SB_SPRAM256KA, SB_RAM40_4K and "
        "SB_MAC16 cells, Yosys' simulation models) in Verilator",
    )
    p.add_argument(
        "--out", default=str(REPO / "results" / "rtl_benchmark.json"), help="JSON output"
    )
    return p.parse_args(argv)


def pick(n_total: int, n: int) -> np.ndarray:
    """``n`` indices spread evenly over ``range(n_total)`` (all when ``n`` is 0 or too big)."""
    if n <= 0 or n >= n_total:
        return np.arange(n_total)
    return np.linspace(0, n_total - 1, n).round().astype(int)


def export_or_stand_in(name: str, num_classes: int) -> tuple[Path, str]:
    """The shipped export, or a randomized stand-in when it is not exported yet."""
    mem_dir = model_dir(name)
    if (mem_dir / "manifest.json").is_file():
        return mem_dir, name
    stand_in = REPO / "sim_build" / "models" / f"random{num_classes}"
    export_random_model(num_classes, stand_in, seed=1 if num_classes == 5 else 2)
    print(f"note: rtl/mem/{name}/ is not exported yet; using a random model (accuracy is moot)")
    return stand_in, f"random{num_classes} (stand-in for {name})"


def model_source(mem_dir: Path) -> dict:
    """The export's provenance from its manifest (checkpoint path and hashes)."""
    manifest = json.loads((mem_dir / "manifest.json").read_text())
    return dict(manifest.get("source") or {})


def run_set(
    sim: str,
    mem_dir: Path,
    windows: np.ndarray,
    labels: np.ndarray,
    jobs: int,
    desc: str,
    ice40: bool = False,
) -> dict:
    """Classify ``windows`` in ``sim`` (``ice40``: the iCE40 build); agreement, accuracy and
    throughput as a dict."""
    from tqdm import tqdm

    from pymodel.export import load_params

    params = load_params(mem_dir)
    cfg = TopConfig(num_classes=params.num_classes, ice40=ice40)
    with tqdm(total=len(windows), desc=desc, unit="win", dynamic_ncols=True) as bar:
        cmp = classify(
            sim, cfg, mem_dir, params, windows, jobs=jobs, on_result=lambda *_: bar.update(1)
        )
    gold_pred = np.asarray([o.golden_class for o in cmp.outcomes])
    lat = sorted({x for run in cmp.runs for x in run.latencies()[:1]})
    return {
        "simulator": sim,
        "build": "iCE40 cells" if ice40 else "behavioural",
        "windows": len(windows),
        "jobs": jobs,
        "agreement": cmp.agreement,
        "mismatches": cmp.mismatches,
        "accuracy_rtl": round(cmp.accuracy(labels), 5),
        "accuracy_golden": round(float(np.mean(gold_pred == labels)), 5),
        "flat_windows": int(sum(o.rtl_flat & 1 for o in cmp.outcomes)),
        "sim_wall_s": round(cmp.sim_wall_s, 2),
        "windows_per_s": round(len(windows) / cmp.sim_wall_s, 3),
        "windows_per_s_per_process": round(len(windows) / cmp.sim_wall_s / jobs, 3),
        "first_window_latency_cycles": lat[0] if lat else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every RTL result equals the golden model's."""
    from pymodel.datasets import load_split

    args = parse_args(argv)
    chosen = [s for s in args.models.split(",") if s]
    unknown = sorted(set(chosen) - set(shipped_names()))
    if unknown:
        raise SystemExit(f"bench_rtl: not shipped models: {unknown}; choose from {shipped_names()}")
    previous = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
    # Other shipped models keep their sets; a model no longer shipped loses its stale one.
    others = set(shipped_names()) - set(chosen)
    kept = {k: v for k, v in previous.get("sets", {}).items() if k in others}
    report: dict = {"sets": kept, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    ok = all(r["agreement"] == 1.0 for e in kept.values() for r in e["runs"])
    for shipped in SHIPPED_MODELS:
        if shipped.name not in chosen:
            continue
        name, proto = shipped.name, shipped.protocol
        mem_dir, label = export_or_stand_in(name, shipped.num_classes)
        split = load_split(proto, args.data_dir)
        idx = pick(len(split.x_test), args.limit)
        x, y = split.x_test[idx].astype(np.int64), split.y_test[idx]
        entry: dict = {
            "protocol": proto,
            "model": label,
            "model_source": model_source(mem_dir),
            "test_windows": len(split.x_test),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "runs": [],
        }
        print(f"{name} ({proto}): {len(x)} of {len(split.x_test)} held-out windows, model {label}")
        res = run_set("verilator", mem_dir, x, y, args.jobs, f"{name} verilator")
        entry["runs"].append(res)
        if args.ice40:
            entry["runs"].append(
                run_set("verilator", mem_dir, x, y, args.jobs, f"{name} verilator iCE40", True)
            )
        if args.icarus_windows > 0:
            sub = pick(len(x), args.icarus_windows)
            entry["runs"].append(run_set("icarus", mem_dir, x[sub], y[sub], 1, f"{name} icarus"))
        for r in entry["runs"]:
            print(
                f"  {r['simulator']:>9} ({r['build']}): {r['windows']} windows, agreement "
                f"{r['agreement'] * 100:.2f} %, accuracy {r['accuracy_rtl'] * 100:.2f} % "
                f"(golden {r['accuracy_golden'] * 100:.2f} %), {r['windows_per_s']:.2f} windows/s "
                f"({r['jobs']} process{'es' if r['jobs'] > 1 else ''})"
            )
            ok &= r["agreement"] == 1.0
        report["sets"][name] = entry
    report["all_agree"] = ok
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    if not ok:
        print("RTL and golden model DISAGREE (see mismatches in the JSON)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
