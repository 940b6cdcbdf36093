"""The integer golden model against its own definition (docs/ARCHITECTURE.md), layer by layer."""

import math

import numpy as np
import pytest
from golden_fixtures import random_model, real_windows

from pymodel import golden
from pymodel.fold import fold_model
from pymodel.golden import N, Thresholds


def ref_front_end(window, low_rms=golden.LOW_RMS, clip_max=golden.CLIP_MAX):
    """Python-int reference of the window constants, straight from docs/input_contract.md."""
    x = [int(s) for s in window]
    s1 = sum(x)
    s2 = sum(v * v for v in x)
    k = sum(1 for v in x if v in (-32768, 32767))
    v = N * s2 - s1 * s1
    r = math.isqrt(v)
    return {
        "s1": s1,
        "s2": s2,
        "k": k,
        "v": v,
        "r": r,
        "pad": (s1 + r) // N,
        "flat": v == 0,
        "low": r < N * low_rms,
        "clip": k > clip_max,
    }


def adversarial_windows():
    """Flat lines, rails, a spike, full-scale square waves and random full-range int16 windows."""
    rng = np.random.default_rng(1)
    spike = np.zeros(N, np.int64)
    spike[1234] = 1
    rails = np.where(np.arange(N) % 2 == 0, -32768, 32767)
    two_level = np.where(np.arange(N) < 3000, 32767, -32768)  # mean + std above the top rail
    return {
        "flat_0": np.zeros(N, np.int64),
        "flat_low_rail": np.full(N, -32768),
        "flat_high_rail": np.full(N, 32767),
        "spike_in_flat": spike,
        "spike_to_rail": np.where(np.arange(N) == 7, 32767, -32768),
        "alternating_rails": rails,
        "two_level_rails": two_level,
        "lead_off_noise": 1000 + rng.integers(-1, 2, N),
        "uniform_int16": rng.integers(-32768, 32768, N),
        "ramp": np.arange(N) * 18 - 32768,
    }


@pytest.fixture(scope="module")
def params():
    return fold_model(random_model(5, 0))


def test_isqrt_array_matches_math_isqrt():
    rng = np.random.default_rng(0)
    top = 1 << golden.V_W
    vals = [0, 1, 2, 3, 4, 3599, 3600, top - 1, top >> 1, 59**2 - 1, 59**2]
    vals += [k * k + d for k in rng.integers(0, 1 << 27, 200).tolist() for d in (-1, 0, 1)]
    vals += rng.integers(0, top, 1000).tolist()
    vals = np.array([v for v in vals if 0 <= v < top], dtype=np.int64)
    got = golden.isqrt_array(vals)
    assert got.tolist() == [math.isqrt(int(v)) for v in vals]
    assert golden.isqrt(10**30) == 10**15
    with pytest.raises(ValueError):
        golden.isqrt_array(np.array([top]))


def test_check_samples_contract():
    w = np.zeros(N, np.int32)
    w[:4] = [-32768, -2049, 2048, 32767]
    x = golden.check_samples(w)
    assert x[:4].tolist() == [-32768, -2049, 2048, 32767] and x.dtype == np.int64
    with pytest.raises(TypeError):
        golden.check_samples(np.zeros(N, np.float32))
    with pytest.raises(ValueError):
        golden.check_samples(np.zeros(100, np.int16))
    w[0] = 32768
    with pytest.raises(ValueError):
        golden.check_samples(w)


@pytest.mark.parametrize("name", list(adversarial_windows()))
def test_front_end_exact_on_adversarial_windows(name):
    window = adversarial_windows()[name]
    fe = golden.front_end(window[None, :])
    ref = ref_front_end(window)
    for key, value in ref.items():
        assert fe[key][0] == value, key
    check_widths(fe)


