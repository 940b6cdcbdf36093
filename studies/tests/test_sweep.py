"""The stacked sweep network is exactly N independent EcgBnn: forward, gradient step, selection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from pymodel.datasets import (
    AAMI_CLASSES,
    DatasetError,
    DatasetSplit,
    load_split_npz,
    save_split_npz,
)
from pymodel.model import EcgBnn, readout_scale
from pymodel.train import load_checkpoint, seed_everything
from studies.sweep import (
    BestTracker,
    MemberConfig,
    StackedAdam,
    SweepData,
    build_members,
    factor_effects,
    main,
    member_history,
    member_losses,
    member_lrs,
    run_sweep,
    select_member,
    sweep_summary,
    train_step,
)

CONFIGS = [MemberConfig(seed=3, lr=0.01, dropout=0.0), MemberConfig(seed=4, lr=0.002, dropout=0.0)]


def windows(batch: int, seed: int) -> torch.Tensor:
    """Random z-score-like windows (batch, 1, 3600)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 1, 3600, generator=g)


def single(cfg: MemberConfig, num_classes: int = 5, binary: bool = True) -> EcgBnn:
    """The EcgBnn a member starts from (built under its seed, as build_members does)."""
    seed_everything(cfg.seed)
    return EcgBnn(num_classes, binary=binary)


def test_stacked_forward_equals_members() -> None:
    """Eval-mode scores of the stack equal each member's own EcgBnn, for both kinds."""
    for binary in (True, False):
        stacked = build_members(CONFIGS, 5, binary).eval()
        x = windows(3, 0)
        out = stacked(x.expand(-1, 2, -1))
        for n, cfg in enumerate(CONFIGS):
            ref = single(cfg, binary=binary).eval()(x)
            torch.testing.assert_close(out[:, n], ref, rtol=1e-5, atol=1e-4)
            torch.testing.assert_close(stacked.member(n)(x), ref, rtol=1e-5, atol=1e-4)


def two_steps_against_single_models(
    configs: list[MemberConfig], weight_gain: float = 1.0
) -> list[EcgBnn]:
    """Train the stack and each member's own EcgBnn (torch's Adam) two steps; assert they agree.

    Each reference model sees its member's windows, its scores times the member's readout factor
    and its clamp. ``weight_gain`` scales the initial latent weights of both (to make the clamp
    matter). Returns the trained reference models.
    """
    stacked = build_members(configs, 5, True)
    refs = [single(c) for c in configs]
    with torch.no_grad():
        for w in stacked.weights:
            w.mul_(weight_gain)
        for model in refs:
            for block in model.blocks:
                block.conv.weight.mul_(weight_gain)
    optimizer = StackedAdam(stacked)
    ref_opts = [
        torch.optim.Adam(m.parameters(), lr=c.lr) for m, c in zip(refs, configs, strict=True)
    ]
    lr = torch.tensor([c.lr for c in configs])
    scale = torch.tensor([readout_scale(5, c.readout) for c in configs])
    clamp = torch.tensor([c.clamp for c in configs])
    for step in range(2):
        x = [windows(4, 10 * step + n) for n in range(2)]
        y = [torch.tensor([0, 1, 2, 3]), torch.tensor([4, 3, 2, 1])]
        xb = torch.cat(x, dim=1)  # member n sees its own windows in column n
        train_step(stacked, optimizer, xb, torch.stack(y, 1), lr, None, torch.zeros(2), 2.0,
                   scale, clamp)  # fmt: skip
        for n, (model, opt) in enumerate(zip(refs, ref_opts, strict=True)):
            model.train()
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(x[n]) * scale[n], y[n]).backward()
            opt.step()
            if configs[n].clamp:
                with torch.no_grad():
                    for block in model.blocks:
                        block.conv.weight.clamp_(-1.0, 1.0)
    # Adam divides by sqrt(v) + 1e-8: where a gradient is ~1e-9 the grouped convolution's other
    # summation order shows as ~3e-5, well under one step (~lr = 2e-3 .. 1e-2).
    for n, model in enumerate(refs):
        got = stacked.member(n).state_dict()
        for name, value in model.state_dict().items():
            torch.testing.assert_close(got[name], value, rtol=1e-4, atol=1e-4, msg=name)
    return refs


def test_train_step_equals_single_model_adam() -> None:
    """Two steps of the stack move each member exactly as torch's Adam moves its EcgBnn."""
    two_steps_against_single_models(CONFIGS)


