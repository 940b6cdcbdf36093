"""BatchNorm statistics after training, measured on finished cross-validation folds (issue 18).

Training leaves every BatchNorm's running mean and variance an exponential average over the last
augmented batches, and the hardware's thresholds are folded from them. This study takes a
finished ``studies.crossval`` run whose fold states are still under its run root
(``runs/crossval/<name>``: ``fold<f>.pt``, the checkpoint its validation slice chose, and
``fold<f>/last.pt``, the last epoch) and measures, fold by fold, the golden model's test accuracy
of both with the statistics as training left them and recomputed over the fold's clean fit
windows (:func:`pymodel.train.recalibrate_batchnorm`). It chooses nothing and changes no result:
it is the look that led to the ``--recalibrate-bn`` candidate, which recomputes the statistics
every epoch, chooses with them and is measured like any other candidate.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from pymodel.datasets import DatasetSplit, repo_root
from pymodel.model import EcgBnn
from pymodel.train import TrainConfig, load_checkpoint, recalibrate_batchnorm, split_validation
from studies.crossval import fold_split, golden_model_predict

VARIANTS = ("chosen", "chosen_recalibrated", "last", "last_recalibrated")


def golden_accuracy(model: EcgBnn, split: DatasetSplit) -> float:
    """Test accuracy (percent) of ``model`` folded into the hardware's integers, golden model."""
    pred = golden_model_predict(model, split.class_names, split.x_test)
    return 100.0 * float(np.mean(pred == split.y_test))


def fold_figures(run_root: Path, fold: int) -> dict[str, float]:
    """The four accuracies of one fold (:data:`VARIANTS`), from its states under ``run_root``."""
    chosen, ckpt = load_checkpoint(run_root / f"fold{fold}.pt")
    names = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in ckpt["config"].items() if k in names})
    split = fold_split(cfg)
    x_fit = split_validation(split, cfg.val_fraction, cfg.val_by_record)[0]
    state = torch.load(run_root / f"fold{fold}" / "last.pt", map_location="cpu", weights_only=False)
    last = EcgBnn(split.num_classes, dropout=cfg.dropout, activation=cfg.activation)
    last.load_state_dict(state["model"])
    figures = {"chosen": golden_accuracy(chosen, split), "last": golden_accuracy(last, split)}
    for name, model in (("chosen", chosen), ("last", last)):
        recalibrate_batchnorm(model, x_fit)
        figures[f"{name}_recalibrated"] = golden_accuracy(model, split)
    return {k: figures[k] for k in VARIANTS}


def trained_to_the_end(run_root: Path, fold: int) -> bool:
    """Whether the fold's states exist and its last state is the schedule's last epoch."""
    last = run_root / f"fold{fold}" / "last.pt"
    if not last.is_file() or not (run_root / f"fold{fold}.pt").is_file():
        return False
    epochs = load_checkpoint(run_root / f"fold{fold}.pt")[1]["config"]["epochs"]
    return torch.load(last, map_location="cpu", weights_only=False)["epoch"] == epochs


def run_figures(run_root: Path, folds: int) -> dict:
    """Per-fold figures of every fold trained to its end, and their means (percent)."""
    done = [f for f in range(folds) if trained_to_the_end(run_root, f)]
    if not done:
        raise FileNotFoundError(f"{run_root}: no fold trained to its end (fold<f>/last.pt)")
    per_fold = [fold_figures(run_root, f) for f in done]
    return {
        "folds": done,
        **{k: [r[k] for r in per_fold] for k in VARIANTS},
        "mean": {k: round(statistics.fmean(r[k] for r in per_fold), 3) for k in VARIANTS},
    }


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m studies.bn_posthoc``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="+", help="crossval runs (their states: runs/crossval/<name>)")
    p.add_argument("--folds", type=int, default=10, help="folds of each run (default 10)")
    p.add_argument("--run-root", default="", help="one run's states (default per name)")
    p.add_argument(
        "--results", default=str(repo_root() / "results" / "bn_posthoc.json"),
        help="JSON the figures go into, under each run's name (other entries kept)",
    )  # fmt: skip
    a = p.parse_args(argv)
    if a.run_root and len(a.names) > 1:
        p.error("--run-root names the states of one run")
    path = Path(a.results)
    data = json.loads(path.read_text()) if path.is_file() else {}
    for name in a.names:
        root = Path(a.run_root or repo_root() / "runs" / "crossval" / name)
        data[name] = run_figures(root, a.folds)
        means = ", ".join(f"{k} {v:.2f}" for k, v in data[name]["mean"].items())
        print(f"{name} ({len(data[name]['folds'])} folds): {means}")
    path.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
