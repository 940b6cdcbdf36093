"""Write the small attributed demo excerpts used by ``make sim`` and the testbenches.

Picks up to ``--per-class`` held-out test windows of each class (never training windows) of the
``paper`` protocol (``demo/mitdb_demo.npz``, 4 per class) or of ``ecg17`` (``demo/ecg17_demo.npz``,
1 per class) and saves them with their labels and record ids.
"""

import argparse

import numpy as np

from pymodel.datasets import load_split
from pymodel.demo import demo_path

DEMO_PROTOCOL = {"mitdb": "paper", "ecg17": "ecg17"}


def pick_windows(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of up to ``per_class`` windows of each class, drawn with a fixed seed."""
    rng = np.random.default_rng(seed)
    picks = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        picks.extend(rng.choice(idx, size=min(per_class, len(idx)), replace=False))
    return np.sort(np.asarray(picks))


def main() -> None:
    """Select and save the demo windows."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("demo", choices=sorted(DEMO_PROTOCOL), help="which excerpt to write")
    p.add_argument("--per-class", type=int, default=None, help="default: 4 (mitdb), 1 (ecg17)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    per_class = args.per_class or {"mitdb": 4, "ecg17": 1}[args.demo]
    out = demo_path(args.demo)
    split = load_split(DEMO_PROTOCOL[args.demo], args.data_dir)
    idx = pick_windows(split.y_test, per_class, args.seed)
    np.savez_compressed(
        out,
        windows=split.x_test[idx],
        labels=split.y_test[idx],
        ids=np.asarray([split.test_ids[i] for i in idx]),
        class_names=np.asarray(split.class_names),
    )
    print(f"wrote {len(idx)} windows to {out}")


if __name__ == "__main__":
    main()
