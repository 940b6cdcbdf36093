"""Training-speed benchmark: seconds per epoch on this machine and the projected full training.

Runs a few real epochs of each protocol's BNN and float twin and prints the mean seconds per
epoch and the projected time of the full training here: seconds per epoch times the epochs of the
committed checkpoint's recipe (all phases in its history; the default epoch count when it has
none). The committed run's own time is printed too, with the device it ran on (some were trained
on a lent GPU, where an epoch is several times faster than on this CPU).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from pymodel.datasets import PROTOCOLS, load_split  # noqa: E402
from pymodel.model import EcgBnn  # noqa: E402
from pymodel.train import (  # noqa: E402
    TrainConfig,
    default_name,
    make_optimizer,
    split_validation,
    train_epoch,
)


def seconds_per_epoch(protocol: str, epochs: int, binary: bool) -> tuple[float, int]:
    """Mean wall-clock seconds of ``epochs`` training epochs and the number of windows."""
    cfg = TrainConfig(protocol=protocol, binary=binary)
    split = load_split(protocol)
    x_fit, y_fit, _, _ = split_validation(split, cfg.val_fraction)
    model = EcgBnn(split.num_classes, binary=binary)
    optimizer, _ = make_optimizer(model, cfg)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        train_epoch(model, optimizer, x_fit, y_fit, cfg.batch_size, 0, "bench")
        times.append(time.perf_counter() - t0)
    return sum(times) / len(times), len(y_fit)


def committed_run(name: str) -> tuple[int, float, str] | None:
    """Epochs, training seconds and device recorded in a committed checkpoint, if it has history."""
    path = Path(__file__).resolve().parent.parent / "weights" / f"{name}.pt"
    if not path.is_file():
        return None
    config = torch.load(path, weights_only=False)["config"]
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
            sec, n = seconds_per_epoch(protocol, args.epochs, binary)
            name = default_name(protocol, binary)
            committed = committed_run(name)
            epochs = committed[0] if committed else TrainConfig.epochs
            line = f"{name:18s} {n:5d} windows  {sec:6.2f} s/epoch  "
            line += f"projected {epochs} epochs here: {sec * epochs / 60:5.1f} min"
            if committed:
                line += f"  (committed run: {committed[1] / 60:.1f} min on {committed[2]})"
            print(line)


if __name__ == "__main__":
    main()
