"""Cross-validation folds trained side by side as one stacked network (``crossval --stacked``).

One training step of the paper's network leaves a GPU idle (kernel launches bound it), so the
folds of :mod:`studies.crossval`, one process each, gain little on a lent GPU (about 2 s per
`paper` epoch per process there against 5.5 s on this 2-core CPU). Here the pending folds of one
recipe train as the members of one :class:`studies.sweep.StackedBnn` (grouped convolutions,
member ``n`` is fold ``folds[n]``): each member sees only its own fold's training part, is
validated on its own validation slice (the slice :func:`pymodel.train.split_validation` carves
for that fold, as in a sequential run) and keeps its best-validation epoch (ties: the later one).
The chosen members are written as the folds' checkpoints and evaluated through the golden model
by :func:`studies.crossval.fold_result`, like sequential folds.

What differs from the sequential trainer: the random streams (shuffles, shifts, noise, dropout),
and every epoch gives each member as many windows as the smallest training part of the stack
holds (folds differ by a window or two; which ones sit out changes every epoch). A member's epoch
seconds are its share of the stacked epoch, so the hours of a result add up. Recipes with
options the stacked network does not reproduce (EMA, distillation, class weights, record-wise
validation, weight decay, a start checkpoint) are refused.

Resumable: the whole state is saved to ``<run_root>/stacked_<folds>.pt`` every ``save_every``
epochs and when ``stop_after`` seconds have passed (a device call's time limit); a rerun
continues from it (on another device type with a fresh random stream).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from itertools import accumulate
from pathlib import Path

import torch
import torch.nn.functional as F

from pymodel.datasets import DatasetSplit
from pymodel.train import (
    TrainConfig,
    machine_description,
    machines_text,
    save_checkpoint,
    split_validation,
)
from studies.crossval import (
    CrossvalRun,
    chosen_folds,
    fold_config,
    fold_result,
    fold_split,
    pin_recipe,
    recipe,
)
from studies.sweep import (
    BestTracker,
    MemberConfig,
    StackedAdam,
    StackedBnn,
    build_members,
    member_lrs,
    member_model,
    member_scales,
    train_epoch,
)

# Recipe fields the stacked network reproduces; every other recipe field must keep its default.
STACKED_FIELDS = frozenset({
    "protocol", "binary", "epochs", "batch_size", "lr", "schedule", "dropout", "val_fraction",
    "seed", "split_seed", "stratify", "folds", "max_steps", "augment", "noise", "readout",
    "clamp", "temperature",
})  # fmt: skip


def check_stackable(cv: CrossvalRun) -> None:
    """Raise ValueError naming what the stacked trainer cannot reproduce in ``cv``'s recipe."""
    defaults = TrainConfig()
    unsupported = [
        k for k in recipe(cv.train)
        if k not in STACKED_FIELDS and getattr(cv.train, k) != getattr(defaults, k)
    ]  # fmt: skip
    if cv.checkpoint or cv.distilled:
        unsupported.append("a teacher or an evaluated checkpoint")
    if cv.protocol == "interpatient":
        unsupported.append("the one-split interpatient protocol (nothing to stack)")
    if unsupported:
        raise ValueError(f"--stacked does not reproduce {', '.join(unsupported)}; run without it")


@dataclass
class FoldData:
    """Each member's own windows: fit parts pooled, validation slices padded member-major."""

    x_fit: torch.Tensor  # (windows, 1, samples) every member's z-scored fit part, one after another
    y_fit: torch.Tensor  # (windows,)
    n_fit: list[int]  # each member's count of fit windows, in member order
    x_val: torch.Tensor  # (members, n, samples) its validation slice
    y_val: torch.Tensor  # (members, n), -1 where padded
    n_val: list[int]
    splits: list[DatasetSplit]  # each fold's windows (its test part is evaluated at the end)

    @property
    def class_names(self) -> tuple[str, ...]:
        """The protocol's class names."""
        return self.splits[0].class_names


def pad_stack(parts: list[torch.Tensor], fill: float) -> torch.Tensor:
    """Stack tensors of different lengths (first dimension) padded with ``fill``."""
    longest = max(len(p) for p in parts)
    out = torch.full((len(parts), longest, *parts[0].shape[1:]), fill, dtype=parts[0].dtype)
    for i, p in enumerate(parts):
        out[i, : len(p)] = p
    return out


