"""``ecg_bnn_norm``: window normalisation constants ``flat = (V == 0)``,
``G = floor(2^32 / isqrt(V))`` from the window sums, exact against ``golden.front_end``
(N = 3600) and the same contract for a shorter window (N = 1200, the shortest multiple of 100
whose smallest non-zero ``r = isqrt(N-1)`` keeps ``G`` within its 27 bits).

Sums come from real MIT-BIH windows (several records), flat lines (also after the clamp), the
largest variance (alternating +-2048), saturated random samples, a step between the clamps and
the smallest non-zero variance (one sample off: ``r = isqrt(N-1)``, the largest ``G``), plus
random windows. A start pulse while busy is ignored; a reset in the middle of an operation
empties the unit.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import (
    SIMS,
    build_id,
    ecg_windows,
    edge_windows,
    front_end_ref,
    load_cfg,
    run_unit,
    to_unsigned,
)

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import reset, reset_mid_op, sequential_op, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

LATENCY = 24 + 23 + 33 + 12  # square, root, reciprocal and state changes (sanity bound)


if cocotb is not None:

    @cocotb.test()
    async def norm_constants(dut):
        """G and flat of every window's sums."""
        cfg = load_cfg()
        rng = random.Random(cfg["n"])
        start_clock(dut.clk_i)
        await reset(dut, start_i=0, s1_i=0, s2_i=0)
        cases = list(zip(cfg["s1"], cfg["s2"], cfg["g"], cfg["flat"], strict=True))
        for s1, s2, g_exp, flat_exp in cases:
            inputs = {"s1_i": to_unsigned(s1, 24), "s2_i": s2}
            glitch = {"s1_i": rng.getrandbits(24), "s2_i": rng.getrandbits(34)}
            g = await sequential_op(dut, inputs, LATENCY, "g_o", rng, glitch)
            flat = int(dut.flat_o.value)
            assert (g, flat) == (g_exp, flat_exp), f"S1 {s1} S2 {s2}: G {g} flat {flat}"
        await reset_mid_op(dut, {"s1_i": to_unsigned(cases[0][0], 24), "s2_i": cases[0][1]}, 40)
        s1, s2, g_exp, flat_exp = cases[-1]
        g = await sequential_op(dut, {"s1_i": to_unsigned(s1, 24), "s2_i": s2}, LATENCY, "g_o", rng)
        assert (g, int(dut.flat_o.value)) == (g_exp, flat_exp), "wrong after a reset"


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("n", [3600, 1200])
def test_norm(sim, n):
    """The IP's window (real ECG, golden.front_end) and a short one."""
    from pymodel import golden

    rng = np.random.default_rng(n)
    wins = [edge_windows(n), rng.integers(-2048, 2048, (4, n)), rng.integers(900, 1100, (4, n))]
    if n == golden.N:
        wins.append(ecg_windows([2, 4, 5, 8, 11]))
    x = np.concatenate(wins)
    ref = front_end_ref(x)
    if n == golden.N:
        gold = golden.front_end(x)
        for key in ("s1", "s2", "g", "flat", "z"):
            assert np.array_equal(ref[key], gold[key]), key
    assert ref["flat"].any() and not ref["flat"].all() and ref["g"].max() < (1 << 27)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_norm",
        test_module="test_ecg_bnn_norm",
        bid=build_id("norm", sim, N=n),
        parameters={"N": n},
        cfg={
            "n": n,
            "s1": ref["s1"].tolist(),
            "s2": ref["s2"].tolist(),
            "g": ref["g"].tolist(),
            "flat": ref["flat"].astype(int).tolist(),
        },
    )
