"""``make sim``'s closing report (scripts/run_sim.py): per-class demo results beside the
held-out test-set figure, read from the committed results (no simulator needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from script_loader import load_script

from pymodel import golden
from pymodel.export import load_params

REPO = Path(__file__).resolve().parents[1]


def test_demo_summary_per_class_and_held_out_figure():
    run_sim = load_script("run_sim")
    mem = run_sim.resolve_model("bnn5_paper")
    params = load_params(mem)
    windows, labels, _, names, desc = run_sim.load_windows(
        run_sim.parse_args([]), mem, params.num_classes, ()
    )
    assert "4 of each class" in desc
    pred = golden.run_batch(params, windows).pred
    text = "\n".join(run_sim.summary(labels, pred, names, desc, mem))
    for c, name in enumerate(names):
        correct = int(np.sum((labels == c) & (pred == c)))
        assert any(ln.split()[:3] == [name, "4", str(correct)] for ln in text.splitlines())
    evaluation = json.loads((REPO / "results" / "evaluation.json").read_text())["bnn5_paper"]["bnn"]
    assert f"{evaluation['accuracy'] * 100:.2f} % of {evaluation['test_windows']}" in text
    assert f"accuracy on these 20 windows: {np.mean(pred == labels) * 100:.2f} %" in text
    assert "why they differ" in text


def test_held_out_figure_only_for_the_evaluated_checkpoint(tmp_path):
    run_sim = load_script("run_sim")
    manifest = json.loads((REPO / "rtl" / "mem" / "bnn5_paper" / "manifest.json").read_text())
    manifest["source"] = {"checkpoint": None}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert run_sim.held_out(tmp_path) is None
    assert run_sim.held_out(run_sim.resolve_model("bnn17"))[0] == "ecg17"
