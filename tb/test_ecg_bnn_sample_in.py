"""``ecg_bnn_sample_in``: sample input stage (skid, ring writes, window scheduling, count of
completed windows, flow control).

Samples stream in with random idle cycles; the testbench checks every ring write (address = the
sample's index modulo RING_DEPTH, data = the raw int16 sample: no clamp, the rails included)
and that no write ever overwrites a sample the window pass has not freed yet; it plays the window
pass: pops each completed window after a random delay (the window must be complete: its last
sample written) and frees its first HOP ring words later still. Long delays
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
    build_id,
    ecg_stream,
    load_cfg,
    run_unit,
    sim_configs,
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
        cycle = pop = 0
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
            popping = pop  # the pop driven this cycle takes effect at the next edge
            pop = free = 0
            if int(dut.win_valid_o.value) and not popping:
                if pop_at is None:
                    pop_at = cycle + rng.randrange(delay + 1)
                if cycle >= pop_at:
                    k = len(got)  # window k ends with sample k*HOP + N - 1
                    assert writes >= k * hop + cfg["n"], (
                        f"window {k} popped before complete ({writes} written)"
                    )
                    got.append(k)
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
        """Ring writes, windows in order, flow control, reset mid-stream."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        rng = random.Random(3)
        items = [to_unsigned(int(x), 16) for x in arr["stream"]]
        raw = [int(x) for x in arr["stream"]]
        start_clock(dut.clk_i)
        src = stream_source(dut, rng, cfg["idle"])
        await reset(dut, **IDLE)
        state = {"stalls": 0}
        task = cocotb.start_soon(front_end(dut, cfg, raw, rng, [], state))
        await src.send(items)
        await ClockCycles(dut.clk_i, cfg["n"] + cfg["hop"] // 2)
        task.cancel()
        src.clear()
        await reset(dut, **IDLE)
        got: list = []
        state = {"stalls": 0}
        cocotb.start_soon(front_end(dut, cfg, raw, rng, got, state))
        await send_items(src, items)
        await ClockCycles(dut.clk_i, 4 * cfg["delay"] + 20)
        count = (len(raw) - cfg["n"]) // cfg["hop"] + 1
        assert got == list(range(count)), f"{len(got)} windows, expected {count}"
        await ReadOnly()
        assert int(dut.win_valid_o.value) == 0, "queue must be empty"
        dut._log.info("%d windows exact, %d input stall cycles", len(got), state["stalls"])
        if cfg["expect_stall"]:
            assert state["stalls"] > 0, "the front-end delays should have back-pressured the input"


CONFIGS = [  # N, HOP, RING_DEPTH, QDEPTH, idle, window-pass delay (cycles)
    (3600, 1800, 8192, 2, 0.05, 200),
    (16, 4, 32, 1, 0.2, 40),
    (12, 12, 32, 3, 0.1, 60),
]


@pytest.mark.parametrize(
    ("sim", "n", "hop", "ring", "qdepth", "idle", "delay"), sim_configs(CONFIGS)
)
def test_sample_in(sim, n, hop, ring, qdepth, idle, delay):
    """The IP's overlapping windows on real ECG, and small back-pressured configurations."""
    rng = np.random.default_rng(n)
    if n == 3600:
        stream = ecg_stream(6, n + 2 * hop).copy() * 8
        stream[1000:1010], stream[5000:5010] = 32767, -32768
    else:
        stream = rng.integers(-32768, 32768, n + 12 * hop)
        stream[::7] = rng.choice([-32768, 32767, 0, -1], len(stream[::7]))
    assert stream.min() >= -32768 and stream.max() <= 32767
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
        arrays={"stream": stream},
    )
