"""Fold a trained :class:`~pymodel.model.EcgBnn` into the integer parameters of the accelerator.

Public API: :func:`fold_model` ``(model, class_names=(), name="") -> IntegerParams``, plus the
per-layer pieces :func:`bn_affine`, :func:`prelu_slopes`, :func:`prelu_shifts`,
:func:`reachable_pooled`, :func:`reference_bits`, :func:`analytic_thresholds`,
:func:`fit_thresholds`, :func:`fold_thresholds`, :func:`score_coefficients`, :func:`choose_shift`,
:func:`weight_bits`.

Threshold folding (blocks 1-5)
------------------------------
A block ends ``maxpool -> PReLU(a) -> BatchNorm``. In eval mode BatchNorm is the affine map
``g*u + b`` with ``g = gamma / sqrt(var + eps)`` and ``b = beta - mean*g`` (float64 from the
float32 parameters). The next block binarizes with ``sign(0) = +1``, so the output bit of a
pooled value ``v`` is::

    bit(v) = [ f(v) >= 0 ],   f(v) = g*PReLU_a(v) + b,   PReLU_a(v) = v if v >= 0 else a*v

(With ``activation="channel"`` every channel has its own slope ``a`` and, in blocks 1-5, a shift
``t`` before the PReLU: ``f(v) = g*PReLU_a(v - t) + b``. The cases below hold for ``u = v - t``,
and a threshold ``T`` on ``u`` is ``T + t`` on ``v``: the same encodings, moved.)

``v`` is an affine image of the pooled integer ``m`` the thresholds are written in: block 1
``v = m/2^14`` (Q14 z-units; the IP rescales them to raw units per window), blocks 2-5
``v = 2m - 7*C_in`` (popcount ``m``). ``f`` is piecewise linear with a kink at ``v = 0`` where
``f(0) = b``; its slope is ``g`` for ``v > 0`` and ``g*a`` for ``v < 0``. Hence:

- ``g > 0, a > 0``: ``f`` increasing; ``bit = v >= T`` with the zero crossing ``T = -b/g`` when
  ``b <= 0`` (``T >= 0``), else ``T = -b/(g*a) < 0``.
- ``g < 0, a > 0``: decreasing; ``bit = v <= T``, ``T = -b/g`` when ``b >= 0``, else ``-b/(g*a)``.
- ``g > 0, a < 0``: V-shaped, minimum ``b`` at 0; all ones if ``b >= 0``, else the two-sided
  ``v >= T1 or v <= T2`` with ``T1 = -b/g > 0``, ``T2 = -b/(g*a) < 0``.
- ``g < 0, a < 0``: Lambda-shaped, maximum ``b`` at 0; all zeros if ``b < 0``, else the interval
  ``T2 <= v <= T1``.
- ``a = 0``: flat for ``v < 0`` at ``b``: ``g > 0`` gives ones if ``b >= 0`` else ``v >= -b/g``;
  ``g < 0`` gives zeros if ``b < 0`` else ``v <= -b/g``.
- ``g = 0``: the constant ``b >= 0``.

Every case is a set of ``m`` that is either a prefix-plus-suffix (``inv = 0``) or an interval
(``inv = 1``) of the reachable range, which the unit ``bit = ((m >= hi) | (m <= lo)) ^ inv``
encodes (:func:`encode_predicate`). Canonical encodings: suffix ``m >= h`` -> ``(hi=h, lo=NEVER_LO,
inv=0)``; prefix ``m <= l`` -> ``(hi=l+1, lo=NEVER_LO, inv=1)``; interval ``f..l`` -> ``(hi=l+1,
lo=f-1, inv=1)``; prefix ``<= l`` plus suffix ``>= h`` -> ``(hi=h, lo=l, inv=0)``; constant 0 ->
``(NEVER_HI, NEVER_LO, 0)``; constant 1 -> ``(NEVER_HI, NEVER_LO, 1)``.

The exporter does not trust the algebra alone: it evaluates ``f(v) >= 0`` in float64 at *every*
reachable ``m`` (popcounts ``0..7*C_in``; for block 1 every value of the signed 18-bit
accumulator), fits the encoding to that enumeration, checks the fit reproduces it exactly, and
checks the analytic thresholds agree except at float64 ties (``|f(v)|`` within rounding of 0);
anything else raises :class:`FoldError`.

Scores (block 6)
----------------
The float score is ``sum_j g*PReLU_a(y_j) + b = g*S_pos + g*a*S_neg + 27*b`` per class. The
hardware uses ``A = round(g*2^s)``, ``B = round(g*a*2^s)``, ``C = round(27*b*2^s)`` (round half to
even of the exact float64 product) with one shift ``s`` per model: the largest ``s`` such that
``A``, ``B`` fit signed 16 bits and ``max(|A|,|B|)*12096 + |C| < 2^31`` (``S_pos - S_neg =
sum_j |y_j| <= 27*448 = 12096``), which bounds every reachable score to signed 32 bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from pymodel.golden import (
    COEF_W,
    SCORE_W,
    THR1_RANGE_W,
    THR1_SCALE,
    THR_NEVER_HI,
    THR_NEVER_LO,
    IntegerParams,
    Thresholds,
)
from pymodel.network import KERNEL_SIZE, LayerShape, layer_shapes

if TYPE_CHECKING:  # torch is imported at run time only by randomize_model
    import torch

    from pymodel.model import EcgBnn

SCORE_SUM_MAX = 27 * KERNEL_SIZE * 64  # sum_j |y_j| over block 6's 27 pooled positions
SHIFT_RANGE = range(62, -33, -1)
TIE_RTOL = 1e-9


class FoldError(ValueError):
    """A BatchNorm/PReLU combination that the threshold unit or the score format cannot hold."""


def bn_affine(bn: torch.nn.BatchNorm1d) -> tuple[np.ndarray, np.ndarray]:
    """Eval-mode BatchNorm as ``g*u + b``: ``g = gamma/sqrt(var+eps)``, ``b = beta - mean*g``."""
    var = bn.running_var.detach().double().numpy()
    mean = bn.running_mean.detach().double().numpy()
    gamma = bn.weight.detach().double().numpy() if bn.affine else np.ones_like(var)
    beta = bn.bias.detach().double().numpy() if bn.affine else np.zeros_like(var)
    g = gamma / np.sqrt(var + float(bn.eps))
    return g, beta - mean * g


def prelu_slopes(block: torch.nn.Module) -> np.ndarray:
    """The PReLU slope of each output channel of a block (one per block broadcast, or one each)."""
    w = block.prelu.weight.detach().double().numpy().reshape(-1)
    channels = block.bn.num_features
    if w.size not in (1, channels):
        raise FoldError(f"expected 1 or {channels} PReLU slopes, got {w.size}")
    return np.broadcast_to(w, (channels,)).copy()


def prelu_shifts(block: torch.nn.Module) -> np.ndarray:
    """The per-channel shift before a block's PReLU (zeros when it has none)."""
    shift = getattr(block, "shift", None)
    if shift is None:
        return np.zeros(block.bn.num_features)
    return shift.detach().double().numpy().reshape(-1).copy()


