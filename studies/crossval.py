"""Cross-validated accuracy of the BNN, measured through the integer golden model (issue 18).

One recipe (a :class:`pymodel.train.TrainConfig`) is trained once per fold of a stratified
k-fold assignment (:func:`pymodel.datasets.stratified_kfold`, seed fixed in advance): fold ``f``
is the test part, the other folds the training part, and a stratified validation slice of the
training part (``val_fraction``, :func:`pymodel.train.split_validation`) chooses the checkpoint
of the fold; the test part is never looked at before the choice. The chosen checkpoint is folded
into the hardware's integer parameters (:func:`pymodel.fold.fold_model`) and its test windows are
classified by the integer golden model (:func:`pymodel.golden.run_batch`), i.e. what the RTL
computes, bit for bit.

Default folds: ``ecg17`` 10, ``paper`` 5. ``interpatient`` has one fixed record split (DS1 -> DS2),
reported as one "fold", either trained here or from an existing checkpoint (``checkpoint``).

Resumable: under ``<run_root>`` (``runs/crossval/<name>``, not committed) every fold keeps its
training state (``fold<f>/last.pt``) and its chosen checkpoint (``fold<f>.pt``); once evaluated,
its result (``fold<f>.json``: test ids, true and golden-predicted classes, timings) goes to the
fold results folder (``results/crossval/<name>``, small, committed, so finished folds survive the
machine). A rerun skips folds with a result and resumes an interrupted fold from its last epoch;
``recipe.json`` beside the fold results pins the recipe, so one run never mixes two.

Distillation (``teacher_epochs``): each fold first trains the recipe's full-precision twin (or,
with ``teacher_width``, a float model of the same topology with that many times the hidden
channels) on the same training part (``fold<f>_teacher.pt``, chosen on the same validation slice),
then the BNN with a distillation term from it (:func:`pymodel.train.distillation_loss`); the
teacher's test accuracy is reported beside the BNN's and chooses nothing.

Refit (``refit``): once the validation slice has chosen a fold's epoch, the recipe trains again on
the fold's whole training part (the slice included: a ninth more windows at a slice of 0.1) with
the same seed and schedule and stops at that epoch (:attr:`pymodel.train.TrainConfig.stop_epoch`);
that refit is the fold's deployed model. The validation run's own test accuracy is reported beside
it (``val_run_accuracy``) and chooses nothing.

Recalibrated choice (``recalibrate_chosen``): the checkpoint the validation slice chose gets its
BatchNorm statistics recomputed over the fold's clean fit windows
(:func:`pymodel.train.recalibrate_batchnorm`), and that is deployed; the chosen checkpoint's own
test accuracy is reported beside it (``chosen_accuracy``). The summary
(``{"folds", "fold_acc", "mean", "sd", "macro_f1"}`` in percent, plus the per-class Se / PPV / F1
pooled over folds, timings and the recipe) is written under the run's name into a results JSON,
and :func:`render_markdown` turns that file into a table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from pymodel.datasets import DatasetSplit, load_split, repo_root
from pymodel.evaluate import confusion_matrix, per_class_metrics, predict
from pymodel.fold import fold_model
from pymodel.golden import run_batch
from pymodel.model import EcgBnn
from pymodel.train import (
    TrainConfig,
    build_parser,
    config_from_args,
    load_checkpoint,
    recalibrate_batchnorm,
    split_validation,
)
from pymodel.train import run as train_run

DEFAULT_FOLDS = {"ecg17": 10, "paper": 5, "interpatient": 1}
FOLD_SEED = 0  # fixed in advance, never searched
# TrainConfig fields that are not part of a recipe (where and how fast it runs, its outputs).
RUNTIME_FIELDS = ("out", "run_dir", "data_dir", "threads", "device", "trained_on",
                  "selected_from", "history", "fold", "fit_eval", "teacher",
                  "stop_epoch")  # fmt: skip


@dataclass
class CrossvalRun:
    """One cross-validation: a recipe, the fold assignment and where it all goes."""

    name: str  # key in the results JSON (the protocol for the headline runs)
    train: TrainConfig  # the recipe; protocol, folds and split_seed (the fold seed) set here
    run_root: Path
    checkpoint: str = ""  # interpatient only: evaluate this checkpoint instead of training
    results_dir: Path | None = None  # fold results and recipe.json (default: run_root)
    teacher_epochs: int = 0  # epochs of the float teacher trained in each fold (0: none)
    teacher_init: bool = False  # each fold's BNN starts from its float teacher's weights
    teacher_width: int = 1  # the teacher's hidden channels: the twin's times this
    refit: bool = False  # deploy a refit on the whole training part to the chosen epoch
    recalibrate_chosen: bool = False  # deploy the chosen checkpoint with recomputed BatchNorm

    @property
    def distilled(self) -> bool:
        """Whether each fold first trains a float teacher (to distill from or start from)."""
        return self.teacher_epochs > 0

    @property
    def fold_dir(self) -> Path:
        """Where the fold results and the pinned recipe go (small files, committed)."""
        return self.results_dir or self.run_root

    @property
    def protocol(self) -> str:
        """The protocol the recipe trains on."""
        return self.train.protocol

    @property
    def folds(self) -> int:
        """Number of folds (1 for the fixed inter-patient split)."""
        return max(1, self.train.folds)


def recipe(cfg: TrainConfig) -> dict:
    """The fields of ``cfg`` that define what is trained (not where, how fast, into which file)."""
    return {k: v for k, v in asdict(cfg).items() if k not in RUNTIME_FIELDS}


def teacher_path(cv: CrossvalRun, fold: int) -> str:
    """The float teacher checkpoint of one fold."""
    return str(cv.run_root / f"fold{fold}_teacher.pt")


def fold_config(cv: CrossvalRun, fold: int) -> TrainConfig:
    """The training config of one fold: the recipe, that fold's test part, its own files."""
    return replace(
        cv.train,
        fold=fold,
        out=str(cv.run_root / f"fold{fold}.pt"),
        run_dir=str(cv.run_root / f"fold{fold}"),
        teacher=teacher_path(cv, fold) if cv.train.distill > 0 else "",
        init=teacher_path(cv, fold) if cv.teacher_init else cv.train.init,
        history=[],
    )


