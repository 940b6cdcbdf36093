"""``ecg_bnn_conv1_pe``: block-1 PE (signed 7-tap sum with binary weights), exact against
``golden.block1_conv``.

The pytest side builds a short raw-sample sequence (random int16 values, runs at both rails and
at 0) and weight rows (random, all +1, all -1), runs ``golden.block1_conv`` with a pad value P
at the extremes of its signed 17-bit range (or a narrow variant's) and cuts the padded input
into the 7 taps of every conv output. The cocotb side drives the taps with random idle cycles
and compares every sum; a reset must drop the pending output.
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

IDLE = {"valid_i": 0}


def stimulus(x_w: int, pad: int, seed: int) -> tuple[list[int], list[int], list[int]]:
    """(taps words, weight rows, golden sums) of every (channel, conv output)."""
    from pymodel import golden

    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (x_w - 2)), (1 << (x_w - 2)) - 1  # samples: one bit narrower than taps
    x = rng.integers(lo, hi + 1, 60)
    x[10:17], x[20:27], x[30:34] = hi, lo, 0
    w1 = rng.integers(0, 2, (8, 7, 1)).astype(np.uint8)
    w1[0], w1[1] = 1, 0
    acc = golden.block1_conv(x, w1, np.int64(pad))  # (8, T), taps: padded positions 2t .. 2t+6
    xp = np.pad(x, 5, constant_values=pad)
    taps, wts, expect = [], [], []
    for c in range(8):
        wrow = sum(int(w1[c, k, 0]) << k for k in range(7))
        for t in range(acc.shape[1]):
            word = 0
            for k in range(7):
                word |= to_unsigned(int(xp[2 * t + k]), x_w) << (k * x_w)
            taps.append(word)
            wts.append(wrow)
            expect.append(int(acc[c, t]))
    return taps, wts, expect


if cocotb is not None:

    @cocotb.test()
    async def conv1_sums(dut):
        """Every 7-tap sum equals golden.block1_conv."""
        cfg = load_cfg()
        rng = random.Random(1)
        acc_w = cfg["acc_w"]
        start_clock(dut.clk_i)
        await reset(dut, **IDLE)
        beats = [
            {"valid_i": 1, "taps_i": t, "w_i": w}
            for t, w in zip(cfg["taps"], cfg["w"], strict=True)
        ]
        got = await drive_collect(dut, with_idle(beats, rng, 0.3), "out_valid_o", ["out_o"], IDLE)
        assert [to_signed(g[0], acc_w) for g in got] == cfg["expect"], "conv sums differ"
        # a reset with a sum in flight (LATENCY 2): the sum before it comes out, the one in
        # flight does not, the next ones are exact
        got = await drive_collect(dut, beats[:2], "out_valid_o", ["out_o"], IDLE, drain=0)
        await reset(dut, **IDLE)
        got += await drive_collect(dut, beats[1:3], "out_valid_o", ["out_o"], IDLE, drain=2)
        assert [to_signed(g[0], acc_w) for g in got] == cfg["expect"][:3], "wrong around reset"


@pytest.mark.parametrize(
    ("sim", "x_w", "acc_w", "pad"), sim_configs([(17, 20, -65536), (17, 20, 65535), (12, 15, 2047)])
)
def test_conv1_pe(sim, x_w, acc_w, pad):
    """The IP's 17-bit taps (int16 samples, P at both ends of its range) with a 20-bit sum, and
    a narrow 12/15-bit variant."""
    taps, wts, expect = stimulus(x_w, pad, x_w)
    assert all(-(1 << (acc_w - 1)) <= e < (1 << (acc_w - 1)) for e in expect)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_conv1_pe",
        test_module="test_ecg_bnn_conv1_pe",
        bid=build_id("conv1_pe", sim, XW=x_w, AW=acc_w, P=pad),
        parameters={"X_W": x_w, "ACC_W": acc_w},
        cfg={"taps": taps, "w": wts, "expect": expect, "acc_w": acc_w},
    )
