"""Evaluate the committed checkpoints on their held-out test windows.

``python -m pymodel.evaluate`` prints, for every shipped model (:mod:`pymodel.shipped`) with
committed weights, the accuracy of the BNN (and of its full-precision twin when present),
per-class sensitivity / PPV / F1, and the parameter storage against the paper; it writes a
confusion-matrix PNG and a training-curve PNG per model and ``results/evaluation.json`` with all
the figures, keyed by model name.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from pymodel.datasets import DatasetSplit, load_split, repo_root  # noqa: E402
from pymodel.model import EcgBnn, layer_shapes, zscore  # noqa: E402
from pymodel.shipped import SHIPPED_MODELS, ShippedModel  # noqa: E402
from pymodel.train import load_checkpoint  # noqa: E402

PAPER_ACCURACY = {"paper": 0.9690, "ecg17": 0.9750}
PAPER_FP_ACCURACY = {"paper": 0.9709}
PAPER_PARAM_KB = {5: 3.76, 17: 4.45}


@torch.no_grad()
def predict(model: EcgBnn, windows: np.ndarray, batch: int = 512) -> np.ndarray:
    """Class predictions of ``model`` for raw int16 windows (n, 3600)."""
    model.eval()
    x = zscore(torch.from_numpy(windows.astype(np.int64)))
    return torch.cat([model(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)]).numpy()


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Confusion matrix: rows are true classes, columns predicted classes."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def per_class_metrics(cm: np.ndarray, class_names: tuple[str, ...]) -> dict[str, dict]:
    """Sensitivity (recall), positive predictive value (precision), F1 and support per class."""
    out = {}
    for i, name in enumerate(class_names):
        tp, support, predicted = cm[i, i], cm[i].sum(), cm[:, i].sum()
        se = tp / support if support else float("nan")
        ppv = tp / predicted if predicted else float("nan")
        f1 = 2 * se * ppv / (se + ppv) if support and predicted and (se + ppv) else 0.0
        out[name] = {"sensitivity": float(se), "ppv": float(ppv), "f1": float(f1),
                     "support": int(support)}  # fmt: skip
    return out


def parameter_bytes(num_classes: int) -> dict[str, float]:
    """Storage of the model: binary weights, and the per-channel BN/PReLU parameters.

    The per-channel figure counts the folded hardware form (two 16-bit thresholds per channel of
    blocks 1-5, three 16/16/32-bit score coefficients per class); ``pymodel.export`` reports the
    exact bytes of the ROM images.
    """
    shapes = layer_shapes(num_classes)
    weight_bytes = sum(s.weight_bits for s in shapes) / 8
    hidden_channels = sum(s.out_channels for s in shapes[:-1])
    folded = hidden_channels * 4 + num_classes * 8
    return {"binary_weight_bytes": weight_bytes, "folded_channel_bytes": folded,
            "total_bytes": weight_bytes + folded,
            "paper_kb": PAPER_PARAM_KB.get(num_classes, float("nan"))}  # fmt: skip


def plot_confusion(cm: np.ndarray, class_names: tuple[str, ...], title: str, path: Path) -> None:
    """Save a confusion-matrix heat map with counts."""
    fig, ax = plt.subplots(figsize=(max(4, 0.45 * len(class_names) + 2),) * 2)
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(class_names)), class_names, rotation=90)
    ax.set_yticks(range(len(class_names)), class_names)
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                color="white" if v > cm.max() / 2 else "black")  # fmt: skip
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_curves(history: list[dict], title: str, path: Path) -> None:
    """Save loss and accuracy curves of a training history."""
    if not history:
        return
    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [h["loss"] for h in history])
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss")
    if "train_acc" in history[0]:
        ax2.plot(epochs, [h["train_acc"] for h in history], label="train")
    else:  # a sweep member logs its accuracy on the training batches as trained
        ax2.plot(epochs, [h["batch_acc"] for h in history], label="train batches")
    ax2.plot(epochs, [h["val_acc"] for h in history], label="validation")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def evaluate_checkpoint(path: Path, split: DatasetSplit, out_dir: Path) -> dict:
    """Accuracy, per-class metrics and plots of one checkpoint on the split's test windows."""
    model, ckpt = load_checkpoint(path)
    y_pred = predict(model, split.x_test)
    cm = confusion_matrix(split.y_test, y_pred, split.num_classes)
    name = path.stem
    plot_confusion(cm, split.class_names, f"{name} (held-out test)", out_dir / f"{name}_cm.png")
    plot_curves(ckpt["config"].get("history", []), name, out_dir / f"{name}_curves.png")
    return {
        "checkpoint": str(path.relative_to(repo_root())) if path.is_absolute() else str(path),
        "test_windows": int(len(split.y_test)),
        "accuracy": float(np.mean(y_pred == split.y_test)),
        "per_class": per_class_metrics(cm, split.class_names),
        "confusion_matrix": cm.tolist(),
    }


