"""The list of shipped models (pymodel/shipped.py) agrees with what the repository ships."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from pymodel.shipped import (
    DEFAULT_MODEL,
    IMPROVED,
    PAPER_EXACT,
    SHIPPED_MODELS,
    model_for,
    shipped_model,
    shipped_names,
)

REPO = Path(__file__).resolve().parents[1]


def test_every_export_and_binary_checkpoint_is_listed_once():
    """rtl/mem/<name>/ and the binary weights/<name>.pt are exactly the shipped models."""
    names = shipped_names()
    assert len(set(names)) == len(names)
    exported = sorted(p.parent.name for p in (REPO / "rtl" / "mem").glob("*/manifest.json"))
    assert exported == sorted(names)
    for model in SHIPPED_MODELS:
        manifest = json.loads((REPO / "rtl" / "mem" / model.name / "manifest.json").read_text())
        assert manifest["source"]["checkpoint"] == f"weights/{model.name}.pt"
        assert manifest["source"]["protocol"] == model.protocol
        assert manifest["num_classes"] == model.num_classes
        assert not model.twin or (REPO / "weights" / f"{model.twin}.pt").is_file()


def test_one_paper_exact_model_per_protocol_and_the_default_is_one():
    """Every protocol ships its paper-exact model; the default is the 5-class paper one."""
    for protocol in {m.protocol for m in SHIPPED_MODELS}:
        assert model_for(protocol, PAPER_EXACT) is not None
    assert shipped_model(DEFAULT_MODEL).recipe == PAPER_EXACT
    makefile = (REPO / "Makefile").read_text()
    assert f"MODEL ?= {DEFAULT_MODEL}\n" in makefile
    with pytest.raises(ValueError, match="not a shipped model"):
        shipped_model("bnn99")


def test_improved_models_beat_their_paper_exact_recipe_in_cross_validation():
    """An improved model names its recipe's cross-validation, which beats the headline's mean."""
    candidates = json.loads((REPO / "results" / "crossval_candidates.json").read_text())
    headline = json.loads((REPO / "results" / "crossval.json").read_text())
    improved = [m for m in SHIPPED_MODELS if m.recipe == IMPROVED]
    assert improved
    for model in improved:
        entry = candidates[model.crossval]
        assert entry["protocol"] == model.protocol
        assert entry["mean"] > headline[model.protocol]["mean"]
        ckpt_recipe = {
            k: entry["recipe"][k] for k in ("epochs", "lr", "augment", "dropout", "readout")
        }
        config = torch.load(REPO / "weights" / f"{model.name}.pt", weights_only=False)["config"]
        assert {k: config[k] for k in ckpt_recipe} == ckpt_recipe
