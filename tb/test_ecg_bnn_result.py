"""``ecg_bnn_result``: block-6 scores, argmax and the result register, exact against
``golden.scores`` and ``golden.argmax_lowest``.

The pytest side draws random coefficients (``{C, B, A}`` words, ``pymodel.packing``, including
-32768 / 32767 and the largest ``C`` that keeps every score in 32 bits; classes 1 and 2 identical
so that ties occur) and windows of sums (random within ``S_pos - S_neg <= 12096``, all zero, the
extremes, a tie for the maximum that must go to the lower index) with their input flags
{clipped, low, flat} (every combination occurs). The cocotb side plays the engine (clear while
``slot_free_o``, one ``calc_i`` per class when not busy, random gaps, ``finish_i``), the
parameter stream (the class's coefficient word on ``coef_i`` the cycle after the read
``coef_re_o``, its ``B`` one cycle longer, random bits otherwise) and a sink with
back-pressure that checks a stalled result holds; every result's scores, class and flags
(tdata[10:8]) are compared. A reset in the middle of a window must empty the unit.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs, to_signed, to_unsigned

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import recv_items, reset, start_clock, stream_sink, watch_stalls
except ImportError:  # pragma: no cover
    cocotb = None

SUM_MAX = 27 * 448  # sum_j |y_j| of block 6
IDLE = {
    "clear_i": 0,
    "calc_i": 0,
    "finish_i": 0,
    "flags_i": 0,
    "s_pos_i": 0,
    "s_neg_i": 0,
    "coef_i": 0,
}


def coefficients(ncls: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A, B, C per class; every reachable score fits signed 32 bits."""
    a = rng.integers(-(1 << 15), 1 << 15, ncls)
    b = rng.integers(-(1 << 15), 1 << 15, ncls)
    a[0], b[0] = -(1 << 15), (1 << 15) - 1
    room = (1 << 31) - 1 - np.maximum(abs(a), abs(b)) * SUM_MAX
    c = np.array([int(rng.integers(-r, r + 1)) for r in room])
    c[0] = room[0]
    if ncls > 2:
        a[2], b[2] = a[1], b[1]
        c[1] = c[2] = min(room[1], room[2])
    return a, b, c