def fold_data(cv: CrossvalRun, folds: list[int], device: torch.device) -> FoldData:
    """The fit part and validation slice of each fold, exactly as the sequential fold trains."""
    splits = [fold_split(fold_config(cv, fold)) for fold in folds]
    fits, fit_labels, vals, val_labels = [], [], [], []
    for split in splits:
        x_fit, y_fit, x_val, y_val = split_validation(split, cv.train.val_fraction)
        fits.append(x_fit)
        fit_labels.append(y_fit)
        vals.append(x_val[:, 0])
        val_labels.append(y_val)
    n_fit = [len(y) for y in fit_labels]
    return FoldData(
        torch.cat(fits).to(device), torch.cat(fit_labels).to(device),
        n_fit, pad_stack(vals, 0.0).to(device),
        pad_stack(val_labels, -1).to(device), [len(y) for y in val_labels], splits,
    )  # fmt: skip


def member_configs(cfg: TrainConfig, members: int) -> list[MemberConfig]:
    """The recipe as every member's sweep configuration (the same for each fold)."""
    one = MemberConfig(
        seed=cfg.seed, lr=cfg.lr, schedule=cfg.schedule, dropout=cfg.dropout,
        augment=cfg.augment, readout=cfg.readout, clamp=cfg.clamp, noise=cfg.noise,
    )  # fmt: skip
    return [one] * members


def epoch_order(data: FoldData, generator: torch.Generator) -> torch.Tensor:
    """Each member's window indices for one epoch (members, n): its own fit part, shuffled.

    Every member gets as many as the smallest fit part holds (one batch size for the stack).
    """
    per_epoch = min(data.n_fit)
    device = data.x_fit.device
    starts = accumulate(data.n_fit[:-1], initial=0)  # where each member's part begins
    return torch.stack([
        start + torch.randperm(n, device=device, generator=generator)[:per_epoch]
        for start, n in zip(starts, data.n_fit, strict=True)
    ])  # fmt: skip


