"""``ecg_bnn_maxpool``: streaming max pool (7, stride 2), exact against ``golden.maxpool``.

Channels of several lengths (block 1's 1802 conv outputs, block 6's 59, and the short edge
cases 7, 8, 9, 10) with random values, the extremes of the signed range, constant runs and ties,
separated by ``clear_i``, with random idle cycles. A reset in the middle of a channel must drop
the pending state (the next channel pools from scratch).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import (
    build_id,
    load_cfg,
    run_unit,
    sim_configs,
    to_signed,
    to_unsigned,
    with_idle,
)

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import drive_collect, reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"valid_i": 0, "clear_i": 0}


def channels(w: int, seed: int) -> tuple[list[list[int]], list[list[int]]]:
    """Input channels and their golden pooled outputs."""
    from pymodel import golden

    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    chans = []
    for length in (1802, 59, 7, 8, 9, 10):
        x = rng.integers(lo, hi + 1, length)
        if length > 40:
            x[0:9], x[20:25], x[30] = hi, lo, hi
            x[-3:] = hi
        chans.append(x)
    chans.append(np.full(11, lo))
    chans.append(rng.integers(-2, 3, 40))  # many ties
    pooled = [golden.maxpool(x).tolist() for x in chans]
    return [x.tolist() for x in chans], pooled


if cocotb is not None:

    @cocotb.test()
    async def maxpool_channels(dut):
        """Every pooled value equals golden.maxpool; clear_i separates channels."""
        cfg = load_cfg()
        w = cfg["w"]
        rng = random.Random(5)
        start_clock(dut.clk_i)
        await reset(dut, **IDLE)
        for x, expect in zip(cfg["x"], cfg["pooled"], strict=True):
            beats = [{"valid_i": 1, "clear_i": 0, "x_i": to_unsigned(v, w)} for v in x]
            beats = [{"valid_i": 0, "clear_i": 1}] + with_idle(beats, rng, 0.25)
            got = await drive_collect(dut, beats, "out_valid_o", ["out_o"], IDLE)
            assert [to_signed(g[0], w) for g in got] == expect, f"channel of {len(x)} differs"
        x, expect = cfg["x"][1], cfg["pooled"][1]
        beats = [{"valid_i": 1, "clear_i": 0, "x_i": to_unsigned(v, w)} for v in x]
        await drive_collect(dut, beats[:5], "out_valid_o", ["out_o"], IDLE, drain=0)
        await reset(dut, **IDLE)
        got = await drive_collect(dut, beats, "out_valid_o", ["out_o"], IDLE)
        assert [to_signed(g[0], w) for g in got] == expect, "wrong after a reset mid-channel"


@pytest.mark.parametrize(("sim", "w"), sim_configs([20, 4]))
def test_maxpool(sim, w):
    """The engine's 20-bit values and a 4-bit width (many ties, wrap-sensitive comparisons)."""
    x, pooled = channels(w, w)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_maxpool",
        test_module="test_ecg_bnn_maxpool",
        bid=build_id("maxpool", sim, W=w),
        parameters={"W": w},
        cfg={"x": x, "pooled": pooled, "w": w},
    )
