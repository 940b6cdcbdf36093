"""Stacked cross-validation (studies/crossval_stacked.py) on the synthetic 17-class stand-in."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from pymodel import datasets as ds
from pymodel.train import TrainConfig, accuracy, load_checkpoint, split_validation
from studies import crossval as cv_mod
from studies import crossval_stacked as st
from studies.sweep import MemberConfig
from studies.tests.test_crossval import synthetic_ecg17


@pytest.fixture
def fake_ecg17(monkeypatch):
    """Replace the 17-class database with synthetic windows (7 per class: uneven fold sizes)."""
    monkeypatch.setattr(ds, "ecg17_windows", synthetic_ecg17(n_per_class=7))


def stacked_run(root: Path, epochs: int = 2, **recipe) -> cv_mod.CrossvalRun:
    """A 3-fold cross-validation of a two-batch recipe."""
    cfg = TrainConfig(protocol="ecg17", epochs=epochs, batch_size=8, max_steps=2, lr=0.01,
                      folds=3, threads=1, fit_eval=False, augment=True, noise=0.1,
                      dropout=0.5, **recipe)  # fmt: skip
    return cv_mod.CrossvalRun("ecg17", cfg, root, results_dir=root / "results")


def test_each_member_is_its_folds_model_chosen_on_its_own_validation(fake_ecg17, tmp_path):
    run = stacked_run(tmp_path / "run", epochs=3)
    started = time.perf_counter()
    assert st.run_stacked(run)
    for fold in range(3):
        result = json.loads((run.fold_dir / f"fold{fold}.json").read_text())
        split = cv_mod.fold_split(cv_mod.fold_config(run, fold))
        assert result["test_ids"] == split.test_ids  # the fold's own test part
        assert result["trainer"].startswith("stacked") and result["epochs"] == 3
        assert result["golden_float_agreement"] == 1.0
        # The chosen member, written alone, scores on the fold's validation slice what the
        # stacked validation recorded for it: the member, its data and the masks line up.
        model, ckpt = load_checkpoint(run.run_root / f"fold{fold}.pt")
        _, _, x_val, y_val = split_validation(split, run.train.val_fraction)
        assert accuracy(model, x_val, y_val) == pytest.approx(result["chosen_val_acc"])
        val = [h["val_acc"] for h in ckpt["config"]["history"]]
        assert result["chosen_epoch"] == max(range(3), key=lambda i: (val[i], i)) + 1
    walls = [json.loads((run.fold_dir / f"fold{f}.json").read_text())["wall_seconds"]
             for f in range(3)]  # fmt: skip
    assert 3 * max(walls) < time.perf_counter() - started  # each fold's share, not the whole
    assert not list(run.run_root.glob("stacked_*.pt"))  # the state goes once all are written
    assert cv_mod.finished_results(run) is not None
    assert st.run_stacked(run)  # nothing left to train


def test_a_stopped_stack_resumes_where_it_stopped(fake_ecg17, tmp_path):
    run = stacked_run(tmp_path / "run", epochs=3)
    assert not st.run_stacked(run, only=[0, 2], stop_after=1e-9)  # stops after epoch 1
    state = torch.load(st.state_path(run, [0, 2]), weights_only=False)
    assert state["epoch"] == 1 and state["folds"] == [0, 2]
    assert st.run_stacked(run, only=[0, 2])
    results = [json.loads((run.fold_dir / f"fold{f}.json").read_text()) for f in (0, 2)]
    assert all(r["resumed"] and r["epochs"] == 3 for r in results)
    assert not (run.fold_dir / "fold1.json").exists()


def test_recipes_it_cannot_reproduce_are_refused(tmp_path):
    refused = ({"ema": 0.99}, {"class_weight_power": 0.5}, {"val_by_record": True},
               {"activation": "channel"})  # fmt: skip
    for change in refused:
        run = stacked_run(tmp_path, **change)
        with pytest.raises(ValueError, match=next(iter(change))):
            st.check_stackable(run)
    interpatient = replace(stacked_run(tmp_path), train=TrainConfig(protocol="interpatient"))
    with pytest.raises(ValueError, match="interpatient"):
        st.check_stackable(interpatient)
    st.check_stackable(stacked_run(tmp_path))  # augment, noise, dropout: fine
    with pytest.raises(ValueError, match=r"folds \[3\] outside 0-2"):
        st.run_stacked(stacked_run(tmp_path), only=[0, 3])
    with pytest.raises(SystemExit):  # --stop-after without --stacked
        cv_mod.parse_args(["--protocol", "ecg17", "--stop-after", "10"])
    with pytest.raises(ValueError, match="noise"):
        MemberConfig(seed=0, lr=0.01, noise=-0.1)


def test_pad_stack_keeps_each_part_and_pads_the_rest():
    out = st.pad_stack([torch.ones(2, 3), torch.full((1, 3), 2.0)], -1.0)
    assert out.shape == (2, 2, 3)
    assert torch.equal(out[0], torch.ones(2, 3))
    assert torch.equal(out[1, 0], torch.full((3,), 2.0)) and torch.equal(out[1, 1], -torch.ones(3))
