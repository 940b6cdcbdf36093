"""Training loop for the ECG BNN and its full-precision twin.

Resumable: every epoch writes ``<run_dir>/last.pt`` (model, optimizer, scheduler, history, RNG
state); ``--resume`` continues from it. The checkpoint with the best validation accuracy (a
stratified slice of the training split, never the test split) is written to ``--out``.

The train/test split and the validation slice are fixed by the protocol (seeds 0 and 1), so runs
with different ``--seed`` (weight init, shuffling, augmentation, dropout) are compared on the same
validation windows and evaluated on the same held-out test windows.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from pymodel.datasets import PROTOCOLS, DatasetSplit, load_split, stratified_split
from pymodel.model import (
    ACTIVATIONS,
    READOUTS,
    SAMPLE_RATE_HZ,
    EcgBnn,
    model_from_state_dict,
    readout_scale,
    zscore,
)

VAL_SPLIT_SEED = 1  # the validation slice is the same for every training seed
SCHEDULES = ("cosine", "constant")
WANDER_BAND_HZ = (0.05, 0.5)  # baseline wander: breathing and electrode motion


@dataclass
class TrainConfig:
    """Hyper-parameters and paths of one training run."""

    protocol: str = "paper"
    binary: bool = True
    epochs: int = 150
    batch_size: int = 64
    lr: float = 5e-3
    schedule: str = "cosine"
    weight_decay: float = 0.0
    dropout: float = 0.0
    val_fraction: float = 0.1
    val_by_record: bool = False  # validation slice of whole records (inter-patient selection)
    class_weight_power: float = 0.0  # loss weight of class c: (windows of c)^-power (1: balanced)
    focal_gamma: float = 0.0  # focal loss (1 - p)^gamma on the cross entropy (0: plain)
    seed: int = 0
    split_seed: int = 0  # which random 80/20 split (0 = the shipped one)
    stratify: bool = True  # stratified split (False: the SEU code's plain random split)
    folds: int = 0  # cross-validation (studies.crossval): test on fold `fold` of `folds`
    fold: int = 0
    max_steps: int = 0
    # Refit: train only the schedule's first stop_epoch epochs (of `epochs`) and deploy the last,
    # an epoch chosen before on a validation slice (studies.crossval --refit); 0: every epoch,
    # the checkpoint chosen on this run's own validation slice.
    stop_epoch: int = 0
    augment: bool = False
    noise: float = 0.0  # sd of Gaussian noise added to each z-scored training window (0: off)
    stretch: float = 0.0  # time-stretch each training window by a factor in 1 +- stretch (0: off)
    wander: float = 0.0  # largest peak of a random baseline-wander sinusoid, z units (0: off)
    label_smoothing: float = 0.0  # share of each target spread over all classes (0: hard labels)
    readout: str = "sum"  # loss on the time sum or mean of the scores (model.readout_scale)
    activation: str = "layer"  # PReLU slopes per block ("layer") or per channel, with shifts
    width: int = 1  # hidden channels times this (float models only: a distillation teacher)
    clamp: bool = True  # keep latent binary weights in [-1, 1] after every step
    track_test: bool = False
    fit_eval: bool = True  # measure accuracy on all training windows every epoch (logging only)
    ema: float = 0.0  # decay per step of an exponential moving average of the weights (0: off)
    recalibrate_bn: bool = False  # BatchNorm statistics recomputed over the fit windows each epoch
    # Stochastic weight averaging: from this epoch on, an equal-weight average of the end-of-epoch
    # weights (its BatchNorm statistics recomputed) is validated, chosen and deployed (0: off).
    swa_start: int = 0
    distill: float = 0.0  # weight of the distillation term from `teacher` (0: cross entropy only)
    temperature: float = 2.0  # softmax temperature of the distillation term
    teacher: str = ""  # full-precision checkpoint whose soft targets the distillation term uses
    init: str = ""
    out: str = ""
    run_dir: str = ""
    data_dir: str | None = None
    threads: int = 0
    device: str = "cpu"
    trained_on: str = ""
    selected_from: str = ""  # a sweep's member and how it was chosen (studies.sweep)
    history: list[dict[str, float]] = field(default_factory=list)


def default_name(protocol: str, binary: bool) -> str:
    """Checkpoint name of a protocol: bnn5_paper, bnn5_interpatient, bnn17 (fp* for the twin)."""
    prefix = "bnn" if binary else "fp"
    return f"{prefix}17" if protocol == "ecg17" else f"{prefix}5_{protocol}"


def seed_everything(seed: int) -> None:
    """Seed torch and numpy."""
    torch.manual_seed(seed)
    np.random.seed(seed)


def record_validation(train_ids: list[str], fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validation) indices with whole records in the validation slice.

    Records (the part of an id before ':') are drawn in a fixed shuffled order until they hold at
    least ``fraction`` of the windows, so no patient is on both sides: validation then measures
    what an inter-patient test does, generalization to unseen patients.
    """
    records = np.asarray([i.split(":", 1)[0] for i in train_ids])
    order = np.random.default_rng(VAL_SPLIT_SEED).permutation(np.unique(records))
    held: list[str] = []
    for record in order:
        if np.isin(records, held).sum() >= fraction * len(records):
            break
        held.append(str(record))
    val = np.isin(records, held)
    return np.flatnonzero(~val), np.flatnonzero(val)