def test_front_end_exact_on_real_windows():
    windows = real_windows()
    fe = golden.front_end(windows)
    for i in range(0, len(windows), 7):
        ref = ref_front_end(windows[i])
        assert all(fe[key][i] == value for key, value in ref.items())
    check_widths(fe)
    assert not np.any(fe["flat"] | fe["low"] | fe["clip"])  # clean ECG raises no flag


def check_widths(fe):
    """Every front-end value fits the width the contract gives it."""
    assert golden.fits_signed(fe["s1"], golden.S1_W)
    assert fe["s2"].min() >= 0 and fe["s2"].max() < (1 << golden.S2_W)
    assert fe["v"].min() >= 0 and fe["v"].max() < (1 << golden.V_W)
    assert fe["r"].max() < (1 << golden.R_W) and fe["k"].max() < (1 << golden.CLIP_COUNT_W)
    assert golden.fits_signed(fe["pad"], golden.PAD_W)


def test_pad_value_bound_and_worst_case_acc():
    """``P`` peaks at mean + std of a two-level rail window (at most 46,339); acc fits 20 bits."""
    p = np.arange(1, N)
    two_level = np.where(np.arange(N)[None, :] < p[:, None], 32767, -32768)
    pads = golden.front_end(two_level)["pad"]
    assert pads.max() <= 46339 and golden.fits_signed(pads, golden.PAD_W)
    worst = golden.KERNEL_SIZE * max(int(pads.max()), 32768)
    assert worst < (1 << (golden.ACC1_W - 1))


def test_quality_flags_at_their_limits():
    base = np.zeros(N, np.int64)
    at_limit = base.copy()
    at_limit[: golden.CLIP_MAX] = 32767
    over = base.copy()
    over[: golden.CLIP_MAX + 1] = -32768
    fe = golden.front_end(np.stack([at_limit, over]))
    assert fe["clip"].tolist() == [False, True]
    # RMS just below and just above LOW_RMS counts: a square wave of amplitude a has RMS a
    square = np.where(np.arange(N) % 2 == 0, -1, 1)
    fe = golden.front_end(np.stack([3 * square, 4 * square, square + 500]))
    assert fe["low"].tolist() == [True, False, True] and not fe["flat"].any()
    fe = golden.front_end(np.stack([4 * square]), low_rms=5)
    assert fe["low"].tolist() == [True]
    assert golden.flag_bits(True, False, True) == 5


def test_block1_conv_hand_example():
    x = np.zeros(N, np.int64)
    x[:4] = [10, -20, 30, -40]
    w1 = np.zeros((8, 7, 1), np.uint8)
    w1[0, :, 0] = 1  # all +1
    w1[1, :, 0] = [1, 0, 1, 0, 1, 0, 1]
    acc = golden.block1_conv(x, w1, np.int64(100))
    assert acc.shape == (8, 1802)
    # t = 0 reads padded positions -5..1: five pads (100) then x0, x1
    assert acc[0, 0] == 5 * 100 + 10 - 20
    assert acc[1, 0] == (100 - 100 + 100 - 100 + 100) - 10 - 20
    # t = 1 reads -3..3: three pads then x0..x3
    assert acc[0, 1] == 3 * 100 + 10 - 20 + 30 - 40
    assert acc[7, 1] == -(3 * 100 + 10 - 20 + 30 - 40)
    assert acc[0, 5] == 0  # reads x[5..11] = 0
    assert acc[0, 1801] == 4 * 100  # reads x[3597..3599] = 0 and four right pads


