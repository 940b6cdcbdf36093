"""Training-speed benchmark: seconds per epoch on this machine and the projected full training.

Runs a few real epochs of each protocol's BNN (default recipe) and prints the mean seconds per
epoch, the projected time of a full training and, when a committed checkpoint carries its history,
the time its training actually took.
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
    x_fit, y_fit, _, _ = split_validation(split, cfg.val_fraction, cfg.seed)
    model = EcgBnn(split.num_classes, binary=binary)
    optimizer, _ = make_optimizer(model, cfg)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        train_epoch(model, optimizer, x_fit, y_fit, cfg.batch_size, 0, "bench")
        times.append(time.perf_counter() - t0)
    return sum(times) / len(times), len(y_fit)


def committed_training_seconds(name: str) -> float | None:
    """Total training seconds recorded in a committed checkpoint's history, if any."""
    path = Path(__file__).resolve().parent.parent / "weights" / f"{name}.pt"
    if not path.is_file():
        return None
    history = torch.load(path, weights_only=False)["config"].get("history", [])
    return sum(h["seconds"] for h in history) if history else None


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
            full = sec * TrainConfig.epochs
            line = f"{name:18s} {n:5d} windows  {sec:6.2f} s/epoch  "
            line += f"projected {TrainConfig.epochs} epochs: {full / 60:5.1f} min"
            actual = committed_training_seconds(name)
            if actual is not None:
                line += f"  (committed run took {actual / 60:.1f} min)"
            print(line)


if __name__ == "__main__":
    main()
