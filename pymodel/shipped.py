"""The shipped models: which checkpoints the project exports, evaluates, simulates and documents.

One entry per model, read by every script and test that walks the shipped models (evaluation,
golden-model agreement, the RTL benchmark, the invariance benchmark, the documentation). A model
is ``weights/<name>.pt``, exported to ``rtl/mem/<name>/``.

Two recipes per task (issue 18, "ship both"):

- ``paper-exact``: the network and training of the paper, the default of ``make sim``;
- ``improved``: the same network and ROM formats (so the same RTL and storage), trained with the
  recipe that raised the cross-validated accuracy (``docs/crossval_candidates.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pymodel.datasets import AAMI_CLASSES, ECG17_CLASSES

PAPER_EXACT = "paper-exact"
IMPROVED = "improved"


@dataclass(frozen=True)
class ShippedModel:
    """One shipped checkpoint: its name, data protocol, recipe kind and float twin."""

    name: str  # weights/<name>.pt, rtl/mem/<name>/
    protocol: str  # pymodel.datasets protocol of its training and test windows
    recipe: str  # PAPER_EXACT or IMPROVED
    twin: str = ""  # the full-precision twin trained on the same windows (weights/<twin>.pt)
    crossval: str = ""  # improved: its recipe's entry in results/crossval_candidates.json

    @property
    def num_classes(self) -> int:
        """Classes of its protocol (17 rhythm classes for ecg17, else the 5 AAMI classes)."""
        return len(ECG17_CLASSES) if self.protocol == "ecg17" else len(AAMI_CLASSES)


SHIPPED_MODELS: tuple[ShippedModel, ...] = (
    ShippedModel("bnn5_paper", "paper", PAPER_EXACT, "fp5_paper"),
    ShippedModel("bnn5_interpatient", "interpatient", PAPER_EXACT, "fp5_interpatient"),
    ShippedModel("bnn17", "ecg17", PAPER_EXACT, "fp17"),
    ShippedModel("bnn17_noise", "ecg17", IMPROVED, crossval="ecg17_long_noise"),
)
DEFAULT_MODEL = "bnn5_paper"


def shipped_names() -> list[str]:
    """Names of all shipped models, in table order."""
    return [m.name for m in SHIPPED_MODELS]


def shipped_model(name: str) -> ShippedModel:
    """The entry of a shipped model (ValueError for another name)."""
    for model in SHIPPED_MODELS:
        if model.name == name:
            return model
    raise ValueError(f"{name!r} is not a shipped model; choose one of {shipped_names()}")


def model_for(protocol: str, recipe: str = PAPER_EXACT) -> ShippedModel | None:
    """The shipped model of a protocol and recipe kind, or None where there is none."""
    return next((m for m in SHIPPED_MODELS if (m.protocol, m.recipe) == (protocol, recipe)), None)