def test_readout_and_clamp_per_member_equal_single_models() -> None:
    """A mean-readout, unclamped member moves as its EcgBnn trained on scores / 27 without a clamp.

    Latent weights start at 10x their initial values so that the clamp matters: the clamped member
    ends inside [-1, 1], the unclamped one keeps weights outside.
    """
    configs = [MemberConfig(3, 0.01, dropout=0.0, readout="mean", clamp=False), CONFIGS[1]]
    refs = two_steps_against_single_models(configs, weight_gain=10.0)
    peaks = [max(float(b.conv.weight.detach().abs().max()) for b in m.blocks) for m in refs]
    assert peaks[0] > 1.5 and peaks[1] <= 1.0


def test_member_losses_scale_each_members_scores() -> None:
    """The loss of member n is the cross entropy of its scores times its readout factor."""
    logits = torch.randn(6, 2, 5)
    labels = torch.randint(0, 5, (6, 2))
    scale = torch.tensor([1 / 27, 1.0])
    got = member_losses(logits, labels, None, torch.zeros(2), 2.0, scale)
    for n in range(2):
        want = nn.functional.cross_entropy(logits[:, n] * scale[n], labels[:, n])
        torch.testing.assert_close(got[n], want)


def test_factor_effects_average_members_per_level() -> None:
    """Only varied hyper-parameters appear; each level averages its members' figures."""
    members = [{"lr": lr, "readout": r} for lr in (0.01, 0.002) for r in ("sum", "mean")]
    result = {"members": members, "best_test_acc": [0.9, 0.8, 0.7, 0.6],
              "best_val_acc": [0.95, 0.85, 0.75, 0.65]}  # fmt: skip
    effects = factor_effects(result)
    assert set(effects) == {"lr", "readout"}  # schedule, clamp... default everywhere
    assert effects["lr"]["0.01"]["mean_test_acc"] == pytest.approx(0.85)
    assert effects["readout"]["mean"]["mean_test_acc"] == pytest.approx(0.7)
    assert effects["readout"]["sum"]["members"] == 2


def test_cosine_schedule_matches_torch() -> None:
    """member_lrs follows CosineAnnealingLR epoch by epoch; constant stays flat."""
    configs = [MemberConfig(0, 0.01), MemberConfig(0, 0.002, schedule="constant")]
    opt = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7)
    for epoch in range(7):
        lrs = member_lrs(configs, epoch, 7)
        assert abs(float(lrs[0]) - opt.param_groups[0]["lr"]) < 1e-9
        assert abs(float(lrs[1]) - 0.002) < 1e-9
        opt.step()
        sched.step()


def test_member_config_rejects_bad_settings() -> None:
    """Dropout 1, negative learning rates, distillation weights above 1, unknown schedules."""
    bad_settings = ({"dropout": 1.0}, {"lr": -0.1}, {"distill": 1.5}, {"schedule": "step"},
                    {"readout": "max"})  # fmt: skip
    for bad in bad_settings:
        with pytest.raises(ValueError):
            MemberConfig(**{"seed": 0, "lr": 0.01, **bad})


def test_tracker_keeps_each_members_best_epoch() -> None:
    """A member whose validation drops keeps its earlier weights; the other takes the new ones."""
    stacked = build_members(CONFIGS, 5, True)
    tracker = BestTracker(stacked)
    tracker.update(1, torch.tensor([0.5, 0.5]), torch.tensor([1.0, 1.0]))
    before = stacked.member(0).state_dict()
    with torch.no_grad():
        for w in stacked.weights:
            w.neg_()
    tracker.update(2, torch.tensor([0.4, 0.6]), torch.tensor([1.0, 0.9]))
    assert tracker.epoch.tolist() == [1, 2]
    kept = build_members(CONFIGS, 5, True)
    kept.load_state_dict(tracker.state)
    torch.testing.assert_close(kept.member(0).state_dict(), before)
    torch.testing.assert_close(kept.member(1).state_dict(), stacked.member(1).state_dict())


def test_select_member_uses_validation_only() -> None:
    """Highest validation accuracy wins, ties go to lower validation loss; test is ignored."""
    result = {"best_val_acc": [0.9, 0.95, 0.95], "best_val_loss": [0.1, 0.3, 0.2],
              "best_test_acc": [0.99, 0.5, 0.6]}  # fmt: skip
    assert select_member(result) == 2


