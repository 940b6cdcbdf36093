"""``ecg_bnn_engine``: the six layers of one window, layer by layer against
``pymodel.golden.trace_batch``.

The pytest side exports a randomized model calibrated on MIT-BIH (every threshold case occurs),
takes one real MIT-BIH window, runs the golden model and stores the z values, the padded
activation maps of blocks 1-5 (position-major bits, as the engine stores them) and the expected
scores, class and flat flag. The cocotb side plays the z buffer (registered read) during block 1,
then waits for each layer change (``layer_o``; no per-cycle Python) and reads the finished map of
the previous block straight out of the activation buffer's two RAM banks (hierarchical access),
compares every bit, and finally takes the result (with back-pressure) and compares scores, class
and flat flag. Some configurations also reset the engine in the middle of block 3 and then run
the window again, and run a flat-line window (z = 0, flat = 1).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import (
    SIMS,
    build_id,
    ecg_windows,
    load_cfg,
    random_model,
    run_unit,
    to_signed,
)

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, Edge, First, ReadOnly, RisingEdge, Timer
    from ecg_bnn_tb_utils import CLK_NS, reset, start_clock, wait_pulse
except ImportError:  # pragma: no cover
    cocotb = None

ACT_BITS = 7456  # the engine's largest padded map
LAYER_TIMEOUT = 400_000  # cycles per layer (SIMD 8, PE 1 needs about 200k for block 3)


def layer_maps(trace) -> list[np.ndarray]:
    """Padded output maps of blocks 1-5, flattened position-major (bit ``pos*C + c``)."""
    from pymodel import golden

    return [golden.pad_bits(b).T.reshape(-1).astype(np.uint8) for b in trace.layer_bits()]


if cocotb is not None:

    def read_half(dut, half: int, nbits: int, aw: int, half_words: int) -> np.ndarray:
        """The first ``nbits`` bits of one activation-buffer half (bank by word parity).

        Bits that are not 0/1 (never written: X in Icarus) read as 2, which matches nothing.
        """
        banks = (dut.u_act.u_even.mem_q, dut.u_act.u_odd.mem_q)
        code = {"0": 0, "1": 1}
        bits: list[int] = []
        for i in range((nbits + aw - 1) // aw):
            w = half * half_words + i
            bits.extend(code.get(ch, 2) for ch in reversed(str(banks[w & 1][w >> 1].value)))
        return np.array(bits[:nbits], dtype=np.uint8)

    async def zbuf(dut, z: np.ndarray) -> None:
        """The z buffer (registered read) until the engine releases it (``zrelease_o``)."""
        while True:
            await ReadOnly()
            re = int(dut.zbuf_re_o.value)
            addr = int(dut.zbuf_raddr_o.value) if re else 0  # X before the first read
            done = int(dut.zrelease_o.value)
            await RisingEdge(dut.clk_i)
            if re:
                dut.zbuf_rdata_i.value = int(z[addr]) & 0xFFFF
            elif done:
                return

    async def next_layer(dut, layer: int) -> None:
        """Wait until ``layer_o`` leaves ``layer`` (timeout: LAYER_TIMEOUT cycles)."""
        while int(dut.layer_o.value) == layer:
            timer = Timer(LAYER_TIMEOUT * CLK_NS, unit="ns")
            got = await First(Edge(dut.layer_o), timer)
            assert got is not timer, f"block {layer} did not finish"

    async def run_window(dut, z, flat, maps, scores, pred, cfg, rng, stop_at=0) -> None:
        """One window through the engine; ``stop_at`` > 0 returns once that block started."""
        aw, hw, ncls = cfg["aw"], cfg["half_words"], cfg["num_classes"]
        await ReadOnly()
        assert int(dut.busy_o.value) == 0 and int(dut.m_valid_o.value) == 0
        await RisingEdge(dut.clk_i)
        dut.zready_i.value, dut.zflat_i.value = 1, int(flat)
        feeder = cocotb.start_soon(zbuf(dut, z))
        await wait_pulse(dut.clk_i, dut.zrelease_o, LAYER_TIMEOUT, "zrelease_o")
        await RisingEdge(dut.clk_i)
        dut.zready_i.value = 0
        for layer in range(1, 6):
            await next_layer(dut, layer)
            if layer == 1:
                await feeder  # returns on the first cycle of block 2 without a z read
            got = read_half(dut, (layer + 1) % 2, len(maps[layer - 1]), aw, hw)
            bad = np.flatnonzero(got != maps[layer - 1])
            if bad.size:
                cout = cfg["cout"][layer - 1]
                pos, ch = divmod(int(bad[0]), cout)
                raise AssertionError(
                    f"block {layer}: {bad.size} wrong bits, first at padded position {pos} "
                    f"channel {ch} (got {got[bad[0]]})"
                )
            dut._log.info("block %d: all %d activation bits match", layer, len(got))
            if layer + 1 == stop_at:
                return
        await wait_pulse(dut.clk_i, dut.m_valid_o, LAYER_TIMEOUT, "m_valid_o")
        value = int(dut.m_data_o.value)
        for _ in range(rng.randrange(2, 6)):  # back-pressure: the result must hold
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            assert int(dut.m_valid_o.value) == 1 and int(dut.m_data_o.value) == value
        await RisingEdge(dut.clk_i)
        dut.m_ready_i.value = 1
        await RisingEdge(dut.clk_i)
        dut.m_ready_i.value = 0
        await ReadOnly()
        assert int(dut.m_valid_o.value) == 0, "m_valid_o must fall after the handshake"
        cls, flag = value & 0xFF, (value >> 8) & 1
        assert (value >> 9) & 0x7F == 0, "tdata[15:9] must be zero"
        got = [to_signed(value >> (16 + 32 * c), 32) for c in range(ncls)]
        assert got == list(scores), f"scores {got} != golden {list(scores)}"
        assert cls == pred and flag == int(flat), f"class {cls} flat {flag}, golden {pred} {flat}"
        dut._log.info("result: class %d, scores match", cls)
        await ClockCycles(dut.clk_i, 3)

    @cocotb.test()
    async def engine_layers(dut):
        """Every block's activation bits, then scores, class and flat flag."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        rng = random.Random(7)
        maps = [arr[f"map{i}"] for i in range(1, 6)]
        start_clock(dut.clk_i)
        await reset(dut, zready_i=0, zflat_i=0, zbuf_rdata_i=0, m_ready_i=0)
        window = (arr["z"], bool(arr["flat"]), maps, arr["scores"], int(arr["pred"]))
        if cfg["reset_mid"]:
            await run_window(dut, *window, cfg, rng, stop_at=3)
            await ClockCycles(dut.clk_i, 500)
            await reset(dut, zready_i=0, zflat_i=0, m_ready_i=0)
            await ReadOnly()
            assert int(dut.busy_o.value) == 0 and int(dut.m_valid_o.value) == 0
            await RisingEdge(dut.clk_i)
        await run_window(dut, *window, cfg, rng)
        if cfg["flat_window"]:
            fmaps = [arr[f"fmap{i}"] for i in range(1, 6)]
            fz = np.zeros_like(arr["z"])
            await run_window(dut, fz, True, fmaps, arr["fscores"], int(arr["fpred"]), cfg, rng)