def test_block1_thresholds_equal_the_exact_z_comparison():
    """``m >= hi'`` holds exactly when ``F*(N*m - S1*ws)/r >= hi`` (F = 2^14), and so for lo."""
    rng = np.random.default_rng(3)
    w1 = rng.integers(0, 2, (8, 7, 1)).astype(np.uint8)
    hi = rng.integers(-(1 << 21), 1 << 21, 8)
    hi[0] = golden.THR_NEVER_HI
    lo = hi - rng.integers(0, 1 << 20, 8)
    lo[1] = golden.THR_NEVER_LO
    thr = Thresholds(hi, lo, np.zeros(8, np.uint8))
    ws = golden.weight_sign_sums(w1)
    assert ws.tolist() == [2 * int(w1[c].sum()) - 7 for c in range(8)]
    for s1, r in [(0, 1), (123456, 360000), (-117964800, 1), (117964800, (1 << 27) - 1)]:
        h, low = golden.block1_thresholds(thr, w1, np.int64(s1), np.int64(r))
        for c in range(8):
            for m in rng.integers(-(1 << 19), 1 << 19, 300).tolist() + [int(h[c]), int(h[c]) - 1]:
                lhs = golden.THR1_SCALE * (N * m - s1 * int(ws[c]))
                if hi[c] != golden.THR_NEVER_HI:
                    assert (m >= h[c]) == (lhs >= int(hi[c]) * r)
                if lo[c] != golden.THR_NEVER_LO:
                    assert (m <= low[c]) == (lhs <= int(lo[c]) * r)
        assert h[0] == golden.THR_NEVER_HI and low[1] == golden.THR_NEVER_LO
        assert golden.fits_signed(h, golden.THR_W) and golden.fits_signed(low, golden.THR_W)


def test_integer_offset_changes_no_bit_and_gain_only_rounding(params):
    windows = real_windows()[:8] - 1024
    ref = golden.trace_batch(params, windows)
    for offset in (-16000, 7, 16000):
        t = golden.trace_batch(params, windows + offset)
        shift = golden.weight_sign_sums(params.weights[0])[:, None] * offset
        assert np.array_equal(t.m1 - ref.m1, np.broadcast_to(shift, t.m1.shape))
        assert np.array_equal(
            t.thr1_hi - ref.thr1_hi, np.broadcast_to(shift[:, 0], t.thr1_hi.shape)
        )
        assert np.array_equal(t.bits1, ref.bits1) and np.array_equal(t.scores, ref.scores)
    assert np.array_equal(golden.trace_batch(params, windows * 8).pred, ref.pred)


def test_flat_window_runs_and_flags(params):
    t = golden.run_window(params, np.full(N, 1000, np.int16))
    assert t.flat and t.low and not t.clip and t.r == 0 and t.pad == 1000
    assert np.all(t.bits1 == 1 ^ params.thresholds[0].inv[:, None])
    assert 0 <= t.pred < params.num_classes


def test_maxpool_hand_example():
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    assert golden.maxpool(x).tolist() == [9, 9, 9]
    assert golden.maxpool(np.arange(1802)).shape == (898,)


def test_popcount_tiny_example():
    # C_in = 2, L = 1: the window of output t reads positions t-5 .. t+1 (pads are 1)
    a = np.array([[1], [0]], np.uint8)
    w = np.ones((1, 7, 2), np.uint8)
    p = golden.popcount_conv(a, w)
    assert p.shape == (1, 5)
    # t = 0: positions -5..1 -> pads except k=5 (position 0): bits (1, 0) -> 13 of 14 match
    assert p[0, 0] == 13
    w2 = np.zeros((1, 7, 2), np.uint8)
    assert golden.popcount_conv(a, w2)[0, 0] == 1  # only the 0 activation matches a 0 weight
    assert np.array_equal(golden.popcount_conv(a, w), golden.popcount_conv_reference(a, w))


@pytest.mark.parametrize("c_in,c_out,length", [(8, 16, 40), (16, 3, 20), (32, 5, 9), (64, 17, 30)])
def test_popcount_conv_matches_reference(c_in, c_out, length):
    rng = np.random.default_rng(c_in)
    a = rng.integers(0, 2, (3, c_in, length), dtype=np.uint8)
    w = rng.integers(0, 2, (c_out, 7, c_in), dtype=np.uint8)
    p = golden.popcount_conv(a, w)
    for i in range(3):
        assert np.array_equal(p[i], golden.popcount_conv_reference(a[i], w))
    assert p.min() >= 0 and p.max() <= 7 * c_in