def reachable_pooled(shape: LayerShape) -> tuple[np.ndarray, np.ndarray]:
    """Every pooled integer ``m`` of a block and its real value ``v`` (float64).

    Block 1: the signed ``THR1_RANGE_W``-bit range of Q14 z-units, ``v = m/2^14`` (every value
    block 1's conv can reach: ``|v| <= sqrt(7*3600) + 5 < 256``). Blocks 2-6: popcounts
    ``0..7*C_in``, ``v = 2m - 7*C_in``.
    """
    if shape.index == 1:
        m = np.arange(-(1 << (THR1_RANGE_W - 1)), 1 << (THR1_RANGE_W - 1), dtype=np.int64)
        return m, m / THR1_SCALE
    top = KERNEL_SIZE * shape.in_channels
    m = np.arange(0, top + 1, dtype=np.int64)
    return m, (2 * m - top).astype(np.float64)


def prelu(v: np.ndarray, a: float) -> np.ndarray:
    """PReLU with slope ``a`` in float64."""
    return np.where(v >= 0, v, a * v)


def reference_bits(v: np.ndarray, g: float, a: float, b: float, t: float = 0.0) -> np.ndarray:
    """The float64 reference predicate ``g*PReLU_a(v - t) + b >= 0`` (sign(0) = +1)."""
    return g * prelu(v - t, a) + b >= 0


