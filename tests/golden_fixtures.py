"""Shared helpers of the golden-model tests: a few real ECG windows and random folded models."""

from __future__ import annotations

import functools

import numpy as np
import torch

from pymodel import datasets
from pymodel.fold import randomize_model
from pymodel.model import EcgBnn

RECORDS = ("100", "119", "208", "203", "232")


@functools.cache
def real_windows(per_record: int = 12) -> np.ndarray:
    """``per_record`` raw MLII windows (int16, 3600 samples) from each of a few MIT-BIH records."""
    directory = datasets.mitdb_dir()
    out = []
    for record in RECORDS:
        samples = datasets.read_record(directory, record)
        out.append(samples[: per_record * 3600].reshape(per_record, 3600))
    return np.concatenate(out)


@functools.cache
def random_model(num_classes: int = 5, seed: int = 0) -> EcgBnn:
    """A randomly initialised binary EcgBnn with mixed-sign BN gammas and PReLU slopes whose BN
    statistics come from real windows (so thresholds land where data goes)."""
    torch.manual_seed(seed)
    return randomize_model(EcgBnn(num_classes), real_windows()[::3], seed=seed)