def teacher_config(cv: CrossvalRun, fold: int) -> TrainConfig:
    """The float teacher of one fold: the recipe in full precision, ``teacher_epochs`` long.

    It trains on the same training part and validation slice as the BNN of the fold (the test
    part stays unseen), its checkpoint chosen on that validation slice.
    """
    return replace(
        fold_config(cv, fold),
        binary=False,
        width=cv.teacher_width,
        epochs=cv.teacher_epochs,
        ema=0.0,
        swa_start=0,
        distill=0.0,
        teacher="",
        init="",
        out=teacher_path(cv, fold),
        run_dir=str(cv.run_root / f"fold{fold}_teacher"),
    )


def refit_config(cv: CrossvalRun, fold: int, epoch: int) -> TrainConfig:
    """The refit of one fold: the recipe on its whole training part, stopped at ``epoch``.

    Same seed and schedule (``epochs`` long) as the validation run that chose ``epoch``; no
    validation slice, so its windows train too and the last epoch is deployed.
    """
    return replace(
        fold_config(cv, fold),
        val_fraction=0.0,
        val_by_record=False,
        stop_epoch=epoch,
        out=str(cv.run_root / f"fold{fold}_refit.pt"),
        run_dir=str(cv.run_root / f"fold{fold}_refit"),
    )


def chosen_index(history: list[dict]) -> int:
    """Index in ``history`` of the epoch the validation slice chose (the later one on a tie; -1
    for a history without validation figures)."""
    val = [
        (h["val_acc"], i)
        for i, h in enumerate(history)
        if not math.isnan(h.get("val_acc", math.nan))
    ]
    return max(val)[1] if val else -1


def teacher_fields(cv: CrossvalRun) -> dict:
    """The per-fold float teacher's part of a recipe: its length, its use, its width."""
    return {
        "teacher_epochs": cv.teacher_epochs,
        "teacher_init": cv.teacher_init,
        "teacher_width": cv.teacher_width,
    }


def pinned_recipe(cv: CrossvalRun) -> dict:
    """What ``recipe.json`` pins: the training recipe, the checkpoint, the teacher, the refit."""
    return (
        recipe(cv.train)
        | {"checkpoint": cv.checkpoint}
        | teacher_fields(cv)
        | {"refit": cv.refit, "recalibrate_chosen": cv.recalibrate_chosen}
    )


def fold_split(cfg: TrainConfig) -> DatasetSplit:
    """The windows of one fold (training part and test part) as training sees them."""
    return load_split(cfg.protocol, cfg.data_dir, cfg.split_seed, cfg.stratify, cfg.folds, cfg.fold)


def display_path(path: str | os.PathLike[str]) -> str:
    """A path relative to the repository when it lies inside it (portable results files)."""
    try:
        return str(Path(path).resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)


def golden_model_predict(
    model: EcgBnn, class_names: Sequence[str], windows: np.ndarray, name: str = ""
) -> np.ndarray:
    """Classes the integer golden model (the hardware) gives raw windows with ``model`` folded."""
    return run_batch(fold_model(model.eval(), class_names, name), windows).pred


def golden_predict(checkpoint: str | os.PathLike[str], windows: np.ndarray) -> np.ndarray:
    """Classes the integer golden model (the hardware) gives raw windows with this checkpoint."""
    model, ckpt = load_checkpoint(checkpoint)
    return golden_model_predict(model, ckpt.get("class_names", ()), windows, Path(checkpoint).stem)


def pin_recipe(cv: CrossvalRun) -> None:
    """Write ``recipe.json`` into the run root, or check that the one there matches."""
    cv.fold_dir.mkdir(parents=True, exist_ok=True)
    path = cv.fold_dir / "recipe.json"
    defaults = pinned_recipe(CrossvalRun(cv.name, TrainConfig(), cv.run_root))
    mine = pinned_recipe(cv)
    if path.is_file():
        # Options added after the folds were pinned took their defaults then.
        theirs = defaults | json.loads(path.read_text())
        if theirs != mine:
            diff = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
            raise ValueError(
                f"{cv.run_root} holds folds of another recipe (differs in {', '.join(diff)}); "
                "choose another --name or --run-root"
            )
    else:
        path.write_text(json.dumps(mine, indent=1) + "\n")


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as JSON atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    tmp.replace(path)


