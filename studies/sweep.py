"""Train many ECG BNNs at once and pick one on validation: a seed / hyper-parameter sweep.

The paper's network is so small that one training step of one model leaves a GPU idle (the step
is bound by kernel launches). :class:`StackedBnn` stacks N independent models as grouped
convolutions (``groups=N``): member ``n`` owns channel group ``n`` of every layer and sees its own
windows, so N models train in about the time of one. Each member has its own initial weights
(``EcgBnn`` built under its seed), learning rate and schedule, dropout, augmentation and
distillation weight; every member sees its own shuffle of the training windows. The stacked
network is exactly N ``EcgBnn`` (``tests/test_sweep.py`` checks the forward pass, the gradient and
the optimizer step against single models).

Selection uses the validation slice only (the same slice as ``pymodel.train``): each member keeps
its best-validation epoch, and the member with the highest validation accuracy (ties: lower
validation loss) is written as the deployable checkpoint. Held-out test accuracy is logged for the
analysis of ``studies/selection_bias.py`` style reporting and never used to choose.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pymodel.datasets import (
    PROTOCOLS,
    DatasetSplit,
    load_split,
    load_split_npz,
    save_split_npz,
)
from pymodel.model import (
    PAD,
    PAD_VALUE,
    POOL_SIZE,
    POOL_STRIDE,
    READOUTS,
    EcgBnn,
    binarize,
    layer_shapes,
    readout_scale,
    zscore,
)
from pymodel.train import (
    SCHEDULES,
    TrainConfig,
    file_sha256,
    load_checkpoint,
    machine_description,
    save_checkpoint,
    seed_everything,
    split_validation,
)

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8  # torch.optim.Adam's defaults, so a member trains as pymodel.train would


@dataclass(frozen=True)
class MemberConfig:
    """Hyper-parameters of one member of a sweep."""

    seed: int
    lr: float
    schedule: str = "cosine"
    dropout: float = 0.5
    augment: bool = True
    distill: float = 0.0  # weight of the distillation term (0: cross entropy only)
    readout: str = "sum"  # scores the loss sees: time sum or mean (model.readout_scale)
    clamp: bool = True  # keep latent binary weights in [-1, 1]
    noise: float = 0.0  # sd of Gaussian noise on each training window (z units; 0: off)

    def __post_init__(self) -> None:
        """Reject settings that would train nothing or divide by zero."""
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {SCHEDULES}")
        if self.readout not in READOUTS:
            raise ValueError(f"unknown readout {self.readout!r}; choose one of {READOUTS}")
        if not (self.lr > 0 and 0 <= self.dropout < 1 and 0 <= self.distill <= 1):
            raise ValueError(f"member {self}: need lr > 0, 0 <= dropout < 1, 0 <= distill <= 1")
        if self.noise < 0:
            raise ValueError(f"member {self}: need noise >= 0")


class StackedBnn(nn.Module):
    """N independent ``EcgBnn`` of the same kind as one network of grouped convolutions.

    Input ``(batch, N, samples)``: column ``n`` is member ``n``'s window. Output
    ``(batch, N, classes)``. Parameters are stacked member-major along their first dimension.
    """

    def __init__(self, models: list[EcgBnn]) -> None:
        """Stack ``models`` (same class count and kind) into one network."""
        super().__init__()
        first = models[0]
        self.members = len(models)
        self.num_classes = first.num_classes
        self.binary = first.binary
        self.shapes = layer_shapes(first.num_classes)
        self.weights = nn.ParameterList()
        self.slopes = nn.ParameterList()
        self.norms = nn.ModuleList()
        for i, shape in enumerate(self.shapes):
            blocks = [m.blocks[i] for m in models]
            self.weights.append(nn.Parameter(torch.cat([b.conv.weight.detach() for b in blocks])))
            self.slopes.append(nn.Parameter(torch.cat([b.prelu.weight.detach() for b in blocks])))
            norm = nn.BatchNorm1d(self.members * shape.out_channels)
            for name in ("weight", "bias", "running_mean", "running_var"):
                stacked = torch.cat([getattr(b.bn, name).detach() for b in blocks])
                getattr(norm, name).data.copy_(stacked)
            self.norms.append(norm)
        self.register_buffer("dropout_p", torch.zeros(self.members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores ``(batch, N, classes)`` of windows ``(batch, N, samples)``."""
        for i, shape in enumerate(self.shapes):
            x = F.pad(x, (PAD, PAD), value=PAD_VALUE)
            if self.binary and i > 0:
                x = binarize(x)
            w = binarize(self.weights[i]) if self.binary else self.weights[i]
            x = F.conv1d(x, w, stride=shape.stride, groups=self.members)
            x = F.max_pool1d(x, POOL_SIZE, POOL_STRIDE)
            x = F.prelu(x, self.slopes[i].repeat_interleave(shape.out_channels))
            x = self.norms[i](x)
        x = x.view(x.shape[0], self.members, self.num_classes, -1)
        if self.training and bool(self.dropout_p.any()):
            keep = 1.0 - self.dropout_p.view(1, -1, 1, 1)
            x = x * (torch.rand_like(x) < keep) / keep
        return x.sum(dim=3)

    def rows_per_member(self, name: str) -> int:
        """How many leading-dimension rows of parameter/buffer ``name`` belong to one member."""
        if name.startswith("slopes.") or name == "dropout_p":
            return 1
        index = int(name.split(".")[1])
        return self.shapes[index].out_channels

    def member(self, n: int) -> EcgBnn:
        """Member ``n`` as a stand-alone ``EcgBnn`` in eval mode."""
        return member_model(self.state_dict(), n, self.num_classes, self.binary)


