"""Cross-validation (studies/crossval.py): fold rules, resumption and the results format.

All but the last tests run on synthetic windows in seconds (the 17-class loader is replaced by a
small random set); the tests on the real data skip when ECG_DATA_DIR holds no database.
"""

from __future__ import annotations

import copy
import json
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from pymodel import datasets as ds
from pymodel import train as train_mod
from pymodel.fold import fold_model
from pymodel.golden import run_batch
from pymodel.train import VAL_SPLIT_SEED, TrainConfig
from studies import crossval as cv_mod

REPO = Path(__file__).resolve().parents[2]
SUMMARY_KEYS = {"folds", "fold_acc", "mean", "sd", "macro_f1"}


def uneven_labels() -> np.ndarray:
    """Labels with very uneven classes, some smaller than the number of folds."""
    sizes = [37, 3, 12, 1, 25, 10, 7]
    return np.repeat(np.arange(len(sizes)), sizes)


@pytest.mark.parametrize("folds", [2, 5, 10])
def test_folds_are_disjoint_cover_every_window_and_are_stratified(folds: int):
    labels = np.random.default_rng(3).permutation(uneven_labels())
    parts = ds.stratified_kfold(labels, folds, seed=0)
    assert len(parts) == folds
    everything = np.concatenate(parts)
    assert np.array_equal(np.sort(everything), np.arange(len(labels)))  # disjoint and covering
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    for cls in np.unique(labels):
        counts = [int(np.sum(labels[p] == cls)) for p in parts]
        assert max(counts) - min(counts) <= 1, (cls, counts)
    assert all(np.array_equal(p, np.sort(p)) for p in parts)
    again = ds.stratified_kfold(labels, folds, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    other = ds.stratified_kfold(labels, folds, seed=1)
    assert not all(np.array_equal(a, b) for a, b in zip(parts, other, strict=True))


def test_kfold_rejects_impossible_fold_counts():
    with pytest.raises(ValueError, match="at least 2"):
        ds.stratified_kfold(np.zeros(10, dtype=np.int64), 1, 0)
    with pytest.raises(ValueError, match="3 windows"):
        ds.stratified_kfold(np.zeros(3, dtype=np.int64), 5, 0)


def synthetic_ecg17(n_per_class: int = 6, seed: int = 0):
    """A stand-in for the 17-class loader: random windows whose sample 0 is the window's id."""

    def windows(data_dir=None):
        rng = np.random.default_rng(seed)
        n = 17 * n_per_class
        x = rng.integers(-300, 300, size=(n, ds.WINDOW)).astype(np.int16)
        x[:, 0] = np.arange(n)  # identifies the window wherever it ends up
        y = np.repeat(np.arange(17), n_per_class).astype(np.int64)
        return x, y, [f"w{i}" for i in range(n)]

    return windows


@pytest.fixture
def fake_ecg17(monkeypatch):
    """Replace the 17-class database with synthetic windows for training and evaluation."""
    monkeypatch.setattr(ds, "ecg17_windows", synthetic_ecg17())


def test_fold_split_and_validation_slice_lie_where_they_should(fake_ecg17):
    folds, n = 3, 17 * 6
    seen_test = []
    for fold in range(folds):
        split = ds.load_split("ecg17", folds=folds, fold=fold)
        train_ids, test_ids = split.x_train[:, 0], split.x_test[:, 0]
        assert not set(train_ids) & set(test_ids)
        assert len(train_ids) + len(test_ids) == n
        seen_test.extend(test_ids.tolist())
        # The validation slice (what train.split_validation carves) is inside the training part.
        _, val_idx = ds.stratified_split(split.y_train, 0.1, VAL_SPLIT_SEED)
        val_ids = train_ids[val_idx]
        assert set(val_ids) <= set(train_ids) and not set(val_ids) & set(test_ids)
        assert len(val_ids) == round(len(train_ids) * 0.1)
    assert sorted(seen_test) == list(range(n))  # every window tested exactly once
    with pytest.raises(ValueError, match="fold 3 of 3"):
        ds.load_split("ecg17", folds=3, fold=3)
    with pytest.raises(ValueError, match="one fixed record split"):
        ds.load_split("interpatient", folds=5)


def tiny_run(root: Path, epochs: int = 1) -> cv_mod.CrossvalRun:
    """A 3-fold cross-validation of a two-batch recipe on the synthetic set."""
    cfg = TrainConfig(protocol="ecg17", epochs=epochs, batch_size=8, max_steps=2, lr=0.01,
                      folds=3, threads=1, fit_eval=False)  # fmt: skip
    return cv_mod.CrossvalRun("ecg17", cfg, root, results_dir=root / "results")


def test_crossval_writes_the_results_format_and_a_generated_table(fake_ecg17, tmp_path: Path):
    run = tiny_run(tmp_path / "run")
    results = cv_mod.run_crossval(run)
    assert [r["fold"] for r in results] == [0, 1, 2]
    for r in results:
        assert r["golden_float_agreement"] == 1.0  # the golden model is the float BNN, folded
        assert 0.0 <= r["accuracy"] <= 1.0 and r["seconds_per_epoch"] > 0
    entry = cv_mod.summarize(run, results)
    assert SUMMARY_KEYS <= entry.keys()
    assert entry["folds"] == 3 and len(entry["fold_acc"]) == 3
    assert entry["mean"] == pytest.approx(statistics.fmean(entry["fold_acc"]), abs=1e-3)
    assert entry["sd"] == pytest.approx(statistics.stdev(entry["fold_acc"]), abs=1e-3)
    assert all(0.0 <= a <= 100.0 for a in entry["fold_acc"])  # percent
    assert list(entry["per_class"]) == list(ds.ECG17_CLASSES)
    assert sum(m["support"] for m in entry["per_class"].values()) == entry["windows"] == 102
    assert set(entry["per_class"]["NSR"]) == {"se", "ppv", "f1", "support"}
    f1 = [m["f1"] for m in entry["per_class"].values()]
    assert entry["macro_f1"] == pytest.approx(statistics.fmean(f1), abs=1e-2)
    path = tmp_path / "crossval.json"
    cv_mod.update_results(path, "paper", {**entry, "protocol": "paper"})
    data = cv_mod.update_results(path, "ecg17", entry)
    on_disk = json.loads(path.read_text())  # strict JSON: no NaN
    assert on_disk == data and list(on_disk) == ["ecg17", "paper"]
    page = cv_mod.render_markdown(on_disk)
    assert f"| ecg17 | ecg17 | 3 | 102 | {entry['mean']:.2f} +- {entry['sd']:.2f} |" in page
    assert "## paper" in page and "| NSR |" in page
    # A training change is compared with the headline run fold by fold.
    shifted = [a + d for a, d in zip(entry["fold_acc"], [1, 2, -1], strict=True)]
    better = {**entry, "fold_acc": shifted, "macro_f1": entry["macro_f1"] + 0.5}
    change = cv_mod.paired_change(better, entry)
    assert change["mean"] == pytest.approx(2 / 3) and (change["up"], change["down"]) == (2, 1)
    assert change["sd"] == pytest.approx(statistics.stdev([1, 2, -1]))
    cand = tmp_path / "candidates.json"
    cv_mod.update_results(cand, "ecg17_better", better)
    page = cv_mod.render_page(cand, json.loads(cand.read_text()), path)
    assert "| ecg17_better | ecg17 (" in page and "| +0.67 | 1.53 | 2 / 1 | +0.50 |" in page
    assert cv_mod.paired_change({**better, "fold_seed": 1}, entry) is None  # other folds
    # Runs on other folds compare with the run --compare-to names (same folds), not the headline.
    fresh = {**entry, "fold_seed": 1}
    cv_mod.update_results(cand, "fresh", fresh)
    cv_mod.update_results(cand, "fresh_better", {**better, "fold_seed": 1, "compare_to": "fresh"})
    page = cv_mod.render_page(cand, json.loads(cand.read_text()), path)
    assert "| fresh_better | fresh (" in page and page.count("| +0.67 | 1.53 | 2 / 1 |") == 2
    assert "| fresh | " not in page.split("(same folds, paired)")[1]  # no pair of its own


def test_rerun_skips_finished_folds_and_resumes_an_interrupted_one(
    fake_ecg17, tmp_path: Path, monkeypatch
):
    run = tiny_run(tmp_path / "run", epochs=2)
    cv_mod.run_crossval(run, only=[0])
    first = (run.fold_dir / "fold0.json").read_text()
    # Interrupt fold 1 during its second epoch: its last.pt holds epoch 1.
    real_epoch, calls = train_mod.train_epoch, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train_mod, "train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cv_mod.run_crossval(run)
    assert not (run.fold_dir / "fold1.json").exists()
    assert (run.run_root / "fold1" / "last.pt").is_file()
    monkeypatch.setattr(train_mod, "train_epoch", real_epoch)
    trained = []
    real_run = cv_mod.train_run
    monkeypatch.setattr(cv_mod, "train_run", lambda cfg, resume: trained.append(cfg.fold) or
                        real_run(cfg, resume))  # fmt: skip
    results = cv_mod.run_crossval(run)
    assert trained == [1, 2]  # fold 0 was finished and is skipped
    assert (run.fold_dir / "fold0.json").read_text() == first
    assert results[1]["resumed"] and not results[2]["resumed"]
    assert results[1]["epochs"] == 2  # epoch 1 from last.pt, epoch 2 after the resume
    assert cv_mod.finished_results(run) == results
    # A recipe pinned before an option existed still matches (the option took its default).
    pinned = json.loads((run.fold_dir / "recipe.json").read_text())
    del pinned["ema"]
    (run.fold_dir / "recipe.json").write_text(json.dumps(pinned))
    assert cv_mod.run_crossval(run) == results
    # Another recipe in the same run root is refused rather than mixed in.
    other = cv_mod.CrossvalRun("ecg17", TrainConfig(protocol="ecg17", epochs=3, folds=3),
                               run.run_root, results_dir=run.fold_dir)  # fmt: skip
    with pytest.raises(ValueError, match="another recipe .*epochs"):
        cv_mod.run_crossval(other)


def test_ema_averages_weights_and_leaves_the_trajectory_alone(fake_ecg17, tmp_path: Path):
    model = torch.nn.BatchNorm1d(2)
    ema = train_mod.EmaWeights(model, 0.75)
    with torch.no_grad():
        model.weight.fill_(3.0)
        model.running_mean.fill_(-1.0)
    model.num_batches_tracked.fill_(5)
    ema.update(model)
    assert ema.model.weight.tolist() == [1.5, 1.5]  # 0.75 * 1 + 0.25 * 3
    assert ema.model.running_mean.tolist() == [-0.25, -0.25]
    assert int(ema.model.num_batches_tracked) == 5
    states = {}
    for decay in (0.0, 0.9):
        cfg = TrainConfig(protocol="ecg17", epochs=2, batch_size=8, max_steps=2, folds=3,
                          threads=1, fit_eval=False, ema=decay, out=str(tmp_path / f"{decay}.pt"),
                          run_dir=str(tmp_path / f"run{decay}"))  # fmt: skip
        train_mod.run(cfg)
        states[decay] = torch.load(tmp_path / f"run{decay}" / "last.pt", weights_only=False)
    for name, value in states[0.0]["model"].items():  # the trained model is the same
        assert torch.equal(value, states[0.9]["model"][name]), name
    assert states[0.0]["ema"] is None
    deployed, _ = train_mod.load_checkpoint(tmp_path / "0.9.pt")
    latent = deployed.blocks[2].conv.weight
    assert not torch.equal(latent, states[0.9]["model"]["blocks.2.conv.weight"])
    entry = {"recipe": cv_mod.recipe(TrainConfig(ema=0.99)), "checkpoint": None}
    assert "EMA of the weights, decay 0.99 per step" in cv_mod.recipe_text(entry)


def test_batchnorm_recalibration_sets_exact_statistics_and_leaves_training_alone(
    fake_ecg17, tmp_path: Path
):
    model = torch.nn.Sequential(torch.nn.BatchNorm1d(2), torch.nn.Dropout(0.5))
    x = torch.randn(10, 2, 5) * torch.tensor([1.0, 3.0]).view(1, 2, 1) + 4.0
    train_mod.recalibrate_batchnorm(model, x, batch=10)  # one batch: the exact statistics
    norm = model[0]
    assert torch.allclose(norm.running_mean, x.mean(dim=(0, 2)))
    assert torch.allclose(norm.running_var, x.transpose(0, 1).reshape(2, -1).var(dim=1))
    assert norm.momentum == 0.1 and model.training  # as it was
    train_mod.recalibrate_batchnorm(model, x, batch=5)  # two batches: their average
    halves = torch.stack([x[:5].mean(dim=(0, 2)), x[5:].mean(dim=(0, 2))]).mean(0)
    assert torch.allclose(norm.running_mean, halves)
    states = {}
    for recalibrate in (False, True):
        cfg = TrainConfig(protocol="ecg17", epochs=2, batch_size=8, max_steps=2, folds=3,
                          threads=1, fit_eval=False, dropout=0.5, recalibrate_bn=recalibrate,
                          out=str(tmp_path / f"{recalibrate}.pt"),
                          run_dir=str(tmp_path / f"run{recalibrate}"))  # fmt: skip
        train_mod.run(cfg)
        states[recalibrate] = torch.load(tmp_path / f"run{recalibrate}" / "last.pt",
                                         weights_only=False)["model"]  # fmt: skip
    for name, value in states[False].items():  # same weights; only BatchNorm statistics move
        same = torch.equal(value, states[True][name])
        assert same != name.endswith(("running_mean", "running_var", "num_batches_tracked")), name
    entry = {"recipe": cv_mod.recipe(TrainConfig(recalibrate_bn=True)), "checkpoint": None}
    assert "BatchNorm statistics recomputed over the clean fit windows" in cv_mod.recipe_text(entry)
    assert cv_mod.parse_args(["--protocol", "ecg17", "--recalibrate-bn"])[0].train.recalibrate_bn


def test_swa_deploys_the_average_of_the_last_epochs_with_fresh_statistics(
    fake_ecg17, tmp_path: Path
):
    """Three epochs; SWA from epoch 2 deploys (w2 + w3) / 2, the trajectory itself unchanged."""
    base = TrainConfig(protocol="ecg17", epochs=3, val_fraction=0.0, batch_size=8, max_steps=2,
                       folds=3, threads=1, fit_eval=False, dropout=0.5)  # fmt: skip

    def trained(name: str, **change) -> tuple[dict, str]:
        cfg = replace(base, out=str(tmp_path / f"{name}.pt"), run_dir=str(tmp_path / name),
                      **change)  # fmt: skip
        train_mod.run(cfg)
        return torch.load(tmp_path / name / "last.pt", weights_only=False), cfg.out

    second, _ = trained("second", stop_epoch=2)
    third, _ = trained("third", stop_epoch=3)
    averaged, out = trained("swa", stop_epoch=3, swa_start=2)
    assert averaged["swa"]["n_averaged"] == 2 and third["swa"] is None
    for name, value in third["model"].items():  # the trained weights are the same
        assert torch.equal(value, averaged["model"][name]), name
    deployed, _ = train_mod.load_checkpoint(out)
    for name, param in deployed.named_parameters():
        mean = (second["model"][name] + third["model"][name]) / 2
        assert torch.allclose(param, mean), name
    # Its BatchNorm statistics are those of the averaged weights over the clean fit windows.
    split = ds.load_split("ecg17", folds=3, fold=0)
    x_fit = train_mod.split_validation(split, 0.0)[0]
    expected = copy.deepcopy(deployed)
    train_mod.recalibrate_batchnorm(expected, x_fit)
    for name, value in expected.state_dict().items():
        assert torch.allclose(value, deployed.state_dict()[name]), name
    statistics_moved = [
        not torch.equal(value, third["model"][name])
        for name, value in deployed.state_dict().items() if name.endswith("running_mean")
    ]  # fmt: skip
    assert all(statistics_moved)
    # Stopped after epoch 2 and resumed, the run averages on from its saved average.
    trained("resumed", stop_epoch=2, swa_start=2)
    train_mod.run(replace(base, out=str(tmp_path / "resumed.pt"), run_dir=str(tmp_path / "resumed"),
                          stop_epoch=3, swa_start=2), resume=True)  # fmt: skip
    resumed, _ = train_mod.load_checkpoint(tmp_path / "resumed.pt")
    for name, value in resumed.state_dict().items():
        assert torch.equal(value, deployed.state_dict()[name]), name
    for bad in ({"swa_start": 4}, {"swa_start": 2, "ema": 0.9}):
        with pytest.raises(ValueError, match="swa_start"):
            train_mod.run(replace(base, stop_epoch=3, **bad))
    entry = {"recipe": cv_mod.recipe(TrainConfig(epochs=300, swa_start=225)), "checkpoint": None}
    assert "SWA: equal-weight average of the weights at the end of epochs 225-300" in (
        cv_mod.recipe_text(entry)
    )
    assert cv_mod.parse_args(["--protocol", "ecg17", "--swa-start", "9"])[0].train.swa_start == 9


def test_bn_posthoc_measures_the_chosen_and_last_epochs_of_finished_folds(
    fake_ecg17, tmp_path: Path
):
    from studies import bn_posthoc

    run = tiny_run(tmp_path / "run", epochs=2)
    results = cv_mod.run_crossval(run, only=[0, 2])
    figures = bn_posthoc.run_figures(run.run_root, 3)
    assert figures["folds"] == [0, 2]  # fold 1 has no states
    # The chosen checkpoint scores what the cross-validation recorded for it.
    assert figures["chosen"] == [100 * r["accuracy"] for r in results]
    assert all(0 <= a <= 100 for k in bn_posthoc.VARIANTS for a in figures[k])
    assert figures["mean"]["last"] == pytest.approx(statistics.fmean(figures["last"]), abs=1e-3)
    out = tmp_path / "posthoc.json"
    bn_posthoc.main(["ecg17", "--run-root", str(run.run_root), "--folds", "3",
                     "--results", str(out)])  # fmt: skip
    assert json.loads(out.read_text())["ecg17"]["folds"] == [0, 2]
    interrupted = torch.load(run.run_root / "fold2" / "last.pt", weights_only=False)
    torch.save({**interrupted, "epoch": 1}, run.run_root / "fold2" / "last.pt")
    assert bn_posthoc.run_figures(run.run_root, 3)["folds"] == [0]  # fold 2 not at its end
    with pytest.raises(FileNotFoundError, match="no fold trained to its end"):
        bn_posthoc.run_figures(tmp_path / "nothing", 3)


def test_recalibrate_chosen_deploys_the_chosen_checkpoint_with_recomputed_statistics(
    fake_ecg17, tmp_path: Path
):
    plain = cv_mod.run_crossval(tiny_run(tmp_path / "plain", epochs=2), only=[0])[0]
    run = replace(tiny_run(tmp_path / "run", epochs=2), recalibrate_chosen=True)
    r = cv_mod.run_crossval(run, only=[0])[0]
    assert r["chosen_accuracy"] == plain["accuracy"]  # the same training and choice
    assert r["checkpoint"].endswith("fold0_recalibrated.pt")
    chosen, _ = train_mod.load_checkpoint(run.run_root / "fold0.pt")
    deployed, _ = train_mod.load_checkpoint(run.run_root / "fold0_recalibrated.pt")
    split = ds.load_split("ecg17", folds=3, fold=0)
    train_mod.recalibrate_batchnorm(chosen, train_mod.split_validation(split, 0.1)[0])
    for name, value in deployed.state_dict().items():
        assert torch.equal(value, chosen.state_dict()[name]), name
    # What the fold reports is the golden model's accuracy with those statistics.
    pred = run_batch(fold_model(chosen.eval(), split.class_names), split.x_test).pred
    assert r["accuracy"] == float(np.mean(pred == split.y_test))
    assert json.loads((run.fold_dir / "recipe.json").read_text())["recalibrate_chosen"] is True
    entry = cv_mod.summarize(run, cv_mod.run_crossval(run))
    assert len(entry["chosen_fold_acc"]) == 3 and entry["recipe"]["recalibrate_chosen"] is True
    assert "the chosen checkpoint's BatchNorm statistics recomputed" in cv_mod.recipe_text(entry)
    assert cv_mod.parse_args(["--protocol", "ecg17", "--recalibrate-chosen"])[0].recalibrate_chosen
    for bad in (["--recalibrate-chosen", "--refit"], ["--recalibrate-chosen", "--stacked"]):
        with pytest.raises(SystemExit):
            cv_mod.parse_args(["--protocol", "ecg17", *bad])


def test_distillation_trains_a_float_teacher_per_fold_and_reports_it(
    fake_ecg17, tmp_path: Path, monkeypatch
):
    base = tiny_run(tmp_path / "run")
    cfg = replace(base.train, distill=0.5, temperature=2.0)
    run = replace(base, train=cfg, teacher_epochs=1)
    soft_seen = []
    real_epoch = train_mod.train_epoch

    def spy(*args, **kwargs):
        soft_seen.append(args[11] is not None)  # soft: the teacher's logits per window
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train_mod, "train_epoch", spy)
    results = cv_mod.run_crossval(run, only=[0])
    assert soft_seen == [False, True]  # the teacher first (no teacher of its own), then the BNN
    teacher, _ = train_mod.load_checkpoint(run.run_root / "fold0_teacher.pt")
    student, ckpt = train_mod.load_checkpoint(run.run_root / "fold0.pt")
    assert not teacher.binary and student.binary
    assert ckpt["config"]["teacher"].endswith("fold0_teacher.pt")
    r = results[0]
    assert r["golden_float_agreement"] == 1.0  # the distilled BNN folds into the hardware
    assert 0.0 <= r["teacher_float_accuracy"] <= 1.0 and r["teacher_chosen_epoch"] == 1
    assert json.loads((run.fold_dir / "recipe.json").read_text())["teacher_epochs"] == 1
    results = cv_mod.run_crossval(run)
    entry = cv_mod.summarize(run, results)
    assert len(entry["teacher_float_fold_acc"]) == 3 and entry["recipe"]["teacher_epochs"] == 1
    assert "distilled (weight 0.5, temperature 2) from a float twin trained 1 epochs" in (
        cv_mod.recipe_text(entry)
    )
    assert "Float teacher (PyTorch) on the test folds" in cv_mod.render_markdown({"d": entry})
    with pytest.raises(ValueError, match="another recipe .*teacher_epochs"):
        cv_mod.run_crossval(replace(run, teacher_epochs=2))
    a, _ = cv_mod.parse_args(["--protocol", "ecg17", "--teacher-epochs", "5", "--distill", "0.5"])
    assert a.teacher_epochs == 5 and a.train.distill == 0.5
    for bad in (["--teacher-epochs", "5"], ["--distill", "0.5"], ["--teacher", "t.pt"]):
        with pytest.raises(SystemExit):
            cv_mod.parse_args(["--protocol", "ecg17", *bad])


