"""``ecg_bnn_engine_lane``: one output channel of the engine, exact against the golden model.

The cocotb side plays the controller and the shared datapath for one channel group: it loads
the lane's weight row word by word (``pymodel.packing.pack_row``) with its threshold word, clears
the group, then issues the chunks of every conv output (row-buffer read in the issue cycle, the
activation slice and the chunk mask in the next, as ``ecg_bnn_engine`` does; bits beyond the row
are random and must be masked), with random idle cycles between chunks, and collects the output
bits (or, in block 6, reads the score sums at the end). Scenarios per ``SIMD``:

- blocks 2-5: ``C_in`` = 8 and 32, random maps and weights, thresholds from the pooled range
  (both comparisons and the inversion occur); bits against ``golden.popcount_conv``,
  ``golden.maxpool`` and ``golden.compare_bits``;
- block 6: ``C_in`` = 64, ``S_pos`` / ``S_neg`` against ``golden.score_sums``;
- block 1: raw int16 samples one input position per cycle, after 7 pads (value ``P``) shifted
  in while the scaler's results arrive, as the engine does; the 7 weight bits from the weight ROM
  word, the threshold word from the scaler's port; against ``golden.block1_conv``.

Every scenario also checks the number of pooled values and bits, that no bit comes in block 6,
and (through the stages' own assertions) each stage's latency.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs, to_signed, to_unsigned

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import FallingEdge, ReadOnly
    from ecg_bnn_tb_utils import reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

X_W = 17
THR_W = 24
ROW_BITS = 7 * 64
IDLE_IN = {
    "block1_i": 0, "block6_i": 0, "group_clear_i": 0, "load_i": 0, "load_word_i": 0,
    "load_first_i": 0, "wrom_data_i": 0, "trom_data_i": 0, "scaled_hi_i": 0, "scaled_lo_i": 0,
    "scaled_thr_i": 0,
    "rb_re_i": 0, "row_bit_i": 0, "s1_valid_i": 0, "s1_first_i": 0, "s1_last_i": 0,
    "s1_odd_i": 0, "s1_row_off_i": 0, "act_i": 0, "mask_i": 0, "shift_i": 0, "x_i": 0,
}  # fmt: skip


def pooled_len(conv_len: int) -> int:
    """Pooled outputs of ``conv_len`` conv outputs (window 7, stride 2)."""
    return (conv_len - 7) // 2 + 1


def thresholds_for(m: np.ndarray, rng: random.Random) -> tuple[int, int, int]:
    """(inv, hi, lo) that split ``m`` in both directions (a two-sided test, maybe inverted)."""
    lo_v, hi_v = int(m.min()), int(m.max())
    span = max(hi_v - lo_v, 2)
    hi = lo_v + span * 2 // 3
    lo = lo_v + span // 4
    return rng.randrange(2), hi, lo


def binary_scenario(cin: int, length: int, block6: bool, seed: int) -> dict:
    """A random (C_in, length) map and weight row; the golden bits or score sums.

    Block 6: the first half of the map leans towards -1 and the weights towards +1, so the pooled
    conv values take both signs (both score sums non-zero).
    """
    from pymodel import golden, packing

    rng = np.random.default_rng(seed)
    ones = np.full(length, 0.5)
    if block6:
        ones[: length // 2] = 0.2
    a = (rng.random((cin, length)) < ones).astype(np.uint8)
    w = (rng.random((1, 7, cin)) < (0.7 if block6 else 0.5)).astype(np.uint8)
    p = golden.popcount_conv(a, w)[0]
    npool = pooled_len(len(p))
    conv_len = 2 * npool + 5
    m = golden.maxpool(p[:conv_len])
    rows = golden.conv_windows(a)[:conv_len]  # (T, 7*C_in) bits, row order k*C_in + ci
    wpr = packing.words_per_row(cin)
    out = {
        "cin": cin,
        "block1": 0,
        "block6": int(block6),
        "rom_words": packing.pack_row(w[0], wpr),
        "windows": ["".join(str(int(b)) for b in row[::-1]) for row in rows],  # MSB first
        "npool": int(npool),
    }
    if block6:
        s_pos, s_neg = golden.score_sums(golden.pooled_values(m, ROW_BITS // 7))
        out |= {"thr_word": 0, "s_pos": int(s_pos), "s_neg": int(s_neg)}
    else:
        inv, hi, lo = thresholds_for(m, random.Random(seed))
        bits = golden.compare_bits(m[None, :], np.array([hi]), np.array([lo]), np.array([inv]))
        out |= {"thr_word": packing.pack_threshold_word(inv, hi, lo), "bits": bits[0].tolist()}
    return out


def block1_scenario(length: int, seed: int) -> dict:
    """Random int16 samples, pad value and weight bits; the golden block-1 bits."""
    from pymodel import golden, packing

    rng = np.random.default_rng(seed)
    x = rng.integers(-32768, 32768, length).astype(np.int64)
    pad = int(rng.integers(-65536, 65536))  # P is signed 17 bits
    w1 = rng.integers(0, 2, (1, 7, 1)).astype(np.uint8)
    acc = golden.block1_conv(x[None, :], w1, np.array([pad]))[0, 0]
    npool = pooled_len(len(acc))
    conv_len = 2 * npool + 5
    m = golden.maxpool(acc[:conv_len])
    trng = random.Random(seed)
    inv, hi, lo = thresholds_for(m, trng)
    bits = golden.compare_bits(m[None, :], np.array([hi]), np.array([lo]), np.array([inv]))
    xp = golden.pad_samples(x, np.array(pad))
    # the ROM word before the scaler rewrites hi and lo in place (its inv stays)
    rom_thr = packing.pack_threshold_word(inv, trng.randrange(-999, 999), trng.randrange(-999, 999))
    # the run's input positions: the padded input from the first sample to the last window's end
    positions = [int(v) for v in xp[5 : 2 * (conv_len - 1) + 7]]
    return {
        "cin": 1,
        "block1": 1,
        "block6": 0,
        "rom_words": packing.pack_row(w1[0], 1),
        "thr_word": packing.pack_threshold_word(inv, hi, lo),
        "rom_thr": rom_thr,
        "hi": int(hi),
        "lo": int(lo),
        "pad": pad,
        "positions": positions,
        "npool": int(npool),
        "bits": bits[0].tolist(),
    }


if cocotb is not None:

    class LaneDriver:
        """Drives the lane one cycle at a time and collects its outputs."""

        def __init__(self, dut, simd: int, rng: random.Random, idle: float) -> None:
            self.dut, self.simd, self.rng, self.idle = dut, simd, rng, idle
            self.aw = max(simd, 16)
            self.stage1: dict[str, int] = {}  # stage-1 inputs of the last cycle's issue
            self.bits: list[int] = []
            self.pools = 0

        async def cycle(self, inputs: dict[str, int]) -> None:
            """One clock cycle: ``inputs`` plus the stage-1 half of the previous issue."""
            await FallingEdge(self.dut.clk_i)
            for name, value in {**IDLE_IN, **self.base, **self.stage1, **inputs}.items():
                getattr(self.dut, name).value = value
            self.stage1 = {}
            await ReadOnly()
            if int(self.dut.bit_valid_o.value):
                self.bits.append(int(self.dut.bit_o.value))
            self.pools += int(self.dut.pool_valid_o.value)

        async def run(self, sc: dict) -> None:
            """Load the row and threshold, clear, stream every conv output, drain."""
            self.base = {"block1_i": sc["block1"], "block6_i": sc["block6"]}
            rom_thr = sc["rom_thr"] if sc["block1"] else sc["thr_word"]
            for i, word in enumerate(sc["rom_words"]):
                first = {"load_first_i": 1, "trom_data_i": rom_thr} if i == 0 else {}
                await self.cycle({"load_i": 1, "load_word_i": i, "wrom_data_i": word, **first})
            if sc["block1"]:  # the scaler rewrites hi, then lo, in place; 7 pads shift in
                pad = {"shift_i": 1, "x_i": to_unsigned(sc["pad"], X_W)}
                for field in ("hi", "lo"):
                    value = to_unsigned(sc[field], 24)
                    await self.cycle({f"scaled_{field}_i": 1, "scaled_thr_i": value, **pad})
                for _ in range(5):
                    await self.cycle(pad)
            await self.cycle({"group_clear_i": 1})
            if not sc["block6"]:  # the register the scaler reads holds the channel's word
                assert int(self.dut.thr_o.value) == sc["thr_word"], "thr_o is not the word"
            if sc["block1"]:
                await self.block1(sc["positions"])
            else:
                await self.chunks(sc["windows"], 7 * sc["cin"])
            for _ in range(8):
                await self.cycle({})

        async def block1(self, positions: list[int]) -> None:
            """One input position per cycle; every second one (an odd sample) ends a window."""
            for i, value in enumerate(positions):
                pos = {"s1_valid_i": 1, "shift_i": 1, "x_i": to_unsigned(value, X_W)}
                await self.cycle({**pos, "s1_odd_i": i % 2})

        async def chunks(self, windows: list[str], row_bits: int) -> None:
            """Issue the SIMD-bit chunks of every conv window (rows given MSB first)."""
            simd = self.simd
            nch = -(-row_bits // simd)
            valid_last = row_bits - (nch - 1) * simd
            for row in windows:
                value = int(row, 2)
                for r in range(nch):
                    while self.rng.random() < self.idle:
                        await self.cycle({})
                    chunk = (value >> (r * simd)) & ((1 << simd) - 1)
                    last = r == nch - 1
                    garbage = self.rng.getrandbits(simd) & ~((1 << valid_last) - 1) if last else 0
                    await self.cycle({"rb_re_i": 1, "row_bit_i": r * simd})
                    self.stage1 = {
                        "s1_valid_i": 1,
                        "s1_first_i": int(r == 0),
                        "s1_last_i": int(last),
                        "s1_row_off_i": (r * simd) % self.aw,
                        "act_i": chunk | garbage,
                        "mask_i": (1 << valid_last) - 1 if last else (1 << simd) - 1,
                    }

    @cocotb.test()
    async def lane_exact(dut):
        """Bits (blocks 1-5) and score sums (block 6) of every scenario equal the golden model."""
        cfg = load_cfg()
        rng = random.Random(cfg["seed"])
        start_clock(dut.clk_i)
        for name, value in IDLE_IN.items():
            getattr(dut, name).value = value
        await reset(dut)
        for k, sc in enumerate(cfg["scenarios"]):
            drv = LaneDriver(dut, cfg["simd"], rng, cfg["idle"])
            await drv.run(sc)
            block = "1" if sc["block1"] else "6" if sc["block6"] else "2-5"
            what = f"scenario {k} (C_in {sc['cin']}, block {block})"
            assert drv.pools == sc["npool"], (
                f"{what}: {drv.pools} pooled values, expected {sc['npool']}"
            )
            if sc["block6"]:
                assert not drv.bits, f"{what}: bits written in block 6"
                got = (to_signed(int(dut.s_pos_o.value), 16), to_signed(int(dut.s_neg_o.value), 16))
                assert got == (sc["s_pos"], sc["s_neg"]), (
                    f"{what}: sums {got}, expected {sc['s_pos'], sc['s_neg']}"
                )
            else:
                assert drv.bits == sc["bits"], f"{what}: bits {drv.bits}, expected {sc['bits']}"
            dut._log.info("%s: %d pooled values match", what, drv.pools)


@pytest.mark.parametrize(("sim", "simd"), sim_configs([8, 16, 64], verilator=(1,)))
def test_engine_lane(sim, simd):
    """Blocks 2-5 (C_in 8 and 32), block 6 (C_in 64) and block 1, at three SIMD widths."""
    seed = 700 + simd
    scenarios = [
        binary_scenario(8, 40, False, seed),
        binary_scenario(32, 24, False, seed + 1),
        binary_scenario(64, 14, True, seed + 2),
        block1_scenario(40, seed + 3),
        binary_scenario(8, 30, False, seed + 4),  # a second group after a block-1 one
    ]
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_engine_lane",
        test_module="test_ecg_bnn_engine_lane",
        bid=build_id("engine_lane", sim, SIMD=simd),
        parameters={"SIMD": simd},
        cfg={"simd": simd, "seed": seed, "idle": 0.2, "scenarios": scenarios},
    )
