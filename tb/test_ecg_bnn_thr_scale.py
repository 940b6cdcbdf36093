"""``ecg_bnn_thr_scale``: per-window block-1 thresholds, exact against
``golden.block1_thresholds`` (docs/input_contract.md).

Vectors come in groups of 8 channels (one block-1 channel group of the golden model): edge groups
(hi/lo "never" values, r = 0, the largest r and |S1| an int16 window can give, the extreme
thresholds, every weight-sign sum ws = -7..7) and random groups (real ranges and the full
THR_W range). Every result must match. The testbench plays the engine lane's threshold
register that the unit rescales in place: it drives ``thr_i`` = {hi, lo} and writes ``thr_o`` over
hi on ``hi_we_o`` and over lo on ``lo_we_o``. Each write comes exactly once, in its pass's last
cycle (hi' in cycle ``LATENCY - 101``, lo' in ``LATENCY - 1``), ``done_o`` exactly ``LATENCY``
cycles after the start; the unit latches ``w_i`` at the start (another ``w_i`` and a second
start pulse one cycle later are ignored) and is idle again after a reset in the middle of an
operation. ``inv`` is the lane's and never passes through the unit.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import SIMS, build_id, load_cfg, run_unit, to_signed, to_unsigned

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import reset, reset_mid_op, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

THR_W = 24
NEVER_HI = (1 << (THR_W - 1)) - 1
NEVER_LO = -(1 << (THR_W - 1))
N = 3600
S1_MAX = N * 32767  # all samples at the positive rail
S1_MIN = -N * 32768
R_MAX = N * 32768  # alternating rails: N times a standard deviation of 32767.5
LATENCY = 201  # start edge -> done_o (2 x (2 x (27 + 4 + 1) + 35 + 1) + 1)


def w_bits_for(ws: int, rng: random.Random) -> list[int]:
    """Seven weight bits whose sign sum is ``ws`` (odd, -7..7), in random positions."""
    ones = (ws + 7) // 2
    bits = [1] * ones + [0] * (7 - ones)
    rng.shuffle(bits)
    return bits


def groups(seed: int, count: int) -> list[dict]:
    """Groups of 8 channels: {hi, lo, inv, w (8, 7), s1, r}; edge cases first."""
    rng = random.Random(seed)
    out = []

    def group(s1: int, r: int, hi=None, lo=None, ws=None) -> dict:
        def thr() -> int:
            real = rng.randrange(-2_000_000, 2_000_000)  # Q14: the shipped models' range
            return rng.choice([real, rng.randrange(NEVER_LO, NEVER_HI + 1)])

        return {
            "s1": s1,
            "r": r,
            "hi": [thr() if hi is None else hi[c % len(hi)] for c in range(8)],
            "lo": [thr() if lo is None else lo[c % len(lo)] for c in range(8)],
            "inv": [rng.randrange(2) for _ in range(8)],
            "w": [w_bits_for(rng.choice(range(-7, 8, 2)) if ws is None else ws[c % len(ws)], rng)
                  for c in range(8)],
        }  # fmt: skip

    every_ws = list(range(-7, 8, 2))
    extremes = [NEVER_HI, NEVER_LO, NEVER_HI - 1, NEVER_LO + 1, 0, 1, -1, 1 << 14]
    for s1 in (0, 1, -1, S1_MAX, S1_MIN, 1024 * N, -16000 * N + 5):
        for r in (0, 1, R_MAX, 59, 3600 * 200):
            out.append(group(s1, r, hi=extremes, lo=extremes[::-1], ws=every_ws))
    out.append(group(S1_MAX, R_MAX, hi=[NEVER_HI - 1], lo=[NEVER_LO + 1], ws=[7]))
    out.append(group(S1_MIN, R_MAX, hi=[NEVER_LO + 1], lo=[NEVER_HI - 1], ws=[-7]))
    for _ in range(count):
        s1 = rng.choice([rng.randrange(S1_MIN, S1_MAX + 1), rng.randrange(-N * 2048, N * 2048)])
        r = rng.choice([rng.randrange(0, R_MAX + 1), rng.randrange(0, 3600 * 400)])
        out.append(group(s1, r))
    return out


def expected(g: dict) -> tuple[np.ndarray, np.ndarray]:
    """(hi', lo') of a group by the golden model."""
    from pymodel import golden

    thr = golden.Thresholds(np.array(g["hi"]), np.array(g["lo"]), np.array(g["inv"]))
    w1 = np.array(g["w"], dtype=np.uint8)[:, :, None]
    hi, lo = golden.block1_thresholds(thr, w1, g["s1"], g["r"])
    return np.asarray(hi).reshape(8), np.asarray(lo).reshape(8)


if cocotb is not None:

    def thr_pair(hi: int, lo: int) -> int:
        """The threshold register's {hi, lo} as the unit reads it."""
        return (to_unsigned(hi, THR_W) << THR_W) | to_unsigned(lo, THR_W)

    async def scale_channel(dut, hi: int, lo: int, w: int, s1: int, r: int, rng) -> tuple[int, int]:
        """One channel through the unit, with the lane register's in-place writes; (hi', lo')."""
        dut.thr_i.value = thr_pair(hi, lo)
        dut.w_i.value = w
        dut.s1_i.value = to_unsigned(s1, 28)
        dut.r_i.value = r
        dut.start_i.value = 1
        await RisingEdge(dut.clk_i)
        dut.w_i.value = rng.getrandbits(7)  # latched at the start: ignored from here on
        writes: dict[str, tuple[int, int]] = {}
        for cycle in range(1, LATENCY + 1):
            await ReadOnly()
            done, busy = int(dut.done_o.value), int(dut.busy_o.value)
            assert done == (cycle == LATENCY), f"done_o = {done} in cycle {cycle}"
            assert busy == (cycle < LATENCY), f"busy_o = {busy} in cycle {cycle}"
            for field in ("hi", "lo"):
                if int(getattr(dut, f"{field}_we_o").value):
                    assert field not in writes, f"second {field} write in cycle {cycle}"
                    writes[field] = (cycle, to_signed(int(dut.thr_o.value), THR_W))
            await RisingEdge(dut.clk_i)
            dut.start_i.value = int(cycle == 1)  # a second start while busy: ignored
            if "hi" in writes and writes["hi"][0] == cycle:  # the lane takes hi' over hi
                dut.thr_i.value = thr_pair(writes["hi"][1], lo)
        dut.start_i.value = 0
        assert [writes[f][0] for f in ("hi", "lo")] == [LATENCY - 101, LATENCY - 1], writes
        for _ in range(rng.randrange(0, 3)):  # idle cycles: no write, no done
            await ReadOnly()
            assert not any(int(getattr(dut, x).value) for x in ("done_o", "hi_we_o", "lo_we_o"))
            await RisingEdge(dut.clk_i)
        return writes["hi"][1], writes["lo"][1]

    @cocotb.test()
    async def thr_scale_exact(dut):
        """Every channel's hi', lo' (and inv passed through) equal the golden model's."""
        cfg = load_cfg()
        arr = cfg["arrays"]
        rng = random.Random(cfg["seed"])
        start_clock(dut.clk_i)
        await reset(dut, start_i=0, thr_i=0, w_i=0, s1_i=0, r_i=0)
        n = 0
        for k in range(len(arr["s1"])):
            s1, r = int(arr["s1"][k]), int(arr["r"][k])
            for c in range(8):
                hi, lo = (int(arr[x][k, c]) for x in ("hi", "lo"))
                w = int(sum(int(b) << i for i, b in enumerate(arr["w"][k, c])))
                got = await scale_channel(dut, hi, lo, w, s1, r, rng)
                want = (int(arr["exp_hi"][k, c]), int(arr["exp_lo"][k, c]))
                assert got == want, (
                    f"group {k} channel {c}: S1 {s1} r {r} hi {hi} lo {lo} w {w:07b}: "
                    f"(hi', lo') = {got}, expected {want}"
                )
                n += 1
        dut._log.info("%d channels exact", n)
        await reset_mid_op(dut, {"thr_i": 0, "w_i": 0x7F, "s1_i": 1, "r_i": 1}, 50)


