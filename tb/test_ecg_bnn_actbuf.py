"""``ecg_bnn_actbuf``: two-bank activation buffer with bit-masked writes and two-word reads.

Every word is written first (full mask), then random cycles of masked writes (random, all-ones,
single-byte and single-bit masks, as the engine's pad and bit writers use) and reads of
``{word+1, word}`` (with and without the hi word, even and odd word indices, across the half
boundary and the wrap at the top) against a Python model. Read data appears the cycle after
``re_i`` and holds while ``re_i`` is low. Configurations: the engine's AW 16/32/64 shapes.
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import drive_edge, start_clock
except ImportError:  # pragma: no cover
    cocotb = None


if cocotb is not None:

    @cocotb.test()
    async def actbuf_model(dut):
        """Masked writes and two-word reads against a model."""
        cfg = load_cfg()
        aw, words = cfg["aw"], cfg["words"]
        rng = random.Random(aw)
        full = (1 << aw) - 1
        mem = [rng.getrandbits(aw) for _ in range(words)]
        start_clock(dut.clk_i)
        dut.re_i.value = 0
        for w in range(words):
            await drive_edge(dut.clk_i)
            dut.we_i.value, dut.wword_i.value, dut.wdata_i.value = 1, w, mem[w]
            dut.wmask_i.value = full
        await drive_edge(dut.clk_i)
        dut.we_i.value = 0
        special = [0, 1, words // 2 - 1, words // 2, words - 2, words - 1]
        exp_lo = exp_hi = None
        for n in range(cfg["cycles"]):
            await drive_edge(dut.clk_i)
            re = rng.random() < 0.7 or n < len(special)
            rhi = rng.random() < 0.6
            rword = special[n] if n < len(special) else rng.randrange(words)
            we = rng.random() < 0.5
            wword = rng.randrange(words)
            if we and wword in (rword, (rword + 1) % words):  # no read-during-write
                wword = (rword + 2) % words
            wdata = rng.getrandbits(aw)
            byte = rng.randrange(aw // 8)
            wmask = rng.choice([full, rng.getrandbits(aw), 0xFF << (8 * byte), 1 << byte])
            dut.we_i.value, dut.wword_i.value = int(we), wword
            dut.wdata_i.value, dut.wmask_i.value = wdata, wmask
            dut.re_i.value, dut.rhi_i.value, dut.rword_i.value = int(re), int(rhi), rword
            if re:
                exp_lo = mem[rword]
                exp_hi = mem[(rword + 1) % words] if rhi else None
            if we:
                mem[wword] = (mem[wword] & ~wmask & full) | (wdata & wmask)
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            bits = str(dut.rdata_o.value)  # the unread hi word may be X (Icarus)
            where = f"cycle {n} (re {int(re)} rhi {int(rhi)} word {rword})"
            assert bits[aw:] == f"{exp_lo:0{aw}b}", f"{where}: lo {bits[aw:]}, expected {exp_lo:x}"
            if exp_hi is not None:
                assert bits[:aw] == f"{exp_hi:0{aw}b}", (
                    f"{where}: hi {bits[:aw]}, expected {exp_hi:x}"
                )


@pytest.mark.parametrize(("sim", "aw", "words"), sim_configs([(16, 1024), (32, 512), (64, 256)]))
def test_actbuf(sim, aw, words):
    """The engine's buffer for SIMD <= 16, 32 and 64."""
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_actbuf",
        test_module="test_ecg_bnn_actbuf",
        bid=build_id("actbuf", sim, AW=aw, WORDS=words),
        parameters={"AW": aw, "WORDS": words},
        cfg={"aw": aw, "words": words, "cycles": 1500},
    )
