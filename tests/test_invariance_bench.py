"""scripts/bench_invariance.py: the gain labels, the int16 guard and the README's twin sentence."""

from __future__ import annotations

import numpy as np
import pytest
from script_loader import load_script


def test_gain_labels_and_int16_guard():
    """Labels parse as fractions; a mapped sample outside int16 is refused, not wrapped."""
    bench = load_script("bench_invariance")
    assert [bench.gain_value(g) for g in ("1/16", "3.3", "16")] == [0.0625, 3.3, 16.0]
    assert bench.to_int16(np.array([-32768.4, 1.5, 32766.6])).tolist() == [-32768, 2, 32767]
    with pytest.raises(ValueError):
        bench.to_int16(np.array([32767.6]))
    with pytest.raises(ValueError):
        bench.to_int16(np.array([-32769.0]))


def test_twin_sentence_uses_the_smallest_gain():
    """The README names each twin's change at the smallest gain, whatever the key order."""
    readme = load_script("update_readme")
    results = {
        "a": {"gain": {"2": 0, "1/8": 0, "1/16": 0}, "twin": "fp", "twin_baseline": 90.0,
              "twin_gain": {"2": 90.0, "1/8": 89.0, "1/16": 80.5}},
        "b": {"gain": {"2": 0, "1/8": 0, "1/16": 0}},
    }  # fmt: skip
    assert readme.twin_loss_text(results) == "`fp` -9.50 points at x1/16"
    assert readme.twin_loss_text({"b": results["b"]}) == "no twin measured"
