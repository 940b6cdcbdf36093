"""``ecg_bnn_engine``: the six layers of one window, layer by layer against the integer golden
model (``pymodel.golden.run_window``), on raw int16 windows (docs/input_contract.md).

The pytest side exports a randomized model calibrated on MIT-BIH (every threshold case occurs),
takes real MIT-BIH windows with several gains and offsets (1/16, 8, 16; +-16000, all inside
int16) and hand-made bad windows (one rail, alternating rails, flat), runs the golden model and
stores the raw samples, the front end's constants (S1, r, P, flags), the padded activation maps
of blocks 1-5 (position-major bits, as the engine stores them) and the expected scores and class.
The cocotb side plays the front end: holds the constants and the window buffer (registered
read) during block 1 until ``win_release_o``, then waits for each layer change (``layer_o``; no
per-cycle Python) and reads the finished map of the previous block straight out of the
activation buffer's two RAM banks (hierarchical access), compares every bit, and finally takes
the result (with back-pressure) and compares scores, class and the three flags. Some
configurations also reset the engine in the middle of block 3 and then run the window again.
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
    to_unsigned,
)

from pymodel.network import PAD, layer_shapes

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, Edge, First, ReadOnly, RisingEdge, Timer
    from ecg_bnn_tb_utils import CLK_NS, reset, start_clock, wait_pulse
except ImportError:  # pragma: no cover
    cocotb = None

ACT_BITS = max((s.pool_length + 2 * PAD) * s.out_channels for s in layer_shapes(5)[:-1])
LAYER_TIMEOUT = 400_000  # cycles per layer (SIMD 8, PE 1 needs about 200k for block 3)


def layer_maps(trace) -> list[np.ndarray]:
    """Padded output maps of blocks 1-5, flattened position-major (bit ``pos*C + c``)."""
    from pymodel import golden

    return [golden.pad_bits(b).T.reshape(-1).astype(np.uint8) for b in trace.layer_bits()]


def transformed(x: np.ndarray, num: int, den: int, offset: int) -> np.ndarray:
    """``floor((x - 1024) * num / den) + offset``: a MIT-BIH window at another gain and offset."""
    y = (x.astype(np.int64) - 1024) * num // den + offset
    assert y.min() >= -32768 and y.max() <= 32767, "the transformed window must fit int16"
    return y


def bad_windows() -> dict[str, np.ndarray]:
    """Hand-made bad input: one rail, alternating rails, a spike in a flat line."""
    n = 3600
    return {
        "rail": np.full(n, 32767),
        "alternating": np.tile([-32768, 32767], n // 2),
        "spike": np.where(np.arange(n) == 1800, 32767, -5),
    }


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

    async def window_buffer(dut, x: np.ndarray) -> None:
        """The window buffer (registered read) until the engine releases it (``win_release_o``)."""
        while True:
            await ReadOnly()
            re = int(dut.xbuf_re_o.value)
            addr = int(dut.xbuf_raddr_o.value) if re else 0  # X before the first read
            done = int(dut.win_release_o.value)
            await RisingEdge(dut.clk_i)
            if re:
                dut.xbuf_rdata_i.value = int(x[addr]) & 0xFFFF
            elif done:
                return

    async def next_layer(dut, layer: int) -> None:
        """Wait until ``layer_o`` leaves ``layer`` (timeout: LAYER_TIMEOUT cycles)."""
        while int(dut.layer_o.value) == layer:
            timer = Timer(LAYER_TIMEOUT * CLK_NS, unit="ns")
            got = await First(Edge(dut.layer_o), timer)
            assert got is not timer, f"block {layer} did not finish"

    def set_constants(dut, win: dict, ready: int) -> None:
        """The front end's outputs: ready, S1, r, P and flags (garbage when not ready)."""
        dut.win_ready_i.value = ready
        if ready:
            dut.win_s1_i.value = to_unsigned(win["s1"], 28)
            dut.win_r_i.value = win["r"]
            dut.win_pad_i.value = to_unsigned(win["pad"], 17)
            dut.win_flags_i.value = win["flags"]
        else:  # the engine must not look at them outside a window
            dut.win_s1_i.value = 0x5A5A5A5
            dut.win_r_i.value = 0x2A5A5A5
            dut.win_pad_i.value = 0x15A5A
            dut.win_flags_i.value = 0b101

    async def run_window(dut, win: dict, cfg, rng, stop_at=0) -> None:
        """One window through the engine; ``stop_at`` > 0 returns once that block started."""
        aw, hw, ncls = cfg["aw"], cfg["half_words"], cfg["num_classes"]
        maps = win["maps"]
        await ReadOnly()
        assert int(dut.busy_o.value) == 0 and int(dut.m_valid_o.value) == 0
        await RisingEdge(dut.clk_i)
        set_constants(dut, win, 1)
        feeder = cocotb.start_soon(window_buffer(dut, win["x"]))
        await wait_pulse(dut.clk_i, dut.win_release_o, LAYER_TIMEOUT, "win_release_o")
        await RisingEdge(dut.clk_i)
        set_constants(dut, win, 0)
        for layer in range(1, 6):
            await next_layer(dut, layer)
            if layer == 1:
                await feeder  # returns on the first cycle of block 2 without a read
            got = read_half(dut, (layer + 1) % 2, len(maps[layer - 1]), aw, hw)
            bad = np.flatnonzero(got != maps[layer - 1])
            if bad.size:
                cout = cfg["cout"][layer - 1]
                pos, ch = divmod(int(bad[0]), cout)
                raise AssertionError(
                    f"{win['name']}: block {layer}: {bad.size} wrong bits, first at padded "
                    f"position {pos} channel {ch} (got {got[bad[0]]})"
                )
            dut._log.info("%s: block %d: all %d bits match", win["name"], layer, len(got))
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
        cls, flags = value & 0xFF, (value >> 8) & 0x7
        assert (value >> 11) & 0x1F == 0, "tdata[15:11] must be zero"
        got = [to_signed(value >> (16 + 32 * c), 32) for c in range(ncls)]
        assert got == list(win["scores"]), f"{win['name']}: scores {got} != {list(win['scores'])}"
        assert cls == win["pred"], f"{win['name']}: class {cls}, golden {win['pred']}"
        assert flags == win["flags"], f"{win['name']}: flags {flags:03b}, golden {win['flags']:03b}"
        dut._log.info("%s: class %d, flags %03b, scores match", win["name"], cls, flags)
        await ClockCycles(dut.clk_i, 3)

    def windows_of(cfg: dict) -> list[dict]:
        """The test windows stored by the pytest side."""
        arr = cfg["arrays"]
        out = []
        for k, name in enumerate(cfg["windows"]):
            out.append({
                "name": name,
                "x": arr[f"x{k}"],
                "s1": int(arr["s1"][k]),
                "r": int(arr["r"][k]),
                "pad": int(arr["pad"][k]),
                "flags": int(arr["flags"][k]),
                "maps": [arr[f"map{k}_{i}"] for i in range(1, 6)],
                "scores": arr[f"scores{k}"],
                "pred": int(arr["pred"][k]),
            })  # fmt: skip
        return out

    @cocotb.test()
    async def engine_layers(dut):
        """Every window: every block's activation bits, then scores, class and flags."""
        cfg = load_cfg()
        rng = random.Random(7)
        wins = windows_of(cfg)
        start_clock(dut.clk_i)
        idle = {"win_ready_i": 0, "win_s1_i": 0, "win_r_i": 0, "win_pad_i": 0, "win_flags_i": 0}
        await reset(dut, xbuf_rdata_i=0, m_ready_i=0, **idle)
        if cfg["reset_mid"]:
            await run_window(dut, wins[0], cfg, rng, stop_at=3)
            await ClockCycles(dut.clk_i, 500)
            await reset(dut, m_ready_i=0, **idle)
            await ReadOnly()
            assert int(dut.busy_o.value) == 0 and int(dut.m_valid_o.value) == 0
            await RisingEdge(dut.clk_i)
        for win in wins:
            await run_window(dut, win, cfg, rng)