def member_state(
    stacked: dict[str, torch.Tensor], n: int, num_classes: int
) -> dict[str, torch.Tensor]:
    """The ``EcgBnn`` state dict of member ``n`` of a :class:`StackedBnn` state dict."""
    state: dict[str, torch.Tensor] = {}
    for i, shape in enumerate(layer_shapes(num_classes)):
        rows = slice(n * shape.out_channels, (n + 1) * shape.out_channels)
        state[f"blocks.{i}.conv.weight"] = stacked[f"weights.{i}"][rows].clone()
        state[f"blocks.{i}.prelu.weight"] = stacked[f"slopes.{i}"][n : n + 1].clone()
        for name in ("weight", "bias", "running_mean", "running_var"):
            state[f"blocks.{i}.bn.{name}"] = stacked[f"norms.{i}.{name}"][rows].clone()
        state[f"blocks.{i}.bn.num_batches_tracked"] = stacked[
            f"norms.{i}.num_batches_tracked"
        ].clone()
    return {k: v.cpu() for k, v in state.items()}


def member_model(
    stacked: dict[str, torch.Tensor], n: int, num_classes: int, binary: bool
) -> EcgBnn:
    """Member ``n`` of a stacked state dict as an ``EcgBnn`` in eval mode."""
    model = EcgBnn(num_classes, binary=binary)
    model.load_state_dict(member_state(stacked, n, num_classes))
    return model.eval()


def build_members(configs: list[MemberConfig], num_classes: int, binary: bool) -> StackedBnn:
    """Stack one freshly initialized ``EcgBnn`` per member, each built under its own seed."""
    models = []
    for cfg in configs:
        seed_everything(cfg.seed)
        models.append(EcgBnn(num_classes, binary=binary))
    stacked = StackedBnn(models)
    stacked.dropout_p.copy_(torch.tensor([c.dropout for c in configs]))
    return stacked


