"""The one place that defines the bit layout of every ROM word (pack and unpack).

ROM images (``docs/ARCHITECTURE.md``, "ROM images"):

============== ===== ==================== =====================================================
file           width depth                word contents
============== ===== ==================== =====================================================
weights.mem    16    sum_l C_out * WPR_l  row ``c`` of layer ``l`` at ``WBASE_l + c*WPR_l + r/16``:
                                          bit ``r % 16`` = weight ``r = k*C_in + ci``, 1 = +1,
                                          unused high bits of the last word 0
thresholds.mem 49    152 (blocks 1-5)     ``TBASE_l + c``: ``{inv, hi[23:0], lo[23:0]}``
scores.mem     64    C                    ``c``: ``{C[31:0], B[15:0], A[15:0]}``
============== ===== ==================== =====================================================

``WPR_l = ceil(7*C_in/16)`` words per row; ``WBASE``/``TBASE`` are the running sums of the
previous layers' rows. Signed fields are two's complement. Public API: :func:`layout`,
:func:`pack_weights` / :func:`unpack_weights`, :func:`pack_threshold_word` /
:func:`unpack_threshold_word`, :func:`pack_thresholds` / :func:`unpack_thresholds`,
:func:`pack_score_word` / :func:`unpack_score_word`, :func:`pack_scores` / :func:`unpack_scores`,
:func:`pack_params` / :func:`unpack_params`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pymodel.golden import COEF_W, SCORE_W, THR_W, IntegerParams, Thresholds
from pymodel.network import KERNEL_SIZE, layer_shapes

WEIGHT_WORD_W = 16
THR_WORD_W = 1 + 2 * THR_W
SCORE_WORD_W = 2 * COEF_W + SCORE_W


class PackingError(ValueError):
    """A value does not fit its field, or a word list has the wrong length."""


@dataclass(frozen=True)
class LayerLayout:
    """Where one layer lives in the ROMs: weight base, words per row, threshold base."""

    index: int
    in_channels: int
    out_channels: int
    wbase: int
    wpr: int
    tbase: int | None

    @property
    def weight_words(self) -> int:
        """Weight words of the layer (``C_out * WPR``)."""
        return self.out_channels * self.wpr


@dataclass(frozen=True)
class RomLayout:
    """The address map of one model: per-layer layout and the three ROM depths."""

    layers: tuple[LayerLayout, ...]
    weights_depth: int
    thresholds_depth: int
    scores_depth: int


def words_per_row(in_channels: int) -> int:
    """``WPR = ceil(7*C_in/16)``: 16-bit words holding one output channel's weights."""
    return -(-KERNEL_SIZE * in_channels // WEIGHT_WORD_W)


def layout(num_classes: int) -> RomLayout:
    """Address map (``WBASE``, ``WPR``, ``TBASE`` per layer and ROM depths) of a model."""
    layers, wbase, tbase = [], 0, 0
    shapes = layer_shapes(num_classes)
    for s in shapes:
        wpr = words_per_row(s.in_channels)
        has_thr = s.index < len(shapes)
        layers.append(
            LayerLayout(
                s.index, s.in_channels, s.out_channels, wbase, wpr, tbase if has_thr else None
            )
        )
        wbase += s.out_channels * wpr
        tbase += s.out_channels if has_thr else 0
    return RomLayout(tuple(layers), wbase, tbase, num_classes)


def to_field(value: int, width: int, signed: bool, what: str = "value") -> int:
    """Two's complement (or unsigned) encoding of ``value`` in ``width`` bits; range-checked."""
    value = int(value)
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    if not lo <= value <= hi:
        kind = "signed" if signed else "unsigned"
        raise PackingError(f"{what} = {value} does not fit {width} bits {kind}")
    return value & ((1 << width) - 1)


def from_field(word: int, lsb: int, width: int, signed: bool) -> int:
    """Extract bits ``[lsb + width - 1 : lsb]`` of ``word``, sign-extended when ``signed``."""
    raw = (int(word) >> lsb) & ((1 << width) - 1)
    if signed and raw >> (width - 1):
        raw -= 1 << width
    return raw


def pack_row(bits: np.ndarray, wpr: int) -> list[int]:
    """One output channel's ``(7, C_in)`` bits -> ``wpr`` 16-bit words, ``r = k*C_in + ci``."""
    flat = [int(b) for b in np.asarray(bits, dtype=np.uint8).reshape(-1)]
    words = [0] * wpr
    for r, bit in enumerate(flat):
        if bit not in (0, 1):
            raise PackingError(f"weight bit {r} is {bit}, not 0/1")
        words[r // WEIGHT_WORD_W] |= bit << (r % WEIGHT_WORD_W)
    return words


def unpack_row(words: Sequence[int], in_channels: int) -> np.ndarray:
    """Inverse of :func:`pack_row`; unused bits must be zero."""
    rows = KERNEL_SIZE * in_channels
    value = sum(int(w) << (WEIGHT_WORD_W * i) for i, w in enumerate(words))
    if value >> rows:
        raise PackingError(f"weight row has non-zero bits above bit {rows - 1}")
    bits = [(value >> r) & 1 for r in range(rows)]
    return np.array(bits, dtype=np.uint8).reshape(KERNEL_SIZE, in_channels)


def pack_weights(weights: Sequence[np.ndarray], num_classes: int) -> list[int]:
    """All layers' weight bits ``(C_out, 7, C_in)`` -> the ``weights.mem`` word list."""
    lay = layout(num_classes)
    words: list[int] = []
    for ll, w in zip(lay.layers, weights, strict=True):
        if w.shape != (ll.out_channels, KERNEL_SIZE, ll.in_channels):
            raise PackingError(f"layer {ll.index} weights have shape {w.shape}")
        for c in range(ll.out_channels):
            words.extend(pack_row(w[c], ll.wpr))
    return words


def unpack_weights(words: Sequence[int], num_classes: int) -> tuple[np.ndarray, ...]:
    """The ``weights.mem`` word list -> per-layer bits ``(C_out, 7, C_in)``."""
    lay = layout(num_classes)
    if len(words) != lay.weights_depth:
        raise PackingError(f"weights: {len(words)} words, expected {lay.weights_depth}")
    out = []
    for ll in lay.layers:
        rows = [
            unpack_row(words[ll.wbase + c * ll.wpr : ll.wbase + (c + 1) * ll.wpr], ll.in_channels)
            for c in range(ll.out_channels)
        ]
        out.append(np.stack(rows))
    return tuple(out)


def pack_threshold_word(inv: int, hi: int, lo: int) -> int:
    """``{inv, hi[23:0], lo[23:0]}``: inv at bit 48, hi at bits 47:24, lo at bits 23:0."""
    return (
        (to_field(inv, 1, False, "inv") << (2 * THR_W))
        | (to_field(hi, THR_W, True, "hi") << THR_W)
        | to_field(lo, THR_W, True, "lo")
    )


def unpack_threshold_word(word: int) -> tuple[int, int, int]:
    """Inverse of :func:`pack_threshold_word`: ``(inv, hi, lo)``."""
    if int(word) >> THR_WORD_W:
        raise PackingError(f"threshold word {word:#x} wider than {THR_WORD_W} bits")
    return (
        from_field(word, 2 * THR_W, 1, False),
        from_field(word, THR_W, THR_W, True),
        from_field(word, 0, THR_W, True),
    )


def pack_thresholds(thresholds: Sequence[Thresholds]) -> list[int]:
    """Blocks 1-5 threshold units -> the ``thresholds.mem`` word list (``TBASE_l + c``)."""
    return [
        pack_threshold_word(int(t.inv[c]), int(t.hi[c]), int(t.lo[c]))
        for t in thresholds
        for c in range(t.channels)
    ]


def unpack_thresholds(words: Sequence[int], num_classes: int) -> tuple[Thresholds, ...]:
    """The ``thresholds.mem`` word list -> per-block :class:`Thresholds`."""
    lay = layout(num_classes)
    if len(words) != lay.thresholds_depth:
        raise PackingError(f"thresholds: {len(words)} words, expected {lay.thresholds_depth}")
    out = []
    for ll in lay.layers[:-1]:
        fields = [unpack_threshold_word(words[ll.tbase + c]) for c in range(ll.out_channels)]
        inv, hi, lo = (np.array(col, dtype=np.int64) for col in zip(*fields, strict=True))
        out.append(Thresholds(hi=hi, lo=lo, inv=inv.astype(np.uint8)))
    return tuple(out)


def pack_score_word(a: int, b: int, c: int) -> int:
    """``{C[31:0], B[15:0], A[15:0]}``: A at bits 15:0, B at 31:16, C at 63:32."""
    return (
        (to_field(c, SCORE_W, True, "C") << (2 * COEF_W))
        | (to_field(b, COEF_W, True, "B") << COEF_W)
        | to_field(a, COEF_W, True, "A")
    )


def unpack_score_word(word: int) -> tuple[int, int, int]:
    """Inverse of :func:`pack_score_word`: ``(A, B, C)``."""
    if int(word) >> SCORE_WORD_W:
        raise PackingError(f"score word {word:#x} wider than {SCORE_WORD_W} bits")
    return (
        from_field(word, 0, COEF_W, True),
        from_field(word, COEF_W, COEF_W, True),
        from_field(word, 2 * COEF_W, SCORE_W, True),
    )


def pack_scores(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> list[int]:
    """Per-class coefficients -> the ``scores.mem`` word list."""
    return [pack_score_word(int(x), int(y), int(z)) for x, y, z in zip(a, b, c, strict=True)]


def unpack_scores(words: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``scores.mem`` word list -> ``(A, B, C)`` int64 arrays."""
    fields = [unpack_score_word(w) for w in words]
    a, b, c = (np.array(col, dtype=np.int64) for col in zip(*fields, strict=True))
    return a, b, c


def pack_params(params: IntegerParams) -> dict[str, list[int]]:
    """All three ROM word lists of a model: ``{"weights", "thresholds", "scores"}``."""
    return {
        "weights": pack_weights(params.weights, params.num_classes),
        "thresholds": pack_thresholds(params.thresholds),
        "scores": pack_scores(params.score_a, params.score_b, params.score_c),
    }


def unpack_params(
    roms: dict[str, Sequence[int]],
    num_classes: int,
    shift: int,
    class_names: Sequence[str] = (),
    name: str = "",
) -> IntegerParams:
    """Rebuild :class:`IntegerParams` from the three ROM word lists (inverse of pack_params)."""
    if len(roms["scores"]) != num_classes:
        raise PackingError(f"scores: {len(roms['scores'])} words, expected {num_classes}")
    a, b, c = unpack_scores(roms["scores"])
    return IntegerParams(
        num_classes=num_classes,
        weights=unpack_weights(roms["weights"], num_classes),
        thresholds=unpack_thresholds(roms["thresholds"], num_classes),
        score_a=a,
        score_b=b,
        score_c=c,
        shift=shift,
        class_names=tuple(class_names),
        name=name,
    )