def analytic_thresholds(
    g: float, a: float, b: float, shape: LayerShape, t: float = 0.0
) -> tuple[int, int, int]:
    """Thresholds ``(hi, lo, inv)`` derived from the case table, in ``m`` units (not canonical).

    Works in the domain ``u = v - t`` with ``T = -b/g`` (and ``T2 = -b/(g*a)``), then maps
    ``v = u + t = alpha*m + beta`` back to ``m``; the result may lie outside the reachable range
    (then it is a constant).
    """
    alpha, beta = (
        (1.0 / THR1_SCALE, 0.0)
        if shape.index == 1
        else (2.0, -float(KERNEL_SIZE * shape.in_channels))
    )

    def to_m(u: float) -> float:
        """Map a ``u``-domain threshold to the ``m`` domain."""
        return (u + t - beta) / alpha

    never, ones = (THR_NEVER_HI, THR_NEVER_LO, 0), (THR_NEVER_HI, THR_NEVER_LO, 1)

    def suffix(u: float) -> tuple[int, int, int]:
        """``v - t >= u``."""
        return clamp_thr(math.ceil(to_m(u))), THR_NEVER_LO, 0

    def prefix(u: float) -> tuple[int, int, int]:
        """``v - t <= u``."""
        return clamp_thr(math.floor(to_m(u)) + 1), THR_NEVER_LO, 1

    if g == 0:
        return ones if b >= 0 else never
    if a == 0 and g > 0:
        return ones if b >= 0 else suffix(-b / g)
    if a == 0:
        return never if b < 0 else prefix(-b / g)
    if a > 0:  # monotone: the zero crossing is on the side where f(0) = b points
        cross = -b / g if b * g <= 0 else -b / (g * a)
        return suffix(cross) if g > 0 else prefix(cross)
    t1, t2 = to_m(-b / g), to_m(-b / (g * a))
    if g > 0:  # V-shaped, minimum b at v = 0
        return ones if b >= 0 else (clamp_thr(math.ceil(t1)), clamp_thr(math.floor(t2)), 0)
    if b < 0:  # Lambda-shaped, maximum b at v = 0
        return never
    return clamp_thr(math.floor(t1) + 1), clamp_thr(math.ceil(t2) - 1), 1


def clamp_thr(t: int) -> int:
    """Clip a threshold into the signed threshold range (far-out values act as constants)."""
    return max(THR_NEVER_LO, min(THR_NEVER_HI, int(t)))


def unit_bits(m: np.ndarray, hi: int, lo: int, inv: int) -> np.ndarray:
    """The hardware predicate ``((m >= hi) | (m <= lo)) ^ inv`` as a bool array."""
    return ((m >= hi) | (m <= lo)) ^ bool(inv)


def encode_predicate(m: np.ndarray, bits: np.ndarray) -> tuple[int, int, int]:
    """Canonical ``(hi, lo, inv)`` of a predicate given on the sorted, contiguous grid ``m``.

    Raises :class:`FoldError` when the set of ones is neither an interval nor a prefix plus a
    suffix (more than two transitions).
    """
    bits = np.asarray(bits, dtype=bool)
    if bits.all():
        return THR_NEVER_HI, THR_NEVER_LO, 1
    if not bits.any():
        return THR_NEVER_HI, THR_NEVER_LO, 0
    ones = np.flatnonzero(bits)
    zeros = np.flatnonzero(~bits)
    first, last = int(ones[0]), int(ones[-1])
    if last - first + 1 == ones.size:  # one run of ones
        if last == len(m) - 1:
            return int(m[first]), THR_NEVER_LO, 0
        if first == 0:
            return int(m[last]) + 1, THR_NEVER_LO, 1
        return int(m[last]) + 1, int(m[first]) - 1, 1
    z0, z1 = int(zeros[0]), int(zeros[-1])
    if z1 - z0 + 1 == zeros.size:  # one interior run of zeros
        return int(m[z1]) + 1, int(m[z0]) - 1, 0
    raise FoldError("predicate has more than two transitions; no (hi, lo, inv) encodes it")


