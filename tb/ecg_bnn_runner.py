"""Shared cocotb runner for the RTL testbenches (cocotb 2 ``cocotb_tools.runner``).

Every test builds its own simulator model in ``sim_build/<build_id>`` (so pytest-xdist workers
never share a build) from the single source list ``rtl/ecg_bnn.f`` and runs one cocotb test
module against it. Simulator and RTL parameters come from the pytest test's parameters.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TB_DIR = REPO / "tb"
SIM_BUILD = REPO / "sim_build"
SOURCE_LIST = REPO / "rtl" / "ecg_bnn.f"
SIMULATORS = ("icarus", "verilator")

if str(TB_DIR) not in sys.path:
    sys.path.insert(0, str(TB_DIR))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def rtl_sources(source_list: Path = SOURCE_LIST) -> list[Path]:
    """The ordered RTL sources named in ``rtl/ecg_bnn.f`` (paths relative to the repo root)."""
    lines = [ln.split("//")[0].strip() for ln in source_list.read_text().splitlines()]
    return [REPO / ln for ln in lines if ln and not ln.startswith("#")]


def sv_string(value: str | os.PathLike[str]) -> str:
    """A SystemVerilog string parameter value as both simulators' command lines need it."""
    return f'"{value}"'


def simulator_available(sim: str) -> bool:
    """True when the simulator's executable is on PATH."""
    exe = {"icarus": "iverilog", "verilator": "verilator"}[sim]
    return any((Path(p) / exe).exists() for p in os.environ.get("PATH", "").split(os.pathsep))


def run_cocotb(
    *,
    sim: str,
    toplevel: str,
    test_module: str,
    build_id: str,
    parameters: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    testcase: str | Sequence[str] | None = None,
    waves: bool = False,
    extra_sources: Sequence[Path] = (),
    verilator_args: Sequence[str] = (),
) -> None:
    """Build ``toplevel`` with ``sim`` into ``sim_build/<build_id>`` and run ``test_module``.

    ``extra_sources`` (e.g. a board top and its UART under ``fpga/``) follow the IP's sources;
    ``verilator_args`` are added to Verilator's build (e.g. ``--timing`` for a clock wrapper).
    Fails the calling pytest test when any cocotb test fails.
    """
    from cocotb_tools.runner import get_results, get_runner

    if not simulator_available(sim):
        if os.environ.get("CI", "").lower() == "true":  # CI installs both: missing is a failure
            pytest.fail(f"{sim} is not installed (make tools)")
        pytest.skip(f"{sim} is not installed (make tools)")
    build_dir = SIM_BUILD / build_id
    runner = get_runner(sim)
    build_args: list[str] = []
    if sim == "verilator":
        build_args = ["-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal"]
        build_args += verilator_args
        if waves:
            build_args.append("--trace-fst")
    sources = [str(p) for p in [*rtl_sources(), *extra_sources]]
    # cocotb's runner only compares source timestamps; a change of parameters (ROM file paths
    # included) or build arguments must rebuild too, else a stale model runs.
    stamp = build_dir / "ecg_bnn_build.json"
    wanted = json.dumps(
        {"sources": sources, "parameters": {k: str(v) for k, v in (parameters or {}).items()},
         "args": build_args, "toplevel": toplevel, "waves": waves}, sort_keys=True,
    )  # fmt: skip
    stale = not stamp.is_file() or stamp.read_text() != wanted
    runner.build(
        sources=sources,
        hdl_toplevel=toplevel,
        build_dir=build_dir,
        parameters=dict(parameters or {}),
        build_args=build_args,
        timescale=("1ns", "1ps"),
        waves=waves,
        always=stale,
    )
    stamp.write_text(wanted)
    results = runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        build_dir=build_dir,
        test_dir=build_dir,
        extra_env=dict(extra_env or {}),
        testcase=testcase,
        waves=waves,
    )
    total, failed = get_results(results)
    assert total > 0, f"no cocotb test ran ({results})"
    assert failed == 0, f"{failed} of {total} cocotb tests failed ({results})"
