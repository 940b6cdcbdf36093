"""Bit-exact integer golden model of the ECG BNN accelerator (docs/ARCHITECTURE.md, literally).

Everything here is integer arithmetic on ``numpy.int64`` arrays (or Python ints): no float is
touched at inference. Every step of the datapath is one small function that works on a window or
on a batch of windows (leading batch axes are carried through), so a testbench can compare any
layer on its own.

Public API (stable; the RTL testbenches import it):

- :class:`Thresholds`, :class:`IntegerParams` -- the folded integer parameters (what the ROMs hold).
  They come from ``pymodel.fold.fold_model(model)`` or ``pymodel.export.load_params(mem_dir)``.
- :func:`run_window` ``(params, samples) -> GoldenTrace``: one window, every intermediate, with the
  batch axis removed (``trace.samples`` has shape ``(3600,)``, ``trace.acc1`` ``(8, 1802)`` ...).
- :func:`trace_batch` ``(params, windows) -> GoldenTrace``: the same for a batch ``(n, 3600)``.
- :func:`run_batch` ``(params, windows, chunk) -> BatchResult``: predictions, scores and quality
  flags of many windows, in chunks (fast: about 1-2 ms per window on one core).
- The front end (docs/input_contract.md): :func:`check_samples`, :func:`window_sums`,
  :func:`rail_count`, :func:`variance_term`, :func:`isqrt`, :func:`isqrt_array`,
  :func:`pad_value`, :func:`quality_flags`, :func:`flag_bits`, :func:`front_end`.
- The blocks: :func:`block1_conv`, :func:`weight_sign_sums`, :func:`block1_thresholds`,
  :func:`maxpool`, :func:`threshold_bits`, :func:`compare_bits`, :func:`pad_bits`,
  :func:`popcount_conv`, :func:`popcount_conv_reference`, :func:`score_sums`, :func:`scores`,
  :func:`argmax_lowest`.

The input is any signed 16-bit sample stream: the window's z-score normalization is folded into
block 1's per-window thresholds, so neither the gain nor the DC offset of the converter matters.

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
INPUT_W = 16
RAIL_LO = -(1 << (INPUT_W - 1))
RAIL_HI = (1 << (INPUT_W - 1)) - 1
S1_W = 28
S2_W = 42
CLIP_COUNT_W = 12
V_W = 54
R_W = 27
PAD_W = 17
THR1_FRAC = 14
THR1_SCALE = 1 << THR1_FRAC
THR1_RANGE_W = 23
THR1_DEN = THR1_SCALE * N
ACC1_W = 20
THR_W = 24
THR_NEVER_LO = -(1 << (THR_W - 1))
THR_NEVER_HI = (1 << (THR_W - 1)) - 1
COEF_W = 16
SCORE_W = 32
SUM_W = 16
LOW_RMS = 4
CLIP_MAX = 36
FLAG_FLAT, FLAG_LOW, FLAG_CLIPPED = 1, 2, 4


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

    Front end: ``samples``, ``s1``, ``s2``, ``k`` (rail count), ``v``, ``r``, ``pad`` and the flags
    ``flat``, ``low``, ``clip``. Block 1: ``thr1_hi``/``thr1_lo`` (per-window thresholds),
    ``acc1`` (conv), ``m1`` (pooled), ``bits1``. Blocks 2-6: ``p[i]`` (popcounts of block
    ``i + 2``), ``m[i]`` (pooled), ``bits[i]`` (output bits of blocks 2-5, so ``bits`` has four
    entries). Block 6: ``y6`` (pooled conv values ``2m - 7*64``), ``s_pos``, ``s_neg``,
    ``scores``, ``pred``.
    """

    samples: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    k: np.ndarray
    v: np.ndarray
    r: np.ndarray
    pad: np.ndarray
    flat: np.ndarray
    low: np.ndarray
    clip: np.ndarray
    thr1_hi: np.ndarray
    thr1_lo: np.ndarray
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
    """Predictions (int64 ``(n,)``), scores (int64 ``(n, C)``) and the quality flags of windows."""

    pred: np.ndarray
    scores: np.ndarray
    flat: np.ndarray
    low: np.ndarray
    clip: np.ndarray

    @property
    def flagged(self) -> np.ndarray:
        """Windows whose class must be ignored (any flag set)."""
        return self.flat | self.low | self.clip


def fits_signed(values: np.ndarray | int, width: int) -> bool:
    """True when every value fits a two's complement integer of ``width`` bits."""
    arr = np.asarray(values, dtype=object if isinstance(values, int) else None)
    if arr.size == 0:
        return True
    return bool(arr.min() >= -(1 << (width - 1)) and arr.max() < (1 << (width - 1)))


# ----------------------------------------------------------------------------- front end