@pytest.mark.parametrize("dsp", [False, True], ids=["logic", "sb_mac16"])
@pytest.mark.parametrize("sim", SIMS)
def test_thr_scale(sim, dsp):
    """Edge and random channel groups on both simulators; with ``ECG_BNN_ICE40_DSP`` (dsp) the
    iCE40 build's adders, SB_MAC16 blocks through Yosys' cell models."""
    gs = groups(seed=15, count=25)
    exp = [expected(g) for g in gs]
    arrays = {
        "s1": np.array([g["s1"] for g in gs], dtype=np.int64),
        "r": np.array([g["r"] for g in gs], dtype=np.int64),
        "hi": np.array([g["hi"] for g in gs], dtype=np.int64),
        "lo": np.array([g["lo"] for g in gs], dtype=np.int64),
        "inv": np.array([g["inv"] for g in gs], dtype=np.int64),
        "w": np.array([g["w"] for g in gs], dtype=np.int64),
        "exp_hi": np.stack([e[0] for e in exp]),
        "exp_lo": np.stack([e[1] for e in exp]),
    }
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_thr_scale",
        test_module="test_ecg_bnn_thr_scale",
        bid=build_id("thr_scale", sim, DSP=int(dsp)),
        cfg={"seed": 15},
        arrays=arrays,
        defines=["ECG_BNN_ICE40_DSP"] if dsp else [],
    )


def test_reference_edges():
    """The golden model's edge behaviour that the RTL is checked against (no simulator)."""
    from pymodel import golden

    thr = golden.Thresholds(np.array([NEVER_HI, 300]), np.array([-200, NEVER_LO]), np.zeros(2))
    w1 = np.array([[1] * 7, [0] * 7], dtype=np.uint8)[:, :, None]
    hi, lo = golden.block1_thresholds(thr, w1, 36000, 0)  # flat window, sample value 10
    assert list(np.asarray(hi).reshape(2)) == [NEVER_HI, -70]
    assert list(np.asarray(lo).reshape(2)) == [70, NEVER_LO]