def run_fold(cv: CrossvalRun, fold: int) -> dict:
    """Train (or resume) one fold, choose on validation, evaluate through the golden model.

    Returns the fold's result, also written to ``<run_root>/fold<fold>.json``; a fold whose
    result exists is not run again.
    """
    result_path = cv.fold_dir / f"fold{fold}.json"
    if result_path.is_file():
        return json.loads(result_path.read_text())
    cfg = fold_config(cv, fold)
    t0 = time.perf_counter()
    resumed = (Path(cfg.run_dir) / "last.pt").is_file()
    if cv.checkpoint:
        checkpoint, history, trained_on = cv.checkpoint, [], ""
        ckpt_cfg = torch.load(checkpoint, map_location="cpu", weights_only=False)["config"]
        history, trained_on = ckpt_cfg.get("history", []), ckpt_cfg.get("trained_on", "")
    else:
        teacher = None
        if cv.distilled:
            tcfg = teacher_config(cv, fold)
            train_run(tcfg, resume=True)
            teacher = torch.load(tcfg.out, map_location="cpu", weights_only=False)["config"]
        train_run(cfg, resume=True)
        checkpoint = cfg.out
        ckpt_cfg = torch.load(checkpoint, map_location="cpu", weights_only=False)["config"]
        history, trained_on = ckpt_cfg["history"], ckpt_cfg["trained_on"]
        if cv.teacher_init:  # the history chains the teacher's epochs first: keep the BNN's
            offset = len(teacher["history"])
            history = [{**h, "epoch": h["epoch"] - offset} for h in history[offset:]]
    extra = {}
    # The fold's windows, loaded once where a step below needs them (else fold_result loads them).
    split = fold_split(cfg) if cv.refit or cv.recalibrate_chosen or cv.distilled else None
    if cv.refit:
        checkpoint, extra = refit_fold(cv, fold, history, split)
    if cv.recalibrate_chosen:
        checkpoint, extra = recalibrate_chosen(cv, fold, split)
    if cv.distilled:  # reported only: nothing is chosen on the test part
        teacher_pred = predict(load_checkpoint(teacher_path(cv, fold))[0], split.x_test)
        t_hist = teacher["history"]
        extra = {
            "teacher_float_accuracy": float(np.mean(teacher_pred == split.y_test)),
            "teacher_chosen_epoch": t_hist[chosen_index(t_hist)]["epoch"],
            "teacher_epoch_seconds_total": float(sum(h["seconds"] for h in t_hist)),
        }
    return fold_result(cv, fold, checkpoint, history, trained_on, t0, resumed, extra, split=split)


def refit_fold(
    cv: CrossvalRun, fold: int, history: list[dict], split: DatasetSplit
) -> tuple[str, dict]:
    """Refit one fold to the epoch its validation run chose; the refit's checkpoint and figures.

    The figures: the validation run's golden test accuracy (reported only) and the refit's
    training seconds.
    """
    epoch = history[chosen_index(history)]["epoch"]
    rcfg = refit_config(cv, fold, epoch)
    train_run(rcfg, resume=True)
    refit_history = torch.load(rcfg.out, map_location="cpu", weights_only=False)["config"][
        "history"
    ]
    val_run_pred = golden_predict(fold_config(cv, fold).out, split.x_test)
    return rcfg.out, {
        "val_run_accuracy": float(np.mean(val_run_pred == split.y_test)),
        "refit_epochs": len(refit_history),
        "refit_epoch_seconds_total": float(sum(h["seconds"] for h in refit_history)),
    }


def recalibrate_chosen(cv: CrossvalRun, fold: int, split: DatasetSplit) -> tuple[str, dict]:
    """The fold's chosen checkpoint with BatchNorm statistics recomputed over its fit windows.

    Returns that checkpoint (``fold<f>_recalibrated.pt``) and the chosen checkpoint's own golden
    test accuracy (reported only).
    """
    cfg = fold_config(cv, fold)
    model, ckpt = load_checkpoint(cfg.out)
    chosen_pred = golden_model_predict(model, ckpt.get("class_names", ()), split.x_test)
    recalibrate_batchnorm(model, split_validation(split, cfg.val_fraction, cfg.val_by_record)[0])
    out = cv.run_root / f"fold{fold}_recalibrated.pt"
    torch.save({**ckpt, "state_dict": model.state_dict()}, out)
    return str(out), {"chosen_accuracy": float(np.mean(chosen_pred == split.y_test))}


