"""``ecg_bnn_threshold``: folded BatchNorm + PReLU + sign, exact against
``golden.threshold_bits`` and the float predicate of ``pymodel.fold``.

Channels come from ``fold.fit_thresholds`` with BatchNorm/PReLU parameters chosen to hit every
case of the table in docs/ARCHITECTURE.md (g > 0 / g < 0 with a > 0, a < 0 two-sided and
interval, a = 0, g = 0 constants 0 and 1), for block 1 (m in Q8, the whole W-bit range) and
block 2 (popcounts 0..56); plus hand-made encodings (suffix, prefix, interval, prefix+suffix,
constants) from ``fold.encode_predicate``. Each channel's word ``{inv, hi, lo}`` is packed with
``pymodel.packing`` and loaded either whole with ``load_i`` or, as block 1's scaler does, as a
ROM word with other thresholds followed by ``load_hi_i`` and ``load_lo_i`` of the fields alone
(the lane drives ``{0, v, v}``); ``thr_o`` must then read back ``{inv, hi, lo}``. The values
include every boundary (hi, hi-1, hi+1, lo, lo+1, lo-1), the range ends and random values.
Each value's registered code must be ``2`` (``m >= hi``), ``0`` (``m <= lo``) or ``1``, and the
bit of that code, fed back on ``code_i`` as the pool would, must be the golden bit of ``m``
(the pool's max of codes is the code of the pooled value: the engine lane test checks that end
to end); every code's bit is checked for both ``inv`` too.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs, to_unsigned, with_idle

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import FallingEdge, ReadOnly
    from ecg_bnn_tb_utils import drive_collect, reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"valid_i": 0, "load_i": 0, "load_hi_i": 0, "load_lo_i": 0, "code_i": 0}
# (g, a, b): one per case of the folding table
CASES = [
    (1.3, 0.25, -0.7),  # g > 0, a > 0, b < 0: v >= T (T > 0)
    (1.3, 0.25, 0.7),  # g > 0, a > 0, b > 0: v >= T2 (T2 < 0)
    (-0.8, 0.25, 0.4),  # g < 0, a > 0: v <= T (inverted)
    (-0.8, 0.25, -0.4),  # g < 0, a > 0, b < 0: v <= T2 < 0
    (0.9, -0.3, -0.5),  # g > 0, a < 0, b < 0: two-sided
    (0.9, -0.3, 0.5),  # g > 0, a < 0, b >= 0: constant 1
    (-0.9, -0.3, 0.5),  # g < 0, a < 0, b > 0: interval (inverted)
    (-0.9, -0.3, -0.5),  # g < 0, a < 0, b < 0: constant 0
    (0.7, 0.0, -0.2),  # a = 0, g > 0, b < 0: v >= T
    (0.7, 0.0, 0.2),  # a = 0, g > 0, b >= 0: constant 1
    (-0.7, 0.0, 0.2),  # a = 0, g < 0, b >= 0: v <= T
    (0.0, 0.3, 0.1),  # g = 0: constant 1
    (0.0, 0.3, -0.1),  # g = 0: constant 0
]


def channel_set(w: int, seed: int) -> list[dict]:
    """Channels: thresholds, the m values to test and the golden bits."""
    from pymodel import fold, golden
    from pymodel.model import layer_shapes

    rng = np.random.default_rng(seed)
    lo_w, hi_w = -(1 << (w - 1)), (1 << (w - 1)) - 1
    triples = []
    for block in (0, 1):
        shape = layer_shapes(5)[block]
        scale = 256.0 if block == 0 else 1.0
        for g, a, b in CASES:
            triples.append((*fold.fit_thresholds(g * (1 / scale), a, b * 1.0, shape), block))
    grid = np.arange(lo_w, hi_w + 1) if w <= 12 else np.arange(-4000, 4001)
    for pattern in ("suffix", "prefix", "interval", "both", "all", "none"):
        i, j = sorted(rng.integers(1, len(grid) - 1, 2))
        j = max(j, i + 1)
        bits = np.zeros(len(grid), bool)
        if pattern == "suffix":
            bits[i:] = True
        elif pattern == "prefix":
            bits[:i] = True
        elif pattern == "interval":
            bits[i:j] = True
        elif pattern == "both":
            bits[:i] = bits[j:] = True
        elif pattern == "all":
            bits[:] = True
        triples.append((*fold.encode_predicate(grid, bits), -1))
    chans = []
    for hi, lo, inv, block in triples:
        ms = {lo_w, hi_w, 0, 1, -1}
        for t in (hi, lo):
            ms |= {t - 1, t, t + 1}
        ms = sorted(m for m in ms if lo_w <= m <= hi_w)
        ms += rng.integers(lo_w, hi_w + 1, 20).tolist()
        thr = golden.Thresholds(np.array([hi]), np.array([lo]), np.array([inv]))
        bits = golden.threshold_bits(np.array(ms)[None, :], thr)[0]
        if block >= 0:  # the float predicate agrees wherever m is reachable in that block
            shape = layer_shapes(5)[block]
            reach, v = fold.reachable_pooled(shape)
            for k, m in enumerate(ms):
                idx = np.searchsorted(reach, m)
                if idx < len(reach) and reach[idx] == m:
                    g, a, b = CASES[len([c for c in chans if c["block"] == block])]
                    g = g / 256.0 if block == 0 else g
                    assert fold.reference_bits(v[idx : idx + 1], g, a, b)[0] == bits[k]
        chans.append(
            {"hi": hi, "lo": lo, "inv": inv, "m": ms, "bits": bits.tolist(), "block": block}
        )
    return chans


if cocotb is not None:

    async def bit_of(dut, code: int) -> int:
        """The unit's bit for a pooled code driven on ``code_i`` (combinational)."""
        await FallingEdge(dut.clk_i)
        dut.code_i.value = code
        await ReadOnly()
        return int(dut.bit_o.value)

    @cocotb.test()
    async def threshold_bits(dut):
        """Load each channel's word, then check every value's code and the bit of that code."""
        from pymodel.packing import pack_threshold_word

        cfg = load_cfg()
        w = cfg["w"]
        rng = random.Random(2)
        start_clock(dut.clk_i)
        await reset(dut, **IDLE)
        for k, ch in enumerate(cfg["channels"]):
            word = pack_threshold_word(ch["inv"], ch["hi"], ch["lo"])
            if k % 2 == 0:
                beats = [{**IDLE, "load_i": 1, "thr_i": word}]
            else:  # a ROM word with other thresholds, then hi and lo rewritten in place
                other = pack_threshold_word(
                    ch["inv"], rng.randrange(-999, 999), rng.randrange(-999, 999)
                )
                beats = [{**IDLE, "load_i": 1, "thr_i": other}]
                for field, value in rng.sample([("hi", ch["hi"]), ("lo", ch["lo"])], 2):
                    v = to_unsigned(value, 24)
                    beats += [{**IDLE, f"load_{field}_i": 1, "thr_i": (v << 24) | v}]
            await drive_collect(dut, beats, "out_valid_o", ["bit_o"], IDLE)
            assert int(dut.thr_o.value) == word, f"channel {k}: thr_o is not the loaded word"
            beats = []
            beats += with_idle(
                [{"valid_i": 1, "load_i": 0, "m_i": to_unsigned(m, w)} for m in ch["m"]], rng, 0.2
            )
            got = await drive_collect(dut, beats, "out_valid_o", ["code_o"], IDLE)
            codes = [g[0] for g in got]
            want = [
                2 if m >= ch["hi"] else 0 if m <= ch["lo"] else 1 for m in ch["m"]
            ]  # fmt: skip
            assert codes == want, f"channel hi={ch['hi']} lo={ch['lo']}: codes differ"
            bits = [await bit_of(dut, code) for code in codes]  # as the pool hands it back
            assert bits == ch["bits"], (
                f"channel hi={ch['hi']} lo={ch['lo']} inv={ch['inv']}: bits differ"
            )
            for code in (0, 1, 2):
                assert await bit_of(dut, code) == int(code != 1) ^ ch["inv"], f"code {code}"


@pytest.mark.parametrize(("sim", "w"), sim_configs([20, 12]))
def test_threshold(sim, w):
    """The engine's 20-bit conv values and a 12-bit width (sign extension to THR_W)."""
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_threshold",
        test_module="test_ecg_bnn_threshold",
        bid=build_id("threshold", sim, W=w),
        parameters={"W": w, "THR_W": 24},
        cfg={"channels": channel_set(w, w), "w": w},
    )
