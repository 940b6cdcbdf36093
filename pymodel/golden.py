"""Bit-exact integer golden model of the ECG BNN accelerator (docs/ARCHITECTURE.md, literally).

Everything here is integer arithmetic on ``numpy.int64`` arrays (or Python ints): no float is
touched at inference. Every step of the datapath is one small function that works on a window or
on a batch of windows (leading batch axes are carried through), so a testbench can compare any
layer on its own.

Public API (stable; the RTL testbenches import it):

- :class:`Thresholds`, :class:`IntegerParams` -- the folded integer parameters (what the ROMs hold).
  They come from ``pymodel.fold.fold_model(model)`` or ``pymodel.export.load_params(mem_dir)``.
- :func:`run_window` ``(params, samples) -> GoldenTrace``: one window, every intermediate, with the
  batch axis removed (``trace.z`` has shape ``(3600,)``, ``trace.acc1`` ``(8, 1802)`` ...).
- :func:`trace_batch` ``(params, windows) -> GoldenTrace``: the same for a batch ``(n, 3600)``.
- :func:`run_batch` ``(params, windows, chunk) -> BatchResult``: predictions, scores and flat flags
  of many windows, in chunks (fast: about 1-2 ms per window on one core).
- The layer functions: :func:`clamp_samples`, :func:`window_sums`, :func:`variance_term`,
  :func:`isqrt`, :func:`isqrt_array`, :func:`gain`, :func:`deviations`, :func:`normalize`,
  :func:`block1_conv`, :func:`maxpool`, :func:`threshold_bits`, :func:`pad_bits`,
  :func:`popcount_conv`, :func:`popcount_conv_reference`, :func:`score_sums`, :func:`scores`,
  :func:`argmax_lowest`.

Shapes follow ``pymodel.model.layer_shapes``: activations are ``(..., channels, length)``; binary
weights of layer ``l`` are a ``uint8`` array ``(C_out, 7, C_in)`` of bits (1 = +1, 0 = -1), i.e.
row bit ``r = k*C_in + ci`` of the ROM is ``w[c, k, ci]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pymodel.network import KERNEL_SIZE, PAD, POOL_SIZE, POOL_STRIDE, WINDOW_SAMPLES, layer_shapes

N = WINDOW_SAMPLES
SAMPLE_W = 12
SAMPLE_MIN = -(1 << (SAMPLE_W - 1))
SAMPLE_MAX = (1 << (SAMPLE_W - 1)) - 1
INPUT_W = 16
Q8_SHIFT = 8
Q8_ONE = 1 << Q8_SHIFT
GAIN_NUM_SHIFT = 32
Z_SHIFT = 24
Z_ROUND = 1 << (Z_SHIFT - 1)
Z_W = 16
ACC1_W = 18
THR_W = 20
THR_NEVER_LO = -(1 << (THR_W - 1))
THR_NEVER_HI = (1 << (THR_W - 1)) - 1
COEF_W = 16
SCORE_W = 32
SUM_W = 16
V_W = 46
R_W = 23
G_W = 27


@dataclass(frozen=True, eq=False)
class Thresholds:
    """Per-channel threshold unit of one block: ``bit = ((m >= hi) | (m <= lo)) ^ inv``.

    ``hi`` and ``lo`` are signed ``THR_W``-bit integers (int64 arrays, shape ``(C,)``); ``inv`` is a
    ``uint8`` array of 0/1. ``hi = THR_NEVER_HI`` / ``lo = THR_NEVER_LO`` never fire.
    """

    hi: np.ndarray
    lo: np.ndarray
    inv: np.ndarray

    def __post_init__(self) -> None:
        """Validate shapes and ranges (signed ``THR_W`` bits, ``inv`` in {0, 1})."""
        hi = np.asarray(self.hi, dtype=np.int64)
        lo = np.asarray(self.lo, dtype=np.int64)
        inv = np.asarray(self.inv, dtype=np.uint8)
        if not (hi.ndim == 1 and hi.shape == lo.shape == inv.shape):
            raise ValueError(f"thresholds: hi/lo/inv shapes {hi.shape} {lo.shape} {inv.shape}")
        for name, arr in (("hi", hi), ("lo", lo)):
            if arr.size and (arr.min() < THR_NEVER_LO or arr.max() > THR_NEVER_HI):
                raise ValueError(f"thresholds: {name} outside the signed {THR_W}-bit range")
        if inv.size and inv.max() > 1:
            raise ValueError("thresholds: inv must be 0 or 1")
        object.__setattr__(self, "hi", hi)
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "inv", inv)

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.hi.shape[0])


@dataclass(frozen=True, eq=False)
class IntegerParams:
    """Everything the hardware stores for one model, as integers.

    ``weights[l]``: ``uint8`` bits ``(C_out, 7, C_in)`` of block ``l + 1`` (six entries).
    ``thresholds[l]``: :class:`Thresholds` of blocks 1-5 (five entries).
    ``score_a``/``score_b``/``score_c``: int64 ``(C,)``, signed 16/16/32-bit score coefficients with
    ``score = A*S_pos + B*S_neg + C``; ``shift`` is the exponent ``s`` they were scaled by.
    """

    num_classes: int
    weights: tuple[np.ndarray, ...]
    thresholds: tuple[Thresholds, ...]
    score_a: np.ndarray
    score_b: np.ndarray
    score_c: np.ndarray
    shift: int
    class_names: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        """Normalize dtypes and check every array against the layer table."""
        shapes = layer_shapes(self.num_classes)
        weights = tuple(np.asarray(w, dtype=np.uint8) for w in self.weights)
        if len(weights) != len(shapes) or len(self.thresholds) != len(shapes) - 1:
            raise ValueError("params: need 6 weight arrays and 5 threshold units")
        for s, w in zip(shapes, weights, strict=True):
            if w.shape != (s.out_channels, KERNEL_SIZE, s.in_channels) or (w.size and w.max() > 1):
                raise ValueError(
                    f"params: block {s.index} weights must be 0/1 bits of shape "
                    f"{(s.out_channels, KERNEL_SIZE, s.in_channels)}, got {w.shape}"
                )
        for s, t in zip(shapes[:-1], self.thresholds, strict=True):
            if t.channels != s.out_channels:
                raise ValueError(f"params: block {s.index} has {t.channels} thresholds")
        coefs = [np.asarray(v, dtype=np.int64) for v in (self.score_a, self.score_b, self.score_c)]
        for name, arr, width in zip("ABC", coefs, (COEF_W, COEF_W, SCORE_W), strict=True):
            if arr.shape != (self.num_classes,) or not fits_signed(arr, width):
                raise ValueError(
                    f"params: score {name} must be {self.num_classes} signed {width}-bit integers"
                )
        if self.class_names and len(self.class_names) != self.num_classes:
            raise ValueError("params: class_names length differs from num_classes")
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "score_a", coefs[0])
        object.__setattr__(self, "score_b", coefs[1])
        object.__setattr__(self, "score_c", coefs[2])
        object.__setattr__(self, "class_names", tuple(self.class_names))

    def equal(self, other: IntegerParams) -> bool:
        """True when both hold exactly the same integers (names are ignored)."""
        if self.num_classes != other.num_classes or self.shift != other.shift:
            return False
        same = all(np.array_equal(a, b) for a, b in zip(self.weights, other.weights, strict=True))
        for t, u in zip(self.thresholds, other.thresholds, strict=True):
            same = same and all(
                np.array_equal(getattr(t, k), getattr(u, k)) for k in ("hi", "lo", "inv")
            )
        return same and all(
            np.array_equal(getattr(self, k), getattr(other, k))
            for k in ("score_a", "score_b", "score_c")
        )


@dataclass
class GoldenTrace:
    """Every intermediate of the datapath for one window (or a batch: leading axis ``n``).

    Front end: ``samples`` (clamped input), ``s1``, ``s2``, ``v``, ``r``, ``g``, ``flat``, ``d``,
    ``z``. Block 1: ``acc1`` (conv), ``m1`` (pooled), ``bits1``. Blocks 2-6: ``p[i]``
    (popcounts of block ``i + 2``), ``m[i]`` (pooled), ``bits[i]`` (output bits of blocks 2-5, so
    ``bits`` has four entries). Block 6: ``y6`` (pooled conv values ``2m - 7*64``), ``s_pos``,
    ``s_neg``, ``scores``, ``pred``.
    """

    samples: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    v: np.ndarray
    r: np.ndarray
    g: np.ndarray
    flat: np.ndarray
    d: np.ndarray
    z: np.ndarray
    acc1: np.ndarray
    m1: np.ndarray
    bits1: np.ndarray
    p: list[np.ndarray]
    m: list[np.ndarray]
    bits: list[np.ndarray]
    y6: np.ndarray
    s_pos: np.ndarray
    s_neg: np.ndarray
    scores: np.ndarray
    pred: np.ndarray

    def layer_bits(self) -> list[np.ndarray]:
        """Output bits of blocks 1-5 in order."""
        return [self.bits1, *self.bits]

    def squeeze(self) -> GoldenTrace:
        """Drop the leading batch axis of a batch of one window."""
        kw = {}
        for name, value in self.__dict__.items():
            kw[name] = [x[0] for x in value] if isinstance(value, list) else value[0]
        return GoldenTrace(**kw)


@dataclass
class BatchResult:
    """Predictions (int64 ``(n,)``), scores (int64 ``(n, C)``) and flat flags of many windows."""

    pred: np.ndarray
    scores: np.ndarray
    flat: np.ndarray


def fits_signed(values: np.ndarray | int, width: int) -> bool:
    """True when every value fits a two's complement integer of ``width`` bits."""
    arr = np.asarray(values, dtype=object if isinstance(values, int) else None)
    if arr.size == 0:
        return True
    return bool(arr.min() >= -(1 << (width - 1)) and arr.max() < (1 << (width - 1)))