# (classes, SIMD, PE, reset in block 3, windows): real window w of the demo set as
# (w, gain numerator, gain denominator, offset) or a bad window by name
CONFIGS = [
    (5, 16, 1, False, [(3, 1, 1, 1024), (3, 1, 16, 0), (3, 16, 1, -16000), "spike"]),
    (5, 8, 2, False, [(10, 8, 1, 0), (10, 1, 1, 17024), "rail"]),
    (5, 32, 4, True, [(4, 16, 1, 0), (4, 1, 1, -14976), "alternating", "flat"]),
    (17, 64, 8, True, [(8, 1, 16, 16000), (8, 8, 1, -16000), "rail", "flat"]),
]
# Icarus needs about 40 s per window here: it runs the widest configuration on its first bad
# window (one rail: V = 0, every sample clipped; 4-state logic shows any X), while real windows
# run there inside the top (test_ecg_bnn_top.py: the trained model in a wide configuration);
# Verilator runs every window and the reset.
ICARUS = {(17, 64, 8)}
RUNS = [
    pytest.param(sim, *c, marks=[pytest.mark.long(seconds=22)] if sim == "icarus" else [])
    for c in CONFIGS
    for sim in SIMS
    if sim == "verilator" or c[:3] in ICARUS
]


def window_samples(spec) -> tuple[str, np.ndarray]:
    """(name, samples) of a window spec of CONFIGS."""
    if isinstance(spec, str):
        if spec == "flat":
            return spec, np.full(3600, 1000)
        return spec, bad_windows()[spec]
    w, num, den, offset = spec
    name = f"mitdb{w}*{num}/{den}{offset:+d}"
    return name, transformed(ecg_windows([w])[0], num, den, offset)