class StackedAdam:
    """Adam with one learning rate per member (``torch.optim.Adam``'s update, row by row)."""

    def __init__(self, model: StackedBnn) -> None:
        """Zeroed moments for every parameter of ``model``."""
        self.model = model
        self.params = dict(model.named_parameters())
        self.exp_avg = {k: torch.zeros_like(p) for k, p in self.params.items()}
        self.exp_avg_sq = {k: torch.zeros_like(p) for k, p in self.params.items()}
        self.steps = 0

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        """One update; ``lr`` holds each member's learning rate, shape (N,)."""
        self.steps += 1
        beta1, beta2 = ADAM_BETAS
        correction1 = 1 - beta1**self.steps
        correction2_sqrt = math.sqrt(1 - beta2**self.steps)
        for name, p in self.params.items():
            if p.grad is None:
                continue
            m, v = self.exp_avg[name], self.exp_avg_sq[name]
            m.lerp_(p.grad, 1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            rows = lr.to(p).repeat_interleave(self.model.rows_per_member(name))
            step = rows.view(-1, *([1] * (p.dim() - 1))) / correction1
            denom = (v.sqrt() / correction2_sqrt).add_(ADAM_EPS)
            p.addcdiv_(m * step, denom, value=-1.0)


def member_lrs(configs: list[MemberConfig], epoch: int, epochs: int) -> torch.Tensor:
    """Learning rate of each member in ``epoch`` (0-based): cosine to 0 at ``epochs``, or flat.

    The closed form of ``CosineAnnealingLR(T_max=epochs)``, the schedule of ``pymodel.train``.
    """
    cosine = 0.5 * (1 + math.cos(math.pi * epoch / max(1, epochs)))
    rates = [c.lr * (cosine if c.schedule == "cosine" else 1.0) for c in configs]
    return torch.tensor(rates, dtype=torch.float64)


def rotate_members(
    x: torch.Tensor, enabled: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Rotate each window of ``x`` (batch, N, samples) by a random shift where member augments."""
    batch, members, n = x.shape
    shifts = torch.randint(0, n, (batch, members, 1), device=x.device, generator=generator)
    shifts = shifts * enabled.view(1, -1, 1)
    index = (torch.arange(n, device=x.device).view(1, 1, -1) - shifts) % n
    return x.gather(2, index)


def member_losses(
    logits: torch.Tensor,
    labels: torch.Tensor,
    teacher_logits: torch.Tensor | None,
    distill: torch.Tensor,
    temperature: float,
    scale: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-member training loss, shape (N,): cross entropy, blended with distillation.

    ``logits`` (batch, N, classes); ``labels`` (batch, N). With a teacher, member ``n``'s loss is
    ``(1 - a_n) * CE + a_n * T^2 * KL(teacher_T || student_T)`` (Hinton et al. 2015). ``scale``
    (N,) multiplies each member's scores first (its readout, :func:`member_scales`).
    """
    if scale is not None:
        logits = logits * scale.view(1, -1, 1)
    ce = F.cross_entropy(logits.permute(0, 2, 1), labels, reduction="none").mean(0)
    if teacher_logits is None:
        return ce
    t = temperature
    kl = F.kl_div(
        F.log_softmax(logits / t, dim=2),
        F.log_softmax(teacher_logits / t, dim=2),
        log_target=True,
        reduction="none",
    )
    kd = kl.sum(2).mean(0) * t * t
    return (1 - distill) * ce + distill * kd


def member_scales(configs: list[MemberConfig], num_classes: int) -> torch.Tensor:
    """Each member's readout factor on its scores in the loss, shape (N,)."""
    return torch.tensor([readout_scale(num_classes, c.readout) for c in configs])


@torch.no_grad()
def evaluate_members(
    model: StackedBnn,
    x: torch.Tensor,
    y: torch.Tensor,
    batch: int = 256,
    scale: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Accuracy and mean cross entropy of every member on the same windows (x: batch, 1, n).

    The loss is of the scores times ``scale`` (N,), each member's training readout.
    """
    model.eval()
    device = next(model.parameters()).device
    correct = torch.zeros(model.members, device=device)
    loss = torch.zeros(model.members, device=device)
    for i in range(0, len(y), batch):
        xb = x[i : i + batch].to(device).expand(-1, model.members, -1)
        yb = y[i : i + batch].to(device).view(-1, 1).expand(-1, model.members)
        logits = model(xb)
        correct += (logits.argmax(2) == yb).sum(0)
        if scale is not None:
            logits = logits * scale.to(device).view(1, -1, 1)
        loss += F.cross_entropy(logits.permute(0, 2, 1), yb, reduction="none").sum(0)
    n = max(1, len(y))
    return (correct / n).cpu(), (loss / n).cpu()


@dataclass
class SweepData:
    """Z-scored windows of one protocol: training fit part, validation slice, held-out test."""

    x_fit: torch.Tensor
    y_fit: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


class BestTracker:
    """Each member's best-validation state (ties: the later epoch, as ``pymodel.train``)."""

    def __init__(self, model: StackedBnn) -> None:
        """Start below any accuracy."""
        self.model = model
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.val_acc = torch.full((model.members,), -1.0)
        self.val_loss = torch.full((model.members,), float("inf"))
        self.epoch = torch.zeros(model.members, dtype=torch.long)

    @torch.no_grad()
    def update(self, epoch: int, val_acc: torch.Tensor, val_loss: torch.Tensor) -> None:
        """Keep the current weights of the members whose validation accuracy did not drop."""
        better = val_acc >= self.val_acc
        self.val_acc = torch.where(better, val_acc, self.val_acc)
        self.val_loss = torch.where(better, val_loss, self.val_loss)
        self.epoch = torch.where(better, torch.full_like(self.epoch, epoch), self.epoch)
        for name, value in self.model.state_dict().items():
            if value.dim() == 0:
                self.state[name] = value.detach().clone()
                continue
            rows = better.to(value.device).repeat_interleave(self.model.rows_per_member(name))
            mask = rows.view(-1, *([1] * (value.dim() - 1)))
            self.state[name] = torch.where(mask, value, self.state[name])


def train_step(
    model: StackedBnn,
    optimizer: StackedAdam,
    xb: torch.Tensor,
    yb: torch.Tensor,
    lr: torch.Tensor,
    teacher: EcgBnn | None,
    distill: torch.Tensor,
    temperature: float,
    scale: torch.Tensor | None = None,
    clamp: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step of every member; per-member losses and correct predictions (N,).

    ``scale`` (N,): readout factors (:func:`member_losses`); ``clamp`` (N, bool): members whose
    latent binary weights are kept in [-1, 1] (all when None).
    """
    model.train()
    teacher_logits = None
    if teacher is not None:
        with torch.no_grad():
            flat = teacher(xb.reshape(-1, 1, xb.shape[-1]))
            teacher_logits = flat.view(xb.shape[0], xb.shape[1], -1)
    for p in model.parameters():
        p.grad = None
    logits = model(xb)
    losses = member_losses(logits, yb, teacher_logits, distill, temperature, scale)
    losses.sum().backward()  # members share no parameters: each gets its own gradient
    optimizer.step(lr)
    if model.binary:  # keep latent weights in [-1, 1] so the STE passes gradients
        clamp_members(model, clamp)
    return losses.detach(), (logits.detach().argmax(2) == yb).sum(0)


@torch.no_grad()
def clamp_members(model: StackedBnn, clamp: torch.Tensor | None) -> None:
    """Clamp the latent weights of the members flagged in ``clamp`` (N, bool; None: all)."""
    for i, w in enumerate(model.weights):
        if clamp is None:
            w.clamp_(-1.0, 1.0)
            continue
        rows = clamp.to(w.device).repeat_interleave(model.rows_per_member(f"weights.{i}"))
        w.copy_(torch.where(rows.view(-1, 1, 1), w.clamp(-1.0, 1.0), w))


def train_epoch(
    model: StackedBnn,
    optimizer: StackedAdam,
    x_fit: torch.Tensor,
    y_fit: torch.Tensor,
    configs: list[MemberConfig],
    lr: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    teacher: EcgBnn | None = None,
    temperature: float = 2.0,
    max_steps: int = 0,
    order: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass of every member over its own shuffle of the training windows ``x_fit``.

    ``order`` (members, n) gives each member's window indices for the epoch, in order (default:
    every member its own shuffle of all windows; cross-validation folds give each member its own
    fold's windows). Returns each member's mean loss and its accuracy on the batches as trained
    (augmented, with dropout): the training curve, without a second pass over the windows.
    """
    device = x_fit.device
    members = model.members
    if order is None:
        order = torch.rand(members, len(y_fit), device=device, generator=generator).argsort(1)
    n_fit = order.shape[1]
    augment = torch.tensor([c.augment for c in configs], device=device, dtype=torch.long)
    distill = torch.tensor([c.distill for c in configs], device=device)
    noise = torch.tensor([c.noise for c in configs], device=device)
    scale = member_scales(configs, model.num_classes).to(device)
    clamp = torch.tensor([c.clamp for c in configs], device=device)
    lr = lr.to(device)
    starts = range(0, n_fit, batch_size)
    if max_steps:
        starts = starts[:max_steps]
    total = torch.zeros(members, device=device)
    correct = torch.zeros(members, device=device)
    seen = 0
    for start in starts:
        idx = order[:, start : start + batch_size].T  # (batch, N)
        xb = x_fit[idx, 0]  # (batch, N, samples)
        if bool(augment.any()):
            xb = rotate_members(xb, augment, generator)
        if bool(noise.any()):
            xb = xb + noise.view(1, -1, 1) * torch.randn(
                xb.shape, device=device, generator=generator
            )
        losses, hits = train_step(
            model, optimizer, xb, y_fit[idx], lr, teacher, distill, temperature, scale,
            clamp,
        )  # fmt: skip
        total += losses * idx.shape[0]
        correct += hits
        seen += idx.shape[0]
    return (total / max(1, seen)).cpu(), (correct / max(1, seen)).cpu()


HISTORY_KEYS = ("loss", "batch_acc", "val_acc", "val_loss", "test_acc", "lr")


def member_history(result: dict, member: int) -> list[dict]:
    """One member's per-epoch history as a list of records (``pymodel.train``'s format)."""
    h = result["history"]
    return [
        {"epoch": e + 1, **{k: float(h[k][e, member]) for k in HISTORY_KEYS},
         "seconds": float(h["seconds"][e])}
        for e in range(result["epochs_done"])
    ]  # fmt: skip


def run_sweep(
    configs: list[MemberConfig],
    data: SweepData,
    num_classes: int,
    epochs: int,
    batch_size: int = 64,
    binary: bool = True,
    teacher: EcgBnn | None = None,
    temperature: float = 2.0,
    generator_seed: int = 0,
    max_steps: int = 0,
    checkpoint: Path | None = None,
    checkpoint_every: int = 25,
    progress: bool = True,
    meta: dict | None = None,
) -> dict:
    """Train every member for ``epochs``; returns the sweep result (see :func:`sweep_result`).

    With ``checkpoint``, the result so far (``meta`` added) is saved every ``checkpoint_every``
    epochs, so a run stopped by a time limit still leaves its members' best states.
    """
    device = data.x_fit.device
    model = build_members(configs, num_classes, binary).to(device)
    if teacher is not None:
        teacher = teacher.to(device).eval()
    optimizer = StackedAdam(model)
    tracker = BestTracker(model)
    generator = torch.Generator(device=device)
    generator.manual_seed(generator_seed)
    scale = member_scales(configs, num_classes)
    history: dict[str, list[torch.Tensor]] = {k: [] for k in (*HISTORY_KEYS, "seconds")}
    for epoch in range(epochs):
        t0 = time.perf_counter()
        lr = member_lrs(configs, epoch, epochs)
        loss, batch_acc = train_epoch(
            model, optimizer, data.x_fit, data.y_fit, configs, lr, batch_size, generator,
            teacher, temperature, max_steps,
        )  # fmt: skip
        val_acc, val_loss = evaluate_members(model, data.x_val, data.y_val, scale=scale)
        test_acc, _ = evaluate_members(model, data.x_test, data.y_test)
        tracker.update(epoch + 1, val_acc, val_loss)
        seconds = time.perf_counter() - t0
        record = {"loss": loss, "batch_acc": batch_acc, "val_acc": val_acc,
                  "val_loss": val_loss, "test_acc": test_acc, "lr": lr.float(),
                  "seconds": torch.tensor(seconds)}  # fmt: skip
        for key, value in record.items():
            history[key].append(value)
        if progress:
            print(
                f"epoch {epoch + 1}/{epochs} ({seconds:.2f} s): val best-of-members "
                f"{float(val_acc.max()):.4f}, mean {float(val_acc.mean()):.4f}",
                flush=True,
            )
        periodic = (epoch + 1) % checkpoint_every == 0 and epoch + 1 < epochs  # last: below
        if checkpoint is not None and periodic:
            result = sweep_result(configs, model, tracker, history, data, epochs, batch_size)
            torch.save({**result, **(meta or {})}, checkpoint)
    result = {
        **sweep_result(configs, model, tracker, history, data, epochs, batch_size),
        **(meta or {}),
    }
    if checkpoint is not None:
        torch.save(result, checkpoint)
    return result


def sweep_result(
    configs: list[MemberConfig],
    model: StackedBnn,
    tracker: BestTracker,
    history: dict[str, list[torch.Tensor]],
    data: SweepData,
    epochs: int,
    batch_size: int,
) -> dict:
    """Everything a sweep leaves: configs, best states, per-member histories and test figures."""
    best = copy.deepcopy(model)
    best.load_state_dict(tracker.state)
    best_test, _ = evaluate_members(best, data.x_test, data.y_test)
    return {
        "members": [asdict(c) for c in configs],
        "num_classes": model.num_classes,
        "binary": model.binary,
        "epochs": epochs,
        "epochs_done": len(history["seconds"]),
        "batch_size": batch_size,
        "best_state": {k: v.cpu() for k, v in tracker.state.items()},
        "best_val_acc": tracker.val_acc.tolist(),
        "best_val_loss": tracker.val_loss.tolist(),
        "best_epoch": tracker.epoch.tolist(),
        "best_test_acc": best_test.tolist(),
        "history": {k: torch.stack(v) for k, v in history.items()},
    }


def select_member(result: dict) -> int:
    """Index of the member chosen on validation: highest accuracy, then lowest loss, then first."""
    keys = [(-a, loss, n) for n, (a, loss) in enumerate(
        zip(result["best_val_acc"], result["best_val_loss"], strict=True))]  # fmt: skip
    return min(keys)[2]


def parse_list(text: str, kind: type) -> list:
    """``"0-3"`` -> [0, 1, 2, 3] for ints; ``"0.01,0.005"`` -> floats."""
    values: list = []
    for part in text.split(","):
        if kind is int and "-" in part.strip("-"):
            lo, hi = part.split("-")
            values.extend(range(int(lo), int(hi) + 1))
        else:
            values.append(kind(part))
    return values


def member_grid(
    seeds: list[int],
    lrs: list[float],
    dropouts: list[float],
    distills: list[float],
    schedules: list[str],
    augment: bool,
    readouts: tuple[str, ...] = ("sum",),
    clamps: tuple[bool, ...] = (True,),
) -> list[MemberConfig]:
    """Every combination of the listed hyper-parameters, seeds innermost."""
    return [
        MemberConfig(seed, lr, schedule, dropout, augment, distill, readout, clamp)
        for lr in lrs
        for schedule in schedules
        for readout in readouts
        for clamp in clamps
        for dropout in dropouts
        for distill in distills
        for seed in seeds
    ]


def parse_switches(text: str) -> tuple[bool, ...]:
    """``"on,off"`` -> (True, False)."""
    words = {"on": True, "off": False}
    parts = [part.strip() for part in text.split(",")]
    if not parts or any(part not in words for part in parts):
        raise ValueError(f"expected a comma list of on/off, got {text!r}")
    return tuple(words[part] for part in parts)


def sweep_data(split: DatasetSplit, val_fraction: float, device: torch.device) -> SweepData:
    """Z-scored fit / validation / test tensors on ``device`` (validation as pymodel.train)."""
    x_fit, y_fit, x_val, y_val = split_validation(split, val_fraction)
    x_test = zscore(torch.from_numpy(split.x_test.astype(np.int64)))
    y_test = torch.from_numpy(split.y_test)
    tensors = (x_fit, y_fit, x_val, y_val, x_test, y_test)
    return SweepData(*(t.to(device) for t in tensors))


def epochs_within(budget_s: float, epochs: int, trial: Callable[[], float]) -> int:
    """Cut ``epochs`` to what fits ``budget_s``, timing one epoch after a warm-up epoch."""
    trial()  # first epoch pays for kernel selection and allocation
    per_epoch = trial()
    fits = max(1, int(budget_s // per_epoch))
    print(f"one epoch of the sweep takes {per_epoch:.2f} s: {min(epochs, fits)} epochs fit")
    return min(epochs, fits)


def run_cli(a: argparse.Namespace) -> None:
    """``python -m studies.sweep run``: train the grid and save the sweep result."""
    device = torch.device(a.device)
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN time its grouped convolutions
    split = load_split_npz(a.split) if a.split else load_split(a.protocol, a.data_dir)
    if a.save_split:
        save_split_npz(split, a.save_split)
        print(f"wrote {a.save_split}")
        return
    data = sweep_data(split, a.val_fraction, device)
    configs = member_grid(
        parse_list(a.seeds, int), parse_list(a.lrs, float), parse_list(a.dropouts, float),
        parse_list(a.distill, float), a.schedule.split(","), a.augment,
        tuple(a.readouts.split(",")), parse_switches(a.clamps),
    )  # fmt: skip
    teacher = load_checkpoint(a.teacher)[0] if a.teacher else None
    if any(c.distill for c in configs) and teacher is None:
        raise SystemExit("--distill above 0 needs --teacher (a full-precision checkpoint)")
    common = dict(num_classes=split.num_classes, batch_size=a.batch_size, binary=True,
                  teacher=teacher, temperature=a.temperature, progress=False)  # fmt: skip
    epochs = a.epochs
    if a.time_budget:

        def trial() -> float:
            t0 = time.perf_counter()
            run_sweep(configs, data, epochs=1, **common)
            return time.perf_counter() - t0

        epochs = epochs_within(a.time_budget, epochs, trial)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"{len(configs)} members x {epochs} epochs on {device}")
    meta = dict(
        protocol=split.protocol, class_names=list(split.class_names),
        val_fraction=a.val_fraction, generator_seed=a.generator_seed,
        teacher=f"{a.teacher} (sha256 {file_sha256(a.teacher)[:16]})" if a.teacher else "",
        temperature=a.temperature, trained_on=machine_description(device),
    )  # fmt: skip
    result = run_sweep(
        configs, data, epochs=epochs, generator_seed=a.generator_seed, checkpoint=out,
        meta=meta, **{**common, "progress": True},
    )  # fmt: skip
    chosen = select_member(result)
    print(f"wrote {out}; chosen on validation: member {chosen} {result['members'][chosen]}")


def pick_cli(a: argparse.Namespace) -> None:
    """``python -m studies.sweep pick``: write the member chosen on validation as a checkpoint."""
    result = torch.load(a.sweep, map_location="cpu", weights_only=False)
    chosen = select_member(result)
    member = MemberConfig(**result["members"][chosen])
    model = member_model(result["best_state"], chosen, result["num_classes"], result["binary"])
    cfg = TrainConfig(
        protocol=result["protocol"], binary=result["binary"], epochs=result["epochs"],
        batch_size=result["batch_size"], lr=member.lr, schedule=member.schedule,
        dropout=member.dropout, readout=member.readout, clamp=member.clamp,
        val_fraction=result["val_fraction"], seed=member.seed,
        augment=member.augment, track_test=True, out=a.out, device="sweep",
        trained_on=result["trained_on"], history=member_history(result, chosen),
        selected_from=selection_summary(result, chosen),
    )  # fmt: skip
    save_checkpoint(Path(a.out), model, result["protocol"], result["class_names"], cfg)
    print(cfg.selected_from)
    print(f"wrote {a.out}")


def selection_summary(result: dict, chosen: int) -> str:
    """One sentence on how the member was chosen and what the others reached."""
    tests = torch.tensor(result["best_test_acc"])
    m = result["members"][chosen]
    return (
        f"member {chosen} of a {len(tests)}-member sweep ({result['epochs']} epochs, "
        f"distill {m['distill']}, teacher {result['teacher'] or 'none'}; generator seed "
        f"{result['generator_seed']}), chosen on validation accuracy "
        f"{result['best_val_acc'][chosen]:.4f} (epoch {result['best_epoch'][chosen]}); "
        f"held-out test of the members at their validation-chosen epochs: mean "
        f"{float(tests.mean()):.4f}, min {float(tests.min()):.4f}, max {float(tests.max()):.4f}"
    )


def group_label(member: dict) -> str:
    """Short name of a member's hyper-parameters without its seed, e.g. ``lr 0.01, distill 0.5``.

    Settings other than those of the first sweeps (cosine, sum readout, clamped latent weights,
    dropout 0.5, augmentation) are named too.
    """
    label = f"lr {member['lr']}, distill {member['distill']}"
    if member.get("schedule", "cosine") != "cosine":
        label += f", {member['schedule']}"
    if member.get("readout", "sum") != "sum":
        label += f", {member['readout']} readout"
    if not member.get("clamp", True):
        label += ", unclamped"
    if member.get("dropout", 0.5) != 0.5:
        label += f", dropout {member['dropout']}"
    if not member.get("augment", True):
        label += ", no augmentation"
    return label


FACTORS = ("lr", "schedule", "readout", "clamp", "dropout", "augment", "distill")


def factor_effects(result: dict) -> dict[str, dict[str, dict[str, float]]]:
    """Mean validation and test accuracy per level of every hyper-parameter the sweep varies.

    In a full grid each level's mean averages over the same settings of the other factors, so the
    difference between levels is that factor's main effect. Test figures are each member's test
    accuracy at its validation-chosen epoch.
    """
    tests = torch.tensor(result["best_test_acc"])
    vals = torch.tensor(result["best_val_acc"])
    defaults = asdict(MemberConfig(seed=0, lr=1.0))  # results of older sweeps lack new fields
    effects: dict[str, dict[str, dict[str, float]]] = {}
    for factor in FACTORS:
        levels: dict[str, list[int]] = {}
        for n, member in enumerate(result["members"]):
            levels.setdefault(str(member.get(factor, defaults[factor])), []).append(n)
        if len(levels) > 1:
            effects[factor] = {
                level: {"members": len(idx), "mean_val_acc": float(vals[idx].mean()),
                        "mean_test_acc": float(tests[idx].mean())}
                for level, idx in levels.items()
            }  # fmt: skip
    return effects


def rank_correlation(a: list[float], b: list[float]) -> float:
    """Spearman rank correlation: how well validation orders the members by test accuracy."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic) if len(a) > 2 else float("nan")


def sweep_summary(result: dict) -> dict:
    """Figures of one sweep: the validation-chosen member and what every member reached.

    ``test_at_chosen``: each member's test accuracy at its own best-validation epoch (what that
    member would ship). ``max_test_any_epoch``: the best test accuracy of any member at any epoch,
    the paper-style figure of a seed loop that keeps the best test epoch.
    """
    chosen = select_member(result)
    tests = torch.tensor(result["best_test_acc"])
    groups: dict[str, list[int]] = {}
    for n, member in enumerate(result["members"]):
        groups.setdefault(group_label(member), []).append(n)
    return {
        "protocol": result["protocol"],
        "members": len(result["members"]),
        "epochs": result["epochs_done"],
        "trained_on": result["trained_on"],
        "seconds_per_epoch": float(result["history"]["seconds"].mean()),
        "teacher": result["teacher"],
        "chosen": {
            "member": chosen, **result["members"][chosen],
            "label": group_label(result["members"][chosen]),
            "val_acc": result["best_val_acc"][chosen], "epoch": result["best_epoch"][chosen],
            "test_acc": result["best_test_acc"][chosen],
        },
        "test_at_chosen": {"mean": float(tests.mean()), "min": float(tests.min()),
                           "max": float(tests.max())},
        "max_test_any_epoch": float(result["history"]["test_acc"].max()),
        "val_test_rank_correlation": rank_correlation(result["best_val_acc"], tests.tolist()),
        "groups": {
            label: {"members": len(idx),
                    "mean_val_acc": float(torch.tensor(result["best_val_acc"])[idx].mean()),
                    "mean_test_acc": float(tests[idx].mean())}
            for label, idx in groups.items()
        },
        "factors": factor_effects(result),
        "points": [[result["best_val_acc"][n], result["best_test_acc"][n],
                    group_label(m)] for n, m in enumerate(result["members"])],
    }  # fmt: skip


def plot_sweeps(summaries: dict[str, dict], path: Path) -> None:
    """Validation against test accuracy of every member, one panel per sweep."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(summaries))
    rows = -(-len(summaries) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat[len(summaries) :]:
        ax.set_visible(False)
    for ax, (name, s) in zip(axes.flat, summaries.items(), strict=False):
        for label in s["groups"]:
            pts = [(v, t) for v, t, g in s["points"] if g == label]
            ax.plot(*zip(*pts, strict=True), "o", ms=4, alpha=0.7, label=label)
        c = s["chosen"]
        ax.plot(c["val_acc"], c["test_acc"], "k*", ms=12, label="chosen on validation")
        ax.set_title(f"{name} ({s['members']} members, {s['epochs']} epochs)")
        ax.set(xlabel="validation accuracy (selects)", ylabel="test accuracy (held out)")
        ax.legend(fontsize=6, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize_cli(a: argparse.Namespace) -> None:
    """``python -m studies.sweep summarize``: sweep figures to JSON, a plot and stdout."""
    summaries: dict[str, dict] = {}
    for item in a.sweeps:
        name, _, path = item.partition("=")
        if not path:
            raise SystemExit(f"summarize takes NAME=SWEEP_RESULT, got {item!r}")
        summaries[name] = sweep_summary(torch.load(path, map_location="cpu", weights_only=False))
    for name, s in summaries.items():
        c, t = s["chosen"], s["test_at_chosen"]
        print(f"{name}: {s['members']} members x {s['epochs']} epochs ({s['protocol']}), "
              f"{s['seconds_per_epoch']:.2f} s per epoch on {s['trained_on']}")  # fmt: skip
        print(f"  chosen on validation: member {c['member']} val {c['val_acc']:.4f} "
              f"epoch {c['epoch']} -> test {c['test_acc']:.4f}")  # fmt: skip
        print(f"  members' test at their chosen epochs: mean {t['mean']:.4f} "
              f"[{t['min']:.4f}, {t['max']:.4f}]; best test of any member and epoch "
              f"{s['max_test_any_epoch']:.4f}; validation/test rank correlation "
              f"{s['val_test_rank_correlation']:.2f}")  # fmt: skip
        for factor, levels in s["factors"].items():
            print(f"  {factor}: " + "; ".join(
                f"{level}: {g['members']} members, mean val {g['mean_val_acc']:.4f}, "
                f"mean test {g['mean_test_acc']:.4f}" for level, g in levels.items()))  # fmt: skip
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summaries, indent=1) + "\n")
    plot_sweeps(summaries, out.with_suffix(".png"))
    print(f"wrote {out} and {out.with_suffix('.png')}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m studies.sweep``."""
    p = argparse.ArgumentParser(prog="python -m studies.sweep", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train a grid of members at once (one stacked network)")
    r.add_argument("--protocol", choices=PROTOCOLS, default="paper")
    r.add_argument("--data-dir", default=None, help="data directory (else $ECG_DATA_DIR)")
    r.add_argument("--split", default="", help="read windows from this .npz instead")
    r.add_argument("--save-split", default="", help="only write the windows to this .npz")
    r.add_argument("--seeds", default="0-7", help="initial-weight seeds, e.g. 0-15 or 1,5")
    r.add_argument("--lrs", default="0.01", help="learning rates, comma separated")
    r.add_argument("--dropouts", default="0.5", help="training-only dropout rates")
    r.add_argument("--distill", default="0", help="distillation weights (need --teacher)")
    r.add_argument("--teacher", default="", help="full-precision checkpoint to distill from")
    r.add_argument("--temperature", type=float, default=2.0, help="distillation temperature")
    r.add_argument("--schedule", default="cosine", help=f"schedules, comma list of {SCHEDULES}")
    r.add_argument("--readouts", default="sum", help=f"training readouts, comma list of {READOUTS}")
    r.add_argument("--clamps", default="on", help="clamp latent weights: on, off or on,off")
    r.add_argument("--augment", action="store_true", help="random rotation of each window")
    r.add_argument("--epochs", type=int, default=380)
    r.add_argument(
        "--time-budget", type=float, default=0.0,
        help="seconds: cut --epochs to what fits (timed on two trial epochs)",
    )  # fmt: skip
    r.add_argument("--batch-size", type=int, default=64)
    r.add_argument("--val-fraction", type=float, default=0.1)
    r.add_argument("--generator-seed", type=int, default=0, help="shuffles and shifts")
    r.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    r.add_argument("--out", default="runs/sweep.pt", help="sweep result (rewritten as it runs)")
    k = sub.add_parser("pick", help="write the member chosen on validation as a checkpoint")
    k.add_argument("sweep", help="sweep result of 'run'")
    k.add_argument("--out", required=True, help="deployable checkpoint, e.g. weights/bnn5_paper.pt")
    m = sub.add_parser("summarize", help="figures of sweep results (JSON, plot, stdout)")
    m.add_argument("sweeps", nargs="+", metavar="NAME=SWEEP_RESULT", help="results of 'run'")
    m.add_argument("--out", default="results/sweep.json", help="JSON (plot beside it, .png)")
    a = p.parse_args(argv)
    commands = {"run": run_cli, "pick": pick_cli, "summarize": summarize_cli}
    commands[a.command](a)


if __name__ == "__main__":
    main()