# ----------------------------------------------------------------------------- front end


def clamp_samples(samples: np.ndarray | Sequence[int]) -> np.ndarray:
    """Input contract: integer samples saturated to the signed 12-bit range [-2048, 2047].

    The IP takes 16-bit signed samples; values outside [-2048, 2047] saturate (raw 11-bit MIT-BIH
    ADC values 0..2047 pass unchanged). Floats are rejected, so a z-scored array cannot be fed by
    mistake. Returns int64 with the same shape; the last axis must be 3600 samples long.
    """
    arr = np.asarray(samples)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"samples must be integers (raw ADC values), got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != N:
        raise ValueError(f"a window is {N} samples, got shape {arr.shape}")
    return np.clip(arr.astype(np.int64), SAMPLE_MIN, SAMPLE_MAX)


def window_sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Window sums ``S1 = sum x_i`` (signed 24 bits) and ``S2 = sum x_i^2`` (unsigned 34 bits)."""
    return x.sum(axis=-1), (x * x).sum(axis=-1)


def variance_term(s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """``V = N*S2 - S1^2`` (unsigned 46 bits, ``N^2`` times the population variance)."""
    return N * s2 - s1 * s1


def isqrt(v: int) -> int:
    """Exact floor square root of a non-negative Python int (``math.isqrt``)."""
    return math.isqrt(int(v))


def isqrt_array(v: np.ndarray, width: int = V_W) -> np.ndarray:
    """Floor square root of non-negative int64 values below ``2^width``, integer-only.

    The restoring digit-by-digit method (one result bit per step, as a sequential RTL square root
    would do); exact, checked against :func:`isqrt` in the tests.
    """
    v = np.asarray(v, dtype=np.int64)
    if v.size and (v.min() < 0 or v.max() >= (1 << width)):
        raise ValueError(f"isqrt_array: values must lie in [0, 2^{width})")
    rem = v.copy()
    root = np.zeros_like(v)
    bit = np.int64(1) << np.int64(width - 1 - (width - 1) % 2)
    while bit > 0:
        trial = root + bit
        take = rem >= trial
        rem = np.where(take, rem - trial, rem)
        root = np.where(take, (root >> 1) + bit, root >> 1)
        bit >>= 2
    return root


def gain(r: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """``G = floor(2^32 / r)`` (unsigned 27 bits), 0 for a flat window (no division by zero)."""
    safe = np.where(flat, 1, r)
    return np.where(flat, 0, (np.int64(1) << GAIN_NUM_SHIFT) // safe)


def deviations(x: np.ndarray, s1: np.ndarray) -> np.ndarray:
    """``d_i = N*x_i - S1`` (signed 25 bits)."""
    return N * x - s1[..., None]


def normalize(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``z_i = (d_i * G + 2^23) >>> 24``: round half up to signed Q8 (fits 16 bits).

    Rounding, not a plain floor: the floor's -0.5 LSB bias shifts every block-1 sum by up to
    3.5 LSB and costs about 1 % of prediction agreement with the float model (measured).
    ``|d_i * G| < 2^51``, so int64 is exact; ``>>`` on numpy int64 is an arithmetic shift (floor).
    """
    return (d * g[..., None] + Z_ROUND) >> Z_SHIFT