@torch.no_grad()
def own_validation(
    model: StackedBnn, data: FoldData, scale: torch.Tensor, batch: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's accuracy and mean loss on its own validation slice (padding ignored)."""
    model.eval()
    device = data.x_val.device
    correct = torch.zeros(model.members, device=device)
    loss = torch.zeros(model.members, device=device)
    for i in range(0, data.x_val.shape[1], batch):
        xb = data.x_val[:, i : i + batch].transpose(0, 1)
        yb = data.y_val[:, i : i + batch].T
        real = yb >= 0
        logits = model(xb)
        correct += ((logits.argmax(2) == yb) & real).sum(0)
        scaled = (logits * scale.to(device).view(1, -1, 1)).permute(0, 2, 1)
        loss += (F.cross_entropy(scaled, yb.clamp(min=0), reduction="none") * real).sum(0)
    n = torch.tensor(data.n_val, device=device).clamp(min=1)
    return (correct / n).cpu(), (loss / n).cpu()


def state_path(cv: CrossvalRun, folds: list[int]) -> Path:
    """Where the stacked run of these folds keeps its resumable state."""
    return cv.run_root / f"stacked_{'-'.join(str(f) for f in folds)}.pt"


def save_state(path: Path, state: dict) -> None:
    """Write the resumable state atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def run_stacked(
    cv: CrossvalRun,
    only: list[int] | None = None,
    stop_after: float = 0.0,
    save_every: int = 10,
) -> bool:
    """Train the unfinished folds of ``cv`` (all, or ``only``) stacked; True when all are done.

    ``stop_after`` (seconds, 0: no limit) saves the state and returns False after the epoch
    that passes it; a rerun continues. Finished folds get their checkpoint and result file.
    """
    check_stackable(cv)
    wanted = chosen_folds(cv, only)
    pin_recipe(cv)
    folds = [f for f in wanted if not (cv.fold_dir / f"fold{f}.json").is_file()]
    if not folds:
        return True
    cfg, t0 = cv.train, time.perf_counter()
    device = torch.device(cfg.device)
    data = fold_data(cv, folds, device)
    configs = member_configs(cfg, len(folds))
    model = build_members(configs, len(data.class_names), cfg.binary).to(device)
    optimizer, tracker = StackedAdam(model), BestTracker(model)
    generator = torch.Generator(device=device)
    generator.manual_seed(cfg.seed)
    scale = member_scales(configs, model.num_classes)
    here = machine_description(device)
    history: list[list[dict]] = [[] for _ in folds]
    machines, start = [[1, here]], 0
    path = state_path(cv, folds)
    if path.is_file():
        state = torch.load(path, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.exp_avg, optimizer.exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        optimizer.steps = state["steps"]
        tracker.state = state["best_state"]
        tracker.val_acc, tracker.val_loss = state["best_val_acc"], state["best_val_loss"]
        tracker.epoch = state["best_epoch"]
        history, start, machines = state["history"], state["epoch"], state["machines"]
        if machines[-1][1] != here:
            machines = [*machines, [start + 1, here]]
        try:
            generator.set_state(state["generator"].cpu())
        except (RuntimeError, TypeError):  # another device type: a fresh stream from here on
            generator.manual_seed(cfg.seed + start)
        print(f"resumed {path} at epoch {start}")

    def snapshot(epoch: int) -> dict:
        return {
            "folds": folds, "epoch": epoch, "model": model.state_dict(),
            "exp_avg": optimizer.exp_avg, "exp_avg_sq": optimizer.exp_avg_sq,
            "steps": optimizer.steps, "best_state": tracker.state,
            "best_val_acc": tracker.val_acc, "best_val_loss": tracker.val_loss,
            "best_epoch": tracker.epoch, "history": history, "machines": machines,
            "generator": generator.get_state(),
        }  # fmt: skip

    for epoch in range(start, cfg.epochs):
        tick = time.perf_counter()
        loss, _ = train_epoch(
            model, optimizer, data.x_fit, data.y_fit, configs,
            member_lrs(configs, epoch, cfg.epochs), cfg.batch_size, generator,
            temperature=cfg.temperature, max_steps=cfg.max_steps,
            order=epoch_order(data, generator),
        )  # fmt: skip
        val_acc, val_loss = own_validation(model, data, scale)
        tracker.update(epoch + 1, val_acc, val_loss)
        share = (time.perf_counter() - tick) / len(folds)  # a member's share of the epoch
        for m in range(len(folds)):
            history[m].append({"epoch": epoch + 1, "loss": float(loss[m]),
                               "train_acc": float("nan"), "val_acc": float(val_acc[m]),
                               "seconds": share})  # fmt: skip
        print(f"epoch {epoch + 1}/{cfg.epochs} ({share * len(folds):.2f} s): val "
              + " ".join(f"{float(a):.4f}" for a in val_acc), flush=True)  # fmt: skip
        out_of_time = stop_after and time.perf_counter() - t0 > stop_after
        if out_of_time or (epoch + 1) % save_every == 0:
            save_state(path, snapshot(epoch + 1))
        if out_of_time and epoch + 1 < cfg.epochs:
            print(f"stopped after epoch {epoch + 1} ({stop_after:.0f} s); rerun to continue")
            return False
    trained_on = machines_text(machines, cfg.epochs)
    cv.run_root.mkdir(parents=True, exist_ok=True)
    for m, fold in enumerate(folds):
        fold_cfg = replace(fold_config(cv, fold), history=history[m], trained_on=trained_on)
        member = member_model(tracker.state, m, model.num_classes, cfg.binary)
        save_checkpoint(Path(fold_cfg.out), member, cv.protocol, data.class_names, fold_cfg)
        extra = {"trainer": f"stacked with folds {folds}"}
        result = fold_result(
            cv, fold, fold_cfg.out, history[m], trained_on, t0, start > 0, extra, len(folds),
            data.splits[m],
        )  # fmt: skip
        print(
            f"{cv.name} fold {fold}: golden {100 * result['accuracy']:.2f} % "
            f"({result['test_windows']} windows), chosen epoch {result['chosen_epoch']}"
        )
    path.unlink(missing_ok=True)
    return True
