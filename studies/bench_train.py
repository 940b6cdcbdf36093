"""Training-speed benchmark: seconds per epoch on this machine and the projected full training.

Runs a few real epochs of each protocol's BNN and float twin, as ``train.py`` runs them (the
committed recipe's augmentation and dropout, then the per-epoch accuracy on the training and
validation windows), and prints the mean seconds per epoch and the projected time of the full
training here: seconds per epoch times the epochs of the committed checkpoint's recipe (all
phases in its history; the default epoch count when it has none). The committed run's own time
is printed too, with the machine it ran on (some were trained on a lent GPU, where an epoch is
several times faster than on this CPU).
"""

import argparse
import time
from pathlib import Path

import torch

from pymodel.datasets import PROTOCOLS, load_split
from pymodel.model import EcgBnn
from pymodel.train import (
    TrainConfig,
    accuracy,
    default_name,
    make_optimizer,
    split_validation,
    train_epoch,
)


def seconds_per_epoch(cfg: TrainConfig, epochs: int) -> tuple[float, int]:
    """Mean wall-clock seconds of ``epochs`` epochs (training and evaluation) and the windows."""
    split = load_split(cfg.protocol)
    x_fit, y_fit, x_val, y_val = split_validation(split, cfg.val_fraction)
    model = EcgBnn(split.num_classes, binary=cfg.binary, dropout=cfg.dropout)
    optimizer, _ = make_optimizer(model, cfg)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        train_epoch(model, optimizer, x_fit, y_fit, cfg.batch_size, 0, "bench", augment=cfg.augment)
        accuracy(model, x_fit, y_fit)  # train.py logs both accuracies every epoch
        accuracy(model, x_val, y_val)
        times.append(time.perf_counter() - t0)
    return sum(times) / len(times), len(y_fit)


def committed_config(name: str) -> dict:
    """The training config (with history) of a committed checkpoint; {} when there is none."""
    path = Path(__file__).resolve().parent.parent / "weights" / f"{name}.pt"
    if not path.is_file():
        return {}
    return torch.load(path, weights_only=False)["config"]


def committed_run(config: dict) -> tuple[int, float, str] | None:
    """Epochs, training seconds and device recorded in a committed config, if it has history."""
    history = config.get("history", [])
    if not history:
        return None
    seconds = sum(h["seconds"] for h in history)
    return len(history), seconds, str(config.get("trained_on", config.get("device", "cpu")))


def main() -> None:
    """Print the training-speed figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2, help="epochs to time per protocol")
    p.add_argument("--protocol", action="append", choices=PROTOCOLS)
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for protocol in args.protocol or list(PROTOCOLS):
        for binary in (True, False):
            name = default_name(protocol, binary)
            config = committed_config(name)
            cfg = TrainConfig(
                protocol=protocol,
                binary=binary,
                batch_size=config.get("batch_size", TrainConfig.batch_size),
                augment=config.get("augment", False),
                dropout=config.get("dropout", 0.0),
            )
            sec, n = seconds_per_epoch(cfg, args.epochs)
            committed = committed_run(config)
            epochs = committed[0] if committed else TrainConfig.epochs
            line = f"{name:18s} {n:5d} windows  {sec:6.2f} s/epoch  "
            line += f"projected {epochs} epochs here: {sec * epochs / 60:5.1f} min"
            if committed:
                line += f"  (committed run: {committed[1] / 60:.1f} min on {committed[2]})"
            print(line)


if __name__ == "__main__":
    main()