# ----------------------------------------------------------------------------- blocks


def pad_q8(z: np.ndarray) -> np.ndarray:
    """Pad the last axis with ``PAD`` values of 1.0 in Q8 (256) on both sides."""
    widths = [(0, 0)] * (z.ndim - 1) + [(PAD, PAD)]
    return np.pad(z, widths, constant_values=Q8_ONE)


def block1_conv(z: np.ndarray, w1: np.ndarray, stride: int = 2) -> np.ndarray:
    """Block 1 conv: ``acc1[c][t] = sum_k (w1[c][k] ? +zp : -zp)``, ``zp`` = padded Q8 input.

    ``z``: ``(..., 3600)`` Q8; ``w1``: bits ``(8, 7, 1)``. Returns signed 18-bit ``(..., 8, 1802)``.
    Conv output ``t`` reads padded positions ``stride*t + k``.
    """
    zp = pad_q8(z)
    length = (zp.shape[-1] - KERNEL_SIZE) // stride + 1
    sign = 2 * w1[:, :, 0].astype(np.int64) - 1
    acc = np.zeros((*z.shape[:-1], w1.shape[0], length), dtype=np.int64)
    for k in range(KERNEL_SIZE):
        tap = zp[..., k : k + stride * (length - 1) + 1 : stride]
        acc += sign[:, k, None] * tap[..., None, :]
    return acc