def test_a_wider_teacher_is_trained_pinned_and_named(fake_ecg17, tmp_path: Path):
    """--teacher-width: each fold's teacher has that many times the twin's hidden channels."""
    base = tiny_run(tmp_path / "run")
    run = replace(base, train=replace(base.train, distill=0.5), teacher_epochs=1, teacher_width=2)
    assert cv_mod.teacher_config(run, 0).width == 2 and cv_mod.fold_config(run, 0).width == 1
    cv_mod.run_crossval(run, only=[0])
    teacher, _ = train_mod.load_checkpoint(run.run_root / "fold0_teacher.pt")
    student, _ = train_mod.load_checkpoint(run.run_root / "fold0.pt")
    assert teacher.width == 2 and not teacher.binary and student.width == 1 and student.binary
    assert json.loads((run.fold_dir / "recipe.json").read_text())["teacher_width"] == 2
    with pytest.raises(ValueError, match="another recipe .*teacher_width"):
        cv_mod.run_crossval(replace(run, teacher_width=1))
    entry = {"recipe": cv_mod.recipe(run.train) | {"teacher_epochs": 1, "teacher_width": 2}}
    assert "from a float CNN 2x as wide as the twin trained 1 epochs" in cv_mod.recipe_text(entry)
    a, _ = cv_mod.parse_args(
        ["--protocol", "ecg17", "--teacher-epochs", "5", "--distill", "0.5", "--teacher-width", "4"]
    )
    assert a.teacher_width == 4
    for bad in (["--teacher-width", "2"], ["--teacher-epochs", "5", "--teacher-init",
                "--teacher-width", "2"], ["--teacher-epochs", "5", "--distill", "0.5",
                "--width", "2"]):  # fmt: skip
        with pytest.raises(SystemExit):
            cv_mod.parse_args(["--protocol", "ecg17", *bad])


