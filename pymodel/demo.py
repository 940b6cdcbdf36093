"""The shipped demo excerpts: real ECG for a machine without the databases.

``demo/mitdb_demo.npz`` (MIT-BIH, 5 AAMI classes) and ``demo/ecg17_demo.npz`` (the 17-class set)
hold a few held-out test windows each, raw ADC samples as the IP receives them, with labels and
``record:window`` ids (provenance and licenses in ``demo/README.md``). ``make sim`` classifies
them and the testbenches take their real-ECG stimulus from them, so both run without the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.datasets import repo_root

DEMO_DIR = repo_root() / "demo"
DEMO_FILES = {"mitdb": "mitdb_demo.npz", "ecg17": "ecg17_demo.npz"}


@dataclass(frozen=True)
class DemoSet:
    """Windows (int64, (n, 3600)), labels, ids and class names of one demo excerpt."""

    windows: np.ndarray
    labels: np.ndarray
    ids: tuple[str, ...]
    class_names: tuple[str, ...]


def demo_path(name: str) -> Path:
    """Path of the demo excerpt ``name`` (``mitdb`` or ``ecg17``)."""
    if name not in DEMO_FILES:
        raise ValueError(f"unknown demo {name!r}; choose one of {sorted(DEMO_FILES)}")
    return DEMO_DIR / DEMO_FILES[name]


def load_demo(name: str) -> DemoSet:
    """Read one demo excerpt (it is part of the repository, so missing means a broken checkout)."""
    with np.load(demo_path(name)) as f:
        return DemoSet(
            windows=f["windows"].astype(np.int64),
            labels=f["labels"].astype(np.int64),
            ids=tuple(str(i) for i in f["ids"]),
            class_names=tuple(str(c) for c in f["class_names"]),
        )


def demo_for(num_classes: int) -> str:
    """The demo excerpt whose classes a model with ``num_classes`` outputs predicts."""
    return {5: "mitdb", 17: "ecg17"}[num_classes]
