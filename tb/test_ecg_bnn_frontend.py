"""``ecg_bnn_frontend``: sample input, sample ring and window pass together; every window's raw
samples in the window buffer and its constants (S1, r, P, flags) exact against the front-end
contract (``front_end_ref``: ``golden.front_end`` at N = 3600, docs/input_contract.md) at N = 3600,
and for overlapping N = 1200
windows (HOP = 600, one queue entry, a small ring).

Samples stream in through the valid/ready input (cocotbext-axi source) with random idle cycles;
the engine side holds each finished window a random time (long enough in the small configuration
that the ring and queue fill and ``s_ready_o`` must fall: back-pressure, nothing lost). Windows:
real MIT-BIH ECG and its gain/offset versions, flat lines (also on a rail), alternating rails,
a spike in a flat line, random full-range samples. A reset in the middle of a window must restart
cleanly.
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
    from ecg_bnn_tb_utils import (
        check_windows,
        collect_windows,
        reset,
        start_clock,
        stream_source,
    )
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"s_valid_i": 0, "s_data_i": 0, "win_release_i": 0}
CONSTS = ("s1", "r", "pad", "flags")


if cocotb is not None:

    async def stalls(dut, count: list[int]) -> None:
        """Count cycles with a sample waiting and ``s_ready_o`` low."""
        while True:
            await ReadOnly()
            if int(dut.s_valid_i.value) and not int(dut.s_ready_o.value):
                count[0] += 1
            await RisingEdge(dut.clk_i)

    @cocotb.test()
    async def frontend_windows(dut):
        """Every window's samples and constants; back-pressure where the hold is long."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        rng = random.Random(5)
        items = [to_unsigned(int(x), 16) for x in arr["stream"]]
        start_clock(dut.clk_i)
        src = stream_source(dut, rng, cfg["idle"])
        await reset(dut, **IDLE)
        await src.send(items)
        await ClockCycles(dut.clk_i, cfg["n"] // 2)  # in the middle of the first window
        src.clear()
        await reset(dut, **IDLE)
        stalled = [0]
        cocotb.start_soon(stalls(dut, stalled))
        await src.send(items)
        got: list = []
        await collect_windows(dut, len(arr["windows"]), cfg["n"], rng, cfg["hold"], got)
        check_windows(got, arr["windows"], {k: arr[k] for k in CONSTS})
        dut._log.info("%d windows exact, %d input stall cycles", len(got), stalled[0])
        if cfg["expect_stall"]:
            assert stalled[0] > 0, "the long hold should have back-pressured the input"


CONFIGS = [  # N, HOP, RING_DEPTH, QDEPTH, XDEPTH, idle, hold
    (3600, 3600, 16384, 2, 4096, 0.1, 500),
    (1200, 600, 2048, 1, 2048, 0.2, 3000),
]


@pytest.mark.parametrize(
    ("sim", "n", "hop", "ring", "qdepth", "xdepth", "idle", "hold"), sim_configs(CONFIGS)
)
def test_frontend(sim, n, hop, ring, qdepth, xdepth, idle, hold):
    """Real, scaled and bad windows at N = 3600; overlapping, back-pressured N = 1200 windows."""
    rng = np.random.default_rng(n)
    if n == 3600:
        real = ecg_windows([16, 19])
        edges = edge_windows(n)
        wins = np.concatenate([real, scaled_windows(real[:1])[[1, 3]], edges[[1, 3, 4]]])
        stream = wins.reshape(-1)
    else:
        stream = np.concatenate([np.full(n, 1024), rng.integers(-32768, 32768, 4 * hop)])
        stream[n + 100 : n + 140] = -32768
    count = (len(stream) - n) // hop + 1
    windows = np.stack([stream[k * hop : k * hop + n] for k in range(count)])
    ref = front_end_ref(windows)
    assert ref["flat"].any() and not ref["flat"].all()
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_frontend",
        test_module="test_ecg_bnn_frontend",
        bid=build_id("frontend", sim, N=n, HOP=hop, Q=qdepth),
        parameters={"N": n, "HOP": hop, "RING_DEPTH": ring, "QDEPTH": qdepth, "XDEPTH": xdepth},
        cfg={"n": n, "idle": idle, "hold": hold, "expect_stall": n == 1200},
        arrays={"stream": stream, "windows": windows, **{k: ref[k] for k in CONSTS}},
    )
