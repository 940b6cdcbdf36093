"""``ecg_bnn_norm``: the window constants ``r = isqrt(N*S2 - S1^2)``, ``P = floor((S1 + r)/N)``
and the flags ``{clipped, low, flat}`` from the window sums, exact against the front-end contract
(``front_end_ref``: ``golden.front_end`` at N = 3600, docs/input_contract.md) and for a shorter
window (N = 1200) with
other flag parameters.

Sums come from real MIT-BIH windows and their gain/offset versions (x*8, x/16, +16000, -20000,
x*16 clipped at the rails), bad input (flat lines also on either rail, a spike in a flat line,
alternating rails, random full-range samples, one sample off, a step between the rails, a few
dozen samples on a rail) and random windows. S1 and S2 are held until done (the unit reads them
in place, as the window pass's registers); another K after the start and a start pulse while
busy are ignored; a reset in the middle of an operation empties the unit.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import (
    build_id,
    ecg_windows,
    edge_windows,
    front_end_ref,
    load_cfg,
    run_unit,
    scaled_windows,
    sim_configs,
    to_signed,
    to_unsigned,
)

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import reset, reset_mid_op, sequential_op, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

LATENCY = 2 + 28 + 2 + 27 + 1 + 25 + 4  # load, sums, root, division, state changes (sanity bound)


if cocotb is not None:

    def operands(s1: int, s2: int, k: int) -> dict[str, int]:
        return {"s1_i": to_unsigned(s1, 28), "s2_i": s2, "k_i": k}

    async def one(dut, s1, s2, k, rng, glitch=None) -> tuple[int, int, int]:
        r = await sequential_op(dut, operands(s1, s2, k), LATENCY, "r_o", rng, glitch)
        return r, to_signed(int(dut.pad_o.value), 17), int(dut.flags_o.value)

    @cocotb.test()
    async def norm_constants(dut):
        """r, P and the flags of every window's sums."""
        cfg = load_cfg()
        rng = random.Random(cfg["n"])
        start_clock(dut.clk_i)
        await reset(dut, start_i=0, s1_i=0, s2_i=0, k_i=0)
        cases = list(zip(cfg["s1"], cfg["s2"], cfg["k"], cfg["r"], cfg["pad"], cfg["flags"],
                         strict=True))  # fmt: skip
        for s1, s2, k, r_exp, pad_exp, fl_exp in cases:
            glitch = {"k_i": rng.getrandbits(12)}  # sampled at the start; S1, S2 stay held
            got = await one(dut, s1, s2, k, rng, glitch)
            assert got == (r_exp, pad_exp, fl_exp), f"S1 {s1} S2 {s2} K {k}: (r, P, flags) {got}"
        await reset_mid_op(dut, operands(*cases[0][:3]), 40)
        s1, s2, k, r_exp, pad_exp, fl_exp = cases[-1]
        assert await one(dut, s1, s2, k, rng) == (r_exp, pad_exp, fl_exp), "wrong after a reset"


@pytest.mark.parametrize(
    ("sim", "n", "low_rms", "clip_max"), sim_configs([(3600, 4, 36), (1200, 10, 5)])
)
def test_norm(sim, n, low_rms, clip_max):
    """The IP's window (real ECG, scaled, bad input) and a short one with other flag limits."""
    rng = np.random.default_rng(n)
    wins = [edge_windows(n), rng.integers(-32768, 32768, (3, n)), rng.integers(900, 1100, (3, n))]
    wins.append(rng.integers(-3, 4, (2, n)))  # RMS around 2: low
    if n == 3600:
        real = ecg_windows([2, 4, 5, 8, 11])
        wins += [real, scaled_windows(real[:2])]
    else:
        wins.append(rng.integers(-2048, 2048, (4, n)))
    x = np.concatenate(wins)
    ref = front_end_ref(x, low_rms, clip_max)
    flags = ref["flags"]
    assert ref["flat"].any() and ref["low"].any() and ref["clip"].any() and not ref["low"].all()
    assert (ref["pad"] < 0).any() and ref["v"].max() >= 1 << 50
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_norm",
        test_module="test_ecg_bnn_norm",
        bid=build_id("norm", sim, N=n),
        parameters={"N": n, "LOW_RMS": low_rms, "CLIP_MAX": clip_max},
        cfg={
            "n": n,
            "s1": ref["s1"].tolist(),
            "s2": ref["s2"].tolist(),
            "k": ref["k"].tolist(),
            "r": ref["r"].tolist(),
            "pad": ref["pad"].tolist(),
            "flags": flags.tolist(),
        },
    )
