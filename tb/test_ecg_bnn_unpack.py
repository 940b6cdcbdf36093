"""``ecg_bnn_unpack``: the parameter stream reader, exact against ``pymodel.packing``.

The pytest side draws threshold sets and score coefficients (:func:`stream_case`), packs them
with ``pymodel.packing.pack_stream`` into a ``thresholds.mem`` image and lists the records the
unit must hand out, in order: per block 1-5 and channel the word ``{inv, hi, lo}``
(``pack_threshold_word``), per class ``{C, B, A}`` (``pack_score_word``). The cases cover every
threshold encoding (suffix, prefix, interval, two-sided, both constants), fields at the widest
the datapath allows (block 1 from ``THR_NEVER_LO + 1`` to ``THR_NEVER_HI - 1``, 32-bit ``C``,
16-bit ``A``/``B`` at -32768 and 32767), fields of width 0 (a block of constants only, blocks
without ``lo`` or ``inv``), the shipped models' streams and the engine tests' random model.
The cocotb side plays the engine: it starts a pass (``start_i``; no record is ready before),
waits for ``ready_o``, checks ``layer_o`` and the record while it waits and in the cycle after
taking it (``re_i``, random gaps), runs three passes, restarts in the middle of a pass and resets
in the middle of a pass (both must start from the first record again).
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
from ecg_bnn_runner import SIM_BUILD, sv_string
from ecg_bnn_tb_utils import build_id, load_cfg, mem_image, random_model, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

CASES = ["random", "wide", "narrow", "bnn5_paper", "bnn17", "random5"]


def thresholds(rng: np.random.Generator, cout: int, lo_m: int, hi_m: int, kinds: str):
    """``cout`` channels of ``kinds`` (letters: s suffix, p prefix, i interval, t two-sided,
    0 / 1 constants), thresholds in ``lo_m .. hi_m``."""
    from pymodel.golden import THR_NEVER_HI, THR_NEVER_LO, Thresholds

    hi, lo, inv = [], [], []
    for c in range(cout):
        kind = kinds[c % len(kinds)]
        a, b = sorted(int(v) for v in rng.integers(lo_m, hi_m + 1, 2))
        b = max(b, a + 2)
        h, low, i = {
            "s": (a, THR_NEVER_LO, 0),
            "p": (a, THR_NEVER_LO, 1),
            "i": (b, a, 1),
            "t": (b, a, 0),
            "0": (THR_NEVER_HI, THR_NEVER_LO, 1),
            "1": (THR_NEVER_HI, THR_NEVER_LO, 0),
        }[kind]
        hi.append(h)
        lo.append(low)
        inv.append(i)
    return Thresholds(
        hi=np.array(hi, dtype=np.int64),
        lo=np.array(lo, dtype=np.int64),
        inv=np.array(inv, dtype=np.uint8),
    )


def stream_case(case: str, rng: np.random.Generator) -> SimpleNamespace:
    """Thresholds of blocks 1-5 and coefficients (``thresholds``, ``score_a/b/c``)."""
    from pymodel.export import load_params
    from pymodel.golden import THR_NEVER_HI, THR_NEVER_LO
    from pymodel.network import layer_shapes

    if case == "random5":  # the engine and top tests' randomized model
        return random_model(5)[0]
    if case.startswith("bnn"):
        return load_params(SIM_BUILD.parent / "rtl" / "mem" / case)
    ncls = {"random": 5, "wide": 17, "narrow": 2}[case]
    couts = [s.out_channels for s in layer_shapes(ncls)[:-1]]
    if case == "random":
        kinds = ["t", "s", "si", "tpi01", "stpi"]
        blocks = [thresholds(rng, couts[0], -(1 << 20), 1 << 20, kinds[0])]
        blocks += [
            thresholds(rng, n, 0, 56 * (i + 1), k)
            for i, (n, k) in enumerate(zip(couts[1:], kinds[1:], strict=True))
        ]
        a, b = rng.integers(-5000, 30000, ncls), rng.integers(-30000, 5000, ncls)
        c = rng.integers(-(1 << 26), 1 << 26, ncls)
    elif case == "wide":
        blocks = [thresholds(rng, n, THR_NEVER_LO + 1, THR_NEVER_HI - 1, "ti") for n in couts]
        for t in blocks:  # the extremes themselves
            t.hi[0], t.lo[0] = THR_NEVER_HI - 1, THR_NEVER_LO + 1
        a = rng.integers(-(1 << 15), 1 << 15, ncls)
        b = rng.integers(-(1 << 15), 1 << 15, ncls)
        a[0], b[0], a[1], b[1] = -(1 << 15), (1 << 15) - 1, (1 << 15) - 1, -(1 << 15)
        c = rng.integers(-(1 << 31), 1 << 31, ncls)
        c[0], c[1] = -(1 << 31), (1 << 31) - 1
    else:  # narrow: constants only, one value, no lo, no inv; all-zero coefficients
        blocks = [
            thresholds(rng, couts[0], 5, 5, "s"),
            thresholds(rng, couts[1], 0, 10, "01"),
            thresholds(rng, couts[2], 7, 7, "p"),
            thresholds(rng, couts[3], 3, 9, "0"),
            thresholds(rng, couts[4], 0, 224, "1s"),
        ]
        a, b, c = np.zeros(ncls, np.int64), np.full(ncls, -1), np.array([0, -1])
    return SimpleNamespace(
        num_classes=ncls, thresholds=tuple(blocks), score_a=a, score_b=b, score_c=c
    )


if cocotb is not None:

    async def take(dut, rng: random.Random, layer: int, thr: int, coef: int, k: int) -> None:
        """Wait for record ``k``, check it while ready and the cycle after taking it."""
        for _ in range(20000):
            await ReadOnly()
            if int(dut.ready_o.value):
                break
            await RisingEdge(dut.clk_i)
        else:
            raise AssertionError(f"record {k}: ready_o never rose")

        def check(when: str) -> None:
            assert int(dut.ready_o.value) == 1 or when == "after", f"record {k}: ready fell"
            assert int(dut.layer_o.value) == layer, f"record {k} {when}: layer {dut.layer_o.value}"
            got = int(dut.coef_o.value) if layer == 6 else int(dut.thr_o.value)
            want = coef if layer == 6 else thr
            assert got == want, f"record {k} (block {layer}) {when}: {got:#x} != {want:#x}"

        check("ready")
        await FallingEdge(dut.clk_i)
        for _ in range(rng.choice([0, 0, 0, 1, 3])):
            await ReadOnly()
            check("waiting")
            await FallingEdge(dut.clk_i)
        dut.re_i.value = 1
        await RisingEdge(dut.clk_i)
        await ReadOnly()
        check("after")  # the engine reads the record here, as a registered ROM read
        assert int(dut.ready_o.value) == 0, f"record {k}: still ready after it was taken"
        await FallingEdge(dut.clk_i)
        dut.re_i.value = 0

    async def start(dut, idle: int) -> None:
        """``idle`` cycles without a record ready (before a pass), then a ``start_i`` pulse."""
        for _ in range(idle):
            await ReadOnly()
            assert int(dut.ready_o.value) == 0, "a record is ready before start_i"
            await FallingEdge(dut.clk_i)
        dut.start_i.value = 1
        await FallingEdge(dut.clk_i)
        dut.start_i.value = 0

    @cocotb.test()
    async def unpack_records(dut):
        """Three passes, a restart in the middle of a pass, a reset in the middle of a pass."""
        cfg = load_cfg()
        recs = cfg["records"]
        rng = random.Random(len(recs))
        start_clock(dut.clk_i)
        await reset(dut, re_i=0, start_i=0)
        await FallingEdge(dut.clk_i)
        for idle in (5, 0, 40):
            await start(dut, idle)
            for k, (layer, thr, coef) in enumerate(recs):
                await take(dut, rng, layer, thr, coef, k)
        await start(dut, 1)
        for k, (layer, thr, coef) in enumerate(recs[:100]):
            await take(dut, rng, layer, thr, coef, k)
        await ClockCycles(dut.clk_i, 7)
        await FallingEdge(dut.clk_i)
        await start(dut, 0)  # a restart from inside a pass: the first record again
        for k, (layer, thr, coef) in enumerate(recs[:60]):
            await take(dut, rng, layer, thr, coef, k)
        await reset(dut, re_i=0, start_i=0)
        await FallingEdge(dut.clk_i)
        await start(dut, 3)
        for k, (layer, thr, coef) in enumerate(recs):
            await take(dut, rng, layer, thr, coef, k)


# Verilator: the random stream and the widest fields (a build per stream)
@pytest.mark.parametrize(("sim", "case"), sim_configs(CASES, verilator=(0, 1)))
def test_unpack(sim, case):
    """Random, widest, narrowest, the shipped models' and the random engine model's streams."""
    from pymodel.packing import pack_score_word, pack_stream, pack_threshold_word, stream_format

    params = stream_case(case, np.random.default_rng(CASES.index(case)))
    words = pack_stream(params)
    records = [
        [i, pack_threshold_word(int(t.inv[c]), int(t.hi[c]), int(t.lo[c])), 0]
        for i, t in enumerate(params.thresholds, start=1)
        for c in range(t.channels)
    ]
    records += [
        [6, 0, pack_score_word(int(a), int(b), int(c))]
        for a, b, c in zip(params.score_a, params.score_b, params.score_c, strict=True)
    ]
    fmt = stream_format(params)
    if case == "narrow":
        assert fmt.blocks[3].hw == 0 and fmt.blocks[1].lw == 0 and fmt.blocks[0].iw == 0
    if case == "wide":
        assert fmt.blocks[0].hw == 24 and fmt.scores.cw == 32 and fmt.scores.aw == 16
    bid = build_id("unpack", sim, case=case)
    (SIM_BUILD / bid).mkdir(parents=True, exist_ok=True)
    mem = mem_image(SIM_BUILD / bid / "thresholds.mem", words, 16)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_unpack",
        test_module="test_ecg_bnn_unpack",
        bid=bid,
        parameters={
            "NUM_CLASSES": params.num_classes,
            "DEPTH": len(words),
            "MEM_FILE": sv_string(mem),
        },
        cfg={"records": records},
    )
