"""Agreement of the bit-exact integer model with the float PyTorch model on held-out windows.

For every shipped model (``pymodel.shipped``: ``weights/<name>.pt``) with a committed checkpoint,
or for ``--checkpoint PATH``, runs the
float model (``model.eval()``, input ``pymodel.model.zscore(raw)``) and the integer golden model
(from the exported ROM images in ``rtl/mem/<name>/`` when they belong to that checkpoint, else
folded directly) on the protocol's test split, and prints:

- prediction agreement (integer class == float class), targets: >= 99.5 %;
- float and integer accuracy, target: integer within 0.3 points of float;
- per-layer output-bit agreement (blocks 1-5), the windows that disagree.

Writes everything to ``results/golden_agreement.json`` (``--out``), keyed by model name.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from pymodel import golden
from pymodel.datasets import load_split
from pymodel.export import load_checkpoint_model, load_params, read_manifest
from pymodel.fold import fold_model
from pymodel.memfile import sha256_file
from pymodel.model import EcgBnn, zscore
from pymodel.shipped import SHIPPED_MODELS, shipped_model, shipped_names

REPO = Path(__file__).resolve().parent.parent
TARGET_AGREEMENT = 0.999
TARGET_GAP_POINTS = 0.3


def integer_params(ckpt: Path, model: EcgBnn, class_names: tuple[str, ...]) -> tuple:
    """Integer parameters: the exported ROMs of this checkpoint when present, else folded."""
    mem = REPO / "rtl" / "mem" / ckpt.stem
    if (mem / "manifest.json").is_file():
        manifest = read_manifest(mem)
        if manifest["source"].get("sha256") == sha256_file(ckpt):
            return load_params(mem), f"rtl/mem/{ckpt.stem} (ROM images)"
    return fold_model(model, class_names, ckpt.stem), "folded from the checkpoint"


@torch.no_grad()
def float_pass(model: EcgBnn, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Float predictions and per-block output bits (blocks 1-5) of raw windows ``x``."""
    h = zscore(torch.from_numpy(x.astype(np.int64)))
    bits = []
    for i, blk in enumerate(model.blocks):
        h = blk(h)
        if i < len(model.blocks) - 1:
            bits.append((h >= 0).numpy().astype(np.uint8))
    return h.sum(dim=2).argmax(1).numpy(), bits


def compare(model: EcgBnn, params: golden.IntegerParams, x: np.ndarray, chunk: int) -> dict:
    """Run both models chunk by chunk; returns predictions and per-layer bit agreement."""
    f_pred, i_pred, flat = [], [], []
    same = np.zeros(5)
    total = np.zeros(5)
    for start in tqdm(range(0, len(x), chunk), desc="windows", unit="chunk", leave=False):
        xs = x[start : start + chunk]
        fp, fbits = float_pass(model, xs)
        tr = golden.trace_batch(params, xs)
        for layer, (fb, ib) in enumerate(zip(fbits, tr.layer_bits(), strict=True)):
            same[layer] += np.sum(fb == ib)
            total[layer] += fb.size
        f_pred.append(fp)
        i_pred.append(tr.pred)
        flat.append(tr.flat | tr.low | tr.clip)
    return {
        "float_pred": np.concatenate(f_pred),
        "int_pred": np.concatenate(i_pred),
        "flat": np.concatenate(flat),
        "layer_bit_agreement": (same / total).tolist(),
    }


