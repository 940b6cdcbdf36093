"""``ecg_bnn_skid``: valid/ready register slice.

A random stream goes through with every combination of source idle cycles and sink
back-pressure (0 %, 30 %, 70 %); the scoreboard checks order, no loss and no duplicates, the
monitor checks a stalled beat keeps valid and data, and the unstalled case must sustain one beat
per cycle. A reset in the middle of a stream must empty the slice.
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_tb_utils import SIMS, build_id, load_cfg, run_unit

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import reset, stable_check, start_clock, stream_source
except ImportError:  # pragma: no cover
    cocotb = None


if cocotb is not None:

    async def one_stream(dut, width: int, count: int, idle: float, stall: float, seed: int):
        """Send ``count`` random beats; returns (sent, received, cycles)."""
        rng = random.Random(seed)
        items = [rng.getrandbits(width) for _ in range(count)]
        items[:2] = [0, (1 << width) - 1]
        check = stable_check(dut.m_valid_o, dut.m_data_o, "skid m")
        got: list[int] = []
        src = cocotb.start_soon(
            stream_source(dut.clk_i, dut.s_data_i, dut.s_valid_i, dut.s_ready_o, items, rng, idle)
        )
        cycles = 0
        while len(got) < count:
            rdy = not (stall and rng.random() < stall)
            dut.m_ready_i.value = int(rdy)
            await ReadOnly()
            check(rdy)
            if rdy and dut.m_valid_o.value:
                got.append(int(dut.m_data_o.value))
            await RisingEdge(dut.clk_i)
            cycles += 1
            assert cycles < 20 * count + 100, "stream stalled"
        dut.m_ready_i.value = 0
        await src
        return items, got, cycles

    @cocotb.test()
    async def skid_streams(dut):
        """Order, completeness, stability and throughput under idle and back-pressure."""
        cfg = load_cfg()
        width = cfg["width"]
        start_clock(dut.clk_i)
        await reset(dut, s_valid_i=0, m_ready_i=0, s_data_i=0)
        for k, (idle, stall) in enumerate((a, b) for a in (0, 0.3, 0.7) for b in (0, 0.3, 0.7)):
            sent, got, cycles = await one_stream(dut, width, 200, idle, stall, k)
            assert got == sent, f"idle {idle} stall {stall}: stream corrupted"
            if idle == 0 and stall == 0:
                assert cycles <= 200 + 3, f"full throughput expected, took {cycles} cycles"
        # reset in the middle of a stream (skid full: sink stalled, source pushing)
        rng = random.Random(9)
        dut.m_ready_i.value = 0
        src = cocotb.start_soon(
            stream_source(
                dut.clk_i,
                dut.s_data_i,
                dut.s_valid_i,
                dut.s_ready_o,
                [k & 1 for k in range(5)],
                rng,
            )
        )
        await ClockCycles(dut.clk_i, 4)
        assert int(dut.s_ready_o.value) == 0, "two beats in, sink stalled: s_ready_o must fall"
        src.kill()
        await reset(dut, s_valid_i=0, m_ready_i=1)
        await ReadOnly()
        assert int(dut.m_valid_o.value) == 0 and int(dut.s_ready_o.value) == 1, "not empty"
        await RisingEdge(dut.clk_i)
        sent, got, _ = await one_stream(dut, width, 50, 0.2, 0.2, 99)
        assert got == sent, "stream corrupted after a reset in the middle of a stream"


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("width", [16, 1])
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
