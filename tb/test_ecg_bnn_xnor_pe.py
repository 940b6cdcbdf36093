"""``ecg_bnn_xnor_pe``: XNOR-popcount PE of blocks 2-6, exact against ``golden.popcount_conv``.

The pytest side draws random activation maps and weights (plus all +1 / all -1 maps and weights)
for a narrow (C_in = 8, 56-bit rows) and the widest layer (C_in = 64, 448-bit rows), computes the
golden popcounts and cuts every conv window / weight row into SIMD-bit chunks exactly as the
engine does (the last chunk masked; the bits beyond the row are random garbage that the mask
must hide). The cocotb side streams the chunks with random idle cycles and compares every
popcount. A reset in the middle of a row must not produce an output or corrupt the next one.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs, with_idle

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import drive_collect, reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"valid_i": 0, "first_i": 0, "last_i": 0}


def chunk_rows(simd: int, cin: int, seed: int) -> tuple[list[list[int]], list[int]]:
    """Chunks ``[act, w, mask, first, last]`` of every conv output and the golden popcounts."""
    from pymodel import golden

    rng = np.random.default_rng(seed)
    length = 12 if cin == 8 else 4
    maps = [rng.integers(0, 2, (cin, length)), np.ones((cin, length)), np.zeros((cin, length))]
    w = rng.integers(0, 2, (3, 7, cin)).astype(np.uint8)
    w[1], w[2] = 1, 0  # all +1 and all -1 weight rows
    rows_total = 7 * cin
    nch = -(-rows_total // simd)
    chunks: list[list[int]] = []
    expect: list[int] = []
    for a in maps:
        a = a.astype(np.uint8)
        p = golden.popcount_conv(a, w)  # (C_out, L + 4)
        assert np.array_equal(p, golden.popcount_conv_reference(a, w))
        win = golden.conv_windows(a)  # (T, 7*C_in)
        for c in range(w.shape[0]):
            wrow = w[c].reshape(-1)
            for t in range(win.shape[0]):
                for r in range(nch):
                    lo, hi = r * simd, min((r + 1) * simd, rows_total)
                    valid = hi - lo
                    act = int(rng.integers(0, 2**62)) << 2 & ((1 << simd) - 1)
                    wts = int(rng.integers(0, 2**62)) << 2 & ((1 << simd) - 1)
                    for i in range(valid):
                        act = act & ~(1 << i) | int(win[t, lo + i]) << i
                        wts = wts & ~(1 << i) | int(wrow[lo + i]) << i
                    chunks.append([act, wts, (1 << valid) - 1, int(r == 0), int(r == nch - 1)])
                expect.append(int(p[c, t]))
    return chunks, expect


if cocotb is not None:

    @cocotb.test()
    async def xnor_popcounts(dut):
        """Every conv output's popcount equals the golden model (random idle cycles)."""
        cfg = load_cfg()
        rng = random.Random(cfg["seed"])
        start_clock(dut.clk_i)
        await reset(dut, **IDLE)
        names = ("act_i", "w_i", "mask_i", "first_i", "last_i")
        beats = [{**dict(zip(names, ch, strict=True)), "valid_i": 1} for ch in cfg["chunks"]]
        for idle in (0.0, 0.3):
            got = await drive_collect(
                dut, with_idle(beats, rng, idle), "out_valid_o", ["out_o"], IDLE
            )
            assert [g[0] for g in got] == cfg["expect"], f"popcounts differ (idle {idle})"
        # reset in the middle of a row: no output, and the next row is exact
        per_row = [b["last_i"] for b in beats].index(1) + 1  # chunks of the first row
        split = max(1, per_row // 2)
        got = await drive_collect(dut, beats[:split], "out_valid_o", ["out_o"], IDLE, drain=0)
        await reset(dut, **IDLE)
        got += await drive_collect(dut, beats[: 2 * per_row], "out_valid_o", ["out_o"], IDLE)
        assert [g[0] for g in got] == cfg["expect"][:2], "wrong output around a reset"


@pytest.mark.parametrize(("sim", "simd"), sim_configs([8, 16, 32, 64], verilator=(1,)))
def test_xnor_pe(sim, simd):
    """SIMD 8/16/32/64 on 56-bit and 448-bit rows."""
    chunks, expect = [], []
    for cin in (8, 64):
        c, e = chunk_rows(simd, cin, simd + cin)
        chunks += c
        expect += e
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_xnor_pe",
        test_module="test_ecg_bnn_xnor_pe",
        bid=build_id("xnor_pe", sim, SIMD=simd),
        parameters={"SIMD": simd, "ACC_W": 9},
        cfg={"chunks": chunks, "expect": expect, "seed": simd},
    )
