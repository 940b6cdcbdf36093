"""``ecg_bnn_zscore``: the normalisation pass, every ``z_i`` exact against ``golden.front_end``
(N = 3600) or the same contract for N = 1200 with overlapping windows (HOP = 300).

The testbench plays the sample-input side: a queue of completed windows' sums (popped with
``win_pop_o``) and the sample ring (a registered-read RAM holding the clamped samples, taken by
the sample writer at random cycles through ``ring_busy_i``), and the engine side: it records the
z buffer writes, checks every address of a window was written when ``zready_o`` rises, holds the
buffer a random time and releases it. Windows: real MIT-BIH ECG, a flat line (z = 0, flat = 1), the
largest variance and saturated samples (beyond the +-2048 clamp). A reset in the middle of a pass
must restart cleanly.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import (
    SIMS,
    build_id,
    ecg_windows,
    edge_windows,
    front_end_ref,
    load_cfg,
    run_unit,
    to_unsigned,
)

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import check_z_windows, reset, start_clock, z_windows
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"win_valid_i": 0, "win_s1_i": 0, "win_s2_i": 0, "ring_busy_i": 0, "zrelease_i": 0}


if cocotb is not None:

    async def window_queue(dut, s1, s2, popped: list[int]) -> None:
        """The completed-window queue: presents window ``len(popped)`` until popped."""
        while True:
            k = len(popped)
            dut.win_valid_i.value = int(k < len(s1))
            if k < len(s1):
                dut.win_s1_i.value, dut.win_s2_i.value = to_unsigned(int(s1[k]), 24), int(s2[k])
            await ReadOnly()
            pop = int(dut.win_pop_o.value)
            await RisingEdge(dut.clk_i)
            if pop:
                assert k < len(s1), "win_pop_o without a window"
                popped.append(k)

    async def ring(dut, mem: list[int], rng: random.Random, busy: float, frees: list[int]):
        """The sample ring's read port (registered read), busy with writes at random cycles."""
        while True:
            dut.ring_busy_i.value = b = int(rng.random() < busy)
            await ReadOnly()
            re = int(dut.ring_re_o.value)
            assert not (re and b), "ring read while the writer has the port"
            addr = int(dut.ring_raddr_o.value) if re else 0
            if int(dut.win_free_o.value):
                frees.append(1)
            await RisingEdge(dut.clk_i)
            if re:
                dut.ring_rdata_i.value = mem[addr]

    @cocotb.test()
    async def zscore_windows(dut):
        """Every window's z values and flat flag, with ring contention and engine hold times."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        rng = random.Random(11)
        start_clock(dut.clk_i)
        await reset(dut, **IDLE)
        mem = [to_unsigned(int(x), 16) for x in arr["ring"]]
        # a reset in the middle of the first pass
        popped: list[int] = []
        tasks = [
            cocotb.start_soon(window_queue(dut, arr["s1"], arr["s2"], popped)),
            cocotb.start_soon(ring(dut, mem, rng, 0.3, [])),
        ]
        await ClockCycles(dut.clk_i, 300)
        for t in tasks:
            t.cancel()
        await reset(dut, **IDLE)
        popped, frees, got = [], [], []
        cocotb.start_soon(window_queue(dut, arr["s1"], arr["s2"], popped))
        cocotb.start_soon(ring(dut, mem, rng, cfg["busy"], frees))
        await z_windows(dut, len(arr["z"]), cfg["n"], rng, 20, got)
        check_z_windows(got, arr["z"], arr["flat"])
        assert len(frees) == len(arr["z"]), "one win_free_o per window"


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize(("n", "hop", "ring"), [(3600, 3600, 16384), (1200, 300, 2048)])
def test_zscore(sim, n, hop, ring):
    """Real ECG + edge windows at N = 3600; overlapping N = 1200 windows."""
    rng = np.random.default_rng(n)
    if n == 3600:
        stream = np.concatenate([ecg_windows([6]), edge_windows(n)[[0, 3]]]).reshape(-1)
    else:  # flat start, then random samples with saturated bursts
        stream = np.concatenate([np.full(n, 500), rng.integers(-2048, 2048, 2 * hop)])
        stream[n + 40 : n + 60] = 32767
    count = (len(stream) - n) // hop + 1
    assert hop * (count - 1) + n <= ring
    ref = front_end_ref(np.stack([stream[k * hop : k * hop + n] for k in range(count)]))
    assert ref["flat"].any() and not ref["flat"].all()
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_zscore",
        test_module="test_ecg_bnn_zscore",
        bid=build_id("zscore", sim, N=n, HOP=hop),
        parameters={"N": n, "HOP": hop, "RING_DEPTH": ring, "ZDEPTH": 4096 if n == 3600 else 2048},
        cfg={"n": n, "busy": 0.3},
        arrays={
            "ring": np.clip(stream, -2048, 2047),
            "s1": ref["s1"],
            "s2": ref["s2"],
            "z": ref["z"],
            "flat": ref["flat"],
        },
    )