@pytest.mark.parametrize(("sim", "ncls", "simd", "pe", "reset_mid", "specs"), RUNS)
def test_engine(sim, ncls, simd, pe, reset_mid, specs):
    """Real windows at several gains and offsets and bad windows: per-layer bits and the result."""
    from ecg_bnn_runner import sv_string

    from pymodel import golden
    from pymodel.export import thresholds_depth

    reset_mid = reset_mid and sim == "verilator"
    specs = specs if sim == "verilator" else [s for s in specs if isinstance(s, str)][:1]
    params, mem = random_model(ncls)
    names, arrays = [], {}
    scalars: dict[str, list[int]] = {"s1": [], "r": [], "pad": [], "flags": [], "pred": []}
    for k, spec in enumerate(specs):
        name, x = window_samples(spec)
        t = golden.run_window(params, x)
        flags = int(golden.flag_bits(t.flat, t.low, t.clip))
        for key, value in (("s1", t.s1), ("r", t.r), ("pad", t.pad), ("flags", flags)):
            scalars[key].append(int(value))
        scalars["pred"].append(int(t.pred))
        arrays[f"x{k}"] = np.asarray(x, dtype=np.int64)
        arrays[f"scores{k}"] = np.asarray(t.scores)
        for i, m in enumerate(layer_maps(t), 1):
            if not isinstance(spec, str):
                assert 0 < m.mean() < 1, f"{name} block {i}: constant bits make a weak test"
            arrays[f"map{k}_{i}"] = m
        names.append(name)
    arrays |= {key: np.array(v, dtype=np.int64) for key, v in scalars.items()}
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
            "THRESHOLDS_DEPTH": thresholds_depth(mem),
        },
        cfg={
            "num_classes": ncls,
            "aw": aw,
            "half_words": half_words,
            "cout": [s.out_channels for s in layer_shapes(ncls)],
            "reset_mid": reset_mid,
            "windows": names,
        },
        arrays=arrays,
    )


def test_offset_invariance():
    """Golden: an integer DC offset changes no activation bit (the contract's promise, which the
    engine test's offset windows then check in RTL)."""
    from pymodel import golden

    params, _ = random_model(5)
    x = transformed(ecg_windows([3])[0], 8, 1, 0)
    base = golden.run_window(params, x)
    for offset in (-16000, 1, 16000):
        t = golden.run_window(params, x + offset)
        assert int(t.pad) == int(base.pad) + offset
        for a, b in zip(t.layer_bits(), base.layer_bits(), strict=True):
            assert np.array_equal(a, b)