def fold_result(
    cv: CrossvalRun, fold: int, checkpoint: str, history: list[dict], trained_on: str,
    t0: float, resumed: bool, extra: dict | None = None, sharing: int = 1,
    split: DatasetSplit | None = None,
) -> dict:  # fmt: skip
    """Evaluate a fold's chosen checkpoint on its test part through the golden model.

    ``history`` is the training history (the chosen epoch is read off it), ``t0`` the
    ``time.perf_counter()`` at the fold's start, ``sharing`` the number of folds that shared
    that wall time (a stacked run: each fold records its share, so the hours add up);
    ``extra`` joins the result (teacher figures, the trainer); ``split`` is the fold's windows
    where the caller has loaded them already. The result is written to ``fold<fold>.json`` in the
    fold results folder.
    """
    split = split if split is not None else fold_split(fold_config(cv, fold))
    pred = golden_predict(checkpoint, split.x_test)
    float_pred = predict(load_checkpoint(checkpoint)[0], split.x_test)
    chosen = chosen_index(history)
    epoch_seconds = [h["seconds"] for h in history if "seconds" in h]
    result = {
        "fold": fold,
        "test_windows": int(len(split.y_test)),
        "accuracy": float(np.mean(pred == split.y_test)),
        "float_accuracy": float(np.mean(float_pred == split.y_test)),
        "golden_float_agreement": float(np.mean(pred == float_pred)),
        "chosen_epoch": history[chosen]["epoch"] if chosen >= 0 else None,
        "chosen_val_acc": history[chosen]["val_acc"] if chosen >= 0 else None,
        "epochs": len(history),
        "seconds_per_epoch": statistics.fmean(epoch_seconds) if epoch_seconds else None,
        "epoch_seconds_total": float(sum(epoch_seconds)),
        "wall_seconds": (time.perf_counter() - t0) / sharing,
        "resumed": resumed,
        "trained_on": trained_on,
        "checkpoint": display_path(checkpoint),
        "class_names": list(split.class_names),
        "test_ids": list(split.test_ids),
        "y_true": split.y_test.tolist(),
        "y_pred": pred.tolist(),
        **(extra or {}),
    }
    write_json(cv.fold_dir / f"fold{fold}.json", result)
    return result


def percent(value: float | None, digits: int = 3) -> float | None:
    """A fraction as a percentage rounded for the results file; NaN and None become None."""
    if value is None or math.isnan(value):
        return None
    return round(100.0 * value, digits)


def summarize(cv: CrossvalRun, results: list[dict]) -> dict:
    """The results entry of a cross-validation: fold accuracies, mean, sd, pooled per-class figures.

    ``macro_f1`` is the unweighted mean over classes of the F1 of the confusion matrix pooled over
    all folds (every window tested exactly once), which stays defined where a fold holds one window
    of a class. ``sd`` is the sample standard deviation over folds (None for a single fold).
    """
    names = tuple(results[0]["class_names"])
    y_true = np.concatenate([np.asarray(r["y_true"], dtype=np.int64) for r in results])
    y_pred = np.concatenate([np.asarray(r["y_pred"], dtype=np.int64) for r in results])
    cm = confusion_matrix(y_true, y_pred, len(names))
    per_class = per_class_metrics(cm, names)
    acc = [r["accuracy"] for r in results]
    f1 = [m["f1"] for m in per_class.values() if m["support"]]
    spe = [r["seconds_per_epoch"] for r in results if r["seconds_per_epoch"] is not None]
    train_seconds = sum(r["epoch_seconds_total"] + r.get("teacher_epoch_seconds_total", 0.0)
                        + r.get("refit_epoch_seconds_total", 0.0) for r in results)  # fmt: skip
    trained = recipe(cv.train) | (teacher_fields(cv) if cv.distilled else {})
    trained |= {"refit": True} if cv.refit else {}
    trained |= {"recalibrate_chosen": True} if cv.recalibrate_chosen else {}
    if cv.checkpoint:  # the recipe the evaluated checkpoint was trained with
        config = torch.load(cv.checkpoint, map_location="cpu", weights_only=False)["config"]
        # An older checkpoint predates some options: they took today's defaults then.
        trained = recipe(TrainConfig()) | {
            k: v for k, v in config.items() if k not in RUNTIME_FIELDS
        }
    teacher = {}
    if cv.distilled:
        teacher = {
            "teacher_float_fold_acc": [percent(r["teacher_float_accuracy"]) for r in results],
            "teacher_chosen_epochs": [r["teacher_chosen_epoch"] for r in results],
        }
    if cv.refit:  # what each fold's validation run, before its refit, scored (reported only)
        teacher["val_run_fold_acc"] = [percent(r["val_run_accuracy"]) for r in results]
    if cv.recalibrate_chosen:  # the chosen checkpoints before recalibration (reported only)
        teacher["chosen_fold_acc"] = [percent(r["chosen_accuracy"]) for r in results]
    return {
        "folds": len(results),
        "fold_acc": [percent(a) for a in acc],
        "mean": percent(statistics.fmean(acc)),
        "sd": percent(statistics.stdev(acc)) if len(acc) > 1 else None,
        "macro_f1": percent(statistics.fmean(f1)),
        "protocol": cv.protocol,
        "windows": int(len(y_true)),
        "pooled_accuracy": percent(float(np.mean(y_true == y_pred))),
        "majority_class_acc": percent(float(np.bincount(y_true).max() / len(y_true))),
        "float_fold_acc": [percent(r["float_accuracy"]) for r in results],
        "golden_float_agreement": percent(
            sum(r["golden_float_agreement"] * r["test_windows"] for r in results) / len(y_true)
        ),
        "chosen_epochs": [r["chosen_epoch"] for r in results],
        "per_class": {
            name: {
                "se": percent(m["sensitivity"]),
                "ppv": percent(m["ppv"]),
                "f1": percent(m["f1"]),
                "support": m["support"],
            }
            for name, m in per_class.items()
        },  # fmt: skip
        "confusion_matrix": cm.tolist(),
        "fold_seed": cv.train.split_seed if cv.train.folds else None,
        "recipe": trained,
        "checkpoint": cv.checkpoint or None,
        "seconds_per_epoch": round(statistics.fmean(spe), 3) if spe else None,
        "train_hours": round(train_seconds / 3600.0, 3),
        "wall_hours": round(sum(r["wall_seconds"] for r in results) / 3600.0, 3),
        "trained_on": sorted({r["trained_on"] for r in results if r["trained_on"]}),
        **teacher,
    }


