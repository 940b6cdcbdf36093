"""Simulate the ECG-BNN IP classifying real ECG windows and check it against the golden model.

The project's main job (``make sim SIM=icarus|verilator WAVES=1``). Streams the shipped demo
windows (``demo/mitdb_demo.npz``: 20 raw MIT-BIH windows, 4 of each class; ``ecg17_demo.npz``
for a 17-class model) - or, with ``--windows N``, N held-out test windows of the model's
protocol - through ``ecg_bnn_top`` in Verilator or Icarus Verilog with the committed ROM images
(``rtl/mem/bnn5_paper/`` by default), prints each window's true label, RTL class and
golden-model class as the results arrive, then the agreement with the golden model, the results
per class and, beside them, the model's accuracy on its whole held-out test set (from
``results/``). Exits with status 1 when any RTL result (class, flat flag or any score) differs
from the golden model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ecg_bnn_tools.rtlsim import (
    REPO,
    SIMULATORS,
    TopConfig,
    TopResult,
    WindowOutcome,
    classify,
    model_dir,
)

EVALUATION = REPO / "results" / "evaluation.json"


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
    from pymodel.demo import demo_for, demo_path, load_demo

    name = demo_for(num_classes) if num_classes in (5, 17) else "mitdb"
    demo = load_demo(name)
    if len(demo.class_names) != num_classes:
        raise SystemExit(
            f"run_sim: the demo windows have {len(demo.class_names)} classes, the model "
            f"{num_classes}; use --windows N for held-out windows of the model's own protocol"
        )
    per_class = np.bincount(demo.labels, minlength=num_classes)
    each = f", {per_class[0]} of each class" if len(set(per_class.tolist())) == 1 else ""
    desc = f"{len(demo.ids)} demo windows ({demo_path(name).name}{each})"
    return demo.windows, demo.labels, list(demo.ids), demo.class_names, desc


def held_out(mem_dir: Path) -> tuple[str, dict] | None:
    """(protocol, ``results/evaluation.json`` entry) of the model's checkpoint, if evaluated there.

    The entry is the committed evaluation of the same checkpoint the ROM images were exported
    from (``manifest.json`` ``source.checkpoint``) on the protocol's whole held-out test set.
    """
    if not EVALUATION.is_file():
        return None
    source = json.loads((mem_dir / "manifest.json").read_text()).get("source") or {}
    for entry in json.loads(EVALUATION.read_text()).values():
        bnn = entry.get("bnn") or {}
        if source.get("checkpoint") and bnn.get("checkpoint") == source["checkpoint"]:
            return entry["protocol"], bnn
    return None


def class_report(
    labels: np.ndarray, pred: np.ndarray, names: tuple[str, ...], reference: dict | None
) -> list[str]:
    """Per-class lines: windows, correct RTL results and, if known, the held-out sensitivity."""
    head = f"{'class':>10}  {'windows':>7}  {'correct':>7}"
    if reference:
        head += "   held-out test set: sensitivity, of windows"
    lines = [head]
    for c, name in enumerate(names):
        mask = labels == c
        if not mask.any():
            continue
        line = f"{name:>10}  {int(mask.sum()):>7}  {int((pred[mask] == c).sum()):>7}"
        ref = (reference or {}).get("per_class", {}).get(name)
        if ref:
            line += f"   {ref['sensitivity'] * 100:5.1f} % of {ref['support']}"
        lines.append(line)
    return lines


def summary(
    labels: np.ndarray,
    pred: np.ndarray,
    names: tuple[str, ...],
    desc: str,
    mem_dir: Path,
    golden_equal: bool = True,
) -> list[str]:
    """What the RTL's accuracy on these windows means, beside the model's held-out figure."""
    labels, pred = np.asarray(labels), np.asarray(pred)
    ref = held_out(mem_dir)
    same = "identical to the golden model's" if golden_equal else "NOT the golden model's"
    lines = [f"RTL results ({same}) per class on the {desc}:"]
    lines += class_report(labels, pred, names, ref[1] if ref else None)
    lines.append(f"accuracy on these {len(labels)} windows: {np.mean(labels == pred) * 100:.2f} %")
    if ref is None:
        lines.append("held-out test set: no figure in results/evaluation.json for this model")
        return lines
    proto, bnn = ref
    lines.append(
        f"accuracy on the whole held-out '{proto}' test set: {bnn['accuracy'] * 100:.2f} % of "
        f"{bnn['test_windows']} windows ({bnn['checkpoint']}, results/evaluation.json)"
    )
    per_class = bnn.get("per_class", {})
    if "demo" in desc and per_class:
        top = max(per_class, key=lambda n: per_class[n]["support"])
        share = per_class[top]["support"] / sum(v["support"] for v in per_class.values()) * 100
        hard = [n for n, v in per_class.items() if v["sensitivity"] < 0.9 * bnn["accuracy"]]
        lines.append(
            f"why they differ: the demo takes the same number of windows from every class, so "
            f"the classes the network finds hard ({', '.join(hard)}) count as much as {top}; "
            f"the test set keeps the data's own mix ({top} is {share:.0f} % of it)."
        )
    return lines


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
            f"{names[out.golden_class]:>6}  {mark}"
            + (f"  flags {res.flat:03b}" if res.flat else "")
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
    rtl_pred = np.asarray([o.rtl_class for o in cmp.outcomes])
    lat = [x for run in cmp.runs for x in run.latencies()[:1]]
    print()
    print(f"agreement with the golden model: {agree * 100:.2f} % ({n - len(cmp.mismatches)}/{n})")
    print("\n".join(summary(labels, rtl_pred, names, desc, mem_dir, not cmp.mismatches)))
    print(
        f"simulation: {cmp.sim_wall_s:.1f} s wall, {n / cmp.sim_wall_s:.2f} windows/s"
        + (
            f"; first window {lat[0]:,} cycles from its last sample to its result (the next "
            "windows streaming in behind it at one sample per cycle slow its front end a little; "
            "the benchmark figure is in results/cycles.json)"
            if lat
            else ""
        )
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