def tiny_data() -> SweepData:
    """Eight training, four validation and four test windows with random labels."""
    g = torch.Generator().manual_seed(0)
    data = SweepData(windows(8, 1), torch.randint(0, 5, (8,), generator=g), windows(4, 2),
                     torch.randint(0, 5, (4,), generator=g), windows(4, 3),
                     torch.randint(0, 5, (4,), generator=g))  # fmt: skip
    return data


def test_run_sweep_few_steps() -> None:
    """A tiny sweep runs end to end and records one history per member and epoch."""
    data = tiny_data()
    configs = [MemberConfig(0, 0.01, augment=True, dropout=0.5, distill=0.5), CONFIGS[1]]
    teacher = single(MemberConfig(9, 0.01), binary=False)
    result = run_sweep(configs, data, 5, epochs=2, batch_size=4, teacher=teacher, max_steps=1,
                       progress=False)  # fmt: skip
    assert result["epochs_done"] == 2
    assert [len(member_history(result, n)) for n in range(2)] == [2, 2]
    assert result["history"]["val_acc"].shape == (2, 2)
    assert all(1 <= e <= 2 for e in result["best_epoch"])
    assert all(0.0 <= a <= 1.0 for a in result["best_test_acc"])


META = {
    "protocol": "paper", "class_names": list("NSVFQ"), "val_fraction": 0.1,
    "generator_seed": 0, "teacher": "", "temperature": 2.0, "trained_on": "cpu (test)",
}  # fmt: skip


def test_pick_writes_the_validation_choice_as_a_checkpoint(tmp_path: Path) -> None:
    """pick: the chosen member's best state, loadable by load_checkpoint, scores as in the sweep."""
    data = tiny_data()
    result = run_sweep(CONFIGS, data, 5, epochs=2, batch_size=4, max_steps=1, progress=False,
                       meta=META, checkpoint=tmp_path / "sweep.pt")  # fmt: skip
    main(["pick", str(tmp_path / "sweep.pt"), "--out", str(tmp_path / "bnn.pt")])
    model, ckpt = load_checkpoint(tmp_path / "bnn.pt")
    chosen = select_member(result)
    assert ckpt["config"]["seed"] == CONFIGS[chosen].seed
    assert len(ckpt["config"]["history"]) == 2
    assert "chosen on validation" in ckpt["config"]["selected_from"]
    preds = model(data.x_test).argmax(1)
    acc = float((preds == data.y_test).float().mean())
    assert acc == pytest.approx(result["best_test_acc"][chosen])


def test_summarize_reports_choice_spread_and_paper_style_maximum(tmp_path: Path) -> None:
    """summarize: the chosen member's test, the members' spread and the best test of any epoch."""
    result = run_sweep(CONFIGS * 2, tiny_data(), 5, epochs=3, batch_size=4, max_steps=1,
                       progress=False, meta=META)  # fmt: skip
    torch.save(result, tmp_path / "sweep.pt")
    s = sweep_summary(result)
    tests = result["best_test_acc"]
    assert s["chosen"]["test_acc"] == tests[select_member(result)]
    assert s["test_at_chosen"]["min"] <= s["test_at_chosen"]["mean"] <= s["test_at_chosen"]["max"]
    assert s["max_test_any_epoch"] >= max(tests) - 1e-6
    assert sum(g["members"] for g in s["groups"].values()) == 4
    main(["summarize", f"tiny={tmp_path / 'sweep.pt'}", "--out", str(tmp_path / "s.json")])
    assert json.loads((tmp_path / "s.json").read_text())["tiny"]["members"] == 4
    assert (tmp_path / "s.png").stat().st_size > 0


def test_split_npz_round_trip_and_corrupt_file(tmp_path: Path) -> None:
    """A split written to .npz reads back identical; a damaged file names itself in the error."""
    rng = np.random.default_rng(0)
    split = DatasetSplit("paper", AAMI_CLASSES, rng.integers(-5, 5, (6, 3600), dtype=np.int16),
                         np.arange(6) % 5, rng.integers(-5, 5, (2, 3600), dtype=np.int16),
                         np.array([0, 1]), ["100:0", "100:1"])  # fmt: skip
    save_split_npz(split, tmp_path / "s.npz")
    back = load_split_npz(tmp_path / "s.npz")
    assert back.class_names == AAMI_CLASSES and back.test_ids == split.test_ids
    np.testing.assert_array_equal(back.x_train, split.x_train)
    np.testing.assert_array_equal(back.y_test, split.y_test)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="bad.npz"):
        load_split_npz(tmp_path / "bad.npz")