def maxpool(x: np.ndarray) -> np.ndarray:
    """Max pool (7, stride 2) over the last axis: ``out[j] = max x[2j .. 2j+6]``."""
    windows = np.lib.stride_tricks.sliding_window_view(x, POOL_SIZE, axis=-1)
    return windows[..., ::POOL_STRIDE, :].max(axis=-1)


def threshold_bits(m: np.ndarray, thr: Thresholds) -> np.ndarray:
    """Threshold unit ``bit = ((m >= hi[c]) | (m <= lo[c])) ^ inv[c]`` on ``m`` ``(..., C, L)``."""
    hi, lo, inv = thr.hi[:, None], thr.lo[:, None], thr.inv[:, None]
    return (((m >= hi) | (m <= lo)) ^ (inv == 1)).astype(np.uint8)


def pad_bits(a: np.ndarray) -> np.ndarray:
    """Pad the last axis of a bit array with ``PAD`` ones (+1) on both sides."""
    widths = [(0, 0)] * (a.ndim - 1) + [(PAD, PAD)]
    return np.pad(a, widths, constant_values=1)


def conv_windows(a: np.ndarray) -> np.ndarray:
    """Padded input windows ``(..., T, 7*C_in)`` in row order ``r = k*C_in + ci`` (uint8 bits)."""
    ap = np.swapaxes(pad_bits(a), -1, -2)  # (..., L + 10, C_in)
    win = np.lib.stride_tricks.sliding_window_view(ap, KERNEL_SIZE, axis=-2)  # (..., T, C_in, 7)
    win = np.swapaxes(win, -1, -2)  # (..., T, 7, C_in)
    return win.reshape(*win.shape[:-2], -1)


def pack_rows_u64(rows: np.ndarray) -> np.ndarray:
    """Pack 0/1 rows ``(..., R)`` into little-endian uint64 words ``(..., ceil(R/64))`` (pad 0)."""
    packed = np.packbits(rows, axis=-1, bitorder="little")
    extra = (-packed.shape[-1]) % 8
    if extra:
        widths = [(0, 0)] * (packed.ndim - 1) + [(0, extra)]
        packed = np.pad(packed, widths)
    return np.ascontiguousarray(packed).view(np.uint64)


