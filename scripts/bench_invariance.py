"""Input invariance benchmark: held-out accuracy of every shipped model under ADC gain and offset.

Each protocol's held-out windows are mapped to signed samples first (MIT-BIH code - 1024), then
scaled by a gain (rounded to the nearest integer) or shifted by an offset, and classified by the
integer golden model (which the RTL matches bit for bit). Every mapped sample stays inside int16
(checked). Writes ``results/input_invariance.json`` as
``{"<model>": {"baseline": acc, "gain": {"<g>": acc}, "offset": {"<o>": acc}, ...}}`` (percent)
and a plot ``results/input_invariance.png``; ``make readme`` renders the README table from it.
Target (issue 15): every point within 0.2 points of the baseline. The float PyTorch model runs
on the same rounded samples (``float_gain``/``float_offset``): where both move together the
change comes from the input (a gain below 1 quantizes the signal more coarsely), not from the IP.
Where the model has a full-precision twin (a float CNN of the same shape trained on the same
windows), it runs on the same samples too (``twin_gain``/``twin_offset``): what any network
trained on this data loses when the ADC discards the low bits.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from pymodel import golden
from pymodel.datasets import load_split
from pymodel.evaluate import predict
from pymodel.export import display_path, load_checkpoint_model, load_params
from pymodel.shipped import SHIPPED_MODELS

REPO = Path(__file__).resolve().parent.parent
MIT_BIH_MID_CODE = 1024
GAINS = ("1/16", "1/8", "1/4", "1/2", "2", "3.3", "4", "8", "16")
OFFSETS = (-16000, -1000, 1000, 16000)
TARGET_POINTS = 0.2


def gain_value(label: str) -> float:
    """``"1/16"`` -> 0.0625, ``"3.3"`` -> 3.3."""
    num, _, den = label.partition("/")
    return float(num) / float(den or 1)


def to_int16(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer and insist that the result is a valid int16 sample."""
    y = np.rint(x).astype(np.int64)
    if y.min() < golden.RAIL_LO or y.max() > golden.RAIL_HI:
        raise ValueError("a mapped sample left int16: choose a smaller gain or offset")
    return y


def run_point(
    params: golden.IntegerParams, x: np.ndarray, y: np.ndarray, base: golden.BatchResult | None
) -> tuple[float, golden.BatchResult, int]:
    """Accuracy (percent), the golden results and how many classes differ from ``base``."""
    res = golden.run_batch(params, x)
    changed = 0 if base is None else int(np.sum(res.pred != base.pred))
    return 100.0 * float(np.mean(res.pred == y)), res, changed


def float_accuracy(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """The PyTorch model's accuracy (percent) on the same integer samples."""
    with torch.no_grad():
        return 100.0 * float(np.mean(predict(model, x) == y))


def bench_model(name: str, protocol: str, twin: str, data_dir: str | None) -> dict:
    """Every gain and offset point of one shipped model (and of its full-precision ``twin``)."""
    params = load_params(REPO / "rtl" / "mem" / name)
    # the float models on the same samples, by their entry prefix: the BNN itself, its twin
    float_models = {"float_": load_checkpoint_model(REPO / "weights" / f"{name}.pt")[0]}
    if twin:
        float_models["twin_"] = load_checkpoint_model(REPO / "weights" / f"{twin}.pt")[0]
    split = load_split(protocol, data_dir)
    signed = split.x_test.astype(np.int64) - MIT_BIH_MID_CODE
    t0 = time.perf_counter()
    base, base_res, _ = run_point(params, signed, split.y_test, None)
    entry: dict = {"protocol": protocol, "windows": len(signed), "baseline": base}
    entry["gain"], entry["offset"], entry["changed_classes"] = {}, {}, {}
    if twin:
        entry["twin"] = twin
    for prefix, model in float_models.items():
        entry[f"{prefix}baseline"] = float_accuracy(model, signed, split.y_test)
        entry[f"{prefix}gain"], entry[f"{prefix}offset"] = {}, {}
    points = [(f"x{g}", "gain", g, to_int16(signed * gain_value(g))) for g in GAINS]
    points += [(f"{o:+d}", "offset", str(o), to_int16(signed + o)) for o in OFFSETS]
    for tag, kind, key, x in points:
        acc, _, changed = run_point(params, x, split.y_test, base_res)
        entry[kind][key], entry["changed_classes"][tag] = acc, changed
        for prefix, model in float_models.items():
            entry[f"{prefix}{kind}"][key] = float_accuracy(model, x, split.y_test)
    accs = [*entry["gain"].values(), *entry["offset"].values()]
    entry["max_deviation_points"] = max(abs(a - base) for a in accs)
    entry["meets_target"] = entry["max_deviation_points"] <= TARGET_POINTS
    entry["flagged_windows"] = int(base_res.flagged.sum())
    entry["seconds"] = round(time.perf_counter() - t0, 1)
    return entry


def plot(results: dict, out: Path) -> None:
    """Accuracy against gain (log axis) and against offset, one line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_g, ax_o) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for name, r in results.items():
        gains = [1.0, *(gain_value(g) for g in GAINS)]
        accs = [r["baseline"], *r["gain"].values()]
        order = np.argsort(gains)
        ax_g.plot(np.array(gains)[order], np.array(accs)[order], "o-", label=name)
        offsets = [0, *(int(o) for o in r["offset"])]
        accs = [r["baseline"], *r["offset"].values()]
        order = np.argsort(offsets)
        ax_o.plot(np.array(offsets)[order], np.array(accs)[order], "o-", label=name)
    ax_g.set_xscale("log", base=2)
    ax_g.set_xlabel("ADC gain (x code - 1024)")
    ax_o.set_xlabel("DC offset (counts)")
    ax_g.set_ylabel("held-out accuracy (%)")
    ax_g.legend()
    for ax in (ax_g, ax_o):
        ax.grid(alpha=0.3)
    fig.suptitle("Integer model (= RTL) accuracy under input gain and offset")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=None, help="data directory (else $ECG_DATA_DIR)")
    p.add_argument("--out", type=Path, default=REPO / "results" / "input_invariance.json")
    p.add_argument(
        "--model", action="append", help="only these shipped models (the others' entries kept)"
    )
    args = p.parse_args(argv)
    kept = json.loads(args.out.read_text()) if args.model and args.out.is_file() else {}
    results = {}  # in the shipped models' order; a subset keeps the others' entries
    for m in SHIPPED_MODELS:
        if not args.model or m.name in args.model:
            results[m.name] = bench_model(m.name, m.protocol, m.twin, args.data_dir)
        elif m.name in kept:
            results[m.name] = kept[m.name]
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    plot(results, args.out.with_suffix(".png"))
    for name, r in results.items():
        worst = r["max_deviation_points"]
        print(
            f"{name:<18s} baseline {r['baseline']:6.2f} %  worst deviation {worst:.2f} pt  "
            f"({'meets' if r['meets_target'] else 'MISSES'} the {TARGET_POINTS} pt target)"
        )
    print(f"wrote {display_path(args.out)} and {args.out.with_suffix('.png').name}")
    return 0 if all(r["meets_target"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