def fit_thresholds(
    g: float, a: float, b: float, shape: LayerShape, channel: int = 0, t: float = 0.0
) -> tuple[int, int, int]:
    """Fold one channel: enumerate, encode, verify exactly, cross-check the analytic derivation."""
    where = f"block {shape.index} channel {channel} (g={g!r}, a={a!r}, b={b!r}, t={t!r})"
    if not all(math.isfinite(x) for x in (g, a, b, t)):
        raise FoldError(f"{where}: non-finite BatchNorm/PReLU parameters")
    m, v = reachable_pooled(shape)
    ref = reference_bits(v, g, a, b, t)
    try:
        hi, lo, inv = encode_predicate(m, ref)
    except FoldError as exc:
        raise FoldError(f"{where}: {exc}") from exc
    if not np.array_equal(unit_bits(m, hi, lo, inv), ref):
        raise FoldError(f"{where}: fitted thresholds do not reproduce the predicate")
    ana = unit_bits(m, *analytic_thresholds(g, a, b, shape, t))
    scaled = g * prelu(v - t, a)
    f = scaled + b
    tie = np.abs(f) <= TIE_RTOL * (np.abs(scaled) + abs(b) + 1e-300)
    if np.any((ana != ref) & ~tie):
        bad = int(m[np.flatnonzero((ana != ref) & ~tie)[0]])
        raise FoldError(f"{where}: analytic thresholds disagree with enumeration at m={bad}")
    return hi, lo, inv


def fold_thresholds(block: torch.nn.Module, shape: LayerShape) -> Thresholds:
    """Per-channel thresholds of one block (its PReLU and BatchNorm)."""
    g, b = bn_affine(block.bn)
    a, t = prelu_slopes(block), prelu_shifts(block)
    triples = [
        fit_thresholds(float(g[c]), float(a[c]), float(b[c]), shape, c, float(t[c]))
        for c in range(len(g))
    ]
    hi, lo, inv = (np.array(col, dtype=np.int64) for col in zip(*triples, strict=True))
    return Thresholds(hi=hi, lo=lo, inv=inv.astype(np.uint8))


def quantize_scores(
    g: np.ndarray, a: np.ndarray, b: np.ndarray, s: int, positions: int
) -> tuple[list[int], list[int], list[int]]:
    """``A = round(g*2^s)``, ``B = round(g*a*2^s)``, ``C = round(positions*b*2^s)`` as ints.

    ``a`` holds each class's PReLU slope.
    """
    scale = math.ldexp(1.0, s)
    a_q = [round(float(x) * scale) for x in g]
    b_q = [round(float(x) * float(slope) * scale) for x, slope in zip(g, a, strict=True)]
    c_q = [round(positions * float(x) * scale) for x in b]
    return a_q, b_q, c_q


def scores_fit(a_q: Sequence[int], b_q: Sequence[int], c_q: Sequence[int]) -> bool:
    """True when A, B fit signed 16 bits and every reachable score fits signed 32 bits."""
    lim16, lim32 = 1 << (COEF_W - 1), 1 << (SCORE_W - 1)
    for a, b, c in zip(a_q, b_q, c_q, strict=True):
        if not (-lim16 <= a < lim16 and -lim16 <= b < lim16):
            return False
        if max(abs(a), abs(b)) * SCORE_SUM_MAX + abs(c) >= lim32:
            return False
    return True


def choose_shift(g: np.ndarray, a: np.ndarray, b: np.ndarray, positions: int) -> int:
    """Largest shift ``s`` (62 down to -32) whose rounded coefficients pass :func:`scores_fit`."""
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(b)) and np.all(np.isfinite(a))):
        raise FoldError(f"block 6: non-finite BatchNorm/PReLU parameters (g={g}, a={a}, b={b})")
    for s in SHIFT_RANGE:
        if scores_fit(*quantize_scores(g, a, b, s, positions)):
            return s
    raise FoldError("no score shift makes A, B fit 16 bits and the scores fit 32 bits")