def split_validation(
    split: DatasetSplit, fraction: float, by_record: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Carve a validation slice out of the training windows; z-score both parts.

    Stratified by class, or with ``by_record`` made of whole records (:func:`record_validation`).
    """
    if by_record and not split.train_ids:
        raise ValueError(f"{split.protocol}: the split records no training ids (by_record)")
    if fraction > 0 and by_record:
        fit_idx, val_idx = record_validation(split.train_ids, fraction)
    elif fraction > 0:
        fit_idx, val_idx = stratified_split(split.y_train, fraction, VAL_SPLIT_SEED)
    else:
        fit_idx, val_idx = np.arange(len(split.y_train)), np.arange(0)
    x = zscore(torch.from_numpy(split.x_train.astype(np.int64)))
    y = torch.from_numpy(split.y_train)
    return x[fit_idx], y[fit_idx], x[val_idx], y[val_idx]


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 512) -> float:
    """Accuracy of ``model`` (eval mode) on z-scored windows ``x`` with labels ``y``."""
    if len(y) == 0:
        return float("nan")
    model.eval()
    device = next(model.parameters()).device
    preds = torch.cat(
        [model(x[i : i + batch].to(device)).argmax(1).cpu() for i in range(0, len(x), batch)]
    )
    return float((preds == y.cpu()).float().mean())


def clamp_latent_weights(model: EcgBnn) -> None:
    """Keep binary layers' latent weights in [-1, 1] so the STE keeps passing gradients."""
    if model.binary:
        with torch.no_grad():
            for block in model.blocks:
                block.conv.weight.clamp_(-1.0, 1.0)


def random_shift(x: torch.Tensor) -> torch.Tensor:
    """Rotate every window of ``x`` (batch, 1, samples) by its own random number of samples.

    The label of a 10 s window does not depend on where its beats sit in time, and the z-score
    is invariant to reordering samples, so a rotation of the z-scored window is the z-score of the
    rotated raw window (augmentation for the small training sets).
    """
    n = x.shape[-1]
    shifts = torch.randint(0, n, (x.shape[0], 1), device=x.device)
    index = (torch.arange(n, device=x.device).unsqueeze(0) - shifts) % n
    return x.gather(2, index.unsqueeze(1))


def random_stretch(x: torch.Tensor, spread: float) -> torch.Tensor:
    """Resample every window of ``x`` (batch, 1, samples) in time by its own random factor.

    Sample ``t`` of the output is the window read at ``f * t`` (linear interpolation, circular
    like :func:`random_shift`), ``f`` uniform in ``[1 - spread, 1 + spread]``: heart rates and QRS
    widths differ between patients by more than within one. The result is z-scored again
    (:func:`pymodel.model.zscore`), since interpolation shrinks the variance a little; the IP
    z-scores whatever window it receives.
    """
    n = x.shape[-1]
    factor = 1.0 + spread * (2.0 * torch.rand(x.shape[0], 1, device=x.device) - 1.0)
    pos = torch.arange(n, device=x.device, dtype=x.dtype).unsqueeze(0) * factor % n
    left = pos.floor().long()
    frac = pos - left
    rows = x[:, 0]
    y = rows.gather(1, left) * (1 - frac) + rows.gather(1, (left + 1) % n) * frac
    return zscore(y)


def random_wander(x: torch.Tensor, amplitude: float) -> torch.Tensor:
    """Add a slow sinusoid, each window its own, to ``x`` (batch, 1, samples) and z-score again.

    Breathing and electrode motion move an ECG's baseline at 0.05-0.5 Hz, and a binary network
    is sensitive to offsets: every sign compares a sum against a threshold. Each window gets a
    peak uniform in ``[0, amplitude]`` (z units), a frequency uniform in
    :data:`WANDER_BAND_HZ` and a uniform phase. The result is z-scored again, as the IP z-scores
    whatever window it receives.
    """
    n, rows = x.shape[-1], x.shape[0]
    low, high = WANDER_BAND_HZ
    peak = amplitude * torch.rand(rows, 1, 1, device=x.device)
    freq = low + (high - low) * torch.rand(rows, 1, 1, device=x.device)
    phase = 2 * torch.pi * torch.rand(rows, 1, 1, device=x.device)
    t = torch.arange(n, device=x.device, dtype=x.dtype) / SAMPLE_RATE_HZ
    return zscore((x + peak * torch.sin(2 * torch.pi * freq * t + phase))[:, 0])


def class_weights(labels: torch.Tensor, num_classes: int, power: float) -> torch.Tensor | None:
    """Cross-entropy weights ``(windows of c)^-power``, scaled to a window-weighted mean of 1.

    ``power`` 0 gives None (the plain loss), 1 the balanced loss in which every class weighs the
    same in total, 0.5 a milder boost of the rare classes. A class without windows gets weight 0.
    """
    if power == 0.0:
        return None
    counts = torch.bincount(labels.cpu(), minlength=num_classes).double()
    weights = torch.where(counts > 0, counts.clamp(min=1) ** -power, torch.zeros_like(counts))
    weights *= counts.sum() / (weights * counts).sum()
    return weights.float().to(labels.device)


def focal_cross_entropy(
    logits: torch.Tensor,
    labels: torch.Tensor,
    gamma: float,
    class_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Focal loss (Lin et al. 2017): ``-(1 - p)^gamma * log p`` of each window's true class.

    It shrinks the loss of windows the model already classifies confidently, so training
    spends its gradient on the hard and rare ones. ``gamma = 0`` is the cross entropy exactly
    (same reduction as ``F.cross_entropy``: with ``class_weight`` the mean weighted by each
    window's class weight).
    """
    log_p = F.log_softmax(logits, dim=1).gather(1, labels.unsqueeze(1)).squeeze(1)
    losses = -((1.0 - log_p.exp()) ** gamma) * log_p
    if class_weight is None:
        return losses.mean()
    w = class_weight[labels]
    return (losses * w).sum() / w.sum()


def distillation_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    teacher_logits: torch.Tensor | None,
    distill: float = 0.0,
    temperature: float = 2.0,
    class_weight: torch.Tensor | None = None,
    focal_gamma: float = 0.0,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Cross entropy blended with knowledge distillation (Hinton et al. 2015).

    ``(1 - distill) * CE(logits, labels) + distill * T^2 * KL(softmax(teacher / T) ||
    softmax(logits / T))``, averaged over the batch; the ``T^2`` keeps the term's gradients on
    the scale of the cross entropy's. Without a teacher (or ``distill == 0``) it is the plain
    cross entropy. Both logits are as the loss sees them (readout scale applied).
    ``class_weight`` (:func:`class_weights`) weighs the cross entropy's classes; ``focal_gamma``
    > 0 makes it the focal loss (:func:`focal_cross_entropy`); ``label_smoothing`` (not with the
    focal loss) moves that share of each hard target evenly onto all classes (Szegedy et al. 2016).
    """
    if focal_gamma and label_smoothing:
        raise ValueError("label smoothing is not defined for the focal loss")
    if focal_gamma:
        ce = focal_cross_entropy(logits, labels, focal_gamma, class_weight)
    else:
        ce = F.cross_entropy(logits, labels, weight=class_weight, label_smoothing=label_smoothing)
    if teacher_logits is None or distill == 0.0:
        return ce
    t = temperature
    kd = F.kl_div(
        F.log_softmax(logits / t, dim=1),
        F.log_softmax(teacher_logits / t, dim=1),
        reduction="batchmean",
        log_target=True,
    )
    return (1.0 - distill) * ce + distill * t * t * kd


@torch.no_grad()
def teacher_logits(checkpoint: str | Path, x: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """Class scores of a (full-precision) teacher checkpoint on z-scored windows ``x``.

    Scaled by the readout the teacher was trained with (:func:`pymodel.model.readout_scale`),
    i.e. the logits its own training loss saw; computed once, in eval mode, on the unshifted
    windows (the label, and so the soft target, of a window does not depend on a rotation).
    """
    model, ckpt = load_checkpoint(checkpoint)
    scale = readout_scale(ckpt["num_classes"], ckpt["config"].get("readout", "sum"))
    out = [model(x[i : i + batch].cpu()) for i in range(0, len(x), batch)]
    return (torch.cat(out) * scale).to(x.device)


def train_epoch(
    model: EcgBnn,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    max_steps: int,
    desc: str,
    augment: bool = False,
    scale: float = 1.0,
    clamp: bool = True,
    on_step: Callable[[], None] | None = None,
    soft: torch.Tensor | None = None,
    distill: float = 0.0,
    temperature: float = 2.0,
    class_weight: torch.Tensor | None = None,
    noise: float = 0.0,
    focal_gamma: float = 0.0,
    stretch: float = 0.0,
    wander: float = 0.0,
    label_smoothing: float = 0.0,
) -> float:
    """One pass over the shuffled training windows; returns the mean loss.

    ``scale`` multiplies the class scores inside the loss (:func:`pymodel.model.readout_scale`);
    ``clamp`` keeps latent binary weights in [-1, 1] after each step; ``on_step`` runs after
    every step (the weight average, :class:`EmaWeights`). ``soft`` (one row of teacher logits per
    training window, :func:`teacher_logits`) adds a distillation term of weight ``distill``
    (:func:`distillation_loss`); ``class_weight`` weighs the cross entropy's classes; ``noise``
    adds Gaussian noise of that sd to every training window (z units: the IP's input scale);
    ``focal_gamma`` > 0 trains on the focal loss; ``stretch`` resamples every training window in
    time (:func:`random_stretch`); ``wander`` adds a slow baseline (:func:`random_wander`);
    ``label_smoothing`` softens the cross entropy's targets.
    """
    model.train()
    order = torch.randperm(len(y), device=y.device)
    steps = range(0, len(y), batch_size)
    if max_steps:
        steps = steps[:max_steps]
    total = 0.0
    for start in tqdm(steps, desc=desc, leave=False):
        idx = order[start : start + batch_size]
        optimizer.zero_grad()
        batch = random_shift(x[idx]) if augment else x[idx]
        if stretch:
            batch = random_stretch(batch, stretch)
        if wander:
            batch = random_wander(batch, wander)
        if noise:
            batch = batch + noise * torch.randn_like(batch)
        target = soft[idx] if soft is not None else None
        loss = distillation_loss(
            model(batch) * scale,
            y[idx],
            target,
            distill,
            temperature,
            class_weight,
            focal_gamma,
            label_smoothing,
        )
        loss.backward()
        optimizer.step()
        if clamp:
            clamp_latent_weights(model)
        if on_step is not None:
            on_step()
        total += loss.item() * len(idx)
    return total / max(1, min(len(y), len(steps) * batch_size))


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, x: torch.Tensor, batch: int = 1024) -> None:
    """Recompute every BatchNorm's running mean and variance of ``model`` over the windows ``x``.

    Training leaves them an exponential average over the last augmented batches, so they wobble
    from epoch to epoch, and every threshold folded from them wobbles too. Here each becomes the
    average over ``x`` (the clean fit windows, what the IP will see) in batches of ``batch`` (one
    batch: the exact statistics). Only the BatchNorm layers run in training mode, so dropout draws
    no random number, and the weights are untouched: training goes on as it would have.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    was_training = model.training
    model.eval()
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a plain average over the batches below
        norm.train()
    device = next(model.parameters()).device
    for start in range(0, len(x), batch):
        model(x[start : start + batch].to(device))
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    model.train(was_training)


class EmaWeights:
    """Exponential moving average of a model's weights, a copy that training does not touch.

    After every step ``avg = decay * avg + (1 - decay) * current`` for the parameters (for a
    binary layer its latent weights: the average's signs are the weights it deploys) and for the
    floating-point buffers (BatchNorm running statistics, already averages over batches); counters
    are copied. The average is an :class:`EcgBnn` like any other, so it folds into the same
    thresholds and score coefficients. It draws no random numbers: the trained model's trajectory
    is the same with or without it.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        """Start the average at ``model``'s current weights."""
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for param in self.model.parameters():
            param.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s current weights by one step."""
        current = model.state_dict()
        for name, avg in self.model.state_dict().items():
            if avg.dtype.is_floating_point:
                avg.lerp_(current[name].to(avg.dtype), 1.0 - self.decay)
            else:
                avg.copy_(current[name])


def make_optimizer(
    model: nn.Module, cfg: TrainConfig
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """Adam with a cosine (decays to 0 at the last epoch) or constant learning rate."""
    if cfg.schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {cfg.schedule!r}; choose one of {SCHEDULES}")
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler: torch.optim.lr_scheduler.LRScheduler
    if cfg.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, cfg.epochs))
    else:
        scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    return optimizer, scheduler


def save_checkpoint(
    path: Path, model: EcgBnn, protocol: str, class_names: tuple[str, ...] | list[str],
    cfg: TrainConfig,
) -> None:  # fmt: skip
    """Write the deployable checkpoint (weights, class names, config and history)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": model.state_dict(),
            "num_classes": model.num_classes,
            "binary": model.binary,
            "protocol": protocol,
            "class_names": list(class_names),
            "config": asdict(cfg),
        },
        path,
    )


def load_checkpoint(path: str | Path) -> tuple[EcgBnn, dict]:
    """Load a deployable checkpoint into an :class:`EcgBnn` in eval mode."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    return model_from_state_dict(ckpt["state_dict"], ckpt["num_classes"], ckpt["binary"]), ckpt


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def machine_description(device: torch.device) -> str:
    """Where this run trains: the device (GPU name) and the CPU cores and torch threads."""
    where = str(device)
    if device.type == "cuda":
        where += f" ({torch.cuda.get_device_name(device)})"
    return f"{where}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads"


def machines_text(segments: list[list], end: int, numbered: bool = False) -> str:
    """``trained_on`` of the epochs up to ``end`` from ``[first epoch, machine]`` per phase.

    One phase is its machine's description (unless ``numbered``); several (a run resumed on
    another machine) are "epochs a-b: machine" joined by "; ", the form a fine-tune's
    ``trained_on`` takes after its starting checkpoint's.
    """
    if len(segments) == 1 and not numbered:
        return segments[0][1]
    ends = [first - 1 for first, _ in segments[1:]] + [end]
    return "; ".join(
        f"epochs {first}-{last}: {machine}"
        for (first, machine), last in zip(segments, ends, strict=True)
    )


def last_epoch(history: list[dict]) -> int:
    """Number of the last epoch of a history (0 when empty): where a fine-tune numbers on."""
    return history[-1]["epoch"] if history else 0


def chain_history(earlier: list[dict], current: list[dict]) -> list[dict]:
    """A fine-tune's history after its starting checkpoint's, epochs numbered on from it."""
    offset = last_epoch(earlier)
    return [*earlier, *({**h, "epoch": h["epoch"] + offset} for h in current)]


def run(cfg: TrainConfig, resume: bool = False) -> dict[str, float]:
    """Train per ``cfg``; returns the final figures (best validation and test accuracy)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if not 0 <= cfg.stop_epoch <= cfg.epochs:
        raise ValueError(f"stop_epoch {cfg.stop_epoch} outside 0-{cfg.epochs} (the schedule)")
    if not cfg.fit_eval and cfg.val_fraction <= 0 and not cfg.stop_epoch:
        raise ValueError("fit_eval=False needs a validation slice to choose the checkpoint")
    if not 0.0 <= cfg.distill <= 1.0 or (cfg.distill > 0) != bool(cfg.teacher):
        raise ValueError("distillation needs both a teacher and a weight 0 < distill <= 1")
    if not 0.0 <= cfg.label_smoothing < 1.0 or cfg.wander < 0:
        raise ValueError("label smoothing must be in [0, 1) and wander at least 0")
    if not 0 <= cfg.swa_start <= cfg.epochs or (cfg.swa_start and cfg.ema):
        raise ValueError(f"swa_start {cfg.swa_start} outside 0-{cfg.epochs}, or with an EMA")
    seed_everything(cfg.seed)
    device = torch.device(cfg.device)
    split = load_split(
        cfg.protocol, cfg.data_dir, cfg.split_seed, cfg.stratify, cfg.folds, cfg.fold
    )
    x_fit, y_fit, x_val, y_val = split_validation(split, cfg.val_fraction, cfg.val_by_record)
    x_fit, y_fit = x_fit.to(device), y_fit.to(device)
    weights = class_weights(y_fit, split.num_classes, cfg.class_weight_power)
    soft = teacher_logits(cfg.teacher, x_fit) if cfg.teacher else None
    model = EcgBnn(
        split.num_classes,
        binary=cfg.binary,
        dropout=cfg.dropout,
        activation=cfg.activation,
        width=cfg.width,
    )
    earlier_history: list[dict] = []
    if cfg.init:  # fine-tune: start from a checkpoint's weights with a fresh schedule
        init_model, init_ckpt = load_checkpoint(cfg.init)
        model.load_state_dict(init_model.state_dict())
        earlier_history = init_ckpt["config"].get("history", [])
    here = machine_description(device)
    machines = [[1, here]]  # [first epoch, machine] per machine this run trains on
    model.to(device)
    x_test = zscore(torch.from_numpy(split.x_test.astype(np.int64)))
    y_test = torch.from_numpy(split.y_test)
    optimizer, scheduler = make_optimizer(model, cfg)
    ema = EmaWeights(model, cfg.ema) if cfg.ema else None
    swa = AveragedModel(model) if cfg.swa_start else None
    scored = ema.model if ema else model  # what is validated, chosen and deployed
    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    best_val, start_epoch = -1.0, 0
    if resume and (run_dir / "last.pt").is_file():
        state = torch.load(run_dir / "last.pt", map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingLR):
            # --epochs may change on resume: the cosine then decays to 0 at the new length.
            scheduler.T_max = max(1, cfg.epochs)
        torch.set_rng_state(state["rng"].cpu())
        if ema:
            ema.model.load_state_dict(state["ema"])
        if swa:
            swa.load_state_dict(state["swa"])
        cfg.history, best_val, start_epoch = state["history"], state["best_val"], state["epoch"]
        machines = state.get("machines") or machines  # older states: taken as this machine's
        if machines[-1][1] != here:  # resumed elsewhere (a lent GPU's run finished here, say)
            machines = [*machines, [start_epoch + 1, here]]
        print(f"resumed from {run_dir / 'last.pt'} at epoch {start_epoch}")
    end = cfg.stop_epoch or cfg.epochs  # a refit stops inside its schedule
    offset = last_epoch(earlier_history)  # a fine-tune numbers on after its start's epochs
    phases = [[first + offset, machine] for first, machine in machines]
    cfg.trained_on = machines_text(phases, offset + end, numbered=bool(earlier_history))
    if earlier_history:
        start_cfg = init_ckpt["config"]
        before = start_cfg.get("trained_on") or start_cfg.get("device", "unknown")
        if not before.startswith("epochs "):  # the start's phases are numbered already
            before = f"epochs 1-{offset}: {before}"
        cfg.trained_on = f"{before}; {cfg.trained_on}"
    for epoch in range(start_epoch, end):
        t0 = time.perf_counter()
        loss = train_epoch(
            model,
            optimizer,
            x_fit,
            y_fit,
            cfg.batch_size,
            cfg.max_steps,
            f"epoch {epoch + 1}",
            cfg.augment,
            readout_scale(split.num_classes, cfg.readout),
            cfg.clamp,
            (lambda: ema.update(model)) if ema else None,
            soft,
            cfg.distill,
            cfg.temperature,
            weights,
            cfg.noise,
            cfg.focal_gamma,
            cfg.stretch,
            cfg.wander,
            cfg.label_smoothing,
        )
        scheduler.step()
        averaging = swa is not None and epoch + 1 >= cfg.swa_start
        if averaging:
            swa.update_parameters(model)
            scored = swa.module
        # Before validation: the statistics it chooses with are the ones deployed. The averaged
        # weights never ran, so theirs are always computed.
        if cfg.recalibrate_bn or averaging:
            recalibrate_batchnorm(scored, x_fit)
        seconds = time.perf_counter() - t0
        # The training-set pass costs a third of a 17-class epoch on one core; it only logs
        # (no RNG draw, no effect on the weights), so cross-validation skips it (fit_eval).
        fit_acc = accuracy(scored, x_fit, y_fit) if cfg.fit_eval else float("nan")
        val_acc = accuracy(scored, x_val, y_val)
        record = {"epoch": epoch + 1, "loss": loss, "train_acc": fit_acc, "val_acc": val_acc,
                  "seconds": seconds}  # fmt: skip
        if cfg.track_test:  # logged for studies/selection_bias.py; never used to select
            record["test_acc"] = accuracy(scored, x_test, y_test)
        cfg.history.append(record)
        score = val_acc if len(y_val) else fit_acc
        # A refit deploys its last epoch; a run with a validation slice its best one.
        keep = epoch + 1 == cfg.stop_epoch if cfg.stop_epoch else score >= best_val
        if keep:
            best_val = score
            save_checkpoint(Path(cfg.out), scored, split.protocol, split.class_names, cfg)
        print(
            f"epoch {epoch + 1}/{cfg.epochs} loss {loss:.4f} train {fit_acc:.4f} "
            f"val {val_acc:.4f} best {best_val:.4f} ({seconds:.1f} s)"
        )
        torch.save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state(),
             "history": cfg.history, "best_val": best_val, "epoch": epoch + 1,
             "machines": machines,
             "ema": ema.model.state_dict() if ema else None,
             "swa": swa.state_dict() if swa else None},
            run_dir / "last.pt",
        )  # fmt: skip
    # Store the full history in the deployable checkpoint too (training curves, bench_train),
    # after the history of the checkpoint a fine-tune started from: every phase of the recipe.
    best_model, ckpt = load_checkpoint(cfg.out)
    ckpt["config"]["history"] = chain_history(earlier_history, cfg.history)
    ckpt["config"]["trained_on"] = cfg.trained_on  # every machine of the run, also after the choice
    torch.save(ckpt, cfg.out)
    test_acc = accuracy(best_model, x_test, y_test)
    figures = {"best_val_acc": best_val, "test_acc": test_acc, "epochs": end}
    (run_dir / "figures.json").write_text(json.dumps(figures, indent=2))
    print(f"{cfg.out}: best val {best_val:.4f}, held-out test {test_acc:.4f}")
    return figures