def format_report(name: str, result: dict) -> str:
    """Human-readable lines for one model."""
    protocol = result["protocol"]
    lines = [f"== {name}, {protocol} ({result['bnn']['test_windows']} held-out windows)"]
    for kind in ("bnn", "float"):
        if kind in result:
            paper = (PAPER_ACCURACY if kind == "bnn" else PAPER_FP_ACCURACY).get(protocol)
            ref = f" (paper {paper * 100:.2f} %)" if paper else ""
            lines.append(f"  {kind:5s} accuracy {result[kind]['accuracy'] * 100:6.2f} %{ref}")
    lines.append("  class      Se      PPV     F1   support")
    for name, m in result["bnn"]["per_class"].items():
        lines.append(
            f"  {name:9s} {m['sensitivity'] * 100:6.2f} {m['ppv'] * 100:6.2f} "
            f"{m['f1'] * 100:6.2f} {m['support']:6d}"
        )
    p = result["storage"]
    lines.append(
        f"  storage: binary weights {p['binary_weight_bytes']:.0f} B, total "
        f"{p['total_bytes']:.0f} B = {p['total_bytes'] / 1000:.2f} KB (paper {p['paper_kb']} KB)"
    )
    return "\n".join(lines)


def evaluate_model(
    shipped: ShippedModel, weights: Path, out_dir: Path, data_dir: str | None
) -> dict | None:
    """The figures of one shipped model and its float twin (None without its checkpoint)."""
    bnn_path = weights / f"{shipped.name}.pt"
    if not bnn_path.is_file():
        print(f"== {shipped.name}: no checkpoint {bnn_path}, skipped")
        return None
    split = load_split(shipped.protocol, data_dir)
    result = {"protocol": shipped.protocol, "recipe": shipped.recipe}
    result["bnn"] = evaluate_checkpoint(bnn_path, split, out_dir)
    fp_path = weights / f"{shipped.twin}.pt"
    if shipped.twin and fp_path.is_file():
        result["float"] = evaluate_checkpoint(fp_path, split, out_dir)
    result["storage"] = parameter_bytes(split.num_classes)
    return result


def main(argv: list[str] | None = None) -> None:
    """Evaluate every committed checkpoint and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights-dir", default=str(repo_root() / "weights"))
    parser.add_argument("--out-dir", default=str(repo_root() / "results"))
    parser.add_argument("--data-dir", default=None, help="data directory (else $ECG_DATA_DIR)")
    parser.add_argument(
        "--model", action="append", help="only these shipped models (the others' entries kept)"
    )
    args = parser.parse_args(argv)
    weights, out_dir = Path(args.weights_dir), Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "evaluation.json"
    report: dict[str, dict] = json.loads(path.read_text()) if args.model and path.is_file() else {}
    for shipped in SHIPPED_MODELS:
        if args.model and shipped.name not in args.model:
            continue
        result = evaluate_model(shipped, weights, out_dir, args.data_dir)
        if result:
            report[shipped.name] = result
            print(format_report(shipped.name, result))
    path.write_text(json.dumps(report, indent=2))
    print(f"figures written to {out_dir}")


if __name__ == "__main__":
    main()
