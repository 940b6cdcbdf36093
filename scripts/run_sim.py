"""Simulate the ECG-BNN IP classifying real ECG windows and check it against the golden model.

The project's main job (``make sim SIM=icarus|verilator WAVES=1``). Streams the shipped demo
windows (``demo/mitdb_demo.npz``, 20 raw MIT-BIH windows) - or, with ``--windows N``, N held-out
test windows of the model's protocol - through ``ecg_bnn_top`` in Verilator or Icarus Verilog
with the committed ROM images (``rtl/mem/bnn5_paper/`` by default), prints each window's true
label, RTL class and golden-model class as the results arrive, then the agreement with the
golden model and the accuracy. Exits with status 1 when any RTL result (class, flat flag or any
score) differs from the golden model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymodel.rtlsim import (  # noqa: E402
    REPO,
    SIMULATORS,
    TopConfig,
    TopResult,
    WindowOutcome,
    classify,
    model_dir,
)

DEMO = REPO / "demo" / "mitdb_demo.npz"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(
        prog="python scripts/run_sim.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  python scripts/run_sim.py                       # 20 demo windows, Verilator\n"
        "  python scripts/run_sim.py --sim icarus --limit 2 --waves\n"
        "  python scripts/run_sim.py --windows 100 --jobs 2 # held-out test windows\n"
        "  python scripts/run_sim.py --model rtl/mem/bnn17 --windows 20",
    )
    p.add_argument(
        "--sim",
        choices=SIMULATORS,
        default="verilator",
        help="simulator (default %(default)s; Verilator runs a few windows per second, Icarus "
        "takes 20-40 s per window)",
    )
    p.add_argument(
        "--model",
        default="bnn5_paper",
        help="exported model: a name under rtl/mem/ or a directory with manifest.json and the "
        ".mem files (default %(default)s)",
    )
    p.add_argument(
        "--windows",
        type=int,
        default=0,
        metavar="N",
        help="instead of the demo windows, take N windows evenly spread over the model "
        "protocol's held-out test set (needs the data set: --data-dir or $ECG_DATA_DIR)",
    )
    p.add_argument(
        "--data-dir",
        default=None,
        help="data directory with mitdb/ (and ecg17/) for --windows (default $ECG_DATA_DIR)",
    )
    p.add_argument("--limit", type=int, default=0, metavar="N", help="only the first N windows")
    p.add_argument(
        "--waves",
        nargs="?",
        const="auto",
        default=None,
        metavar="FILE.fst",
        help="dump an FST waveform of the whole run (default file sim_build/waves/"
        "run_sim_<sim>.fst; about 10 MB per window: combine with --limit)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="simulator processes in parallel, each on a contiguous share of the windows",
    )
    p.add_argument("--simd", type=int, default=16, help="SIMD parameter of the IP (8..64)")
    p.add_argument("--pe", type=int, default=1, help="PE parameter of the IP (1..8)")
    p.add_argument(
        "--json", default=None, metavar="FILE", help="also write the per-window results as JSON"
    )
    return p.parse_args(argv)


def resolve_model(spec: str) -> Path:
    """``--model`` as a directory: a path if it exists, else ``rtl/mem/<spec>``."""
    path = Path(spec)
    if (path / "manifest.json").is_file():
        return path.resolve()
    path = model_dir(spec)
    if (path / "manifest.json").is_file():
        return path
    raise SystemExit(
        f"run_sim: no exported model {spec!r} (looked for {spec}/manifest.json and "
        f"{path}/manifest.json); run `make export` or pass --model DIR"
    )


def protocol_of(mem_dir: Path, num_classes: int) -> str:
    """The data protocol a model was trained on (manifest ``source.protocol``, else by classes)."""
    manifest = json.loads((mem_dir / "manifest.json").read_text())
    proto = (manifest.get("source") or {}).get("protocol")
    if proto:
        return str(proto)
    return "ecg17" if num_classes == 17 else "paper"


def load_windows(
    args: argparse.Namespace, mem_dir: Path, num_classes: int, class_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, list[str], tuple[str, ...], str]:
    """(windows, labels, ids, class names, description) of the windows to classify."""
    if args.windows > 0:
        from pymodel.datasets import load_split

        proto = protocol_of(mem_dir, num_classes)
        split = load_split(proto, args.data_dir)
        n = min(args.windows, len(split.x_test))
        idx = np.linspace(0, len(split.x_test) - 1, n).round().astype(int)
        ids = [split.test_ids[i] for i in idx]
        desc = f"{n} of {len(split.x_test)} held-out '{proto}' test windows"
        return split.x_test[idx], split.y_test[idx], ids, split.class_names, desc
    if not DEMO.is_file():
        raise SystemExit(f"run_sim: demo data {DEMO} missing")
    demo = np.load(DEMO)
    names = tuple(str(c) for c in demo["class_names"])
    if len(names) != num_classes:
        raise SystemExit(
            f"run_sim: the demo windows have {len(names)} classes, the model {num_classes}; "
            "use --windows N for held-out windows of the model's own protocol"
        )
    ids = [str(i) for i in demo["ids"]]
    return demo["windows"], demo["labels"], ids, names, f"{len(ids)} demo windows ({DEMO.name})"


def main(argv: list[str] | None = None) -> int:
    """Run the simulation; 0 when every RTL result equals the golden model's."""
    from tqdm import tqdm

    from pymodel.export import load_params

    args = parse_args(argv)
    mem_dir = resolve_model(args.model)
    params = load_params(mem_dir)
    names = tuple(params.class_names) or tuple(str(c) for c in range(params.num_classes))
    windows, labels, ids, names, desc = load_windows(args, mem_dir, params.num_classes, names)
    if args.limit > 0:
        windows, labels, ids = windows[: args.limit], labels[: args.limit], ids[: args.limit]
    waves = None
    if args.waves is not None:
        waves = (
            REPO / "sim_build" / "waves" / f"run_sim_{args.sim}.fst"
            if args.waves == "auto"
            else Path(args.waves).resolve()
        )
        waves.parent.mkdir(parents=True, exist_ok=True)
    cfg = TopConfig(num_classes=params.num_classes, simd=args.simd, pe=args.pe)
    print(f"model   {mem_dir.relative_to(REPO) if mem_dir.is_relative_to(REPO) else mem_dir}")
    print(f"data    {desc}")
    print(f"RTL     ecg_bnn_top {cfg.label}, {args.sim} (building on first use ...)")
    header = f"{'window':>16}  {'label':>6}  {'RTL':>6}  {'golden':>6}  match"
    rows: list[dict] = []
    bar = tqdm(total=len(windows), unit="win", desc=args.sim, dynamic_ncols=True)
    printed_header = [False]

    def on_result(i: int, res: TopResult, out: WindowOutcome) -> None:
        if not printed_header[0]:
            bar.write(header)
            printed_header[0] = True
        mark = "yes" if out.match else "NO"
        bar.write(
            f"{ids[i]:>16}  {names[int(labels[i])]:>6}  {names[res.cls]:>6}  "
            f"{names[out.golden_class]:>6}  {mark}" + ("  flat" if res.flat else "")
        )
        rows.append(
            {
                "id": ids[i],
                "label": int(labels[i]),
                "rtl_class": res.cls,
                "golden_class": out.golden_class,
                "flat": res.flat,
                "match": out.match,
                "scores": res.scores,
            }
        )
        bar.update(1)

    try:
        cmp = classify(
            args.sim,
            cfg,
            mem_dir,
            params,
            windows,
            jobs=args.jobs,
            waves=waves,
            on_result=on_result,
        )
    finally:
        bar.close()
    n = len(windows)
    agree = cmp.agreement
    acc = cmp.accuracy(labels)
    gold_pred = np.asarray([o.golden_class for o in cmp.outcomes])
    gold_acc = float(np.mean(gold_pred == np.asarray(labels)))
    lat = [x for run in cmp.runs for x in run.latencies()[:1]]
    print()
    print(f"agreement with the golden model: {agree * 100:.2f} % ({n - len(cmp.mismatches)}/{n})")
    print(f"accuracy (RTL): {acc * 100:.2f} %   (golden model: {gold_acc * 100:.2f} %)")
    print(
        f"simulation: {cmp.sim_wall_s:.1f} s wall, {n / cmp.sim_wall_s:.2f} windows/s"
        + (f", first window {lat[0]} cycles from its last sample to its result" if lat else "")
    )
    if waves is not None:
        print(f"waveform: {waves}")
    if args.json:
        Path(args.json).write_text(json.dumps({"windows": rows, "agreement": agree}, indent=1))
    if cmp.mismatches:
        print(f"MISMATCH in windows {[ids[i] for i in cmp.mismatches]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
