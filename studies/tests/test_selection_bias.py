"""The selection-bias and split-spread studies (studies/selection_bias.py, split_spread.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pymodel.datasets import load_split
from pymodel.train import load_checkpoint, parse_args, run
from studies import selection_bias as bias_mod
from studies import split_spread as spread_mod


def test_selection_bias_separates_the_chosen_epoch_from_the_best_test_epoch():
    """studies/selection_bias.py: validation picks the checkpoint, the paper-style figure peeks."""
    bias = bias_mod
    val = [0.90, 0.95, 0.93, 0.95, 0.94, 0.92]
    test = [0.89, 0.91, 0.97, 0.92, 0.93, 0.90]
    history = [
        {"epoch": i + 1, "val_acc": v, "test_acc": t}
        for i, (v, t) in enumerate(zip(val, test, strict=True))
    ]
    f = bias.selection_figures(history)
    assert (f["chosen_epoch"], f["chosen_test_acc"]) == (4, 0.92)  # last of the tied best val
    assert (f["max_test_epoch"], f["max_test_acc"]) == (3, 0.97)
    assert f["optimism_points"] == pytest.approx(5.0)
    assert f["last_epochs_mean_test_acc"] == pytest.approx(0.90)  # final 10 %: one epoch
    # A fine-tune's checkpoint comes from its own (last) phase only.
    g = bias.selection_figures(history, last_phase=2)
    assert (g["chosen_epoch"], g["chosen_test_acc"]) == (5, 0.93)
    assert g["max_test_acc"] == 0.97
    with pytest.raises(ValueError, match="--track-test"):
        bias.selection_figures([{"epoch": 1, "val_acc": 0.9}])


def test_split_spread_figures_from_runs_on_other_splits(tmp_path: Path):
    """studies/split_spread.py: a run on another unstratified split, and the across-split spread."""
    spread = spread_mod
    assert spread.expected_max_of_normals(1) == pytest.approx(0.0, abs=1e-9)
    assert spread.expected_max_of_normals(2) == pytest.approx(1 / np.sqrt(np.pi), rel=1e-6)
    assert spread.expected_max_of_normals(100) == pytest.approx(2.5076, abs=1e-4)
    out = tmp_path / "ecg17_s3.pt"
    cfg, _ = parse_args(
        ["--protocol", "ecg17", "--epochs", "2", "--max-steps", "1", "--threads", "1",
         "--split-seed", "3", "--unstratified", "--track-test", "--out", str(out),
         "--run-dir", str(tmp_path / "run")]
    )  # fmt: skip
    assert (cfg.split_seed, cfg.stratify) == (3, False)
    assert (parse_args([])[0].split_seed, parse_args([])[0].stratify) == (0, True)
    run(cfg)
    record = spread.run_record(out, None)
    plain = load_split("ecg17", None, 3, stratify=False)
    assert (record["split_seed"], record["stratified"], record["test_windows"]) == (3, False, 200)
    assert list(record["test_class_counts"].values()) == np.bincount(plain.y_test).tolist()
    _, ckpt = load_checkpoint(out)
    history = ckpt["config"]["history"]
    assert record["max_test_acc"] == max(h["test_acc"] for h in history)

    def fake(seed: int, chosen: float, peak: float) -> dict:
        return {"split_seed": seed, "chosen_test_acc": chosen, "max_test_acc": peak,
                "test_windows": 200, "epochs": 5}  # fmt: skip

    runs = [fake(1, 0.90, 0.93), fake(2, 0.92, 0.96), fake(3, 0.94, 0.95)]
    s = spread.spread_summary(runs, draws=2)
    assert s["chosen_mean"] == pytest.approx(0.92) and s["chosen_sd"] == pytest.approx(0.02)
    assert (s["chosen_min"], s["chosen_max"], s["max_test_max"]) == (0.90, 0.94, 0.96)
    assert s["binomial_sd"] == pytest.approx(np.sqrt(0.92 * 0.08 / 200))
    assert s["expected_best_chosen"] == pytest.approx(0.92 + 0.02 / np.sqrt(np.pi))
    assert s["expected_best_max_test"] == pytest.approx(
        0.9466667 + np.std([0.93, 0.96, 0.95], ddof=1) / np.sqrt(np.pi), rel=1e-6
    )
    assert s["chance_max_test_reaches_paper"] is None
    reach = spread.spread_summary(runs, paper=0.9466667 + s["max_test_sd"])
    assert reach["chance_max_test_reaches_paper"] == pytest.approx(0.158655, abs=1e-5)  # 1 sd
    assert spread.normal_tail(0.95, 0.95, 0.01) == pytest.approx(0.5)
    assert spread.normal_tail(0.95, 0.96, 0.0) == 1.0
    with pytest.raises(ValueError, match="two different splits"):
        spread.spread_summary([fake(1, 0.9, 0.9), fake(1, 0.8, 0.8)])
