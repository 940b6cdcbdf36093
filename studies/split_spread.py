"""How much held-out accuracy moves from one random 80/20 split to the next, measured.

The related SEU code draws its test windows with ``train_test_split`` (no ``stratify``), seeded by
the same seed as the initial weights, and reports the best test accuracy over its epochs for the
seed it keeps. A different seed is therefore a different test set as well as a different network.
This script reads runs of one recipe trained by ``scripts/train.py --split-seed S --seed S
--unstratified --track-test`` for several ``S`` (``make split-spread``) and prints, per protocol:
the test accuracy at the validation-chosen epoch for each split (what we would ship), its mean
and standard deviation across splits beside the binomial spread of the test windows alone, the
best test epoch of each split (paper-style) and the largest of those (the seed the SEU way of
working would keep). From the measured mean and spread it also gives the normal-approximation
expectation of the largest of ``--draws`` such splits, an extrapolation, labelled as one.
Figures go to ``results/split_spread.json`` (the README table is rendered from it).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

import numpy as np
import scipy.special
import torch

from pymodel.datasets import load_split
from pymodel.evaluate import PAPER_ACCURACY
from studies.selection_bias import selection_figures

REPO = Path(__file__).resolve().parent.parent
DRAWS = 100  # seeds the SEU script's loop would try (its `for i in range(100)`)


def expected_max_of_normals(n: int) -> float:
    """E[max of n independent standard normals], by numerical integration of n x phi x Phi^(n-1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    x = np.linspace(-8.0, 8.0, 16001)
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    cdf = scipy.special.ndtr(x)
    return float(np.sum(x * n * pdf * cdf ** (n - 1)) * (x[1] - x[0]))


def normal_tail(value: float, mean: float, sd: float) -> float:
    """P(X >= value) for X ~ N(mean, sd^2): the chance one more split reaches ``value``."""
    if sd <= 0.0:
        return float(mean >= value)
    return 0.5 * math.erfc((value - mean) / (sd * math.sqrt(2.0)))


def run_record(path: Path, data_dir: str | None) -> dict:
    """One run's split, test size, test class mix and selection figures from its checkpoint."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    config = ckpt["config"]
    protocol = str(ckpt["protocol"])
    split_seed, stratify = int(config.get("split_seed", 0)), bool(config.get("stratify", True))
    split = load_split(protocol, data_dir, split_seed, stratify)
    counts = np.bincount(split.y_test, minlength=len(split.class_names))
    return {
        "run": path.stem,
        "protocol": protocol,
        "split_seed": split_seed,
        "stratified": stratify,
        "test_windows": int(len(split.y_test)),
        "test_class_counts": dict(zip(split.class_names, counts.tolist(), strict=True)),
        **selection_figures(list(config.get("history", [])), int(config["epochs"])),
    }


def spread_summary(runs: list[dict], draws: int = DRAWS, paper: float | None = None) -> dict:
    """Across-split statistics of one protocol's runs (at least two splits).

    With the paper's figure, also the normal-approximation chance that one split reaches it at
    the best test epoch (the SEU way of reporting), and so how many seeds one would try.
    """
    if len({r["split_seed"] for r in runs}) < 2:
        raise ValueError("the spread needs runs on at least two different splits")
    chosen = [r["chosen_test_acc"] for r in runs]
    peak = [r["max_test_acc"] for r in runs]
    mean, sd = statistics.fmean(chosen), statistics.stdev(chosen)
    peak_mean, peak_sd = statistics.fmean(peak), statistics.stdev(peak)
    n_test = runs[0]["test_windows"]
    lift = expected_max_of_normals(draws)
    reach = None if paper is None else normal_tail(paper, peak_mean, peak_sd)
    return {
        "splits": len(runs),
        "epochs": runs[0]["epochs"],
        "test_windows": n_test,
        "chosen_mean": mean,
        "chosen_sd": sd,
        "chosen_min": min(chosen),
        "chosen_max": max(chosen),
        "binomial_sd": math.sqrt(mean * (1.0 - mean) / n_test),
        "max_test_mean": peak_mean,
        "max_test_sd": peak_sd,
        "max_test_max": max(peak),
        "draws": draws,
        "expected_best_chosen": mean + lift * sd,
        "expected_best_max_test": peak_mean + lift * peak_sd,
        "paper": paper,
        "chance_max_test_reaches_paper": reach,
    }


def main() -> None:
    """Summarize ``--runs`` checkpoints per protocol; print and write the JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path, help="checkpoints trained with --track-test")
    p.add_argument("--draws", type=int, default=DRAWS, help="splits the extrapolation assumes")
    p.add_argument("--data-dir", default=None, help="data directory (else $ECG_DATA_DIR)")
    p.add_argument("--out", type=Path, default=REPO / "results" / "split_spread.json")
    a = p.parse_args()
    by_protocol: dict[str, list[dict]] = {}
    records = [run_record(path, a.data_dir) for path in a.runs]
    for record in sorted(records, key=lambda r: (r["protocol"], r["split_seed"])):
        by_protocol.setdefault(record["protocol"], []).append(record)
        print(
            f"{record['run']:<14} split {record['split_seed']:>3}: chosen on validation "
            f"{100 * record['chosen_test_acc']:.2f} % (epoch {record['chosen_epoch']}), "
            f"best test epoch {100 * record['max_test_acc']:.2f} %, test mix "
            f"{record['test_class_counts']}"
        )
    result = {}
    for protocol, runs in by_protocol.items():
        try:
            s = spread_summary(runs, a.draws, PAPER_ACCURACY.get(protocol))
        except ValueError as exc:
            p.error(f"protocol {protocol!r}: {exc}")
        result[protocol] = {"summary": s, "runs": runs}
        print(
            f"{protocol}: {s['splits']} splits x {s['epochs']} epochs, chosen on validation "
            f"{100 * s['chosen_mean']:.2f} +- {100 * s['chosen_sd']:.2f} % (binomial "
            f"{100 * s['binomial_sd']:.2f}), best test epoch {100 * s['max_test_mean']:.2f} +- "
            f"{100 * s['max_test_sd']:.2f} %, largest {100 * s['max_test_max']:.2f} %; expected "
            f"best of {s['draws']} splits {100 * s['expected_best_chosen']:.2f} % (chosen) / "
            f"{100 * s['expected_best_max_test']:.2f} % (best test epoch)"
        )
        if s["paper"] is not None:
            print(
                f"{protocol}: chance that one split reaches the paper's "
                f"{100 * s['paper']:.2f} % at its best test epoch (normal approx.) "
                f"{s['chance_max_test_reaches_paper']:.2e}"
            )
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
