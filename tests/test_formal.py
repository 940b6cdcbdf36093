"""Formal proofs (the fast subset of ``make formal``) and the assertion macros' three builds.

The SymbiYosys tasks and mutations marked fast in ``scripts/formal.py`` and
``scripts/formal_mutate.py`` run here (about a minute on two cores); ``make formal`` runs all of
them and writes the report. Skipped when the formal tools or a simulator are not installed
(``make tools``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
if VENV_BIN.is_dir():  # the pinned tools first, as the Makefile does
    os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

import formal_mutate  # noqa: E402  (scripts/ is on pytest's pythonpath; it imports scripts/formal.py)

formal = formal_mutate.formal

RTL = REPO / "rtl"
SIM_TB = REPO / "formal" / "sim" / "result_sim_tb.sv"
SIM_SOURCES = [RTL / "ecg_bnn_result.sv", SIM_TB]


def need(*tools: str) -> None:
    """Skip the test unless every tool is on PATH."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make tools)")


@pytest.mark.parametrize(
    "task",
    [
        # the top's proof is the longest of them (about 20 s)
        pytest.param(t, marks=[pytest.mark.long(seconds=20)] if t.name == "top/prove" else [])
        for t in formal.TASKS
        if t.fast
    ],
    ids=lambda t: t.name,
)
def test_proof(task):
    need("sby", "yosys", "yosys-smtbmc", "z3")
    run = formal.run_task(task, timeout=600)
    assert run["status"] == "PASS", f"{task.name}: {run['status']}\n" + "\n".join(run["log_tail"])
    if run["mode"] == "cover":
        assert run["reached"], f"{task.name}: no cover statement reached"


@pytest.mark.parametrize(
    "mut", [m for m in formal_mutate.MUTATIONS if m.fast], ids=lambda m: m.name
)
def test_mutation_fails_proof(mut):
    need("sby", "yosys", "yosys-smtbmc", "z3")
    res = formal_mutate.run_one(mut, timeout=600)
    assert res["caught"], f"{mut.name}: the proof still passes ({res['status']})"
    assert res["failed"], f"{mut.name}: no assertion named in the counterexample"


def test_every_mutation_applies_once():
    for mut in formal_mutate.MUTATIONS:
        text = (RTL / mut.file).read_text()
        assert text.count(mut.old) == 1, f"{mut.name}: {text.count(mut.old)} matches"
        assert (REPO / "formal" / f"{mut.sby}.sby").is_file()


def test_assertions_vanish_in_synthesis():
    need("yosys")
    script = (
        "read_verilog -sv ecg_bnn_skid.sv ecg_bnn_ram_sdp.sv ecg_bnn_sample_in.sv; "
        "hierarchy -top ecg_bnn_sample_in; proc; select -assert-none t:$check t:$assert w:f_*"
    )
    res = subprocess.run(["yosys", "-q", "-p", script], cwd=RTL, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def run_sim(cmd: list[str], cwd: Path, mode: int) -> subprocess.CompletedProcess[str]:
    """Run a built simulation of result_sim_tb with +mode=<mode>."""
    return subprocess.run([*cmd, f"+mode={mode}"], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_assertions_end_simulation(sim, tmp_path):
    """A clean run passes; a violated assumption or assertion ends the run with status 1."""
    if sim == "icarus":
        need("iverilog", "vvp")
        build = ["iverilog", "-g2012", "-I", str(RTL), "-s", "result_sim_tb", "-o", "tb.vvp"]
        run = ["vvp", "-n", "tb.vvp"]
    else:
        need("verilator")
        build = ["verilator", "--binary", "--quiet", "-Wno-fatal", "-CFLAGS", "-fcoroutines"]
        build += [f"-I{RTL}", "--top-module", "result_sim_tb", "-o", "tb"]
        run = ["./obj_dir/tb"]
    res = subprocess.run(build + [str(s) for s in SIM_SOURCES], cwd=tmp_path, capture_output=True)
    assert res.returncode == 0, res.stdout + res.stderr
    clean = run_sim(run, tmp_path, 0)
    assert clean.returncode == 0 and "PASS" in clean.stdout, clean.stdout + clean.stderr
    for mode, name in [(1, "ResFinishWhenFree"), (2, "ResValidHeld")]:
        bad = run_sim(run, tmp_path, mode)
        assert bad.returncode != 0, f"+mode={mode}: the run did not fail\n{bad.stdout}"
        assert name in bad.stdout + bad.stderr