def build_parser(add_help: bool = True) -> argparse.ArgumentParser:
    """The options of ``scripts/train.py`` (also the parent of ``studies.crossval``'s)."""
    p = argparse.ArgumentParser(
        description="Train the ECG BNN (or its full-precision twin) on one protocol. The best "
        "checkpoint by validation accuracy (a slice of the training split) goes to --out.",
        add_help=add_help,
    )
    p.add_argument("--protocol", choices=PROTOCOLS, default="paper")
    p.add_argument("--full-precision", action="store_true", help="train the float twin")
    p.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    p.add_argument("--lr", type=float, default=TrainConfig.lr)
    p.add_argument("--schedule", choices=SCHEDULES, default=TrainConfig.schedule)
    p.add_argument(
        "--dropout",
        type=float,
        default=TrainConfig.dropout,
        help="training-only dropout before the time sum",
    )
    p.add_argument(
        "--readout", choices=READOUTS, default=TrainConfig.readout,
        help="train on the time sum or mean of the scores (same argmax, softer loss)",
    )  # fmt: skip
    p.add_argument(
        "--no-clamp", action="store_true", help="let latent binary weights leave [-1, 1]"
    )
    p.add_argument("--weight-decay", type=float, default=TrainConfig.weight_decay)
    p.add_argument(
        "--ema", type=float, default=TrainConfig.ema,
        help="validate, choose and deploy an exponential moving average of the weights with "
        "this decay per step (e.g. 0.99; 0 = off)",
    )  # fmt: skip
    p.add_argument(
        "--recalibrate-bn", action="store_true",
        help="after every epoch, before validation, recompute the BatchNorm statistics over the "
        "clean fit windows (no augmentation; weights and training unchanged)",
    )  # fmt: skip
    p.add_argument(
        "--swa-start", type=int, default=TrainConfig.swa_start,
        help="stochastic weight averaging: from this epoch on, validate, choose and deploy the "
        "equal-weight average of the weights at the end of each epoch, its BatchNorm statistics "
        "recomputed over the clean fit windows (0 = off; not with --ema)",
    )  # fmt: skip
    p.add_argument(
        "--teacher", default="",
        help="full-precision checkpoint trained on the same training windows: its soft targets "
        "(logits / --temperature) join the loss with weight --distill",
    )  # fmt: skip
    p.add_argument(
        "--distill", type=float, default=TrainConfig.distill,
        help="weight of the distillation term (0-1; the cross entropy gets 1 - distill)",
    )  # fmt: skip
    p.add_argument(
        "--temperature", type=float, default=TrainConfig.temperature,
        help="softmax temperature of the distillation term",
    )  # fmt: skip
    p.add_argument("--val-fraction", type=float, default=TrainConfig.val_fraction)
    p.add_argument(
        "--val-by-record", action="store_true",
        help="validation slice of whole records (no patient on both sides; needs record ids)",
    )  # fmt: skip
    p.add_argument(
        "--class-weight-power", type=float, default=TrainConfig.class_weight_power,
        help="weigh class c in the loss by (its windows)^-power: 0 plain, 1 balanced",
    )  # fmt: skip
    p.add_argument(
        "--focal-gamma", type=float, default=TrainConfig.focal_gamma,
        help="train on the focal loss (1 - p)^gamma * CE (0 = plain cross entropy)",
    )  # fmt: skip
    p.add_argument(
        "--seed", type=int, default=TrainConfig.seed,
        help="init, shuffling, augmentation and dropout (the data split is fixed)",
    )  # fmt: skip
    p.add_argument(
        "--split-seed", type=int, default=TrainConfig.split_seed,
        help="another random 80/20 split (0 = the shipped one; studies/split_spread.py)",
    )  # fmt: skip
    p.add_argument(
        "--unstratified", action="store_true",
        help="plain random split, class mix varying with --split-seed (the SEU code's kind)",
    )  # fmt: skip
    p.add_argument("--max-steps", type=int, default=0, help="batches per epoch (0 = all)")
    p.add_argument(
        "--stop-epoch", type=int, default=TrainConfig.stop_epoch,
        help="refit: stop after this epoch of the --epochs schedule and deploy it, an epoch "
        "chosen before on a validation slice (use with --val-fraction 0; 0 = train every "
        "epoch and choose on this run's validation slice)",
    )  # fmt: skip
    p.add_argument(
        "--augment", action="store_true", help="rotate each training window by a random shift"
    )
    p.add_argument(
        "--noise", type=float, default=TrainConfig.noise,
        help="add Gaussian noise of this sd to each z-scored training window (0 = off)",
    )  # fmt: skip
    p.add_argument(
        "--stretch", type=float, default=TrainConfig.stretch,
        help="resample each training window in time by a random factor in 1 +- this (0 = off)",
    )  # fmt: skip
    p.add_argument(
        "--wander", type=float, default=TrainConfig.wander,
        help="add to each training window a baseline-wander sinusoid (0.05-0.5 Hz) of peak up "
        "to this, in z units, then z-score again (0 = off)",
    )  # fmt: skip
    p.add_argument(
        "--label-smoothing", type=float, default=TrainConfig.label_smoothing,
        help="share of each cross-entropy target spread evenly over all classes (0 = off)",
    )  # fmt: skip
    p.add_argument(
        "--activation", choices=ACTIVATIONS, default=TrainConfig.activation,
        help="PReLU slopes: one per block (layer, the paper's) or one per channel with a "
        "learnable shift before the PReLU of blocks 1-5 (channel); both fold into the same "
        "thresholds and score coefficients",
    )  # fmt: skip
    p.add_argument(
        "--width", type=int, default=TrainConfig.width,
        help="with --full-precision: widen the hidden channels this many times (a larger float "
        "teacher for --teacher; the binary network keeps the paper's shape)",
    )  # fmt: skip
    p.add_argument(
        "--track-test",
        action="store_true",
        help="also log held-out test accuracy every epoch (analysis of the paper's best-test-epoch "
        "reporting, studies/selection_bias.py); the checkpoint is still chosen on validation",
    )
    p.add_argument("--init", default="", help="start from this checkpoint's weights (fine-tune)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    p.add_argument(
        "--device", default=TrainConfig.device, help="torch device, e.g. cuda (default cpu)"
    )
    p.add_argument("--data-dir", default=None, help="data directory (else $ECG_DATA_DIR)")
    p.add_argument("--out", default="", help="checkpoint path (default weights/<name>.pt)")
    p.add_argument("--run-dir", default="", help="resumable state (default runs/<name>)")
    p.add_argument("--resume", action="store_true", help="continue from <run-dir>/last.pt")
    return p