def windows(ncls: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S_pos, S_neg, flags) of the test windows (flags = {clipped, low, flat}, 3 bits)."""
    sp, sn = [], []
    for _ in range(6):
        p = rng.integers(0, SUM_MAX + 1, ncls)
        sp.append(p)
        sn.append(-np.array([rng.integers(0, SUM_MAX - x + 1) for x in p]))
    zero = np.zeros(ncls, np.int64)
    sp += [zero, np.full(ncls, SUM_MAX), zero]
    sn += [zero, zero, np.full(ncls, -SUM_MAX)]
    if ncls > 2:  # classes 1 and 2 tie for the maximum
        p, n = np.zeros(ncls, np.int64), np.zeros(ncls, np.int64)
        p[1] = p[2] = 100
        sp.append(p)
        sn.append(n)
    flags = np.arange(len(sp)) % 8  # every combination
    rng.shuffle(flags)
    return np.stack(sp), np.stack(sn), flags


if cocotb is not None:

    async def when(dut, cond) -> None:
        """Wait until ``cond()`` holds in a ReadOnly phase; return at the next falling edge."""
        while True:
            await ReadOnly()
            if cond():
                break
            await RisingEdge(dut.clk_i)
        await FallingEdge(dut.clk_i)

    async def pulse(dut, **values: int) -> None:
        """Drive ``values`` for one cycle (from a falling edge to the next)."""
        for name, value in values.items():
            getattr(dut, name).value = value
        await FallingEdge(dut.clk_i)
        for name in values:
            getattr(dut, name).value = 0

    async def score_window(dut, sp, sn, flags, rng, coefs, classes=None) -> None:
        """Play the engine and the parameter stream for one window (``classes``: stop after that
        many); ``coefs``: the ``{C, B, A}`` word per class."""
        await when(dut, lambda: int(dut.slot_free_o.value) == 1)
        await pulse(dut, clear_i=1)
        for c in range(len(sp) if classes is None else classes):
            await when(dut, lambda: int(dut.busy_o.value) == 0)
            for _ in range(rng.randrange(3)):
                await FallingEdge(dut.clk_i)
            dut.calc_i.value = 1
            dut.s_pos_i.value = to_unsigned(sp[c], 16)
            dut.s_neg_i.value = to_unsigned(sn[c], 16)
            await ReadOnly()
            assert int(dut.coef_re_o.value) == 1, "calc_i must read the coefficients"
            await FallingEdge(dut.clk_i)
            dut.calc_i.value = 0  # the sums stay: the unit reads them until it is idle again
            dut.coef_i.value = int(coefs[c])  # as a ROM read: the cycle after the read
            await FallingEdge(dut.clk_i)
            # B is read in place one cycle longer (the unpacker holds it): C and A change
            b_field = int(coefs[c]) & (0xFFFF << 16)
            dut.coef_i.value = (rng.getrandbits(64) & ~(0xFFFF << 16)) | b_field
            await FallingEdge(dut.clk_i)
            dut.coef_i.value = rng.getrandbits(64)
            await when(dut, lambda: int(dut.busy_o.value) == 0)
            await FallingEdge(dut.clk_i)
            for name in ("s_pos_i", "s_neg_i"):  # no longer read
                getattr(dut, name).value = rng.getrandbits(16)
        if classes is None:
            await when(dut, lambda: int(dut.busy_o.value) == 0)
            await pulse(dut, finish_i=1, flags_i=int(flags))

    def decode(value: int, ncls: int) -> tuple[list[int], int, int]:
        """(scores, class, flags) of ``m_data_o``; bits 15:11 must be zero."""
        assert (value >> 11) & 0x1F == 0, "m_data_o[15:11] must be zero"
        scores = [to_signed(value >> (16 + 32 * c), 32) for c in range(ncls)]
        return scores, value & 0xFF, (value >> 8) & 0x7

    @cocotb.test()
    async def result_windows(dut):
        """Every window's scores, class (ties to the lowest index) and flags."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        ncls = cfg["ncls"]
        rng = random.Random(ncls)
        start_clock(dut.clk_i)
        await reset(dut, m_ready_i=0, **IDLE)
        sp, sn, flags = arr["s_pos"], arr["s_neg"], arr["flags"]
        # reset in the middle of a window: nothing comes out, the unit is empty afterwards
        coefs = [int(w) for w in cfg["coefs"]]
        await score_window(dut, sp[0], sn[0], flags[0], rng, coefs, classes=2)
        await reset(dut, m_ready_i=0, **IDLE)
        await ReadOnly()
        assert int(dut.m_valid_o.value) == 0 and int(dut.slot_free_o.value) == 1
        assert int(dut.busy_o.value) == 0
        await FallingEdge(dut.clk_i)
        sink = stream_sink(dut, rng, stall=0.5)
        cocotb.start_soon(watch_stalls(dut, "result"))
        for k in range(len(sp)):
            await score_window(dut, sp[k], sn[k], flags[k], rng, coefs)
        out = await recv_items(sink, len(sp))
        for k, value in enumerate(out):
            scores, cls, fl = decode(value, ncls)
            assert scores == arr["scores"][k].tolist(), f"window {k}: scores {scores}"
            assert cls == int(arr["pred"][k]), f"window {k}: class {cls} != {arr['pred'][k]}"
            assert fl == int(flags[k]), f"window {k}: flags {fl:03b}, expected {flags[k]:03b}"


@pytest.mark.parametrize(("sim", "ncls"), sim_configs([5, 17, 2]))
def test_result(sim, ncls):
    """5 (AAMI) and 17 (rhythm) classes and the smallest legal count."""
    from pymodel import golden
    from pymodel.packing import pack_score_word

    rng = np.random.default_rng(ncls)
    a, b, c = coefficients(ncls, rng)
    sp, sn, flags = windows(ncls, rng)
    scores = golden.scores(SimpleNamespace(score_a=a, score_b=b, score_c=c), sp, sn)
    assert golden.fits_signed(scores, 32)
    pred = golden.argmax_lowest(scores)
    if ncls > 2:
        assert pred[-1] == 1 and scores[-1, 1] == scores[-1, 2], "the tie window must tie"
    bid = build_id("result", sim, C=ncls)
    coefs = [pack_score_word(int(x), int(y), int(z)) for x, y, z in zip(a, b, c, strict=True)]
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_result",
        test_module="test_ecg_bnn_result",
        bid=bid,
        parameters={"NUM_CLASSES": ncls},
        cfg={"ncls": ncls, "coefs": coefs},
        arrays={"s_pos": sp, "s_neg": sn, "flags": flags, "scores": scores, "pred": pred},
    )
