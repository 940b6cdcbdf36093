"""Selecting on the test set, measured: our honest figure beside the paper's way of reporting.

The reference training code of the paper's group trains for up to 1000 epochs, evaluates the
held-out test windows after every epoch and reports (and saves) the best test accuracy seen. That
maximum over hundreds of noisy measurements is optimistic. Our checkpoints are chosen on a
validation slice of the training windows and evaluated once on the test windows.

This script reads runs trained with ``scripts/train.py --track-test`` (test accuracy logged each
epoch, never used for selection) and prints, per run: the test accuracy of the checkpoint chosen
on validation (what we ship), the maximum test accuracy over epochs (the paper's reporting) and
the mean test accuracy of the last epochs (where the schedule has settled). It writes the figures
and the per-epoch curves to ``results/selection_bias.json`` and a plot to
``results/selection_bias.png``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
LAST_FRACTION = 0.1  # "last epochs" = the final 10 % of the run


def selection_figures(history: list[dict], last_phase: int = 0) -> dict[str, float | int]:
    """Honest, paper-style and settled test accuracy of one run's per-epoch history.

    The chosen epoch is the last one with the best validation accuracy (``train.py`` saves on
    ``>=``) among the final ``last_phase`` epochs (0 = all): a fine-tune's checkpoint comes from
    its own phase, while its history starts with the phases before it. The chosen epoch's test
    accuracy is what the saved checkpoint scores; the paper-style maximum looks at every epoch.
    """
    if not history or any("test_acc" not in h for h in history):
        raise ValueError("the history has no per-epoch test accuracy: train with --track-test")
    eligible = history[-last_phase:] if last_phase else history
    best_val = max(h["val_acc"] for h in eligible)
    chosen = [h for h in eligible if h["val_acc"] == best_val][-1]
    peak = max(history, key=lambda h: h["test_acc"])
    tail = history[-max(1, round(LAST_FRACTION * len(history))) :]
    return {
        "epochs": len(history),
        "chosen_epoch": int(chosen["epoch"]),
        "chosen_val_acc": float(chosen["val_acc"]),
        "chosen_test_acc": float(chosen["test_acc"]),
        "max_test_epoch": int(peak["epoch"]),
        "max_test_acc": float(peak["test_acc"]),
        "last_epochs_mean_test_acc": float(sum(h["test_acc"] for h in tail) / len(tail)),
        "optimism_points": 100.0 * float(peak["test_acc"] - chosen["test_acc"]),
    }


def load_history(path: Path) -> tuple[str, list[dict], int]:
    """Protocol, per-epoch history (every phase) and epochs of the last phase of a checkpoint."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    config = ckpt["config"]
    return str(ckpt["protocol"]), list(config.get("history", [])), int(config["epochs"])


def plot(runs: dict[str, dict], path: Path) -> None:
    """Validation and test accuracy per epoch, the chosen and the best-test epochs marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4), squeeze=False)
    for ax, (name, run) in zip(axes[0], runs.items(), strict=True):
        curve, fig_ = run["curve"], run["figures"]
        epochs = [c["epoch"] for c in curve]
        ax.plot(epochs, [c["val_acc"] for c in curve], lw=0.8, label="validation (selects)")
        ax.plot(epochs, [c["test_acc"] for c in curve], lw=0.8, label="test (held out)")
        ax.axvline(fig_["chosen_epoch"], color="k", ls="--", lw=0.8, label="chosen on validation")
        ax.plot(fig_["max_test_epoch"], fig_["max_test_acc"], "r*", label="max test (paper-style)")
        ax.set(title=name, xlabel="epoch", ylabel="accuracy", ylim=(0.8, 1.0))
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    """Print the figures of each ``--run NAME=CHECKPOINT`` and write the JSON and plot."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--run",
        action="append",
        required=True,
        metavar="NAME=CHECKPOINT",
        help="a checkpoint trained with --track-test (repeat for several runs)",
    )
    p.add_argument("--out", type=Path, default=REPO / "results" / "selection_bias.json")
    a = p.parse_args()
    runs: dict[str, dict] = {}
    for item in a.run:
        name, _, path = item.partition("=")
        if not path:
            p.error(f"--run takes NAME=CHECKPOINT, got {item!r}")
        protocol, history, last_phase = load_history(Path(path))
        curve = [{k: round(h[k], 4) for k in ("epoch", "val_acc", "test_acc")} for h in history]
        figures = selection_figures(history, last_phase)
        runs[name] = {"protocol": protocol, "figures": figures, "curve": curve}
    print(f"{'run':<12} {'epochs':>6} {'chosen on val':>22} {'max test (paper-style)':>24} "
          f"{'last 10 % mean':>15}")  # fmt: skip
    for name, run in runs.items():
        f = run["figures"]
        chosen = f"{100 * f['chosen_test_acc']:.2f} % (ep {f['chosen_epoch']})"
        peak = f"{100 * f['max_test_acc']:.2f} % (ep {f['max_test_epoch']})"
        settled = f"{100 * f['last_epochs_mean_test_acc']:.2f} %"
        print(f"{name:<12} {f['epochs']:>6} {chosen:>22} {peak:>24} {settled:>15}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(runs, indent=1) + "\n")
    plot(runs, a.out.with_suffix(".png"))
    print(f"wrote {a.out} and {a.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