def check_model(
    protocol: str, ckpt: Path, data_dir: str | None, limit: int | None, chunk: int
) -> dict:
    """All figures of one checkpoint on its protocol's test windows."""
    model, meta = load_checkpoint_model(ckpt)
    split = load_split(protocol, data_dir)
    x, y = split.x_test, split.y_test
    if limit:
        x, y = x[:limit], y[:limit]
    params, source = integer_params(ckpt, model, tuple(meta.get("class_names", ())))
    t0 = time.perf_counter()
    res = compare(model, params, x, chunk)
    agree = float(np.mean(res["float_pred"] == res["int_pred"]))
    f_acc = float(np.mean(res["float_pred"] == y))
    i_acc = float(np.mean(res["int_pred"] == y))
    gap = 100 * (f_acc - i_acc)
    differ = np.flatnonzero(res["float_pred"] != res["int_pred"])
    ids = split.test_ids[: len(x)]
    return {
        "protocol": protocol,
        "checkpoint": str(ckpt.relative_to(REPO) if ckpt.is_relative_to(REPO) else ckpt),
        "checkpoint_sha256": sha256_file(ckpt),
        "integer_params": source,
        "score_shift": params.shift,
        "test_windows": len(x),
        "flagged_windows": int(res["flat"].sum()),
        "agreement": agree,
        "float_accuracy": f_acc,
        "integer_accuracy": i_acc,
        "accuracy_gap_points": gap,
        "layer_bit_agreement": res["layer_bit_agreement"],
        "disagreeing_windows": [
            {
                "id": ids[i],
                "label": int(y[i]),
                "float": int(res["float_pred"][i]),
                "integer": int(res["int_pred"][i]),
            }
            for i in differ[:50]
        ],
        "meets_targets": bool(agree >= TARGET_AGREEMENT and abs(gap) <= TARGET_GAP_POINTS),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def report_line(name: str, r: dict) -> str:
    """One printed summary block of a model."""
    bits = " ".join(f"{100 * a:.4f}" for a in r["layer_bit_agreement"])
    return (
        f"{name:<17s} agreement {100 * r['agreement']:6.2f} %  float acc "
        f"{100 * r['float_accuracy']:6.2f} %  integer acc {100 * r['integer_accuracy']:6.2f} %  "
        f"gap {r['accuracy_gap_points']:+.2f} pt  ({r['test_windows']} windows, "
        f"{'meets' if r['meets_targets'] else 'MISSES'} targets)\n"
        f"{'':17s} bit agreement blocks 1-5 (%): {bits}; integer model: {r['integer_params']}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--model",
        action="append",
        choices=shipped_names(),
        help="shipped model(s) to check (default: all with a committed checkpoint)",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="check this checkpoint instead (its protocol from --protocol or the file)",
    )
    p.add_argument("--protocol", default=None, help="the --checkpoint's protocol")
    p.add_argument("--data-dir", default=None, help="data directory (else $ECG_DATA_DIR)")
    p.add_argument("--limit", type=int, default=None, help="only the first N test windows")
    p.add_argument("--chunk", type=int, default=128, help="windows per batch (memory)")
    p.add_argument(
        "--out",
        type=Path,
        default=REPO / "results" / "golden_agreement.json",
        help="JSON output (default: results/golden_agreement.json)",
    )
    return p.parse_args(argv)


def jobs(args: argparse.Namespace) -> list[tuple[str, str, Path]]:
    """(name, protocol, checkpoint) triples to check."""
    if args.checkpoint is not None:
        protocol = args.protocol or torch.load(
            args.checkpoint, map_location="cpu", weights_only=False
        ).get("protocol")
        if protocol not in {m.protocol for m in SHIPPED_MODELS}:
            raise SystemExit(f"{args.checkpoint}: give --protocol (checkpoint says {protocol!r})")
        return [(args.checkpoint.stem, protocol, args.checkpoint.resolve())]
    out = []
    for name in args.model or shipped_names():
        ckpt = REPO / "weights" / f"{name}.pt"
        if ckpt.is_file():
            out.append((name, shipped_model(name).protocol, ckpt))
        else:
            print(f"{name}: no weights/{name}.pt, skipped")
    return out


def main(argv: list[str] | None = None) -> int:
    """Check every requested model; exit status 1 when one misses the targets."""
    args = parse_args(argv)
    results = {}
    if args.model and args.out.is_file():  # a subset: the other models' entries stay
        results = json.loads(args.out.read_text()).get("models", {})
    checked = []
    for name, protocol, ckpt in jobs(args):
        results[name] = check_model(protocol, ckpt, args.data_dir, args.limit, args.chunk)
        print(report_line(name, results[name]))
        checked.append(results[name])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    targets = {"agreement_min": TARGET_AGREEMENT, "accuracy_gap_points_max": TARGET_GAP_POINTS}
    args.out.write_text(json.dumps({"targets": targets, "models": results}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0 if all(r["meets_targets"] for r in checked) else 1


if __name__ == "__main__":
    raise SystemExit(main())