def check_samples(samples: np.ndarray | Sequence[int]) -> np.ndarray:
    """Input contract: windows of signed 16-bit integer samples, any gain and DC offset.

    Nothing saturates: every int16 value is used as it is (docs/input_contract.md). Floats are
    rejected (a z-scored array cannot be fed by mistake) and so are values outside int16, which
    the IP's 16-bit port cannot carry. Returns int64 with the same shape; the last axis must be
    3600 samples long.
    """
    arr = np.asarray(samples)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"samples must be integers (ADC codes), got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != N:
        raise ValueError(f"a window is {N} samples, got shape {arr.shape}")
    x = arr.astype(np.int64)
    if x.size and (x.min() < RAIL_LO or x.max() > RAIL_HI):
        raise ValueError(f"samples must be signed {INPUT_W}-bit integers in [{RAIL_LO}, {RAIL_HI}]")
    return x


def window_sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Window sums ``S1 = sum x_i`` (signed 28 bits) and ``S2 = sum x_i^2`` (unsigned 42 bits)."""
    return x.sum(axis=-1), (x * x).sum(axis=-1)


def rail_count(x: np.ndarray) -> np.ndarray:
    """``K``: samples at the int16 rails (-32768 or 32767) per window (unsigned 12 bits)."""
    return ((x == RAIL_LO) | (x == RAIL_HI)).sum(axis=-1)


def variance_term(s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """``V = N*S2 - S1^2`` (unsigned 54 bits, ``N^2`` times the population variance)."""
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


def pad_value(s1: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``P = floor((S1 + r) / N)``: mean plus one standard deviation (z = 1), signed 17 bits.

    Block 1's float twin pads the z-scored input with 1.0; in raw units that is ``mean + std``.
    """
    return (s1 + r) // N


def quality_flags(
    v: np.ndarray, r: np.ndarray, k: np.ndarray, low_rms: int = LOW_RMS, clip_max: int = CLIP_MAX
) -> dict[str, np.ndarray]:
    """Signal-quality flags of a window: flat (``V == 0``), low (RMS < ``low_rms`` counts, i.e.
    ``r < N*low_rms``) and clipped (more than ``clip_max`` samples at the rails)."""
    return {"flat": v == 0, "low": r < N * low_rms, "clip": k > clip_max}


