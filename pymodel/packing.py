"""The one place that defines the bit layout of every ROM word (pack and unpack).

Two ROM images per model (``docs/ARCHITECTURE.md``, "ROM images"):

============== ===== ====================== ===================================================
file           width depth                  contents
============== ===== ====================== ===================================================
weights.mem    16    sum_l C_out * WPR_l    row ``c`` of layer ``l`` at ``WBASE_l + c*WPR_l +
                                            r/16``: bit ``r % 16`` = weight ``r = k*C_in + ci``,
                                            1 = +1, unused high bits of the last word 0
thresholds.mem 16    ceil(stream bits / 16) the parameter stream: thresholds of blocks 1-5 and
                                            the score coefficients, every field at its minimal
                                            width (below); stream bit ``i`` is bit ``i % 16``
                                            of word ``i / 16``, zero padding to a whole word
============== ===== ====================== ===================================================

The parameter stream (:func:`pack_stream`, :func:`unpack_stream`; read in hardware by
``ecg_bnn_unpack``, one bit per cycle) is a sequence of fields, each written most significant
bit first; a field of width 0 holds the value 0:

- per block ``l = 1..5`` a header ``HW[5] LW[5] IW[1] BW[5] HBASE[BW] LBASE[LW ? BW : 0]``
  (widths unsigned, bases signed), then per output channel a record ``HF[HW] LF[LW] INV[IW]``
  (unsigned): ``hi = HF == 0 ? THR_NEVER_HI : HBASE + HF``, ``lo = LF == 0 ? THR_NEVER_LO :
  LBASE + LF``, ``inv = INV`` (0 when ``IW = 0``);
- a score header ``AW-1[5] BW-1[5] CW-1[5]``, then per class ``A[AW] B[BW] C[CW]`` (signed).

The exporter takes the smallest widths that hold the model's values (:func:`stream_format`): a
base is the smallest value minus one, so field value 0 stays free for "never". Inside the engine
the unpacked threshold is the word ``{inv, hi[23:0], lo[23:0]}`` (:func:`pack_threshold_word`,
the input of ``ecg_bnn_threshold`` and ``ecg_bnn_thr_scale``) and the score coefficients
``{C[31:0], B[15:0], A[15:0]}`` (:func:`pack_score_word`, the input of ``ecg_bnn_result``).

``WPR_l = ceil(7*C_in/16)`` words per row; ``WBASE``/``TBASE`` are the running sums of the
previous layers' rows and channels. Signed fields are two's complement. Public API:
:func:`layout`, :func:`pack_weights` / :func:`unpack_weights`, :func:`pack_threshold_word` /
:func:`unpack_threshold_word`, :func:`pack_score_word` / :func:`unpack_score_word`,
:func:`stream_format`, :func:`pack_stream` / :func:`unpack_stream`, :func:`pack_params` /
:func:`unpack_params`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pymodel.golden import (
    COEF_W,
    SCORE_W,
    THR_NEVER_HI,
    THR_NEVER_LO,
    THR_W,
    IntegerParams,
    Thresholds,
)
from pymodel.network import KERNEL_SIZE, layer_shapes

WEIGHT_WORD_W = 16
THR_WORD_W = 1 + 2 * THR_W
SCORE_WORD_W = 2 * COEF_W + SCORE_W
STREAM_WORD_W = 16  # thresholds.mem word
WIDTH_FIELD_W = 5  # the width fields of the stream's headers


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
    """The address map of one model: per-layer layout, weight ROM depth, threshold records."""

    layers: tuple[LayerLayout, ...]
    weights_depth: int
    thresholds_depth: int  # threshold records (channels of blocks 1-5), in stream order


def words_per_row(in_channels: int) -> int:
    """``WPR = ceil(7*C_in/16)``: 16-bit words holding one output channel's weights."""
    return -(-KERNEL_SIZE * in_channels // WEIGHT_WORD_W)


def layout(num_classes: int) -> RomLayout:
    """Address map (``WBASE``, ``WPR``, ``TBASE`` per layer, weight ROM depth) of a model."""
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
    return RomLayout(tuple(layers), wbase, tbase)


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
    """``{inv, hi[23:0], lo[23:0]}`` (the unpacked threshold word the lanes load): inv at bit 48,
    hi at bits 47:24, lo at bits 23:0."""
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


def pack_score_word(a: int, b: int, c: int) -> int:
    """``{C[31:0], B[15:0], A[15:0]}`` (the unpacked coefficients ``ecg_bnn_result`` reads)."""
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


# ----------------------------------------------------------------------------- parameter stream


@dataclass(frozen=True)
class ThrFormat:
    """Field widths and bases of one block's threshold records in the parameter stream."""

    hw: int  # HF bits (0: every hi is never)
    lw: int  # LF bits (0: every lo is never)
    iw: int  # INV bits (0 or 1)
    bw: int  # bits of HBASE and (when lw > 0) LBASE
    hbase: int
    lbase: int

    @property
    def header_bits(self) -> int:
        """Bits of the block header: four width fields and the bases."""
        return 3 * WIDTH_FIELD_W + 1 + self.bw + (self.bw if self.lw else 0)

    @property
    def record_bits(self) -> int:
        """Bits of one channel's record."""
        return self.hw + self.lw + self.iw


@dataclass(frozen=True)
class ScoreFormat:
    """Field widths of the score coefficients in the parameter stream (each 1..32 bits)."""

    aw: int
    bw: int
    cw: int

    @property
    def header_bits(self) -> int:
        """Bits of the score header (three width fields)."""
        return 3 * WIDTH_FIELD_W

    @property
    def record_bits(self) -> int:
        """Bits of one class's coefficients."""
        return self.aw + self.bw + self.cw


@dataclass(frozen=True)
class StreamFormat:
    """The format of a model's parameter stream: per block 1-5 and for the scores."""

    blocks: tuple[ThrFormat, ...]
    scores: ScoreFormat
    num_classes: int

    def section_bits(self) -> list[tuple[str, int, int]]:
        """``(section, header bits, record bits in all)`` per block and for the scores."""
        shapes = layer_shapes(self.num_classes)
        out = [
            (f"block {s.index}", f.header_bits, s.out_channels * f.record_bits)
            for s, f in zip(shapes[:-1], self.blocks, strict=True)
        ]
        out.append(("scores", self.scores.header_bits, self.num_classes * self.scores.record_bits))
        return out

    @property
    def bits(self) -> int:
        """Stream bits before the padding to a whole word."""
        return sum(h + r for _, h, r in self.section_bits())

    @property
    def words(self) -> int:
        """Words of ``thresholds.mem``."""
        return -(-self.bits // STREAM_WORD_W)


def unsigned_bits(value: int) -> int:
    """Bits of the unsigned field holding ``value >= 0`` (0 for 0)."""
    return int(value).bit_length()


def signed_bits(value: int) -> int:
    """Bits of the smallest two's complement field holding ``value`` (0 for 0)."""
    value = int(value)
    return 0 if value == 0 else (value if value > 0 else -value - 1).bit_length() + 1


def thr_format(t: Thresholds) -> ThrFormat:
    """The smallest widths (and the bases) that hold one block's thresholds."""
    hi_used = t.hi[t.hi != THR_NEVER_HI]
    lo_used = t.lo[t.lo != THR_NEVER_LO]
    hbase = int(hi_used.min()) - 1 if hi_used.size else 0
    lbase = int(lo_used.min()) - 1 if lo_used.size else 0
    hw = unsigned_bits(int(hi_used.max()) - hbase) if hi_used.size else 0
    lw = unsigned_bits(int(lo_used.max()) - lbase) if lo_used.size else 0
    bw = max(signed_bits(hbase), signed_bits(lbase) if lw else 0)
    fmt = ThrFormat(hw=hw, lw=lw, iw=int(t.inv.any()), bw=bw, hbase=hbase, lbase=lbase if lw else 0)
    for what, width in (("HW", fmt.hw), ("LW", fmt.lw), ("BW", fmt.bw)):
        if width > THR_W:
            raise PackingError(f"threshold field {what} = {width} bits, more than {THR_W}")
    return fmt


def score_format(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> ScoreFormat:
    """The smallest signed widths (at least 1) of the score coefficients ``A``, ``B``, ``C``."""

    def width(values: np.ndarray, limit: int, what: str) -> int:
        """Largest signed width over the classes, checked against the datapath's ``limit``."""
        w = max([1, *(signed_bits(int(v)) for v in values)])
        if w > limit:
            raise PackingError(f"score coefficient {what} needs {w} bits, more than {limit}")
        return w

    return ScoreFormat(width(a, COEF_W, "A"), width(b, COEF_W, "B"), width(c, SCORE_W, "C"))


def stream_format(params: IntegerParams) -> StreamFormat:
    """The parameter stream's format for ``params`` (minimal widths, bases)."""
    return StreamFormat(
        tuple(thr_format(t) for t in params.thresholds),
        score_format(params.score_a, params.score_b, params.score_c),
        params.num_classes,
    )


class BitWriter:
    """Fields into the stream: most significant bit first, stream bit ``i`` in word ``i/16``."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def put(self, value: int, width: int, signed: bool, what: str) -> None:
        """Append ``value`` as a ``width``-bit field (nothing for width 0, which holds 0)."""
        if width == 0:
            if int(value) != 0:
                raise PackingError(f"{what} = {value} in a field of width 0")
            return
        raw = to_field(value, width, signed, what)
        self.bits.extend((raw >> i) & 1 for i in range(width - 1, -1, -1))

    def words(self) -> list[int]:
        """The bits as 16-bit words, zero-padded to a whole word."""
        out = [0] * -(-len(self.bits) // STREAM_WORD_W)
        for i, bit in enumerate(self.bits):
            out[i // STREAM_WORD_W] |= bit << (i % STREAM_WORD_W)
        return out


class BitReader:
    """Inverse of :class:`BitWriter`; names the stream position of an error."""

    def __init__(self, words: Sequence[int]) -> None:
        for i, w in enumerate(words):
            if not 0 <= int(w) < 1 << STREAM_WORD_W:
                raise PackingError(f"stream word {i} = {w} is not a 16-bit word")
        self.words = [int(w) for w in words]
        self.pos = 0

    def get(self, width: int, signed: bool, what: str) -> int:
        """The next ``width``-bit field (0 for width 0)."""
        if self.pos + width > STREAM_WORD_W * len(self.words):
            raise PackingError(f"stream ends inside {what} (bit {self.pos} of a {width}-bit field)")
        raw = 0
        for _ in range(width):
            w = self.words[self.pos // STREAM_WORD_W]
            raw = (raw << 1) | ((w >> (self.pos % STREAM_WORD_W)) & 1)
            self.pos += 1
        return raw - (1 << width) if signed and width and raw >> (width - 1) else raw


def pack_stream(params: IntegerParams) -> list[int]:
    """Blocks 1-5 thresholds and the score coefficients -> the ``thresholds.mem`` word list."""
    fmt = stream_format(params)
    out = BitWriter()
    for i, (t, f) in enumerate(zip(params.thresholds, fmt.blocks, strict=True), start=1):
        out.put(f.hw, WIDTH_FIELD_W, False, f"block {i} HW")
        out.put(f.lw, WIDTH_FIELD_W, False, f"block {i} LW")
        out.put(f.iw, 1, False, f"block {i} IW")
        out.put(f.bw, WIDTH_FIELD_W, False, f"block {i} BW")
        out.put(f.hbase, f.bw, True, f"block {i} HBASE")
        out.put(f.lbase, f.bw if f.lw else 0, True, f"block {i} LBASE")
        for c in range(t.channels):
            hi, lo = int(t.hi[c]), int(t.lo[c])
            hf = 0 if hi == THR_NEVER_HI else hi - f.hbase
            lf = 0 if lo == THR_NEVER_LO else lo - f.lbase
            out.put(hf, f.hw, False, f"block {i} channel {c} HF")
            out.put(lf, f.lw, False, f"block {i} channel {c} LF")
            out.put(int(t.inv[c]), f.iw, False, f"block {i} channel {c} INV")
    s = fmt.scores
    for what, w in (("AW-1", s.aw), ("BW-1", s.bw), ("CW-1", s.cw)):
        out.put(w - 1, WIDTH_FIELD_W, False, f"scores {what}")
    for k in range(params.num_classes):
        out.put(int(params.score_a[k]), s.aw, True, f"class {k} A")
        out.put(int(params.score_b[k]), s.bw, True, f"class {k} B")
        out.put(int(params.score_c[k]), s.cw, True, f"class {k} C")
    words = out.words()
    if len(words) != fmt.words:
        raise PackingError(f"stream of {len(words)} words, format says {fmt.words}")
    return words


def unpack_stream(
    words: Sequence[int], num_classes: int
) -> tuple[tuple[Thresholds, ...], np.ndarray, np.ndarray, np.ndarray]:
    """The ``thresholds.mem`` word list -> per-block :class:`Thresholds` and ``(A, B, C)``.

    Strict: a value outside the datapath's widths, non-zero padding or a word beyond the last
    field's is an error.
    """
    rd = BitReader(words)
    thresholds = []
    for s in layer_shapes(num_classes)[:-1]:
        i = s.index
        hw = rd.get(WIDTH_FIELD_W, False, f"block {i} HW")
        lw = rd.get(WIDTH_FIELD_W, False, f"block {i} LW")
        iw = rd.get(1, False, f"block {i} IW")
        bw = rd.get(WIDTH_FIELD_W, False, f"block {i} BW")
        for what, width in (("HW", hw), ("LW", lw), ("BW", bw)):
            if width > THR_W:
                raise PackingError(f"block {i} {what} = {width}, more than {THR_W}")
        hbase = rd.get(bw, True, f"block {i} HBASE")
        lbase = rd.get(bw if lw else 0, True, f"block {i} LBASE")
        hi, lo, inv = [], [], []
        for c in range(s.out_channels):
            hf = rd.get(hw, False, f"block {i} channel {c} HF")
            lf = rd.get(lw, False, f"block {i} channel {c} LF")
            hi.append(THR_NEVER_HI if hf == 0 else hbase + hf)
            lo.append(THR_NEVER_LO if lf == 0 else lbase + lf)
            inv.append(rd.get(iw, False, f"block {i} channel {c} INV"))
        for what, vals in (("hi", hi), ("lo", lo)):
            if not all(THR_NEVER_LO <= v <= THR_NEVER_HI for v in vals):
                raise PackingError(f"block {i}: a {what} threshold is outside {THR_W} bits signed")
        thresholds.append(
            Thresholds(
                hi=np.array(hi, dtype=np.int64),
                lo=np.array(lo, dtype=np.int64),
                inv=np.array(inv, dtype=np.uint8),
            )
        )
    aw, bw, cw = (rd.get(WIDTH_FIELD_W, False, f"scores {w}") + 1 for w in ("AW-1", "BW-1", "CW-1"))
    if aw > COEF_W or bw > COEF_W:
        raise PackingError(f"score widths A {aw} / B {bw} bits, more than {COEF_W}")
    coefs = [
        (
            rd.get(aw, True, f"class {k} A"),
            rd.get(bw, True, f"class {k} B"),
            rd.get(cw, True, f"class {k} C"),
        )
        for k in range(num_classes)
    ]
    a, b, c = (np.array(col, dtype=np.int64) for col in zip(*coefs, strict=True))
    if -(-rd.pos // STREAM_WORD_W) != len(words):
        raise PackingError(
            f"stream: {len(words)} words, its fields end in word {(rd.pos - 1) // STREAM_WORD_W}"
        )
    if rd.get(STREAM_WORD_W * len(words) - rd.pos, False, "the padding"):
        raise PackingError("stream: non-zero padding after the last field")
    return tuple(thresholds), a, b, c


def pack_params(params: IntegerParams) -> dict[str, list[int]]:
    """Both ROM word lists of a model: ``{"weights", "thresholds"}``."""
    return {
        "weights": pack_weights(params.weights, params.num_classes),
        "thresholds": pack_stream(params),
    }


def unpack_params(
    roms: dict[str, Sequence[int]],
    num_classes: int,
    shift: int,
    class_names: Sequence[str] = (),
    name: str = "",
) -> IntegerParams:
    """Rebuild :class:`IntegerParams` from the two ROM word lists (inverse of pack_params)."""
    thresholds, a, b, c = unpack_stream(roms["thresholds"], num_classes)
    return IntegerParams(
        num_classes=num_classes,
        weights=unpack_weights(roms["weights"], num_classes),
        thresholds=thresholds,
        score_a=a,
        score_b=b,
        score_c=c,
        shift=shift,
        class_names=tuple(class_names),
        name=name,
    )
