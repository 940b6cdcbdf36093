"""BatchNorm + PReLU threshold folding, the score fixed point, and float-vs-integer agreement."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from golden_fixtures import random_model, real_windows

from pymodel import fold, golden
from pymodel.golden import THR_NEVER_HI, THR_NEVER_LO
from pymodel.model import EcgBnn, layer_shapes, zscore
from pymodel.shipped import shipped_names

SHAPES = layer_shapes(5)
B1, B2, B5 = SHAPES[0], SHAPES[1], SHAPES[4]  # block 2: C_in = 8, m in 0..56, v = 2m - 56


def enc(bits):
    m = np.arange(len(bits))
    return fold.encode_predicate(m, np.array(bits, dtype=bool))


def test_encode_predicate_shapes():
    assert enc([0, 0, 1, 1]) == (2, THR_NEVER_LO, 0)  # suffix
    assert enc([1, 1, 0, 0]) == (2, THR_NEVER_LO, 1)  # prefix m <= 1
    assert enc([0, 1, 1, 0]) == (3, 0, 1)  # interval 1..2
    assert enc([1, 0, 0, 1]) == (3, 0, 0)  # two-sided
    assert enc([1, 1, 1, 1]) == (THR_NEVER_HI, THR_NEVER_LO, 1)
    assert enc([0, 0, 0, 0]) == (THR_NEVER_HI, THR_NEVER_LO, 0)
    with pytest.raises(fold.FoldError, match="more than two transitions"):
        enc([1, 0, 1, 0])


def boundary_bits(hi, lo, inv, ms):
    return [int(b) for b in fold.unit_bits(np.array(ms), hi, lo, inv)]


def test_case_positive_scale_positive_slope():
    # g = 1, a = 0.5, b = -3: v >= 3 -> 2m - 56 >= 3 -> m >= 29.5 -> hi = 30
    hi, lo, inv = fold.fit_thresholds(1.0, 0.5, -3.0, B2)
    assert (hi, lo, inv) == (30, THR_NEVER_LO, 0)
    assert boundary_bits(hi, lo, inv, [29, 30]) == [0, 1]


def test_case_positive_slope_crossing_below_zero():
    # g = 2, a = 0.25, b = 1: f(v) = 0.5 v + 1 for v < 0 -> v >= -2 -> m >= 27
    assert fold.fit_thresholds(2.0, 0.25, 1.0, B2) == (27, THR_NEVER_LO, 0)


def test_case_negative_scale_inverts():
    # g = -1, a = 0.5, b = 3: -v + 3 >= 0 -> v <= 3 -> m <= 29 -> hi = 30, inv = 1
    hi, lo, inv = fold.fit_thresholds(-1.0, 0.5, 3.0, B2)
    assert (hi, lo, inv) == (30, THR_NEVER_LO, 1)
    assert boundary_bits(hi, lo, inv, [29, 30]) == [1, 0]


def test_case_negative_slope_two_sided():
    # g = 1, a = -0.5, b = -4: v >= 4 (m >= 30) or -0.5 v <= ... v <= -8 (m <= 24)
    hi, lo, inv = fold.fit_thresholds(1.0, -0.5, -4.0, B2)
    assert (hi, lo, inv) == (30, 24, 0)
    assert boundary_bits(hi, lo, inv, [24, 25, 29, 30]) == [1, 0, 0, 1]


def test_case_negative_scale_negative_slope_interval():
    # g = -1, a = -0.5, b = 4: -v + 4 >= 0 for v >= 0 (v <= 4), 0.5 v + 4 >= 0 for v < 0 (v >= -8)
    hi, lo, inv = fold.fit_thresholds(-1.0, -0.5, 4.0, B2)
    assert (hi, lo, inv) == (31, 23, 1)  # m in 24..30
    assert boundary_bits(hi, lo, inv, [23, 24, 30, 31]) == [0, 1, 1, 0]


@pytest.mark.parametrize(
    "g,a,b,expect",
    [
        (1.0, 0.0, 0.5, (THR_NEVER_HI, THR_NEVER_LO, 1)),  # a = 0, b >= 0: always 1
        (1.0, 0.0, -2.0, (29, THR_NEVER_LO, 0)),  # a = 0: v >= 2
        (-1.0, 0.0, -0.5, (THR_NEVER_HI, THR_NEVER_LO, 0)),  # always 0
        (-1.0, 0.0, 2.0, (30, THR_NEVER_LO, 1)),  # v <= 2 -> m <= 29
        (0.0, 0.3, 0.0, (THR_NEVER_HI, THR_NEVER_LO, 1)),  # zero scale, b >= 0 (sign(0)=+1)
        (0.0, 0.3, -1e-9, (THR_NEVER_HI, THR_NEVER_LO, 0)),  # zero scale, b < 0
        (1.0, -0.5, 3.0, (THR_NEVER_HI, THR_NEVER_LO, 1)),  # V-shape entirely >= 0
        (-1.0, -0.5, -3.0, (THR_NEVER_HI, THR_NEVER_LO, 0)),  # Lambda-shape entirely < 0
        (1.0, 1.0, -1000.0, (THR_NEVER_HI, THR_NEVER_LO, 0)),  # threshold beyond the range
        (1.0, 1.0, 1000.0, (THR_NEVER_HI, THR_NEVER_LO, 1)),
        (-1.0, -0.5, 0.0, (29, 27, 1)),  # interval shrunk to v = 0 (m = 28)
    ],
)
def test_constant_and_degenerate_cases(g, a, b, expect):
    assert fold.fit_thresholds(g, a, b, B2) == expect


def test_block1_q14_domain_and_sign_zero():
    # block 1: v = m / 2^14; g = 1, a = 1, b = -1.5 -> m >= 24576; at m = 24576 f = 0 -> bit 1
    assert fold.fit_thresholds(1.0, 1.0, -1.5, B1) == (24576, THR_NEVER_LO, 0)
    hi, lo, inv = fold.fit_thresholds(-2.0, -0.25, 1.0, B1)  # interval -2 <= v <= 0.5
    assert (hi, lo, inv) == (8193, -32769, 1)
    assert boundary_bits(hi, lo, inv, [-32769, -32768, 8192, 8193]) == [0, 1, 1, 0]


@pytest.mark.parametrize(
    "seed,shapes_and_shift_sd",
    [(3, ((B2, 0.0), (B5, 0.0))), (4, ((B1, 2.0), (B2, 10.0)))],
    ids=["unshifted", "shifted"],
)
def test_random_parameters_fit_exactly_and_match_analytic(seed, shapes_and_shift_sd):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        g = float(rng.choice([-1, 1]) * rng.uniform(0.01, 5))
        a = float(rng.choice([-1, 0, 1]) * rng.uniform(0, 1))
        b = float(rng.normal(0, 20))
        for shape, shift_sd in shapes_and_shift_sd:
            t = float(rng.normal(0, shift_sd)) if shift_sd else 0.0
            got = fold.fit_thresholds(g, a, b, shape, t=t)
            m, v = fold.reachable_pooled(shape)
            ref = fold.reference_bits(v, g, a, b, t)
            assert np.array_equal(fold.unit_bits(m, *got), ref)
            ana = fold.analytic_thresholds(g, a, b, shape, t)
            assert np.array_equal(fold.unit_bits(m, *ana), ref)


def test_shift_moves_the_thresholds():
    # g = 1, a = -0.5, b = -4 with t = 6: u = v - 6 >= 4 (v >= 10, m >= 33) or u <= -8
    # (v <= -2, m <= 27): the two-sided case of t = 0, moved by t/2 = 3 in m
    assert fold.fit_thresholds(1.0, -0.5, -4.0, B2, t=6.0) == (33, 27, 0)
    # block 1 (Q14): t = 0.25 moves a suffix by 0.25 * 2^14
    plain = fold.fit_thresholds(1.0, 1.0, -1.5, B1)[0]
    assert fold.fit_thresholds(1.0, 1.0, -1.5, B1, t=0.25) == (plain + 4096, THR_NEVER_LO, 0)


def assert_thresholds_reproduce_predicate(model: EcgBnn, params: golden.IntegerParams) -> None:
    """Every folded channel of blocks 1-5 gives the float64 predicate at every reachable ``m``."""
    for blk, shape, thr in zip(model.blocks, SHAPES, params.thresholds, strict=False):
        g, b = fold.bn_affine(blk.bn)
        a, t = fold.prelu_slopes(blk), fold.prelu_shifts(blk)
        m, v = fold.reachable_pooled(shape)
        for c in range(thr.channels):
            bits = fold.unit_bits(m, int(thr.hi[c]), int(thr.lo[c]), int(thr.inv[c]))
            assert np.array_equal(bits, fold.reference_bits(v, g[c], a[c], b[c], t[c]))


def test_fold_model_thresholds_reproduce_float_predicate():
    model = random_model(5, 0)
    params = fold.fold_model(model)
    assert_thresholds_reproduce_predicate(model, params)
    assert params.thresholds[1].lo.max() > THR_NEVER_LO  # a negative slope made two-sided units
    assert params.thresholds[0].inv.any()  # negative gammas inverted some comparisons


def test_score_shift_is_largest_that_fits():
    model = random_model(5, 0)
    shape = SHAPES[-1]
    g, b = fold.bn_affine(model.blocks[-1].bn)
    a = fold.prelu_slopes(model.blocks[-1])
    assert np.all(a == a[0])  # one slope per block, broadcast to the classes
    s = fold.choose_shift(g, a, b, shape.pool_length)
    assert fold.scores_fit(*fold.quantize_scores(g, a, b, s, 27))
    assert not fold.scores_fit(*fold.quantize_scores(g, a, b, s + 1, 27))
    a_q, b_q, c_q = fold.quantize_scores(g, a, b, s, 27)
    assert a_q == [round(float(x) * 2.0**s) for x in g]
    # the bound covers every reachable (S_pos, S_neg): S_pos - S_neg <= 27 * 448
    worst = max(max(abs(x), abs(y)) * 12096 + abs(z) for x, y, z in zip(a_q, b_q, c_q, strict=True))
    assert worst < 2**31 and max(map(abs, a_q + b_q)) < 2**15


def test_score_shift_limits():
    g = np.array([1e-3, -2e-3])
    b = np.array([0.1, -0.2])
    a = np.array([-0.5, -0.5])
    s = fold.choose_shift(g, a, b, 27)
    a_q, b_q, c_q = fold.quantize_scores(g, a, b, s, 27)
    assert max(abs(x) for x in a_q + b_q) < 2**15 and fold.scores_fit(a_q, b_q, c_q)
    with pytest.raises(fold.FoldError):
        fold.choose_shift(np.array([1.0]), np.array([1.0]), np.array([math.inf]), 27)


def test_fold_rejects_float_model():
    with pytest.raises(fold.FoldError, match="binary"):
        fold.fold_model(EcgBnn(5, binary=False))


def float_block_bits(model, x):
    """Per-block outputs of the float model on raw windows ``x``."""
    outs, h = [], zscore(torch.from_numpy(x.astype(np.int64)))
    with torch.no_grad():
        for blk in model.blocks:
            h = blk(h)
            outs.append(h)
    return outs


@pytest.mark.parametrize("num_classes,seed", [(5, 0), (17, 1)])
def test_integer_model_agrees_with_float_model_on_real_ecg(num_classes, seed):
    model = random_model(num_classes, seed)
    params = fold.fold_model(model)
    x = real_windows()
    trace = golden.trace_batch(params, x)
    outs = float_block_bits(model, x)
    for layer, (o, bits) in enumerate(zip(outs[:5], trace.layer_bits(), strict=True)):
        agree = np.mean((o.numpy() >= 0).astype(np.uint8) == bits)
        assert agree >= 0.9999, f"block {layer + 1}: {agree}"
    float_scores = outs[5].sum(2).double().numpy()
    assert np.mean(float_scores.argmax(1) == trace.pred) >= 0.95
    # the integer scores are the float scores times 2^s up to rounding
    err = np.abs(trace.scores / 2.0**params.shift - float_scores).max()
    assert err < 1e-2 * max(1.0, np.abs(float_scores).max())


def channel_model(num_classes: int, seed: int) -> EcgBnn:
    """A random ``activation="channel"`` model: per-channel slopes and shifts before the PReLU."""
    torch.manual_seed(seed)
    return fold.randomize_model(
        EcgBnn(num_classes, activation="channel"), real_windows()[::3], seed=seed
    )


@pytest.mark.parametrize("num_classes,seed", [(5, 2), (17, 3)])
def test_channel_activation_folds_into_the_same_format(num_classes, seed):
    """Per-channel slopes and shifts: the folded thresholds reproduce the float predicate of every
    channel, block 6 gets one B per class, and the golden model agrees with the float model."""
    model = channel_model(num_classes, seed)
    slopes = [fold.prelu_slopes(blk) for blk in model.blocks]
    shifts = [fold.prelu_shifts(blk) for blk in model.blocks[:-1]]
    assert all(len(np.unique(a)) > 1 for a in slopes)  # the channels' slopes differ
    assert all(np.any(t != 0) for t in shifts) and model.blocks[-1].shift is None
    params = fold.fold_model(model)
    assert_thresholds_reproduce_predicate(model, params)
    g6, _ = fold.bn_affine(model.blocks[-1].bn)
    scale = 2.0**params.shift
    expect_b = [round(float(x) * float(y) * scale) for x, y in zip(g6, slopes[-1], strict=True)]
    assert list(params.score_b) == expect_b
    x = real_windows()
    trace = golden.trace_batch(params, x)
    bits = trace.layer_bits()
    # block 1 sees the exact z-score in float (the IP rounds sqrt and the pad: about 1 bit of
    # 10^5 differs); every later block, given the golden model's input bits, agrees exactly
    block1 = float_block_bits(model, x)[0].numpy() >= 0
    assert np.mean(block1 == bits[0]) >= 0.9999
    with torch.no_grad():
        for layer in range(1, 6):
            inp = torch.from_numpy(bits[layer - 1].astype(np.float32) * 2 - 1)
            out = model.blocks[layer](inp)
            if layer < 5:
                assert np.array_equal(out.numpy() >= 0, bits[layer].astype(bool)), layer + 1
            else:  # the integer scores are the float scores times 2^s up to rounding
                scores = out.sum(2).double().numpy()
                err = np.abs(trace.scores / 2.0**params.shift - scores).max()
                assert err < 1e-2 * max(1.0, np.abs(scores).max())


def test_block6_shift_is_rejected():
    model = channel_model(5, 2)
    model.blocks[-1].shift = torch.nn.Parameter(torch.full((5,), 0.5))
    with pytest.raises(fold.FoldError, match="block 6"):
        fold.fold_model(model)


@pytest.mark.parametrize("name", shipped_names())
def test_committed_checkpoint_agrees_with_float_model(name):
    """The shipped weights: integer and float models agree on real windows."""
    from pymodel.export import load_checkpoint_model

    path = Path(__file__).resolve().parent.parent / "weights" / f"{name}.pt"
    model, _ = load_checkpoint_model(path)
    params = fold.fold_model(model)
    x = real_windows()
    trace = golden.trace_batch(params, x)
    outs = float_block_bits(model, x)
    # the float model sees the exact z-score, the IP rounds sqrt, the pad value and the Q14
    # block-1 thresholds: block 1 differs in about 1 bit of 10^5, and a flipped bit spreads
    # through the later blocks (held-out figures: results/golden_agreement.json)
    for layer, (o, bits) in enumerate(zip(outs[:5], trace.layer_bits(), strict=True)):
        agree = np.mean((o.numpy() >= 0).astype(np.uint8) == bits)
        assert agree >= (0.9995 if layer == 0 else 0.995), f"block {layer + 1}: {agree}"
    assert np.mean(outs[5].sum(2).numpy().argmax(1) == trace.pred) >= 0.98