def score_coefficients(
    block: torch.nn.Module, shape: LayerShape
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Block 6's ``A``, ``B``, ``C`` (int64 arrays) and the shift ``s``."""
    g, b = bn_affine(block.bn)
    a = prelu_slopes(block)
    if np.any(prelu_shifts(block) != 0):
        raise FoldError("block 6: a shift before the PReLU (the hardware splits the sums at 0)")
    s = choose_shift(g, a, b, shape.pool_length)
    a_q, b_q, c_q = quantize_scores(g, a, b, s, shape.pool_length)
    return np.array(a_q, np.int64), np.array(b_q, np.int64), np.array(c_q, np.int64), s


def weight_bits(conv_weight: torch.Tensor) -> np.ndarray:
    """Binary conv weights ``(C_out, C_in, 7)`` -> bits ``(C_out, 7, C_in)``: 1 where ``w >= 0``."""
    w = conv_weight.detach().cpu().numpy()
    return np.ascontiguousarray((w >= 0).astype(np.uint8).transpose(0, 2, 1))


def fold_model(model: EcgBnn, class_names: Sequence[str] = (), name: str = "") -> IntegerParams:
    """Fold a binary :class:`EcgBnn` (its eval-mode statistics) into :class:`IntegerParams`."""
    if not model.binary:
        raise FoldError("only the binary model (EcgBnn(binary=True)) can be folded")
    shapes = layer_shapes(model.num_classes)
    blocks = list(model.blocks)
    weights = tuple(weight_bits(blk.conv.weight) for blk in blocks)
    thresholds = tuple(
        fold_thresholds(blk, s) for blk, s in zip(blocks[:-1], shapes[:-1], strict=True)
    )
    a_q, b_q, c_q, s = score_coefficients(blocks[-1], shapes[-1])
    return IntegerParams(
        num_classes=model.num_classes,
        weights=weights,
        thresholds=thresholds,
        score_a=a_q,
        score_b=b_q,
        score_c=c_q,
        shift=s,
        class_names=tuple(class_names),
        name=name,
    )


def randomize_model(
    model: EcgBnn, calibration: np.ndarray, seed: int = 0, slopes: Sequence[float] = ()
) -> EcgBnn:
    """Give ``model`` random weights, BN affine parameters and PReLU slopes, for tests and demos.

    BN ``gamma`` gets both signs, PReLU slopes come from ``slopes`` (one per block; default a mix
    of positive, negative and zero; a ``"channel"`` model spreads each channel's slope around it
    and draws the shifts before its PReLUs), and the BN running statistics are measured on the raw
    ``calibration`` windows ``(n, 3600)`` (one train-mode pass with a cumulative average), so the
    thresholds land inside the range real data reaches. Returns the model in eval mode.
    """
    import torch

    from pymodel.model import zscore

    gen = torch.Generator().manual_seed(seed)
    slopes = tuple(slopes) or (0.25, -0.3, 0.1, -0.2, 0.0, -0.15)
    with torch.no_grad():
        for blk, slope in zip(model.blocks, slopes, strict=True):
            blk.conv.weight.copy_(torch.randn(blk.conv.weight.shape, generator=gen))
            blk.prelu.weight.fill_(slope)
            n = blk.bn.num_features
            sign = torch.where(torch.rand(n, generator=gen) < 0.3, -1.0, 1.0)
            blk.bn.weight.copy_(sign * (0.5 + torch.rand(n, generator=gen)))
            blk.bn.bias.copy_(0.5 * torch.randn(n, generator=gen))
            if blk.prelu.weight.numel() > 1:  # per-channel slopes around the block's
                blk.prelu.weight.add_(0.3 * torch.randn(n, generator=gen))
            if blk.shift is not None:  # block 1 pools z units, blocks 2-5 popcounts 2m - 7 C_in
                scale = 0.5 if blk is model.blocks[0] else 3.0
                blk.shift.copy_(scale * torch.randn(n, generator=gen))
            blk.bn.reset_running_stats()
            blk.bn.momentum = None
        model.train()
        model(zscore(torch.from_numpy(np.asarray(calibration, dtype=np.int64))))
        for blk in model.blocks:
            blk.bn.momentum = 0.1
    return model.eval()