def test_teacher_init_starts_each_fold_bnn_from_its_float_teacher(fake_ecg17, tmp_path: Path):
    """--teacher-init: the BNN loads its fold's teacher, its own epochs counted from 1."""
    base = tiny_run(tmp_path / "run")
    run = replace(base, teacher_epochs=1, teacher_init=True)
    loaded = []
    real_load = train_mod.load_checkpoint

    def spy(path, *args, **kwargs):
        loaded.append(Path(path).name)
        return real_load(path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(train_mod, "load_checkpoint", spy)
        r = cv_mod.run_crossval(run, only=[0])[0]
    # the teacher's best checkpoint when it ends, the BNN's start, the BNN's best when it ends
    assert loaded[:3] == ["fold0_teacher.pt", "fold0_teacher.pt", "fold0.pt"]
    _, ckpt = train_mod.load_checkpoint(run.run_root / "fold0.pt")
    assert ckpt["config"]["init"].endswith("fold0_teacher.pt") and not ckpt["config"]["teacher"]
    assert [h["epoch"] for h in ckpt["config"]["history"]] == [1, 2]  # teacher's, then BNN's
    assert r["epochs"] == 1 and r["chosen_epoch"] == 1 and r["golden_float_agreement"] == 1.0
    assert json.loads((run.fold_dir / "recipe.json").read_text())["teacher_init"] is True
    entry = cv_mod.summarize(run, cv_mod.run_crossval(run))
    assert "started from the weights of a float twin trained 1 epochs" in (
        cv_mod.recipe_text(entry)
    )
    with pytest.raises(ValueError, match="another recipe .*teacher_init"):
        cv_mod.run_crossval(replace(run, teacher_init=False, train=replace(run.train, distill=0.5)))
    a, _ = cv_mod.parse_args(["--protocol", "ecg17", "--teacher-epochs", "5", "--teacher-init"])
    assert a.teacher_init and a.train.distill == 0.0
    with pytest.raises(SystemExit):
        cv_mod.parse_args(["--protocol", "ecg17", "--teacher-init"])


def test_stop_epoch_trains_part_of_the_schedule_and_deploys_its_last_epoch(
    fake_ecg17, tmp_path: Path
):
    """A refit run: no validation slice, the first 2 epochs of a 4-epoch cosine, epoch 2 kept."""
    cfg = TrainConfig(protocol="ecg17", epochs=4, stop_epoch=2, val_fraction=0.0, batch_size=8,
                      max_steps=2, folds=3, threads=1, fit_eval=False,
                      out=str(tmp_path / "refit.pt"), run_dir=str(tmp_path / "run"))  # fmt: skip
    train_mod.run(cfg)
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    assert state["epoch"] == 2 and state["scheduler"]["T_max"] == 4  # stopped inside the cosine
    deployed, ckpt = train_mod.load_checkpoint(cfg.out)
    for name, value in deployed.state_dict().items():  # the last epoch, not a chosen one
        assert torch.equal(value, state["model"][name]), name
    assert [h["epoch"] for h in ckpt["config"]["history"]] == [1, 2]
    for bad in (5, -1):
        with pytest.raises(ValueError, match="stop_epoch"):
            train_mod.run(replace(cfg, stop_epoch=bad))


def test_refit_retrains_each_fold_on_its_whole_training_part_to_the_chosen_epoch(
    fake_ecg17, tmp_path: Path, monkeypatch
):
    run = replace(tiny_run(tmp_path / "run", epochs=3), refit=True)
    windows_seen = []
    real_epoch = train_mod.train_epoch

    def spy(*args, **kwargs):
        windows_seen.append(len(args[3]))  # y: the windows this epoch trains on
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train_mod, "train_epoch", spy)
    r = cv_mod.run_crossval(run, only=[0])[0]
    training_part = len(ds.load_split("ecg17", folds=3, fold=0).y_train)
    val_history = train_mod.load_checkpoint(run.run_root / "fold0.pt")[1]["config"]["history"]
    refit, ckpt = train_mod.load_checkpoint(run.run_root / "fold0_refit.pt")
    chosen = val_history[cv_mod.chosen_index(val_history)]["epoch"]
    # 3 epochs on the fit part, then `chosen` on the whole training part (validation included)
    fit_part = training_part - round(0.1 * training_part)
    assert windows_seen == [fit_part] * 3 + [training_part] * chosen
    assert ckpt["config"]["stop_epoch"] == chosen and ckpt["config"]["val_fraction"] == 0.0
    assert r["chosen_epoch"] == chosen == r["refit_epochs"] and r["checkpoint"].endswith(
        "fold0_refit.pt"
    )
    assert r["golden_float_agreement"] == 1.0 and 0.0 <= r["val_run_accuracy"] <= 1.0
    assert r["refit_epoch_seconds_total"] > 0
    assert json.loads((run.fold_dir / "recipe.json").read_text())["refit"] is True
    with pytest.raises(ValueError, match="another recipe .*refit"):
        cv_mod.run_crossval(replace(run, refit=False))
    entry = cv_mod.summarize(run, cv_mod.run_crossval(run))
    assert len(entry["val_run_fold_acc"]) == 3 and entry["recipe"]["refit"] is True
    assert entry["train_hours"] * 3600 == pytest.approx(
        sum(
            json.loads((run.fold_dir / f"fold{f}.json").read_text())[key]
            for f in range(3)
            for key in ("epoch_seconds_total", "refit_epoch_seconds_total")
        ),
        abs=2,
    )
    assert "then refit on the whole training part" in cv_mod.recipe_text(entry)
    assert "refit" not in cv_mod.recipe_text(cv_mod.summarize(tiny_run(tmp_path / "x"), [r]))
    assert cv_mod.parse_args(["--protocol", "ecg17", "--refit"])[0].refit
    for bad in (["--refit", "--stacked"], ["--refit", "--teacher-epochs", "5", "--distill", "0.5"],
                ["--stop-epoch", "5"]):  # fmt: skip
        with pytest.raises(SystemExit):
            cv_mod.parse_args(["--protocol", "ecg17", *bad])


