"""Write the small attributed demo sample used by ``make sim`` on a machine without the data.

Picks up to ``--per-class`` held-out test windows of each class of the ``paper`` protocol (never
training windows) and saves them with their labels and record ids to ``demo/mitdb_demo.npz``.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from pymodel.datasets import load_split, repo_root  # noqa: E402


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
    p.add_argument("--per-class", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=str(repo_root() / "demo" / "mitdb_demo.npz"))
    args = p.parse_args()
    split = load_split("paper", args.data_dir)
    idx = pick_windows(split.y_test, args.per_class, args.seed)
    np.savez_compressed(
        args.out,
        windows=split.x_test[idx],
        labels=split.y_test[idx],
        ids=np.asarray([split.test_ids[i] for i in idx]),
        class_names=np.asarray(split.class_names),
    )
    print(f"wrote {len(idx)} windows to {args.out}")


if __name__ == "__main__":
    main()
