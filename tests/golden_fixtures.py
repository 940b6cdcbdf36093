"""Shared helpers of the golden-model tests: a few real ECG windows and random folded models."""

from __future__ import annotations

import functools

import numpy as np
import torch

from pymodel.demo import DEMO_FILES, load_demo
from pymodel.fold import randomize_model
from pymodel.model import EcgBnn


@functools.cache
def real_windows() -> np.ndarray:
    """The 37 shipped demo windows (raw MLII, 3600 samples; MIT-BIH and 17-class excerpts), so
    the golden-model tests run on real ECG of every class without the databases."""
    return np.concatenate([load_demo(name).windows for name in DEMO_FILES]).astype(np.int16)


@functools.cache
def random_model(num_classes: int = 5, seed: int = 0) -> EcgBnn:
    """A randomly initialised binary EcgBnn with mixed-sign BN gammas and PReLU slopes whose BN
    statistics come from real windows (so thresholds land where data goes)."""
    torch.manual_seed(seed)
    return randomize_model(EcgBnn(num_classes), real_windows()[::3], seed=seed)