CONFIGS = [  # (classes, SIMD, PE, extra windows: reset in block 3 + flat line)
    (5, 16, 1, False),
    (5, 8, 2, False),
    (5, 32, 4, True),
    (17, 64, 8, True),
]
# Icarus needs minutes per window (about 3k cycles/s here): it runs the default configuration
# and the widest one (one window each); Verilator runs every configuration and extra windows.
ICARUS = {(5, 16, 1), (17, 64, 8)}


RUNS = [(sim, *c) for c in CONFIGS for sim in SIMS if sim == "verilator" or c[:3] in ICARUS]


@pytest.mark.parametrize(("sim", "ncls", "simd", "pe", "extra"), RUNS)
def test_engine(sim, ncls, simd, pe, extra):
    """One real MIT-BIH window (a demo window), per-layer activation bits and the result."""
    from ecg_bnn_runner import sv_string

    from pymodel import golden
    from pymodel.model import layer_shapes

    extra = extra and sim == "verilator"
    params, mem = random_model(ncls)
    window = ecg_windows([(simd + pe) % 20])
    trace = golden.trace_batch(params, window).squeeze()
    ftrace = golden.trace_batch(params, np.full((1, 3600), 1000)).squeeze()
    assert not trace.flat and ftrace.flat and not ftrace.z.any()
    arrays = {"z": trace.z, "flat": trace.flat, "scores": trace.scores, "pred": trace.pred}
    arrays |= {"fscores": ftrace.scores, "fpred": ftrace.pred}
    for i, (m, fm) in enumerate(zip(layer_maps(trace), layer_maps(ftrace), strict=True), 1):
        assert 0 < m.mean() < 1, f"block {i}: constant activations make a weak test"
        arrays[f"map{i}"], arrays[f"fmap{i}"] = m, fm
    aw = max(simd, 16)
    half_words = 1 << ((ACT_BITS + aw - 1) // aw - 1).bit_length()
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_engine",
        test_module="test_ecg_bnn_engine",
        bid=build_id("engine", sim, C=ncls, SIMD=simd, PE=pe),
        parameters={
            "NUM_CLASSES": ncls,
            "SIMD": simd,
            "PE": pe,
            "WEIGHTS_FILE": sv_string(mem / "weights.mem"),
            "THRESHOLDS_FILE": sv_string(mem / "thresholds.mem"),
            "SCORES_FILE": sv_string(mem / "scores.mem"),
        },
        cfg={
            "num_classes": ncls,
            "aw": aw,
            "half_words": half_words,
            "cout": [s.out_channels for s in layer_shapes(ncls)],
            "reset_mid": extra,
            "flat_window": extra,
        },
        arrays=arrays,
    )