def popcount_conv(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Blocks 2-6 conv: ``P[c][t] = popcount_{k,ci} XNOR(w[c][k][ci], a[ci][t-5+k])``.

    ``a``: bits ``(..., C_in, L)``; ``w``: bits ``(C_out, 7, C_in)``. Returns ``(..., C_out, L+4)``
    in ``0 .. 7*C_in``. Computed as ``7*C_in - popcount(w XOR a)`` on 64-bit packed rows.
    """
    rows = w.shape[1] * w.shape[2]
    xa = pack_rows_u64(conv_windows(a))  # (..., T, W)
    xw = pack_rows_u64(w.reshape(w.shape[0], rows))  # (C_out, W)
    diff = np.bitwise_count(xa[..., None, :] ^ xw).sum(axis=-1, dtype=np.int64)  # (..., T, C_out)
    return np.swapaxes(rows - diff, -1, -2)


def popcount_conv_reference(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Straightforward reference of :func:`popcount_conv` for one window ``a`` ``(C_in, L)``."""
    ap = pad_bits(a)
    c_out, k_size, _ = w.shape
    length = ap.shape[1] - k_size + 1
    out = np.zeros((c_out, length), dtype=np.int64)
    for c in range(c_out):
        for t in range(length):
            out[c, t] = int(np.sum(w[c] == ap[:, t : t + k_size].T))
    return out


def pooled_values(m: np.ndarray, in_channels: int) -> np.ndarray:
    """Real conv value of a pooled popcount: ``y = 2m - 7*C_in``."""
    return 2 * m - KERNEL_SIZE * in_channels


def score_sums(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``S_pos = sum_j max(y, 0)`` and ``S_neg = sum_j min(y, 0)`` over the last axis (16 bits)."""
    return np.where(y >= 0, y, 0).sum(axis=-1), np.where(y < 0, y, 0).sum(axis=-1)


def scores(params: IntegerParams, s_pos: np.ndarray, s_neg: np.ndarray) -> np.ndarray:
    """``score[c] = A[c]*S_pos[c] + B[c]*S_neg[c] + C[c]`` (signed 32 bits by construction)."""
    return params.score_a * s_pos + params.score_b * s_neg + params.score_c


def argmax_lowest(values: np.ndarray) -> np.ndarray:
    """Index of the maximum over the last axis; ties go to the lowest index."""
    return np.argmax(values, axis=-1)


# ----------------------------------------------------------------------------- whole model


def front_end(samples: np.ndarray) -> dict[str, np.ndarray]:
    """Run the window normalization; returns samples, s1, s2, v, r, g, flat, d, z."""
    x = clamp_samples(samples)
    s1, s2 = window_sums(x)
    v = variance_term(s1, s2)
    flat = v == 0
    r = isqrt_array(v)
    g = gain(r, flat)
    d = deviations(x, s1)
    z = normalize(d, g)
    return {"samples": x, "s1": s1, "s2": s2, "v": v, "r": r, "g": g, "flat": flat, "d": d, "z": z}


def trace_batch(params: IntegerParams, windows: np.ndarray) -> GoldenTrace:
    """Run the whole integer model on ``windows`` ``(n, 3600)``; every intermediate is kept."""
    shapes = layer_shapes(params.num_classes)
    fe = front_end(windows)
    acc1 = block1_conv(fe["z"], params.weights[0], shapes[0].stride)
    m1 = maxpool(acc1)
    bits1 = threshold_bits(m1, params.thresholds[0])
    a = bits1
    ps, ms, bits = [], [], []
    for i, s in enumerate(shapes[1:], start=1):
        p = popcount_conv(a, params.weights[i])
        m = maxpool(p)
        ps.append(p)
        ms.append(m)
        if i < len(shapes) - 1:
            a = threshold_bits(m, params.thresholds[i])
            bits.append(a)
        else:
            y6 = pooled_values(m, s.in_channels)
    s_pos, s_neg = score_sums(y6)
    sc = scores(params, s_pos, s_neg)
    return GoldenTrace(
        **fe,
        acc1=acc1,
        m1=m1,
        bits1=bits1,
        p=ps,
        m=ms,
        bits=bits,
        y6=y6,
        s_pos=s_pos,
        s_neg=s_neg,
        scores=sc,
        pred=argmax_lowest(sc),
    )


def run_window(params: IntegerParams, samples: np.ndarray | Sequence[int]) -> GoldenTrace:
    """Run one window of 3600 raw samples; every intermediate, without a batch axis."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"run_window takes one window of shape ({N},), got {x.shape}")
    return trace_batch(params, x[None, :]).squeeze()


def run_batch(params: IntegerParams, windows: np.ndarray, chunk: int = 128) -> BatchResult:
    """Predictions, scores and flat flags of ``windows`` ``(n, 3600)``, ``chunk`` at a time."""
    windows = np.asarray(windows)
    if windows.ndim != 2:
        raise ValueError(f"run_batch takes windows of shape (n, {N}), got {windows.shape}")
    preds, scs, flats = [], [], []
    for start in range(0, len(windows), chunk):
        t = trace_batch(params, windows[start : start + chunk])
        preds.append(t.pred)
        scs.append(t.scores)
        flats.append(t.flat)
    if not preds:
        return BatchResult(
            np.zeros(0, np.int64), np.zeros((0, params.num_classes), np.int64), np.zeros(0, bool)
        )
    return BatchResult(np.concatenate(preds), np.concatenate(scs), np.concatenate(flats))