def config_from_args(a: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` that parsed :func:`build_parser` options describe."""
    name = default_name(a.protocol, not a.full_precision)
    return TrainConfig(
        protocol=a.protocol, binary=not a.full_precision, epochs=a.epochs,
        batch_size=a.batch_size, lr=a.lr, schedule=a.schedule, weight_decay=a.weight_decay,
        dropout=a.dropout, readout=a.readout, clamp=not a.no_clamp, ema=a.ema,
        recalibrate_bn=a.recalibrate_bn, swa_start=a.swa_start,
        distill=a.distill, temperature=a.temperature, teacher=a.teacher,
        val_fraction=a.val_fraction, val_by_record=a.val_by_record,
        class_weight_power=a.class_weight_power, focal_gamma=a.focal_gamma, seed=a.seed,
        split_seed=a.split_seed, stratify=not a.unstratified, max_steps=a.max_steps,
        stop_epoch=a.stop_epoch, augment=a.augment, noise=a.noise,
        stretch=a.stretch, wander=a.wander, label_smoothing=a.label_smoothing,
        activation=a.activation, width=a.width, track_test=a.track_test, init=a.init,
        out=a.out or f"weights/{name}.pt", run_dir=a.run_dir or f"runs/{name}",
        data_dir=a.data_dir, threads=a.threads, device=a.device,
    )  # fmt: skip


def parse_args(argv: list[str] | None = None) -> tuple[TrainConfig, bool]:
    """Command-line options of ``scripts/train.py``: the config and whether to resume."""
    a = build_parser().parse_args(argv)
    return config_from_args(a), a.resume


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``scripts/train.py``."""
    cfg, resume = parse_args(argv)
    run(cfg, resume)


if __name__ == "__main__":
    main()
