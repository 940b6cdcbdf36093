"""``ecg_bnn_skid``: valid/ready register slice.

A random stream goes through with every combination of source idle cycles and sink
back-pressure (0 %, 30 %, 70 %); the scoreboard checks order, no loss and no duplicates, the
monitor checks a stalled beat keeps valid and data, and the unstalled case must sustain one beat
per cycle. A reset in the middle of a stream must empty the slice.
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge, with_timeout
    from cocotb.utils import get_sim_time
    from ecg_bnn_tb_utils import (
        CLK_NS,
        recv_items,
        reset,
        set_pauses,
        start_clock,
        stream_sink,
        stream_source,
        watch_stalls,
    )
except ImportError:  # pragma: no cover
    cocotb = None


if cocotb is not None:

    async def one_stream(dut, src, sink, width: int, count: int, idle: float, stall: float, seed):
        """Send ``count`` random beats; returns (sent, received, cycles)."""
        rng = random.Random(seed)
        items = [rng.getrandbits(width) for _ in range(count)]
        items[:2] = [0, (1 << width) - 1]
        set_pauses(src, rng, idle)
        set_pauses(sink, rng, stall)
        start = get_sim_time("ns")
        for item in items:
            await src.send([item])
        got = await with_timeout(recv_items(sink, count), (20 * count + 100) * CLK_NS, "ns")
        return items, got, (get_sim_time("ns") - start) / CLK_NS

    @cocotb.test()
    async def skid_streams(dut):
        """Order, completeness, stability and throughput under idle and back-pressure."""
        cfg = load_cfg()
        width = cfg["width"]
        start_clock(dut.clk_i)
        src, sink = stream_source(dut, random.Random(0)), stream_sink(dut, random.Random(0))
        await reset(dut)
        cocotb.start_soon(watch_stalls(dut, "skid m"))
        for k, (idle, stall) in enumerate((a, b) for a in (0, 0.3, 0.7) for b in (0, 0.3, 0.7)):
            sent, got, cycles = await one_stream(dut, src, sink, width, 200, idle, stall, k)
            assert got == sent, f"idle {idle} stall {stall}: stream corrupted"
            if idle == 0 and stall == 0:
                assert cycles <= 200 + 3, f"full throughput expected, took {cycles} cycles"
        # reset in the middle of a stream (skid full: sink stalled, source pushing)
        set_pauses(src, random.Random(9), 0.0)
        set_pauses(sink, random.Random(9), 0.0)
        sink.pause = True
        for k in range(5):
            await src.send([k & 1])
        await ClockCycles(dut.clk_i, 4)
        assert int(dut.s_ready_o.value) == 0, "two beats in, sink stalled: s_ready_o must fall"
        src.clear()
        await reset(dut)
        sink.pause = False
        await ReadOnly()
        assert int(dut.m_valid_o.value) == 0 and int(dut.s_ready_o.value) == 1, "not empty"
        await RisingEdge(dut.clk_i)
        assert sink.empty(), "a beat came out of the slice after the reset"
        sent, got, _ = await one_stream(dut, src, sink, width, 50, 0.2, 0.2, 99)
        assert got == sent, "stream corrupted after a reset in the middle of a stream"


@pytest.mark.parametrize(("sim", "width"), sim_configs([16, 1]))
def test_skid(sim, width):
    """The sample-input width and a one-bit slice."""
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_skid",
        test_module="test_ecg_bnn_skid",
        bid=build_id("skid", sim, W=width),
        parameters={"WIDTH": width},
        cfg={"width": width},
    )
