"""TEMPORARY stand-in for the golden model's new front end (docs/input_contract.md) until the
rewritten pymodel/golden.py lands on main; the tests use golden's names when they exist."""

from __future__ import annotations

import math

import numpy as np

from pymodel import golden

N = 3600


def block1_thresholds(thr, w1, s1, r):
    ws = 2 * np.asarray(w1)[:, :, 0].astype(np.int64).sum(axis=1) - 7
    d = 256 * N
    hi_out, lo_out = [], []
    for c in range(len(ws)):
        h, lo = int(thr.hi[c]), int(thr.lo[c])
        nh = h * int(r) + 256 * int(s1) * int(ws[c])
        nl = lo * int(r) + 256 * int(s1) * int(ws[c])
        qh, ql = -((-nh) // d), nl // d
        clamp = lambda q: max(golden.THR_NEVER_LO, min(golden.THR_NEVER_HI, q))  # noqa: E731
        hi_out.append(h if h == golden.THR_NEVER_HI else clamp(qh))
        lo_out.append(lo if lo == golden.THR_NEVER_LO else clamp(ql))
    return np.array(hi_out), np.array(lo_out)


def front_end(samples, low_rms=4, clip_max=36):
    x = np.asarray(samples).astype(np.int64)
    s1, s2 = int(x.sum()), int((x * x).sum())
    k = int(((x == -32768) | (x == 32767)).sum())
    v = N * s2 - s1 * s1
    r = math.isqrt(v)
    pad = (s1 + r) // N
    return {"samples": x, "s1": s1, "s2": s2, "k": k, "v": v, "r": r, "pad": pad,
            "flat": v == 0, "low": r < N * low_rms, "clip": k > clip_max}


def run_window(params, samples):
    from types import SimpleNamespace

    fe = front_end(samples)
    xp = np.pad(fe["samples"], 5, constant_values=fe["pad"])
    w = params.weights[0]
    sign = 2 * w[:, :, 0].astype(np.int64) - 1
    length = (len(xp) - 7) // 2 + 1
    acc1 = np.zeros((8, length), np.int64)
    for k in range(7):
        acc1 += sign[:, k, None] * xp[k : k + 2 * (length - 1) + 1 : 2][None, :]
    m1 = golden.maxpool(acc1)
    hi, lo = block1_thresholds(params.thresholds[0], w, fe["s1"], fe["r"])
    thr1 = golden.Thresholds(hi, lo, params.thresholds[0].inv)
    bits1 = golden.threshold_bits(m1, thr1)
    a = bits1
    bits = []
    from pymodel.model import layer_shapes

    shapes = layer_shapes(params.num_classes)
    for i, s in enumerate(shapes[1:], start=1):
        p = golden.popcount_conv(a, params.weights[i])
        m = golden.maxpool(p)
        if i < len(shapes) - 1:
            a = golden.threshold_bits(m, params.thresholds[i])
            bits.append(a)
        else:
            y6 = golden.pooled_values(m, s.in_channels)
    s_pos, s_neg = golden.score_sums(y6)
    sc = golden.scores(params, s_pos[None], s_neg[None])[0]
    t = SimpleNamespace(**fe, thr1_hi=hi, thr1_lo=lo, acc1=acc1, m1=m1, bits1=bits1, bits=bits,
                        scores=sc, pred=int(golden.argmax_lowest(sc[None])[0]))
    t.layer_bits = lambda: [bits1, *bits]
    return t


def block1_conv(x, w1, pad, stride=2):
    xp = np.pad(np.asarray(x, np.int64), 5, constant_values=int(pad))
    sign = 2 * w1[:, :, 0].astype(np.int64) - 1
    length = (len(xp) - 7) // stride + 1
    acc = np.zeros((w1.shape[0], length), np.int64)
    for k in range(7):
        acc += sign[:, k, None] * xp[k : k + stride * (length - 1) + 1 : stride][None, :]
    return acc