def flag_bits(flat: np.ndarray, low: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """The result word's flag field ``{clipped, low, flat}`` (bits 10, 9, 8 of the header)."""
    flat, low, clip = (np.asarray(f, dtype=np.int64) for f in (flat, low, clip))
    return flat * FLAG_FLAT + low * FLAG_LOW + clip * FLAG_CLIPPED


# ----------------------------------------------------------------------------- blocks


def pad_samples(x: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """Pad the last axis with ``PAD`` copies of each window's pad value on both sides."""
    edge = np.repeat(np.asarray(pad, dtype=np.int64)[..., None], PAD, axis=-1)
    return np.concatenate([edge, x, edge], axis=-1)


def block1_conv(x: np.ndarray, w1: np.ndarray, pad: np.ndarray, stride: int = 2) -> np.ndarray:
    """Block 1 conv on raw samples: ``acc1[c][t] = sum_k (w1[c][k] ? +xp : -xp)[2t + k]``.

    ``x``: ``(..., 3600)`` int16 samples; ``pad``: ``(...)`` pad values; ``w1``: bits ``(8, 7, 1)``.
    Returns signed 20-bit ``(..., 8, 1802)``.
    """
    xp = pad_samples(x, pad)
    length = (xp.shape[-1] - KERNEL_SIZE) // stride + 1
    sign = 2 * w1[:, :, 0].astype(np.int64) - 1
    acc = np.zeros((*x.shape[:-1], w1.shape[0], length), dtype=np.int64)
    for k in range(KERNEL_SIZE):
        tap = xp[..., k : k + stride * (length - 1) + 1 : stride]
        acc += sign[:, k, None] * tap[..., None, :]
    return acc


def weight_sign_sums(w1: np.ndarray) -> np.ndarray:
    """``ws_c = sum_k s_{c,k} = 2*popcount(w1[c]) - 7`` of block 1's channels, int64 ``(C,)``."""
    return 2 * w1.reshape(w1.shape[0], -1).astype(np.int64).sum(axis=1) - KERNEL_SIZE


def block1_thresholds(
    thr: Thresholds, w1: np.ndarray, s1: np.ndarray, r: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-window block-1 thresholds in raw units from the Q14 z-unit ones (docs/input_contract.md).

    ``hi' = ceil((hi*r + F*S1*ws) / (F*N))``, ``lo' = floor((lo*r + F*S1*ws) / (F*N))`` with
    ``F = 2^14`` (numerators signed 52 bits),
    clamped to signed ``THR_W`` bits; the never-values pass through. Shapes ``(..., C)``.
    """
    ws = weight_sign_sums(w1)
    r = np.asarray(r, dtype=np.int64)[..., None]
    base = THR1_SCALE * np.asarray(s1, dtype=np.int64)[..., None] * ws
    hi = -((-(thr.hi * r + base)) // THR1_DEN)
    lo = (thr.lo * r + base) // THR1_DEN
    hi = np.where(thr.hi == THR_NEVER_HI, THR_NEVER_HI, np.clip(hi, THR_NEVER_LO, THR_NEVER_HI))
    lo = np.where(thr.lo == THR_NEVER_LO, THR_NEVER_LO, np.clip(lo, THR_NEVER_LO, THR_NEVER_HI))
    return hi, lo


def maxpool(x: np.ndarray) -> np.ndarray:
    """Max pool (7, stride 2) over the last axis: ``out[j] = max x[2j .. 2j+6]``."""
    windows = np.lib.stride_tricks.sliding_window_view(x, POOL_SIZE, axis=-1)
    return windows[..., ::POOL_STRIDE, :].max(axis=-1)


def threshold_bits(m: np.ndarray, thr: Thresholds) -> np.ndarray:
    """Threshold unit ``bit = ((m >= hi[c]) | (m <= lo[c])) ^ inv[c]`` on ``m`` ``(..., C, L)``."""
    return compare_bits(m, thr.hi, thr.lo, thr.inv)


def compare_bits(m: np.ndarray, hi: np.ndarray, lo: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """``((m >= hi) | (m <= lo)) ^ inv`` with per-channel ``hi``/``lo`` of shape ``(C,)`` or
    ``(..., C)`` (block 1's per-window thresholds) against ``m`` ``(..., C, L)``."""
    hi, lo, inv = (np.asarray(a)[..., None] for a in (hi, lo, inv))
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


def front_end(
    samples: np.ndarray, low_rms: int = LOW_RMS, clip_max: int = CLIP_MAX
) -> dict[str, np.ndarray]:
    """The per-window constants: samples, s1, s2, k, v, r, pad and the flags flat, low, clip."""
    x = check_samples(samples)
    s1, s2 = window_sums(x)
    k = rail_count(x)
    v = variance_term(s1, s2)
    r = isqrt_array(v)
    flags = quality_flags(v, r, k, low_rms, clip_max)
    return {
        "samples": x,
        "s1": s1,
        "s2": s2,
        "k": k,
        "v": v,
        "r": r,
        "pad": pad_value(s1, r),
    } | flags


def trace_batch(
    params: IntegerParams, windows: np.ndarray, low_rms: int = LOW_RMS, clip_max: int = CLIP_MAX
) -> GoldenTrace:
    """Run the whole integer model on ``windows`` ``(n, 3600)``; every intermediate is kept."""
    shapes = layer_shapes(params.num_classes)
    fe = front_end(windows, low_rms, clip_max)
    acc1 = block1_conv(fe["samples"], params.weights[0], fe["pad"], shapes[0].stride)
    m1 = maxpool(acc1)
    thr1_hi, thr1_lo = block1_thresholds(params.thresholds[0], params.weights[0], fe["s1"], fe["r"])
    bits1 = compare_bits(m1, thr1_hi, thr1_lo, params.thresholds[0].inv)
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
        thr1_hi=thr1_hi,
        thr1_lo=thr1_lo,
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


def run_window(
    params: IntegerParams,
    samples: np.ndarray | Sequence[int],
    low_rms: int = LOW_RMS,
    clip_max: int = CLIP_MAX,
) -> GoldenTrace:
    """Run one window of 3600 samples; every intermediate, without a batch axis."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"run_window takes one window of shape ({N},), got {x.shape}")
    return trace_batch(params, x[None, :], low_rms, clip_max).squeeze()


def run_batch(
    params: IntegerParams,
    windows: np.ndarray,
    chunk: int = 128,
    low_rms: int = LOW_RMS,
    clip_max: int = CLIP_MAX,
) -> BatchResult:
    """Predictions, scores and quality flags of ``windows`` ``(n, 3600)``, ``chunk`` at a time."""
    windows = np.asarray(windows)
    if windows.ndim != 2:
        raise ValueError(f"run_batch takes windows of shape (n, {N}), got {windows.shape}")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("pred", "scores", "flat", "low", "clip")}
    for start in range(0, len(windows), chunk):
        t = trace_batch(params, windows[start : start + chunk], low_rms, clip_max)
        for key, values in parts.items():
            values.append(getattr(t, key))
    if not parts["pred"]:
        empty = np.zeros(0, bool)
        return BatchResult(
            np.zeros(0, np.int64), np.zeros((0, params.num_classes), np.int64), empty, empty, empty
        )
    return BatchResult(**{key: np.concatenate(values) for key, values in parts.items()})
