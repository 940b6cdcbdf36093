"""The integer golden model against its own definition (docs/ARCHITECTURE.md), layer by layer."""

import math

import numpy as np
import pytest
from golden_fixtures import random_model, real_windows

from pymodel import golden
from pymodel.fold import fold_model
from pymodel.golden import N, Thresholds


def ref_front_end(window):
    """Python-int reference of the window normalization, straight from the contract."""
    x = [min(2047, max(-2048, int(s))) for s in window]
    s1 = sum(x)
    s2 = sum(v * v for v in x)
    v = N * s2 - s1 * s1
    r = math.isqrt(v)
    g = 0 if v == 0 else (1 << 32) // r
    d = [N * xi - s1 for xi in x]
    z = [(di * g + (1 << 23)) >> 24 for di in d]
    return {"s1": s1, "s2": s2, "v": v, "r": r, "g": g, "flat": v == 0, "d": d, "z": z}


def adversarial_windows():
    """Flat, one-sample steps, full-scale square waves, saturating and random full-range windows."""
    rng = np.random.default_rng(1)
    step = np.zeros(N, np.int64)
    step[1234] = 1
    neg_step = np.full(N, 2047, np.int64)
    neg_step[0] = -2048
    square = np.where(np.arange(N) % 2 == 0, -2048, 2047)
    half = np.where(np.arange(N) < N // 2, -2048, 2047)
    return {
        "flat_1024": np.full(N, 1024),
        "flat_min": np.full(N, -2048),
        "flat_clamped": np.full(N, 30000),
        "step_1": step,
        "step_full_scale": neg_step,
        "square": square,
        "half_half": half,
        "saturated": np.where(rng.random(N) < 0.5, -32768, 32767),
        "uniform": rng.integers(-2048, 2048, N),
        "ramp": np.arange(N) % 4096 - 2048,
        "int16_random": rng.integers(-32768, 32768, N),
    }


@pytest.fixture(scope="module")
def params():
    return fold_model(random_model(5, 0))


def test_isqrt_array_matches_math_isqrt():
    rng = np.random.default_rng(0)
    vals = [0, 1, 2, 3, 4, 3599, 3600, (1 << 46) - 1, (1 << 45), 59**2 - 1, 59**2]
    vals += [k * k + d for k in rng.integers(0, 1 << 23, 200).tolist() for d in (-1, 0, 1)]
    vals += rng.integers(0, 1 << 46, 1000).tolist()
    vals = np.array([v for v in vals if 0 <= v < (1 << 46)], dtype=np.int64)
    got = golden.isqrt_array(vals)
    assert got.tolist() == [math.isqrt(int(v)) for v in vals]
    assert golden.isqrt(10**30) == 10**15
    with pytest.raises(ValueError):
        golden.isqrt_array(np.array([1 << 46]))


def test_clamp_samples_contract():
    w = np.zeros(N, np.int16)
    w[:4] = [-32768, -2049, 2048, 32767]
    x = golden.clamp_samples(w)
    assert x[:4].tolist() == [-2048, -2048, 2047, 2047] and x.dtype == np.int64
    with pytest.raises(TypeError):
        golden.clamp_samples(np.zeros(N, np.float32))
    with pytest.raises(ValueError):
        golden.clamp_samples(np.zeros(100, np.int16))


@pytest.mark.parametrize("name", list(adversarial_windows()))
def test_front_end_exact_on_adversarial_windows(name):
    window = adversarial_windows()[name]
    fe = golden.front_end(window[None, :])
    ref = ref_front_end(window)
    for key in ("s1", "s2", "v", "r", "g", "flat"):
        assert fe[key][0] == ref[key], key
    assert fe["d"][0].tolist() == ref["d"] and fe["z"][0].tolist() == ref["z"]
    check_widths(fe)
    if ref["flat"]:
        assert not np.any(fe["z"]) and fe["g"][0] == 0


def test_front_end_exact_on_real_windows():
    windows = real_windows()
    fe = golden.front_end(windows)
    for i in range(0, len(windows), 7):
        ref = ref_front_end(windows[i])
        assert fe["z"][i].tolist() == ref["z"] and fe["g"][i] == ref["g"] and fe["v"][i] == ref["v"]
    check_widths(fe)
    # z approximates the textbook z-score to within one Q8 step
    x = windows.astype(np.float64)
    zf = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True) * 256
    assert np.abs(fe["z"] - zf).max() < 1.0


def check_widths(fe):
    """Every front-end value fits the width the contract gives it."""
    assert golden.fits_signed(fe["s1"], 24)
    assert fe["s2"].min() >= 0 and fe["s2"].max() < (1 << 34)
    assert fe["v"].min() >= 0 and fe["v"].max() < (1 << 46)
    assert fe["r"].max() < (1 << 23) and fe["g"].max() < (1 << 27)
    assert golden.fits_signed(fe["d"], 25) and golden.fits_signed(fe["z"], golden.Z_W)
    assert np.abs(fe["z"]).max() < (1 << 14)
    assert np.all((fe["r"] >= 59) | fe["flat"])


def test_worst_case_z_bound():
    step = np.zeros(N, np.int64)
    step[0] = 2047
    z = golden.front_end(step[None, :])["z"][0]
    assert abs(int(z[0])) <= 60 * 256 * 60 // 59 + 1


def test_flat_window_runs_and_flags(params):
    t = golden.run_window(params, np.full(N, 1000, np.int16))
    assert t.flat and t.g == 0 and not np.any(t.z)
    assert 0 <= t.pred < params.num_classes


def test_block1_conv_hand_example():
    z = np.zeros(N, np.int64)
    z[:4] = [10, -20, 30, -40]
    w1 = np.zeros((8, 7, 1), np.uint8)
    w1[0, :, 0] = 1  # all +1
    w1[1, :, 0] = [1, 0, 1, 0, 1, 0, 1]
    acc = golden.block1_conv(z, w1)
    assert acc.shape == (8, 1802)
    # t = 0 reads padded positions -5..1: five pads (256) then z0, z1
    assert acc[0, 0] == 5 * 256 + 10 - 20
    assert acc[1, 0] == (256 - 256 + 256 - 256 + 256) - 10 - 20
    # t = 1 reads -3..3: three pads then z0..z3
    assert acc[0, 1] == 3 * 256 + 10 - 20 + 30 - 40
    assert acc[7, 1] == -(3 * 256 + 10 - 20 + 30 - 40)
    assert acc[0, 5] == 0  # reads z[5..11] = 0


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
    assert golden.run_batch(params, windows[:0]).pred.shape == (0,)
