"""``ecg_bnn_conv1_pe``: block-1 PE (signed 7-tap sum with binary weights), exact against
``golden.block1_conv``.

The pytest side builds a short z sequence (random values, the extremes of the contract
``|z| < 2^14`` for Z_W = 16 or of the clamp range for a narrow Z_W, runs of equal values) and
weight rows (random, all +1, all -1), runs ``golden.block1_conv`` (padding 256 = 1.0 Q8) and
cuts the padded input into the 7 taps of every conv output. The cocotb side drives the taps with
random idle cycles and compares every sum; a reset must drop the pending output.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import SIMS, build_id, load_cfg, run_unit, to_signed, to_unsigned, with_idle

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import drive_collect, reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"valid_i": 0}


def stimulus(z_w: int, seed: int) -> tuple[list[int], list[int], list[int]]:
    """(taps words, weight rows, golden sums) of every (channel, conv output)."""
    from pymodel import golden

    rng = np.random.default_rng(seed)
    zmax = (1 << 14) - 1 if z_w == 16 else (1 << (z_w - 1)) - 1
    z = rng.integers(-zmax, zmax + 1, 60)
    z[10:17], z[20:27], z[30:34] = zmax, -zmax, 0
    w1 = rng.integers(0, 2, (8, 7, 1)).astype(np.uint8)
    w1[0], w1[1] = 1, 0
    acc = golden.block1_conv(z, w1)  # (8, T), taps: padded positions 2t .. 2t+6
    zp = golden.pad_q8(z)
    taps, wts, expect = [], [], []
    for c in range(8):
        wrow = sum(int(w1[c, k, 0]) << k for k in range(7))
        for t in range(acc.shape[1]):
            word = 0
            for k in range(7):
                word |= to_unsigned(int(zp[2 * t + k]), z_w) << (k * z_w)
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
        got = await drive_collect(dut, beats[:1], "out_valid_o", ["out_o"], IDLE, drain=0)
        await reset(dut, **IDLE)
        got += await drive_collect(dut, beats[1:3], "out_valid_o", ["out_o"], IDLE, drain=2)
        assert [to_signed(g[0], acc_w) for g in got] == cfg["expect"][:3], "wrong around reset"


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize(("z_w", "acc_w"), [(16, 18), (12, 15)])
def test_conv1_pe(sim, z_w, acc_w):
    """The IP's Q8 16-bit z with an 18-bit sum, and a narrow 12/15-bit variant."""
    taps, wts, expect = stimulus(z_w, z_w)
    assert all(-(1 << (acc_w - 1)) <= e < (1 << (acc_w - 1)) for e in expect)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_conv1_pe",
        test_module="test_ecg_bnn_conv1_pe",
        bid=build_id("conv1_pe", sim, ZW=z_w, AW=acc_w),
        parameters={"Z_W": z_w, "ACC_W": acc_w},
        cfg={"taps": taps, "w": wts, "expect": expect, "acc_w": acc_w},
    )
