"""``ecg_bnn_window``: the window pass. Every window's N raw samples copied into the window
buffer and its constants (S1, r, P, flags) exact against the front-end contract
(``front_end_ref``: ``golden.front_end`` at N = 3600, docs/input_contract.md): N = 3600 (whole
windows) and N = 1200 with
overlapping windows (HOP = 300).

The testbench plays the sample-input side: a count of completed windows (popped with
``win_pop_o``) and the sample ring (a registered-read RAM holding the raw int16 samples, taken by
the sample writer at random cycles through ``ring_busy_i``), and the engine side: it records the
buffer writes, checks every address of a window was written when ``win_ready_o`` rises and no
output is X, holds the buffer a random time (the constants must hold) and releases it. Windows:
real MIT-BIH ECG and its gain/offset versions, a flat line, a window on one rail, alternating
rails, a spike in a flat line, random full-range samples. A reset in the middle of a pass must
restart cleanly (one win_free_o per window read).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import (
    build_id,
    ecg_windows,
    edge_windows,
    front_end_ref,
    load_cfg,
    run_unit,
    scaled_windows,
    sim_configs,
    to_unsigned,
)

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import check_windows, collect_windows, reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"win_valid_i": 0, "ring_busy_i": 0, "ring_rdata_i": 0, "win_release_i": 0}


if cocotb is not None:

    async def window_queue(dut, count: int, popped: list[int]) -> None:
        """The completed-window count: presents a window until ``count`` have been popped."""
        while True:
            dut.win_valid_i.value = int(len(popped) < count)
            await ReadOnly()
            pop = int(dut.win_pop_o.value)
            await RisingEdge(dut.clk_i)
            if pop:
                assert len(popped) < count, "win_pop_o without a window"
                popped.append(1)

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
                dut.ring_rdata_i.value = mem[addr % len(mem)]

    @cocotb.test()
    async def window_pass(dut):
        """Every window's samples and constants, with ring contention and engine hold times."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        rng = random.Random(11)
        count = len(arr["windows"])
        start_clock(dut.clk_i)
        await reset(dut, **IDLE)
        mem = [to_unsigned(int(x), 16) for x in arr["ring"]]
        # a reset in the middle of the first pass
        tasks = [
            cocotb.start_soon(window_queue(dut, count, [])),
            cocotb.start_soon(ring(dut, mem, rng, 0.3, [])),
        ]
        await ClockCycles(dut.clk_i, 300)
        for t in tasks:
            t.cancel()
        await reset(dut, **IDLE)
        frees: list[int] = []
        got: list = []
        cocotb.start_soon(window_queue(dut, count, []))
        cocotb.start_soon(ring(dut, mem, rng, cfg["busy"], frees))
        await collect_windows(dut, count, cfg["n"], rng, 20, got)
        ref = {k: arr[k] for k in ("s1", "r", "pad", "flags")}
        check_windows(got, arr["windows"], ref)
        assert len(frees) == count, "one win_free_o per window"


@pytest.mark.parametrize(
    ("sim", "n", "hop", "ring"), sim_configs([(3600, 3600, 65536), (1200, 300, 8192)])
)
def test_window(sim, n, hop, ring):
    """Real ECG, scaled and bad windows at N = 3600; overlapping N = 1200 windows."""
    rng = np.random.default_rng(n)
    if n == 3600:
        real = ecg_windows([6, 9])
        edges = edge_windows(n)
        stream = np.concatenate(
            [real, scaled_windows(real[:1])[[0, 1, 2, 4]], edges[[0, 2, 3, 4, 5]]]
        )
        stream = stream.reshape(-1)
    else:  # flat start, then random full-range samples with a burst on a rail
        stream = np.concatenate([np.full(n, 500), rng.integers(-32768, 32768, 3 * hop)])
        stream[n + 40 : n + 60] = 32767
    count = (len(stream) - n) // hop + 1
    assert hop * (count - 1) + n <= ring
    windows = np.stack([stream[k * hop : k * hop + n] for k in range(count)])
    ref = front_end_ref(windows)
    assert ref["flat"].any() and not ref["flat"].all()
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_window",
        test_module="test_ecg_bnn_window",
        bid=build_id("window", sim, N=n, HOP=hop),
        parameters={"N": n, "HOP": hop, "RING_DEPTH": ring, "XDEPTH": 4096 if n == 3600 else 2048},
        cfg={"n": n, "busy": 0.3},
        arrays={"ring": stream, "windows": windows, **{k: ref[k] for k in
                ("s1", "r", "pad", "flags")}},
    )  # fmt: skip