def update_results(path: Path, name: str, entry: dict) -> dict:
    """Put ``entry`` under ``name`` in the results JSON at ``path`` (other entries kept)."""
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[name] = entry
    data = dict(sorted(data.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, data)
    return data


def fmt(value: float | None, digits: int = 2) -> str:
    """A percentage for the tables ('-' when undefined)."""
    return "-" if value is None else f"{value:.{digits}f}"


def teacher_text(width: int) -> str:
    """What the teacher of a distilled recipe is: the float twin or a wider float model."""
    return "float twin" if width == 1 else f"float CNN {width}x as wide as the twin"


def recipe_text(entry: dict) -> str:
    """A short description of a results entry's training recipe (or its checkpoint)."""
    r = entry["recipe"]
    parts = [f"{r['epochs']} epochs", f"lr {r['lr']:g} {r['schedule']}", f"batch {r['batch_size']}"]
    if r.get("augment"):
        parts.append("random-shift augmentation")
    if r.get("stretch"):
        parts.append(f"time stretch 1 +- {r['stretch']:g}")
    if r.get("wander"):
        parts.append(f"baseline wander up to {r['wander']:g} (z units)")
    if r.get("noise"):
        parts.append(f"Gaussian noise sd {r['noise']:g} (z units)")
    if r.get("dropout"):
        parts.append(f"dropout {r['dropout']:g}")
    parts.append(f"{r['readout']} readout")
    if r.get("activation", "layer") == "channel":
        parts.append("per-channel PReLU slopes and shifts before them")
    if not r.get("clamp", True):
        parts.append("no clamp")
    if r.get("recalibrate_bn"):
        parts.append("BatchNorm statistics recomputed over the clean fit windows every epoch")
    if r.get("ema"):
        parts.append(f"EMA of the weights, decay {r['ema']:g} per step")
    if r.get("swa_start"):
        parts.append(
            f"SWA: equal-weight average of the weights at the end of epochs {r['swa_start']}-"
            f"{r['epochs']}, BatchNorm statistics recomputed over the clean fit windows"
        )
    if r.get("distill"):
        parts.append(
            f"distilled (weight {r['distill']:g}, temperature {r['temperature']:g}) from a "
            f"{teacher_text(r.get('teacher_width', 1))} trained {r['teacher_epochs']} epochs on "
            "the fold's training part"
        )
    if r.get("teacher_init"):
        parts.append(
            f"started from the weights of a float twin trained {r['teacher_epochs']} epochs on "
            "the fold's training part"
        )
    if r.get("weight_decay"):
        parts.append(f"weight decay {r['weight_decay']:g}")
    if r.get("class_weight_power"):
        parts.append(f"class weights (windows)^-{r['class_weight_power']:g}")
    if r.get("focal_gamma"):
        parts.append(f"focal loss gamma {r['focal_gamma']:g}")
    if r.get("label_smoothing"):
        parts.append(f"label smoothing {r['label_smoothing']:g}")
    slice_kind = "val slice of whole records" if r.get("val_by_record") else "val slice"
    parts.append(f"{slice_kind} {r['val_fraction']:g}, seed {r['seed']}")
    if r.get("recalibrate_chosen"):
        parts.append("the chosen checkpoint's BatchNorm statistics recomputed over the fit windows")
    if r.get("refit"):
        parts.append(
            "then refit on the whole training part (val slice included) to the chosen epoch"
        )
    if r.get("init"):
        parts.append(f"fine-tuned from `{r['init']}`")
    text = ", ".join(parts)
    return f"checkpoint `{entry['checkpoint']}` ({text})" if entry.get("checkpoint") else text


def paired_change(entry: dict, baseline: dict) -> dict | None:
    """Change of a run against the baseline on the same folds: mean, sd, folds up and down.

    Both runs test the same windows fold by fold (same protocol, fold count and fold seed), so the
    per-fold differences remove the folds' own difficulty from the comparison.
    """
    same = all(entry.get(k) == baseline.get(k) for k in ("protocol", "folds", "fold_seed"))
    if not same or entry["folds"] < 2:
        return None
    diff = [a - b for a, b in zip(entry["fold_acc"], baseline["fold_acc"], strict=True)]
    return {
        "mean": statistics.fmean(diff),
        "sd": statistics.stdev(diff),
        "up": sum(d > 0 for d in diff),
        "down": sum(d < 0 for d in diff),
        "macro_f1": entry["macro_f1"] - baseline["macro_f1"],
    }


def render_changes(results: dict[str, dict], baselines: dict[str, dict]) -> list[str]:
    """Markdown lines: each run against its protocol's baseline run, fold by fold.

    A run recorded with ``compare_to`` (``--compare-to``: another run of the same results file on
    the same folds) is compared with that run instead.
    """
    lines = [
        "",
        "## Change against the headline run of the protocol, or the run named by --compare-to "
        "(same folds, paired)",
        "",
        "| run | baseline | mean change (points) | sd of the fold changes | folds up / down "
        "| macro-F1 change (points) |",
        "|---|---|---|---|---|---|",
    ]
    for name, e in results.items():
        if e.get("compare_to"):
            base_name, base = e["compare_to"], results.get(e["compare_to"])
        else:
            base_name, base = e["protocol"], baselines.get(e["protocol"])
        change = paired_change(e, base) if base else None
        if change is None:
            continue
        lines.append(
            f"| {name} | {base_name} ({fmt(base['mean'])} %) | {change['mean']:+.2f} "
            f"| {fmt(change['sd'])} | {change['up']} / {change['down']} "
            f"| {change['macro_f1']:+.2f} |"
        )
    return lines


def render_markdown(
    results: dict[str, dict],
    title: str = "Cross-validated accuracy",
    source: str = "results/crossval.json",
    baselines: dict[str, dict] | None = None,
) -> str:
    """The markdown page of a results JSON: the summary table, then per-class tables.

    With ``baselines`` (the headline results, keyed by protocol) a table of paired changes
    against them follows the summary.
    """
    lines = [
        f"# {title}",
        "",
        f"Generated by `python -m studies.crossval` from `{source}` (do not edit by hand).",
        "Accuracy of the BNN through the integer golden model (what the RTL computes), each",
        "fold's checkpoint chosen on a validation slice of that fold's training part. Macro-F1 and",
        "the per-class figures come from the confusion matrix pooled over the folds (every window",
        "tested once). sd: sample standard deviation over folds. PyTorch: the same checkpoints run",
        "by PyTorch in floating point (a check of the folding, not the full-precision twin).",
        "Hours: the sum of the epoch times / the wall time of the folds.",
        "",
        "| run | protocol | folds | windows | mean +- sd (%) | min - max (%) | macro-F1 (%) "
        "| PyTorch mean (%) | s / epoch | hours | recipe |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in results.items():
        sd = "" if e["sd"] is None else f" +- {fmt(e['sd'])}"
        floats = [a for a in e.get("float_fold_acc", []) if a is not None]
        fl = fmt(statistics.fmean(floats)) if floats else "-"
        lines.append(
            f"| {name} | {e['protocol']} | {e['folds']} | {e['windows']} | {fmt(e['mean'])}{sd} "
            f"| {fmt(min(e['fold_acc']))} - {fmt(max(e['fold_acc']))} | {fmt(e['macro_f1'])} "
            f"| {fl} | {fmt(e['seconds_per_epoch'])} "
            f"| {fmt(e['train_hours'])} / {fmt(e['wall_hours'])} "
            f"| {recipe_text(e)} |"
        )
    if baselines:
        lines += render_changes(results, baselines)
    for name, e in results.items():
        lines += ["", f"## {name}", ""]
        lines.append("Fold accuracies (%): " + ", ".join(fmt(a) for a in e["fold_acc"]) + ".")
        if e.get("fold_seed") is not None:
            lines.append(
                f"Fold seed {e['fold_seed']}; chosen epochs "
                + ", ".join(str(c) for c in e["chosen_epochs"]) + "."
            )  # fmt: skip
        if e.get("teacher_float_fold_acc"):
            teacher = e["teacher_float_fold_acc"]
            lines.append(
                "Float teacher (PyTorch) on the test folds, reported only (%): "
                + ", ".join(fmt(a) for a in teacher)
                + f"; mean {fmt(statistics.fmean(teacher))}; chosen epochs "
                + ", ".join(str(c) for c in e["teacher_chosen_epochs"]) + "."
            )  # fmt: skip
        if e.get("majority_class_acc") is not None:
            majority = fmt(e["majority_class_acc"])
            lines.append(f"Always answering the most common class: {majority} %.")
        if e.get("trained_on"):
            lines.append("Trained on: " + "; ".join(e["trained_on"]) + ".")
        lines += ["", "| class | Se (%) | PPV (%) | F1 (%) | windows |", "|---|---|---|---|---|"]
        for cls, m in e["per_class"].items():
            lines.append(
                f"| {cls} | {fmt(m['se'])} | {fmt(m['ppv'])} | {fmt(m['f1'])} | {m['support']} |"
            )
    return "\n".join(lines) + "\n"


def chosen_folds(cv: CrossvalRun, only: list[int] | None) -> list[int]:
    """The folds to run: all of ``cv``'s, or ``only`` these (ValueError for one outside)."""
    todo = list(range(cv.folds)) if only is None else only
    bad = [f for f in todo if not 0 <= f < cv.folds]
    if bad:
        raise ValueError(f"folds {bad} outside 0-{cv.folds - 1}")
    return todo


def run_crossval(cv: CrossvalRun, only: list[int] | None = None) -> list[dict]:
    """Run (or resume) the folds of ``cv`` (all, or ``only`` these); their results in fold order."""
    todo = chosen_folds(cv, only)
    pin_recipe(cv)
    results = []
    for fold in tqdm(todo, desc=f"{cv.name} folds", unit="fold"):
        results.append(run_fold(cv, fold))
        r = results[-1]
        tqdm.write(
            f"{cv.name} fold {fold}: golden {100 * r['accuracy']:.2f} % "
            f"({r['test_windows']} windows), float {100 * r['float_accuracy']:.2f} %, "
            f"chosen epoch {r['chosen_epoch']}"
        )
    return results


def finished_results(cv: CrossvalRun) -> list[dict] | None:
    """Every fold's result when all folds of ``cv`` are finished, else None."""
    paths = [cv.fold_dir / f"fold{f}.json" for f in range(cv.folds)]
    if not all(p.is_file() for p in paths):
        return None
    return [json.loads(p.read_text()) for p in paths]


EPILOG = """\
Training options are those of scripts/train.py (--epochs, --lr, --augment, --dropout, --readout,
--seed, --threads ...) and define the recipe, identical for every fold. --split-seed is the fold
assignment seed (default 0, fixed in advance). Rerunning the same command resumes: finished folds
are skipped, an interrupted fold continues from its last epoch. Example (the committed ecg17 run):
  python -m studies.crossval --protocol ecg17 --epochs 100 --lr 0.01 --augment --dropout 0.5 \\
      --readout mean --threads 1
The same recipe distilled from a float twin trained per fold (a candidate, its own results file):
  python -m studies.crossval --protocol ecg17 --epochs 100 --lr 0.01 --augment --dropout 0.5 \\
      --readout mean --threads 1 --teacher-epochs 100 --distill 0.5 --temperature 2 \\
      --name ecg17_distill --results results/crossval_candidates.json \\
      --docs docs/crossval_candidates.md
Inter-patient DS1 -> DS2 of a shipped checkpoint, no training:
  python -m studies.crossval --protocol interpatient --checkpoint weights/bnn5_interpatient.pt
On a GPU, all pending folds as one stacked network, saved and stopped after 500 s (rerun to go on):
  python -m studies.crossval --protocol paper --epochs 380 --lr 0.01 --augment --dropout 0.5 \
      --device cuda --stacked --stop-after 500 --name paper_x --results \
      results/crossval_candidates.json --docs docs/crossval_candidates.md
"""


def parse_args(argv: list[str] | None = None) -> tuple[CrossvalRun, argparse.Namespace]:
    """Options of ``python -m studies.crossval``: the run and the remaining (output) options."""
    p = argparse.ArgumentParser(
        description="Cross-validated accuracy of the ECG BNN through the integer golden model: "
        "stratified k-fold (ecg17 10, paper 5; interpatient: DS1 -> DS2), each fold's checkpoint "
        "chosen on a validation slice of its training part. Writes per-fold results under "
        "--run-root, the summary under --name in --results, and the markdown table --docs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[build_parser(add_help=False)],
    )
    p.add_argument("--folds", type=int, default=0, help="folds (default: ecg17 10, paper 5)")
    p.add_argument("--name", default="", help="key in --results (default: the protocol)")
    p.add_argument("--run-root", default="", help="fold states (default runs/crossval/<name>)")
    p.add_argument(
        "--fold-results", default="",
        help="per-fold results and the pinned recipe, small files to commit so that finished "
        "folds survive the machine (default results/crossval/<name>)",
    )  # fmt: skip
    p.add_argument("--only-fold", type=int, action="append", help="run only this fold (repeat)")
    p.add_argument(
        "--teacher-epochs", type=int, default=0,
        help="distillation: each fold first trains the recipe's float twin this many epochs on "
        "its training part (checkpoint chosen on its validation slice), and the BNN distills from "
        "it with --distill and --temperature, or starts from it (--teacher-init; 0 = no teacher)",
    )  # fmt: skip
    p.add_argument(
        "--teacher-width", type=int, default=1,
        help="the teacher's hidden channels are the twin's times this (1: the float twin; "
        "more: a larger float teacher, with --distill only)",
    )  # fmt: skip
    p.add_argument(
        "--teacher-init", action="store_true",
        help="each fold's BNN starts from its float teacher's weights (latent weights, PReLU, "
        "BatchNorm), the usual two-step binarization; needs --teacher-epochs",
    )  # fmt: skip
    p.add_argument(
        "--refit", action="store_true",
        help="after the validation slice chooses a fold's epoch, train the recipe again on the "
        "fold's whole training part (slice included), same seed and schedule, to that epoch, "
        "and deploy that refit (the validation run's accuracy is reported beside it)",
    )  # fmt: skip
    p.add_argument(
        "--recalibrate-chosen", action="store_true",
        help="deploy each fold's chosen checkpoint with its BatchNorm statistics recomputed "
        "over the fold's clean fit windows (the chosen one's accuracy is reported beside it)",
    )  # fmt: skip
    p.add_argument(
        "--checkpoint", default="", help="interpatient: evaluate this checkpoint, no training"
    )
    p.add_argument(
        "--results", default=str(repo_root() / "results" / "crossval.json"),
        help="results JSON the summary goes into (other entries kept)",
    )  # fmt: skip
    p.add_argument(
        "--docs", default=str(repo_root() / "docs" / "crossval.md"),
        help="markdown page generated from --results ('' for none)",
    )  # fmt: skip
    p.add_argument(
        "--baseline", default=str(repo_root() / "results" / "crossval.json"),
        help="headline results that --docs compares the runs of another --results file with",
    )  # fmt: skip
    p.add_argument(
        "--render-only", action="store_true", help="only regenerate --docs from --results"
    )
    p.add_argument(
        "--compare-to", default="",
        help="--docs compares this run fold by fold with that run of --results (same folds; "
        "default: the protocol's headline run)",
    )  # fmt: skip
    p.add_argument(
        "--stacked", action="store_true",
        help="train the pending folds side by side as one stacked network "
        "(studies/crossval_stacked.py; for a GPU, where one fold leaves it idle)",
    )  # fmt: skip
    p.add_argument(
        "--stop-after", type=float, default=0.0,
        help="--stacked: save and stop after the epoch that passes this many seconds (0: none); "
        "a rerun continues",
    )  # fmt: skip
    a = p.parse_args(argv)
    for flag, value in (("--init", a.init), ("--out", a.out), ("--run-dir", a.run_dir),
                        ("--teacher", a.teacher),
                        ("--unstratified", a.unstratified), ("--track-test", a.track_test),
                        ("--full-precision", a.full_precision)):  # fmt: skip
        if value:
            p.error(f"{flag} does not apply to cross-validation")
    if a.stop_epoch:
        p.error("--stop-epoch is set per fold by --refit (the epoch validation chose)")
    if (a.refit or a.recalibrate_chosen) and (a.stacked or a.teacher_epochs or a.checkpoint):
        p.error(
            "--refit and --recalibrate-chosen change a sequential fold's model without a "
            "teacher (not --stacked, --teacher-epochs or --checkpoint)"
        )
    if a.refit and a.recalibrate_chosen:
        p.error("--refit and --recalibrate-chosen each choose what a fold deploys: one of them")
    if a.stop_after and not a.stacked:
        p.error("--stop-after applies to --stacked (a sequential fold resumes from its last epoch)")
    cfg = replace(config_from_args(a), fit_eval=False)  # logging only: the time goes to epochs
    if (a.teacher_epochs > 0) != (a.distill > 0 or a.teacher_init):
        p.error("a teacher (--teacher-epochs) needs --distill above 0 or --teacher-init")
    folds = a.folds or DEFAULT_FOLDS[a.protocol]
    if a.protocol == "interpatient":
        if folds != 1:
            p.error("interpatient has one fixed record split: --folds 1")
        cfg = replace(cfg, folds=0)
    else:
        if a.checkpoint:
            p.error("--checkpoint: only for interpatient (random splits need a model per fold)")
        if folds < 2:
            p.error("--folds must be at least 2")
        cfg = replace(cfg, folds=folds, split_seed=a.split_seed or FOLD_SEED)
    name = a.name or a.protocol
    run_root = Path(a.run_root or repo_root() / "runs" / "crossval" / name)
    fold_dir = Path(a.fold_results or repo_root() / "results" / "crossval" / name)
    if a.teacher_epochs and a.checkpoint:
        p.error("--teacher-epochs trains; --checkpoint evaluates without training")
    if a.teacher_width < 1 or (a.teacher_width > 1 and (a.teacher_init or not a.teacher_epochs)):
        p.error(
            "--teacher-width: at least 1, above 1 only for a --distill teacher (the BNN has "
            "the twin's shape, so --teacher-init needs width 1)"
        )
    if a.width != 1:
        p.error("--width applies to a float model: the teacher's is --teacher-width")
    run = CrossvalRun(
        name, cfg, run_root, a.checkpoint, fold_dir, a.teacher_epochs, a.teacher_init,
        a.teacher_width, a.refit, a.recalibrate_chosen,
    )  # fmt: skip
    return run, a


def render_page(results_path: Path, data: dict, baseline_path: Path) -> str:
    """The markdown page of ``results_path``; another file than the baseline is compared to it."""
    source = display_path(results_path)
    if results_path.resolve() == baseline_path.resolve() or not baseline_path.is_file():
        return render_markdown(data, source=source)
    baselines = json.loads(baseline_path.read_text())
    title = "Cross-validated accuracy: training changes"
    return render_markdown(data, title, source, baselines)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m studies.crossval``."""
    cv, a = parse_args(argv)
    results_path = Path(a.results)
    if not a.render_only:
        if cv.train.threads:
            torch.set_num_threads(cv.train.threads)
        if a.stacked:
            from studies.crossval_stacked import run_stacked  # it imports this module

            run_stacked(cv, a.only_fold, a.stop_after)
        else:
            run_crossval(cv, a.only_fold)
        results = finished_results(cv)
        if results is None:
            print(f"{cv.name}: not every fold is finished yet; rerun to continue")
            return
        entry = summarize(cv, results)
        if a.compare_to:
            entry["compare_to"] = a.compare_to
        update_results(results_path, cv.name, entry)
        sd = "" if entry["sd"] is None else f" +- {entry['sd']:.2f}"
        print(
            f"{cv.name}: {entry['folds']} folds, {entry['mean']:.2f}{sd} % "
            f"(macro-F1 {entry['macro_f1']:.2f} %), written to {results_path}"
        )
    if a.docs:
        data = json.loads(results_path.read_text())
        Path(a.docs).write_text(render_page(results_path, data, Path(a.baseline)))
        print(f"wrote {a.docs}")


if __name__ == "__main__":
    main()
