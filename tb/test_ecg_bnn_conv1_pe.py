"""``ecg_bnn_conv1_pe``: block-1 PE (signed 7-tap sum with binary weights, transposed form),
exact against ``golden.block1_conv``.

The pytest side builds a short raw-sample sequence (random int16 values, runs at both rails and
at 0) and weight rows (random, all +1, all -1), runs ``golden.block1_conv`` with a pad value P
at the extremes of its signed 17-bit range (or a narrow variant's) and turns each channel into
the engine's schedule: new weights, 7 pads shifted in, then the padded input from the first
sample on, every second position ending a conv window. The cocotb side drives the positions
with random idle cycles and compares every sum; a reset must drop the pending output.
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

IDLE = {"shift_i": 0, "valid_i": 0}
SETTLE_PADS = 7  # pads the engine shifts in (while the scaler runs) before a channel's run


def stimulus(x_w: int, pad: int, seed: int) -> tuple[list[list[dict]], list[list[int]]]:
    """Per channel: the input beats (engine schedule) and the golden sums of its conv outputs."""
    from pymodel import golden

    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (x_w - 2)), (1 << (x_w - 2)) - 1  # samples: one bit narrower than taps
    x = rng.integers(lo, hi + 1, 60)
    x[10:17], x[20:27], x[30:34] = hi, lo, 0
    w1 = rng.integers(0, 2, (8, 7, 1)).astype(np.uint8)
    w1[0], w1[1] = 1, 0
    acc = golden.block1_conv(x, w1, np.int64(pad))  # (8, T), taps: padded positions 2t .. 2t+6
    xp = np.pad(x, 5, constant_values=pad)
    last = 2 * (acc.shape[1] - 1) + 6  # the padded position that ends the last window
    beats, expect = [], []
    for c in range(8):
        wrow = sum(int(w1[c, k, 0]) << k for k in range(7))
        chan = [
            {"shift_i": 1, "valid_i": 0, "x_i": to_unsigned(pad, x_w), "w_i": wrow}
            for _ in range(SETTLE_PADS)
        ]
        for i in range(5, last + 1):
            valid = int(i >= 6 and i % 2 == 0)
            chan.append(
                {"shift_i": 1, "valid_i": valid, "x_i": to_unsigned(int(xp[i]), x_w), "w_i": wrow}
            )
        beats.append(chan)
        expect.append([int(v) for v in acc[c]])
    return beats, expect


if cocotb is not None:

    @cocotb.test()
    async def conv1_sums(dut):
        """Every 7-tap sum equals golden.block1_conv."""
        cfg = load_cfg()
        rng = random.Random(1)
        acc_w = cfg["acc_w"]
        start_clock(dut.clk_i)
        await reset(dut, **IDLE)
        # the weights hold a cycle past a channel's last position (the adders take them a cycle
        # after the position: the engine drains and loads the next channel long after)
        beats = [b for chan in cfg["beats"] for b in [*chan, None]]
        expect = [e for chan in cfg["expect"] for e in chan]
        got = await drive_collect(dut, with_idle(beats, rng, 0.3), "out_valid_o", ["out_o"], IDLE)
        assert [to_signed(g[0], acc_w) for g in got] == expect, "conv sums differ"
        # a reset with a sum in flight (LATENCY 2): the sum before it comes out, the one in
        # flight does not; the channel run again from its pads is exact
        chan = cfg["beats"][0]
        ends = [i for i, b in enumerate(chan) if b["valid_i"]]
        got = await drive_collect(dut, chan[: ends[1] + 1], "out_valid_o", ["out_o"], IDLE, drain=0)
        await reset(dut, **IDLE)
        got += await drive_collect(dut, chan, "out_valid_o", ["out_o"], IDLE, drain=2)
        want = cfg["expect"][0][:1] + cfg["expect"][0]
        assert [to_signed(g[0], acc_w) for g in got] == want, "wrong around reset"


@pytest.mark.parametrize(
    ("sim", "x_w", "acc_w", "pad"), sim_configs([(17, 20, -65536), (17, 20, 65535), (12, 15, 2047)])
)
def test_conv1_pe(sim, x_w, acc_w, pad):
    """The IP's 17-bit taps (int16 samples, P at both ends of its range) with a 20-bit sum, and
    a narrow 12/15-bit variant."""
    beats, expect = stimulus(x_w, pad, x_w)
    assert all(-(1 << (acc_w - 1)) <= e < (1 << (acc_w - 1)) for chan in expect for e in chan)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_conv1_pe",
        test_module="test_ecg_bnn_conv1_pe",
        bid=build_id("conv1_pe", sim, XW=x_w, AW=acc_w, P=pad),
        parameters={"X_W": x_w, "ACC_W": acc_w},
        cfg={"beats": beats, "expect": expect, "acc_w": acc_w},
    )
