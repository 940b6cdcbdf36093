"""Shared cocotb runner for the RTL testbenches (cocotb 2.1 through cocotb-test).

Every test builds its own simulator model in ``sim_build/<build_id>`` (so pytest-xdist workers
never share a build) from the single source list ``rtl/ecg_bnn.f`` and runs one cocotb test
module against it. Simulator and RTL parameters come from the pytest test's parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from ecg_bnn_tools.filelist import RTL_LIST, list_sources
from ecg_bnn_tools.ice40 import simulation
from ecg_bnn_tools.objcache import objcache_env

REPO = Path(__file__).resolve().parents[1]
TB_DIR = REPO / "tb"
SIM_BUILD = REPO / "sim_build"
# headers the sources include from rtl/ (assertion macros, the generated layer table): a change
# must rebuild the models like a change of a source
INCLUDES = sorted((REPO / "rtl").glob("*.svh"))
SOURCE_LIST = RTL_LIST
SIMULATORS = ("icarus", "verilator")
# modules whose failed asserts cocotb reports with their values (pytest assertion rewriting)
REWRITTEN_MODULES = "test_ecg_bnn_*.py ecg_bnn_tb_utils.py"
# Verilator splits a larger model (the top, the wide engine) into several C++ files and then
# compiles each on its own behind two precompiled headers (6.5 CPU s of the 13 of a top build);
# one translation unit, as for the small models, takes 5.3 s and simulates as fast. -O1 instead
# of Verilator's -Os: the top's model compiles in 4.4 s instead of 5.3 and a seven-window case
# runs 20 % faster (-O0: 2.1 s, but simulates five times slower)
VERILATOR_MAKE_ARGS = ["-j", str(os.cpu_count() or 1), "VM_PARALLEL_BUILDS=0", "OPT_FAST=-O1"]


def rtl_sources(source_list: Path = SOURCE_LIST) -> list[Path]:
    """The ordered RTL sources named in ``rtl/ecg_bnn.f`` (absolute paths)."""
    return list_sources(source_list)


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
    defines: Sequence[str] = (),
) -> None:
    """Build ``toplevel`` with ``sim`` into ``sim_build/<build_id>`` and run ``test_module``.

    The runner is cocotb-test (``cocotb_test.simulator.run``). ``extra_sources`` (e.g. a board
    top and its UART under ``fpga/``) follow the IP's sources; ``verilator_args`` are added to
    Verilator's build (e.g. ``--timing`` for a clock wrapper). ``defines`` are Verilog defines;
    an iCE40 one adds the iCE40 cell models to the sources (``ecg_bnn_tools.ice40``). Fails the
    calling pytest test when any cocotb test fails.
    """
    from cocotb_test.simulator import run
    from cocotb_tools.check_results import get_results

    if not simulator_available(sim):
        if os.environ.get("CI", "").lower() == "true":  # CI installs both: missing is a failure
            pytest.fail(f"{sim} is not installed (make tools)")
        pytest.skip(f"{sim} is not installed (make tools)")
    build_dir = SIM_BUILD / build_id
    build_dir.mkdir(parents=True, exist_ok=True)
    args = ["-g2012"]
    env = dict(extra_env or {})
    # cocotb rewrites the asserts of every module imported after it by default (numpy, scipy,
    # pandas through wfdb: about 5 s per simulator start); only the testbenches need it
    env.setdefault("COCOTB_REWRITE_ASSERTION_FILES", REWRITTEN_MODULES)
    if sim == "verilator":
        args = ["-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal", *verilator_args]
        # cocotb_tools.runner's setting for Verilator, which these testbenches were written for
        env.setdefault("COCOTB_TRUST_INERTIAL_WRITES", "1")
        env.update(objcache_env())  # the C++ runtime is compiled once, not per build
    defines, cell_models = simulation(defines)
    args += [f"-D{d}" for d in defines]
    sources = [str(p) for p in [*cell_models, *rtl_sources(), *extra_sources]]
    # cocotb-test rebuilds an Icarus model only when a source is newer than it; a change of
    # parameters (ROM file paths included) or build arguments must rebuild too, else a stale
    # model runs. (Verilator is always re-run; make then recompiles only what changed.)
    stamp = build_dir / "ecg_bnn_build.json"
    wanted = json.dumps(
        {"sources": sources, "parameters": {k: str(v) for k, v in (parameters or {}).items()},
         "includes": [hashlib.sha256(h.read_bytes()).hexdigest() for h in INCLUDES],
         "args": args, "toplevel": toplevel, "waves": waves}, sort_keys=True,
    )  # fmt: skip
    stale = not stamp.is_file() or stamp.read_text() != wanted
    stamp.unlink(missing_ok=True)  # a build that fails half-way must not count as current
    filters = [testcase] if isinstance(testcase, str) else list(testcase or [])
    sim_env = os.environ.pop("SIM", None)  # cocotb-test lets $SIM override the simulator
    try:
        results = run(
            simulator=sim,
            verilog_sources=sources,
            includes=[str(REPO / "rtl")],  # INCLUDES
            toplevel=toplevel,
            module=test_module,
            sim_build=str(build_dir),
            work_dir=str(build_dir),
            parameters=dict(parameters or {}),
            compile_args=args,
            make_args=VERILATOR_MAKE_ARGS if sim == "verilator" else None,
            timescale="1ns/1ps",
            extra_env=env,
            testcase="|".join(rf"(^|\.){t}$" for t in filters) or None,  # name or module.name
            waves=waves,
            force_compile=stale,
            python_search=[str(TB_DIR)],  # the test modules; pymodel etc. are installed
        )
    finally:
        if sim_env is not None:
            os.environ["SIM"] = sim_env
    stamp.write_text(wanted)
    total, failed = get_results(Path(results))
    assert total > 0, f"no cocotb test ran ({results})"
    assert failed == 0, f"{failed} of {total} cocotb tests failed ({results})"
