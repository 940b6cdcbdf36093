"""The PyTorch network, its training loop (a few steps, as CI does) and the committed figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from pymodel.datasets import ecg17_dir, load_split
from pymodel.export import load_checkpoint_model
from pymodel.fold import fold_model
from pymodel.model import (
    EcgBnn,
    activation_of,
    binarize,
    layer_shapes,
    model_from_state_dict,
    readout_scale,
    width_of,
    zscore,
)
from pymodel.shipped import shipped_model, shipped_names
from pymodel.train import (
    distillation_loss,
    load_checkpoint,
    machines_text,
    parse_args,
    train_epoch,
)

REPO = Path(__file__).resolve().parents[1]
# Floors a committed model must stay above (well below the shipped figures, far above chance):
# the inter-patient protocol is much harder than the random window split.
ACCURACY_FLOOR = {"paper": 0.9, "interpatient": 0.65, "ecg17": 0.85}
PAPER_LENGTHS = [(1802, 898), (902, 448), (452, 223), (227, 111), (115, 55), (59, 27)]


def test_layer_shapes_match_the_paper_network():
    """Lengths, MACs and binary weight bytes of the 5- and 17-class networks."""
    shapes5 = layer_shapes(5)
    assert [(s.conv_length, s.pool_length) for s in shapes5] == PAPER_LENGTHS
    assert [s.out_channels for s in shapes5] == [8, 16, 32, 32, 64, 5]
    assert sum(s.macs for s in shapes5) == 5_937_008
    assert sum(s.macs for s in layer_shapes(17)) == 6_254_192
    assert sum(s.weight_bits for s in shapes5) // 8 == 3535
    assert sum(s.weight_bits for s in layer_shapes(17)) // 8 == 4207


def test_sign_convention_and_straight_through_gradient():
    """sign(0) = +1; the STE passes the gradient only where |x| <= 1."""
    x = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    y = binarize(x)
    assert y.tolist() == [-1, -1, -1, 1, 1, 1, 1]
    y.sum().backward()
    assert x.grad.tolist() == [0, 1, 1, 1, 1, 1, 0]


def test_forward_shapes_and_binary_weights_only_change_sign():
    """Both twins map (batch, 1, 3600) to (batch, classes); binary output ignores |w|."""
    torch.manual_seed(0)
    x = torch.randn(2, 1, 3600)
    for binary in (True, False):
        assert EcgBnn(17, binary=binary).eval()(x).shape == (2, 17)
    model = EcgBnn(5).eval()
    before = model(x)
    with torch.no_grad():
        for block in model.blocks:
            block.conv.weight.mul_(0.25)  # same signs, smaller magnitudes
    assert torch.equal(before, model(x))


def test_zscore_is_the_textbook_one_and_ignores_gain_and_offset():
    """The float model's input: per-window (x - mean) / std, flat windows all zeros."""
    rng = np.random.default_rng(0)
    windows = torch.from_numpy(rng.integers(800, 1300, size=(3, 3600)))
    z = zscore(windows)[:, 0].double()
    assert torch.allclose(z.mean(1), torch.zeros(3, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(z.std(1, unbiased=False), torch.ones(3, dtype=torch.float64), atol=1e-6)
    moved = zscore(windows * 8 - 16000)
    assert torch.allclose(moved, zscore(windows), atol=1e-6)
    flat = torch.full((1, 3600), 1024, dtype=torch.int64)
    assert torch.count_nonzero(zscore(flat)) == 0


@pytest.mark.long(seconds=12)
def test_train_script_runs_a_few_steps_and_resumes(tmp_path: Path):
    """CI trains only a few steps: the script writes a loadable checkpoint and resumes."""
    ecg17_dir()  # the run below reads the 17-class set (DataUnavailable: skipped without it)
    out, run_dir = tmp_path / "tiny.pt", tmp_path / "run"
    cmd = [
        sys.executable, "scripts/train.py", "--protocol", "ecg17", "--epochs", "1",
        "--max-steps", "2", "--threads", "1", "--out", str(out), "--run-dir", str(run_dir),
        "--augment", "--dropout", "0.2", "--schedule", "constant", "--track-test",
    ]  # fmt: skip
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True)
    model, ckpt = load_checkpoint(out)
    assert ckpt["num_classes"] == 17 and ckpt["protocol"] == "ecg17"
    assert (ckpt["config"]["dropout"], ckpt["config"]["schedule"]) == (0.2, "constant")
    assert len(ckpt["config"]["history"]) == 1
    assert 0.0 <= ckpt["config"]["history"][0]["test_acc"] <= 1.0  # --track-test logs it
    figures = json.loads((run_dir / "figures.json").read_text())
    assert 0.0 <= figures["test_acc"] <= 1.0
    # Resumed "elsewhere" (another thread count is another machine description).
    resumed = subprocess.run(
        [*cmd[:5], "2", *cmd[6:9], "2", *cmd[10:], "--resume"], cwd=REPO, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    assert "resumed from" in resumed.stdout
    _, ckpt = load_checkpoint(out)
    assert [h["epoch"] for h in ckpt["config"]["history"]] == [1, 2]
    first, second = ckpt["config"]["trained_on"].split("; ")
    assert first.startswith("epochs 1-1: cpu") and first.endswith(", 1 torch threads")
    assert second.startswith("epochs 2-2: cpu") and second.endswith(", 2 torch threads")
    # A fine-tune (--init) keeps the starting checkpoint's history and numbers on from it.
    tuned = tmp_path / "tuned.pt"
    fine_tune = [*cmd[:5], "1", *cmd[6:10], "--out", str(tuned), "--run-dir", str(tmp_path / "ft")]
    subprocess.run([*fine_tune, "--init", str(out)], cwd=REPO, check=True, capture_output=True)
    _, tuned_ckpt = load_checkpoint(tuned)
    assert tuned_ckpt["config"]["history"][:2] == ckpt["config"]["history"]
    assert [h["epoch"] for h in tuned_ckpt["config"]["history"]] == [1, 2, 3]
    # Each phase records the machine it ran on, the starting checkpoint's phases first.
    assert tuned_ckpt["config"]["trained_on"].startswith(ckpt["config"]["trained_on"] + "; ")
    last = tuned_ckpt["config"]["trained_on"].rsplit("; ", 1)[1]
    assert last.startswith("epochs 3-3: cpu") and last.endswith(", 1 torch threads")


def test_channel_activation_parameters_and_state_dict():
    """``activation="channel"``: a slope per channel, shifts before blocks 1-5's PReLUs, and the
    state dict tells which model it is."""
    layer, channel = EcgBnn(5), EcgBnn(5, activation="channel")
    assert activation_of(layer.state_dict()) == "layer"
    assert activation_of(channel.state_dict()) == "channel"
    for blk, shape in zip(channel.blocks, layer_shapes(5), strict=True):
        assert blk.prelu.weight.numel() == shape.out_channels
        assert (blk.shift is None) == (shape.index == 6)

    def count(model: EcgBnn) -> int:
        return sum(p.numel() for p in model.parameters())

    extra = count(channel) - count(layer)
    hidden = sum(s.out_channels for s in layer_shapes(5)[:-1])
    assert extra == 2 * hidden + 5 - 6  # slopes and shifts per channel, block 6 slopes only
    with torch.no_grad():  # a shift is a move of the pooled values before the PReLU
        blk = channel.blocks[1]
        x = torch.randn(2, 8, 898)
        before = blk(x)
        blk.shift.fill_(1.0)
        assert not torch.equal(before, blk(x))
    with pytest.raises(ValueError, match="activation"):
        EcgBnn(5, activation="rprelu")


def test_width_widens_only_the_float_models_hidden_channels():
    """``width=k`` multiplies a float model's hidden channels (a distillation teacher); the
    binary network keeps the paper's shape, and a state dict tells its width."""
    wide = EcgBnn(17, binary=False, width=2)
    for blk, shape in zip(wide.blocks, layer_shapes(17), strict=True):
        assert blk.conv.in_channels == shape.in_channels * (2 if shape.index > 1 else 1)
        assert blk.conv.out_channels == shape.out_channels * (2 if shape.index < 6 else 1)
    assert wide(torch.randn(2, 1, 3600)).shape == (2, 17)
    assert width_of(EcgBnn(17, binary=False).state_dict()) == 1
    loaded = model_from_state_dict(wide.state_dict(), 17, binary=False)
    assert loaded.width == 2
    for bad in ({"binary": True, "width": 2}, {"binary": False, "width": 0}):
        with pytest.raises(ValueError, match="width"):
            EcgBnn(17, **bad)


@pytest.mark.long(seconds=6)
def test_train_script_channel_activation_round_trip(tmp_path: Path):
    """``--activation channel`` trains, is recorded, loads back by its state dict and folds."""
    ecg17_dir()
    out = tmp_path / "channel.pt"
    cmd = [
        sys.executable, "scripts/train.py", "--protocol", "ecg17", "--epochs", "1",
        "--max-steps", "2", "--threads", "1", "--out", str(out), "--run-dir",
        str(tmp_path / "run"), "--activation", "channel",
    ]  # fmt: skip
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True)
    model, ckpt = load_checkpoint(out)
    assert ckpt["config"]["activation"] == "channel" and model.activation == "channel"
    exported, _ = load_checkpoint_model(out)
    assert exported.activation == "channel"
    assert fold_model(exported).num_classes == 17


def test_machines_text_names_each_phase():
    """One machine is its description; phases on several machines are numbered epoch ranges."""
    assert machines_text([[1, "cpu"]], 380) == "cpu"
    assert machines_text([[1, "cuda (H200)"], [334, "cpu"]], 380) == (
        "epochs 1-333: cuda (H200); epochs 334-380: cpu"
    )
    assert machines_text([[3, "cpu"]], 5, numbered=True) == "epochs 3-5: cpu"  # a fine-tune's


@pytest.mark.parametrize("name", shipped_names())
def test_committed_weights_reproduce_the_recorded_accuracy(name: str):
    """The committed checkpoint's held-out accuracy equals results/evaluation.json's figure."""
    from pymodel.evaluate import predict

    path = REPO / "weights" / f"{name}.pt"
    report_path = REPO / "results" / "evaluation.json"
    model, ckpt = load_checkpoint(path)
    protocol = ckpt["protocol"]
    entry = json.loads(report_path.read_text())[name]
    assert entry["protocol"] == protocol == shipped_model(name).protocol
    recorded = entry["bnn"]["accuracy"]
    split = load_split(protocol, None)
    accuracy = float(np.mean(predict(model, split.x_test) == split.y_test))
    assert accuracy == pytest.approx(recorded, abs=1e-9)
    floor = ACCURACY_FLOOR[protocol]
    assert accuracy > floor, f"{name}: held-out accuracy {accuracy:.4f} below {floor}"


def test_random_shift_rotates_each_window():
    """Augmentation: every window is a rotation of itself, with its own shift."""
    from pymodel.train import random_shift

    torch.manual_seed(1)
    x = torch.arange(4 * 50, dtype=torch.float32).reshape(4, 1, 50)
    out = random_shift(x)
    shifts = []
    for row_in, row_out in zip(x[:, 0], out[:, 0], strict=True):
        matches = [s for s in range(50) if torch.equal(torch.roll(row_in, s), row_out)]
        assert len(matches) == 1
        shifts.append(matches[0])
    assert len(set(shifts)) > 1


def test_dropout_is_training_only_and_adds_no_parameters():
    """The training-only dropout leaves the exported network (state and eval output) unchanged."""
    torch.manual_seed(0)
    x = torch.randn(2, 1, 3600)
    plain, dropped = EcgBnn(5).eval(), EcgBnn(5, dropout=0.5)
    assert plain.state_dict().keys() == dropped.state_dict().keys()
    dropped.load_state_dict(plain.state_dict())
    assert torch.equal(plain(x), dropped.eval()(x))
    dropped.train()
    assert not torch.equal(dropped(x), dropped(x))  # a fresh mask per call while training


def test_schedules_cosine_decays_and_constant_holds():
    """--schedule cosine decays to 0 at the last epoch; constant keeps the learning rate."""
    from pymodel.train import TrainConfig, make_optimizer

    for schedule, last in (("cosine", 0.0), ("constant", 0.01)):
        cfg = TrainConfig(epochs=4, lr=0.01, schedule=schedule)
        optimizer, scheduler = make_optimizer(EcgBnn(5), cfg)
        for _ in range(4):
            optimizer.step()
            scheduler.step()
        assert optimizer.param_groups[0]["lr"] == pytest.approx(last, abs=1e-12)
    with pytest.raises(ValueError, match="unknown schedule"):
        make_optimizer(EcgBnn(5), TrainConfig(schedule="step"))


def test_validation_slice_does_not_depend_on_the_training_seed():
    """Runs with different --seed are selected on the same validation windows."""
    from pymodel.datasets import DatasetSplit
    from pymodel.train import split_validation

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 20)
    x = rng.integers(900, 1100, size=(100, 3600)).astype(np.int16)
    split = DatasetSplit("paper", ("N", "S", "V", "F", "Q"), x, labels, x[:1], labels[:1], [])
    _, _, x_val, y_val = split_validation(split, 0.1)
    torch.manual_seed(123)
    np.random.seed(123)
    _, _, x_val2, y_val2 = split_validation(split, 0.1)
    assert torch.equal(x_val, x_val2) and torch.equal(y_val, y_val2)
    assert sorted(y_val.tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_record_validation_holds_whole_records_out():
    """--val-by-record: no record on both sides, at least the fraction held out, fixed draw."""
    from pymodel.datasets import DatasetSplit
    from pymodel.train import record_validation, split_validation

    ids = [f"{r}:{k}" for r in range(100, 110) for k in range(10 + r % 3)]
    fit, val = record_validation(ids, 0.2)
    record = np.asarray([i.split(":")[0] for i in ids])
    assert not set(record[fit]) & set(record[val])
    assert len(val) >= 0.2 * len(ids) and len(fit) + len(val) == len(ids)
    assert np.array_equal(val, record_validation(ids, 0.2)[1])
    assert len(set(record[val])) < len(set(record[record_validation(ids, 0.5)[1]]))
    x = np.zeros((len(ids), 3600), np.int16)
    labels = np.arange(len(ids)) % 5
    split = DatasetSplit("interpatient", ("N", "S", "V", "F", "Q"), x, labels, x, labels, ids)
    with pytest.raises(ValueError, match="no training ids"):
        split_validation(split, 0.2, by_record=True)
    cfg, _ = parse_args(["--val-by-record", "--class-weight-power", "0.5"])
    assert (cfg.val_by_record, cfg.class_weight_power) == (True, 0.5)


def standardized(x: torch.Tensor) -> torch.Tensor:
    """Windows (batch, 1, samples) z-scored as the IP does (population sd)."""
    return (x - x.mean(dim=2, keepdim=True)) / x.std(dim=2, unbiased=False, keepdim=True)


def assert_z_scored(out: torch.Tensor, like: torch.Tensor) -> None:
    """An augmentation's output has its input's shape and every window mean 0, sd 1."""
    assert out.shape == like.shape
    rows = torch.zeros(out.shape[0], 1)
    assert torch.allclose(out.mean(dim=2), rows, atol=1e-5)
    assert torch.allclose(out.std(dim=2, unbiased=False), rows + 1, atol=1e-4)


def test_random_stretch_resamples_each_window_in_time():
    """--stretch: a window read at its own rate, z-scored again; spread 0 is the identity."""
    from pymodel.train import parse_args, random_stretch

    assert parse_args(["--stretch", "0.15"])[0].stretch == 0.15
    torch.manual_seed(0)
    t = torch.arange(3600, dtype=torch.float32)
    period = torch.tensor([360.0, 300.0, 450.0])  # beats at 60, 72, 48 per minute
    x = torch.sin(2 * torch.pi * t / period.view(3, 1, 1))
    x = standardized(x)
    assert torch.allclose(random_stretch(x, 0.0), x, atol=1e-5)
    out = random_stretch(x, 0.2)
    assert_z_scored(out, like=x)
    # the dominant period of each output is its input's divided by a factor within 1 +- 0.2
    for row_in, row_out, p in zip(x[:, 0], out[:, 0], period, strict=True):
        spec = torch.fft.rfft(row_out[:3000]).abs()
        f_out = float(spec[1:].argmax() + 1) / 3000
        factor = f_out * float(p)
        assert 0.78 <= factor <= 1.22
        assert not torch.allclose(row_out, row_in)
    flat = torch.zeros(1, 1, 3600)
    assert torch.equal(random_stretch(flat, 0.2), flat)  # a flat window stays flat, no NaN


def test_noise_augmentation_changes_only_the_training_batches():
    """--noise: a training step sees noisy windows (other weights than without), same data."""
    cfg, _ = parse_args(["--noise", "0.1"])
    assert cfg.noise == 0.1
    x, y = torch.randn(8, 1, 3600), torch.arange(8) % 5
    kept = x.clone()
    weights = []
    for noise in (0.0, 0.5):
        torch.manual_seed(0)
        model = EcgBnn(5, binary=False)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        train_epoch(model, optimizer, x, y, 8, 1, "t", noise=noise)
        weights.append(model.blocks[0].conv.weight.detach().clone())
    assert torch.equal(x, kept)
    assert not torch.equal(weights[0], weights[1])


def test_class_weights_balance_the_loss():
    """--class-weight-power: 1 gives every class the same total weight, 0 the plain loss."""
    from pymodel.train import class_weights

    labels = torch.tensor([0] * 8 + [1] * 2 + [3] * 1)
    assert class_weights(labels, 5, 0.0) is None
    w = class_weights(labels, 5, 1.0)
    counts = torch.tensor([8.0, 2.0, 0.0, 1.0, 0.0])
    totals = (w * counts)[counts > 0]
    assert torch.allclose(totals, totals[0].expand_as(totals))
    assert float((w * counts).sum()) == pytest.approx(float(counts.sum()))
    assert w[2] == 0 and w[4] == 0
    mild = class_weights(labels, 5, 0.5)
    assert w[3] / w[0] > mild[3] / mild[0] > 1
    logits = torch.randn(11, 5)
    weighted = distillation_loss(logits, labels, None, 0.0, 2.0, w)
    assert float(weighted) == pytest.approx(
        float(torch.nn.functional.cross_entropy(logits, labels, weight=w))
    )


def test_mean_readout_divides_scores_by_block6_length_and_keeps_the_argmax():
    """Mean readout = sum / 27 (block 6's length): same class, softer loss; bad names rejected."""
    assert readout_scale(5, "sum") == 1.0
    assert readout_scale(5, "mean") == pytest.approx(1 / PAPER_LENGTHS[-1][1])
    scores = EcgBnn(5).eval()(torch.randn(4, 1, 3600))
    scaled = scores * readout_scale(5, "mean")
    assert torch.equal(scores.argmax(1), scaled.argmax(1))
    loss = torch.nn.functional.cross_entropy
    labels = scores.argmin(1)  # a wrong class: the softer scores lose less
    assert loss(scaled, labels) < loss(scores, labels)
    with pytest.raises(ValueError, match="readout"):
        readout_scale(5, "max")


def test_train_epoch_readout_and_clamp_options():
    """--readout mean --no-clamp reach the config; unclamped latent weights may leave [-1, 1]."""
    cfg, _ = parse_args(["--readout", "mean", "--no-clamp"])
    assert (cfg.readout, cfg.clamp) == ("mean", False)
    assert parse_args([])[0].clamp is True
    x, y = torch.randn(8, 1, 3600), torch.arange(8) % 5
    for clamp in (True, False):
        torch.manual_seed(0)
        model = EcgBnn(5)
        with torch.no_grad():
            for block in model.blocks:
                block.conv.weight.mul_(0).add_(1.0)  # at the clamp boundary
        optimizer = torch.optim.SGD(model.parameters(), lr=10.0)
        train_epoch(model, optimizer, x, y, 8, 1, "t", scale=1 / 27, clamp=clamp)
        peak = max(float(b.conv.weight.detach().abs().max()) for b in model.blocks)
        assert (peak <= 1.0) == clamp


def test_distillation_loss_blends_cross_entropy_and_the_teacher():
    """--distill: (1 - a) CE + a T^2 KL(teacher_T || student_T); a teacher agreeing adds 0."""
    torch.manual_seed(0)
    logits, teacher = torch.randn(6, 5), torch.randn(6, 5)
    labels = torch.arange(6) % 5
    ce = torch.nn.functional.cross_entropy(logits, labels)
    assert torch.equal(distillation_loss(logits, labels, None, 0.5), ce)
    assert torch.equal(distillation_loss(logits, labels, teacher, 0.0), ce)
    assert float(distillation_loss(logits, labels, logits, 1.0, 3.0)) == pytest.approx(0, abs=1e-6)
    p_t, p_s = (torch.softmax(v / 2, dim=1) for v in (teacher, logits))
    kl = (p_t * (p_t.log() - p_s.log())).sum(1).mean()
    want = 0.25 * ce + 0.75 * 4 * kl
    assert float(distillation_loss(logits, labels, teacher, 0.75, 2.0)) == pytest.approx(
        float(want), rel=1e-5
    )
    cfg, _ = parse_args(["--teacher", "t.pt", "--distill", "0.5", "--temperature", "3"])
    assert (cfg.teacher, cfg.distill, cfg.temperature) == ("t.pt", 0.5, 3.0)


def test_focal_loss_down_weights_confident_windows():
    """--focal-gamma: gamma 0 is the (weighted) cross entropy; gamma > 0 scales each window's
    loss by (1 - p)^gamma, so a confident window loses more of its loss than a hard one."""
    from pymodel.train import class_weights, focal_cross_entropy

    torch.manual_seed(0)
    logits, labels = torch.randn(9, 5), torch.arange(9) % 5
    ce = torch.nn.functional.cross_entropy
    w = class_weights(labels, 5, 1.0)
    assert float(focal_cross_entropy(logits, labels, 0.0)) == pytest.approx(
        float(ce(logits, labels))
    )
    assert float(focal_cross_entropy(logits, labels, 0.0, w)) == pytest.approx(
        float(ce(logits, labels, weight=w))
    )
    p = torch.softmax(logits, 1)[torch.arange(9), labels]
    per_window = -((1 - p) ** 2) * p.log()
    got = distillation_loss(logits, labels, None, 0.0, 2.0, None, 2.0)
    assert float(got) == pytest.approx(float(per_window.mean()), rel=1e-6)
    sure, hard = torch.tensor([[6.0, 0.0]]), torch.tensor([[0.0, 0.0]])
    target = torch.tensor([0])
    ratio = [float(focal_cross_entropy(v, target, 2.0) / ce(v, target)) for v in (sure, hard)]
    assert ratio[0] < 1e-4 and ratio[1] == pytest.approx(0.25)
    assert parse_args(["--focal-gamma", "2"])[0].focal_gamma == 2.0


def test_random_wander_adds_a_slow_baseline_and_z_scores_again():
    """--wander: each window gets its own 0.05-0.5 Hz sinusoid, then the IP's z-score again."""
    from pymodel.train import WANDER_BAND_HZ, random_wander

    assert parse_args(["--wander", "0.5"])[0].wander == 0.5
    torch.manual_seed(0)
    x = standardized(torch.randn(6, 1, 3600))
    assert torch.allclose(random_wander(x, 0.0), x, atol=1e-5)
    out = random_wander(x, 2.0)
    assert_z_scored(out, like=x)
    # on flat windows the result is the wave alone: its energy sits below 1 Hz (0.1 Hz bins)
    waves = random_wander(torch.zeros(6, 1, 3600), 0.5)[:, 0]
    assert torch.allclose(waves.std(dim=1, unbiased=False), torch.ones(6), atol=1e-4)
    power = torch.fft.rfft(waves).abs() ** 2
    below_1hz = 10  # a 10 s window's rfft bin k is k / 10 Hz
    assert WANDER_BAND_HZ[1] < 1.0
    assert (power[:, :below_1hz].sum(1) / power.sum(1) > 0.9).all()
    assert not torch.allclose(out, x, atol=1e-2)


def test_label_smoothing_softens_the_targets():
    """--label-smoothing: the cross entropy against targets with that share spread evenly."""
    torch.manual_seed(0)
    logits, labels = torch.randn(9, 5), torch.arange(9) % 5
    soft = torch.full((9, 5), 0.1 / 5)
    soft[torch.arange(9), labels] += 0.9
    want = -(soft * torch.log_softmax(logits, 1)).sum(1).mean()
    got = distillation_loss(logits, labels, None, label_smoothing=0.1)
    assert float(got) == pytest.approx(float(want), rel=1e-6)
    assert float(got) != pytest.approx(float(distillation_loss(logits, labels, None)))
    with pytest.raises(ValueError, match="focal"):
        distillation_loss(logits, labels, None, focal_gamma=2.0, label_smoothing=0.1)
    assert parse_args(["--label-smoothing", "0.1"])[0].label_smoothing == 0.1
