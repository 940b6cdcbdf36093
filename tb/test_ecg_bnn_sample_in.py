"""``ecg_bnn_sample_in``: sample input stage (skid, clamp, ring writes, window sums, window
queue, flow control).

Samples stream in with random idle cycles; the testbench checks every ring write (address = the
sample's index modulo RING_DEPTH, data = the sample clamped to [-2048, 2047] and sign-extended)
and that no write ever overwrites a sample the front end has not freed yet; it plays the front
end: pops each completed window after a random delay (``S1``, ``S2`` compared exactly with the
window sums of the golden contract) and frees its first HOP ring words later still. Long delays
must back-pressure the input (``s_ready_o`` low) without losing a sample. Configurations: the IP's
N = 3600 with overlapping windows (HOP = 1800, real MIT-BIH ECG with saturated bursts), and small
ones (a 1-entry and a 3-entry queue, sliding and whole windows). A reset in the middle of the
stream must restart cleanly.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import (
    SIMS,
    build_id,
    ecg_stream,
    front_end_ref,
    load_cfg,
    run_unit,
    to_signed,
    to_unsigned,
)

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import reset, send_items, start_clock, stream_source
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"s_valid_i": 0, "s_data_i": 0, "win_pop_i": 0, "win_free_i": 0}


if cocotb is not None:

    async def front_end(dut, cfg: dict, samples, rng, got: list, state: dict) -> None:
        """Check ring writes; pop windows and free ring space after random delays."""
        hop, depth, delay = cfg["hop"], cfg["ring"], cfg["delay"]
        writes = freed = 0
        pop_at = free_at = None
        pending_free = 0
        cycle = 0
        while True:
            await ReadOnly()
            if int(dut.s_valid_i.value) and not int(dut.s_ready_o.value):
                state["stalls"] += 1
            if int(dut.ring_we_o.value):
                addr, data = int(dut.ring_waddr_o.value), int(dut.ring_wdata_o.value)
                assert addr == writes % depth, f"write {writes} at address {addr}"
                exp = samples[writes]
                assert to_signed(data, 16) == exp, f"sample {writes}: {to_signed(data, 16)}"
                assert writes - freed < depth, f"sample {writes} overwrites an unfreed one"
                writes += 1
            pop = free = 0
            if int(dut.win_valid_o.value):
                if pop_at is None:
                    pop_at = cycle + rng.randrange(delay + 1)
                if cycle >= pop_at:
                    got.append((to_signed(int(dut.win_s1_o.value), 24), int(dut.win_s2_o.value)))
                    pop, pop_at = 1, None
                    pending_free += 1
            if pending_free and free_at is None:
                free_at = cycle + rng.randrange(delay + 1)
            if free_at is not None and cycle >= free_at:
                free, free_at = 1, None
                pending_free -= 1
                freed += hop
            await RisingEdge(dut.clk_i)
            dut.win_pop_i.value, dut.win_free_i.value = pop, free
            cycle += 1

    @cocotb.test()
    async def sample_in_windows(dut):
        """Ring writes, window sums in order, flow control, reset mid-stream."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        rng = random.Random(3)
        items = [to_unsigned(int(x), 16) for x in arr["stream"]]
        clamped = [int(x) for x in arr["clamped"]]
        start_clock(dut.clk_i)
        src = stream_source(dut, rng, cfg["idle"])
        await reset(dut, **IDLE)
        state = {"stalls": 0}
        task = cocotb.start_soon(front_end(dut, cfg, clamped, rng, [], state))
        await src.send(items)
        await ClockCycles(dut.clk_i, cfg["n"] + cfg["hop"] // 2)
        task.cancel()
        src.clear()
        await reset(dut, **IDLE)
        got: list = []
        state = {"stalls": 0}
        cocotb.start_soon(front_end(dut, cfg, clamped, rng, got, state))
        await send_items(src, items)
        await ClockCycles(dut.clk_i, 4 * cfg["delay"] + 20)
        exp = list(zip(arr["s1"].tolist(), arr["s2"].tolist(), strict=True))
        assert got == exp, f"window sums differ: {len(got)} windows, expected {len(exp)}"
        await ReadOnly()
        assert int(dut.win_valid_o.value) == 0, "queue must be empty"
        dut._log.info("%d windows exact, %d input stall cycles", len(got), state["stalls"])
        if cfg["expect_stall"]:
            assert state["stalls"] > 0, "the front-end delays should have back-pressured the input"


CONFIGS = [  # N, HOP, RING_DEPTH, QDEPTH, idle, front-end delay (cycles)
    (3600, 1800, 8192, 2, 0.05, 200),
    (16, 4, 32, 1, 0.2, 40),
    (12, 12, 32, 3, 0.1, 60),
]


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize(("n", "hop", "ring", "qdepth", "idle", "delay"), CONFIGS)
def test_sample_in(sim, n, hop, ring, qdepth, idle, delay):
    """The IP's overlapping windows on real ECG, and small back-pressured configurations."""
    rng = np.random.default_rng(n)
    if n == 3600:
        stream = ecg_stream(6, n + 2 * hop).copy()
        stream[1000:1010], stream[5000:5010] = 32767, -32768
    else:
        stream = rng.integers(-2048, 2048, n + 12 * hop)
        stream[::7] = rng.choice([-32768, 32767, 2048, -2049], len(stream[::7]))
        stream[n : n + hop] = 0
    count = (len(stream) - n) // hop + 1
    ref = front_end_ref(np.stack([stream[k * hop : k * hop + n] for k in range(count)]))
    clamped = np.clip(stream, -2048, 2047)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_sample_in",
        test_module="test_ecg_bnn_sample_in",
        bid=build_id("sample_in", sim, N=n, HOP=hop, Q=qdepth),
        parameters={"N": n, "HOP": hop, "RING_DEPTH": ring, "QDEPTH": qdepth},
        cfg={
            "n": n,
            "hop": hop,
            "ring": ring,
            "idle": idle,
            "delay": delay,
            "expect_stall": n < 100,
        },
        arrays={"stream": stream, "clamped": clamped, "s1": ref["s1"], "s2": ref["s2"]},
    )