def thr(hi, lo, inv):
    return Thresholds(hi=np.array([hi]), lo=np.array([lo]), inv=np.array([inv]))


NEVER_HI, NEVER_LO = golden.THR_NEVER_HI, golden.THR_NEVER_LO


@pytest.mark.parametrize(
    "unit,expect",
    [
        (thr(30, NEVER_LO, 0), {29: 0, 30: 1, 0: 0, 224: 1}),  # m >= 30
        (thr(30, NEVER_LO, 1), {29: 1, 30: 0, 0: 1, 224: 0}),  # m <= 29
        (thr(40, 10, 0), {9: 1, 10: 1, 11: 0, 39: 0, 40: 1, 41: 1}),  # two-sided
        (thr(40, 10, 1), {9: 0, 10: 0, 11: 1, 39: 1, 40: 0, 41: 0}),  # interval 11..39
        (thr(NEVER_HI, NEVER_LO, 0), {0: 0, 224: 0}),  # constant 0
        (thr(NEVER_HI, NEVER_LO, 1), {0: 1, 224: 1}),  # constant 1
        (thr(-5, NEVER_LO, 0), {-6: 0, -5: 1, -4: 1}),  # negative threshold (block 1)
    ],
)
def test_threshold_unit_boundaries(unit, expect):
    m = np.array(list(expect))[None, :]
    assert golden.threshold_bits(m, unit)[0].tolist() == list(expect.values())


def test_scores_and_argmax_ties(params):
    y = np.array([[-448, 0, 448, 10], [-2, -2, -2, -2]])
    s_pos, s_neg = golden.score_sums(y)
    assert s_pos.tolist() == [458, 0] and s_neg.tolist() == [-448, -8]
    assert golden.argmax_lowest(np.array([3, 7, 7, 1])) == 1
    assert golden.argmax_lowest(np.array([[5, 5], [1, 2]])).tolist() == [0, 1]


def test_trace_is_integer_and_consistent(params):
    windows = real_windows()[:6]
    t = golden.trace_batch(params, windows)
    for name, value in t.__dict__.items():
        for arr in value if isinstance(value, list) else [value]:
            assert arr.dtype.kind in "iub", name
    assert t.acc1.shape == (6, 8, 1802) and t.m1.shape == (6, 8, 898)
    assert [p.shape[1:] for p in t.p] == [(16, 902), (32, 452), (32, 227), (64, 115), (5, 59)]
    assert [b.shape[1:] for b in t.bits] == [(16, 448), (32, 223), (32, 111), (64, 55)]
    assert t.y6.shape == (6, 5, 27) and golden.fits_signed(t.acc1, golden.ACC1_W)
    assert golden.fits_signed(t.scores, golden.SCORE_W)
    assert golden.fits_signed(t.s_pos, golden.SUM_W) and golden.fits_signed(t.s_neg, golden.SUM_W)
    one = golden.run_window(params, windows[2])
    assert np.array_equal(one.acc1, t.acc1[2]) and one.pred == t.pred[2]
    assert all(np.array_equal(a, b[2]) for a, b in zip(one.p, t.p, strict=True))
    expect = golden.scores(params, t.s_pos, t.s_neg)
    assert np.array_equal(expect, t.scores) and np.array_equal(t.pred, expect.argmax(1))


def test_run_batch_matches_trace_in_any_chunking(params):
    windows = real_windows()[:13]
    ref = golden.trace_batch(params, windows)
    for chunk in (1, 5, 64):
        res = golden.run_batch(params, windows, chunk=chunk)
        assert np.array_equal(res.pred, ref.pred) and np.array_equal(res.scores, ref.scores)
        assert np.array_equal(res.flagged, ref.flat | ref.low | ref.clip)
    assert golden.run_batch(params, windows[:0]).pred.shape == (0,)