def test_cli_help_and_rejected_options():
    out = subprocess.run(
        [sys.executable, "-m", "studies.crossval", "--help"], cwd=REPO, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert "golden model" in out and "validation slice" in out and "resumes" in out
    run, _ = cv_mod.parse_args(["--protocol", "ecg17", "--epochs", "7", "--threads", "1"])
    assert (run.name, run.folds, run.train.split_seed, run.train.epochs) == ("ecg17", 10, 0, 7)
    assert run.run_root == REPO / "runs" / "crossval" / "ecg17"
    assert run.fold_dir == REPO / "results" / "crossval" / "ecg17"
    assert cv_mod.parse_args(["--protocol", "paper"])[0].folds == 5
    assert cv_mod.parse_args(["--protocol", "ecg17", "--ema", "0.99"])[0].train.ema == 0.99
    assert cv_mod.parse_args(["--protocol", "interpatient"])[0].train.folds == 0
    for bad in (["--init", "x.pt"], ["--unstratified"], ["--protocol", "interpatient",
                "--folds", "3"], ["--protocol", "ecg17", "--checkpoint", "x.pt"]):  # fmt: skip
        with pytest.raises(SystemExit):
            cv_mod.parse_args(bad)


def test_committed_results_are_consistent():
    path = REPO / "results" / "crossval.json"
    if not path.is_file():
        pytest.skip("results/crossval.json not committed yet")
    data = json.loads(path.read_text())
    for name, e in data.items():
        assert SUMMARY_KEYS <= e.keys(), name
        assert e["folds"] == len(e["fold_acc"])
        assert e["mean"] == pytest.approx(statistics.fmean(e["fold_acc"]), abs=2e-3)
        assert e["protocol"] != "interpatient" or e["folds"] == 1
        folds = sorted((REPO / "results" / "crossval" / name).glob("fold*.json"))
        accs = [100 * json.loads(f.read_text())["accuracy"] for f in folds]
        assert accs == pytest.approx(e["fold_acc"], abs=1e-3)  # the committed fold results
    docs = REPO / "docs" / "crossval.md"
    assert docs.read_text() == cv_mod.render_page(path, data, path)  # generated, not edited
    candidates = REPO / "results" / "crossval_candidates.json"
    if candidates.is_file():
        page = cv_mod.render_page(candidates, json.loads(candidates.read_text()), path)
        assert (REPO / "docs" / "crossval_candidates.md").read_text() == page


def need_data(protocol: str) -> None:
    """Skip unless the database of ``protocol`` is reachable (ECG_DATA_DIR; never downloaded)."""
    if ds.resolve_data_dir() is None:
        pytest.skip(f"needs the {protocol} data: set ECG_DATA_DIR (no download in the tests)")
    try:
        ds.ecg17_dir() if protocol == "ecg17" else ds.mitdb_dir()
    except ds.DatasetError as exc:
        pytest.skip(f"needs the {protocol} data: set ECG_DATA_DIR ({exc})")


def test_real_ecg17_ten_folds_hold_every_class():
    need_data("ecg17")
    _, y, _ = ds.ecg17_windows()
    parts = ds.stratified_kfold(y, 10, cv_mod.FOLD_SEED)
    assert [len(p) for p in parts] == [100] * 10
    for cls in range(17):
        counts = [int(np.sum(y[p] == cls)) for p in parts]
        assert max(counts) - min(counts) <= 1 and min(counts) >= 1


def test_real_paper_five_folds_hold_every_class():
    need_data("paper")
    split = ds.load_split("paper", folds=5, fold=4)
    assert len(split.y_test) in (1548, 1547) and len(split.y_train) + len(split.y_test) == 7740
    assert set(split.y_test.tolist()) == set(range(5))  # even Q (19 windows) in every fold
    assert not set(split.test_ids) & set(ds.load_split("paper", folds=5, fold=0).test_ids)


def test_recipe_text_names_wander_and_label_smoothing():
    """The candidates' pages say which input and target changes a recipe trains with."""
    plain = cv_mod.recipe_text({"recipe": cv_mod.recipe(TrainConfig()), "checkpoint": None})
    assert "wander" not in plain and "smoothing" not in plain
    cfg = TrainConfig(wander=0.5, label_smoothing=0.1)
    text = cv_mod.recipe_text({"recipe": cv_mod.recipe(cfg), "checkpoint": None})
    assert "baseline wander up to 0.5 (z units)" in text
    assert "label smoothing 0.1" in text
