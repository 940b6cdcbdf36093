"""``ecg_bnn_isqrt``: floor square root, exact against ``pymodel.golden.isqrt`` (math.isqrt).

Edge cases: 0, 1, every perfect square ``k^2`` and ``k^2 - 1`` around random ``k``, the largest
operand ``2^VW - 1``, the front end's largest ``V`` (alternating int16 rails); random operands
of every bit length; a start pulse while busy (ignored) and a reset in the middle of an operation.
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import reset, reset_mid_op, sequential_op, start_clock
except ImportError:  # pragma: no cover
    cocotb = None


def operands(vw: int, count: int, seed: int) -> list[int]:
    """Edge cases first, then random operands of random bit length (all below ``2^vw``)."""
    from pymodel import golden

    rng = random.Random(seed)
    top = (1 << vw) - 1
    vals = [0, 1, 2, 3, 4, top, top - 1, 1 << (vw - 1), (1 << (vw - 1)) - 1]
    rmax = golden.isqrt(top)
    for k in [2, 3, rmax, rmax - 1] + [rng.randrange(2, rmax) for _ in range(6)]:
        vals += [k * k, k * k - 1, k * k + 1]
    if vw == golden.V_W:  # the largest V of a window: alternating int16 rails
        rails = [golden.RAIL_LO, golden.RAIL_HI] * (golden.N // 2)
        vals.append(int(golden.front_end(rails)["v"]))
    vals += [rng.getrandbits(rng.randrange(1, vw + 1)) for _ in range(count)]
    return [v for v in vals if 0 <= v <= top]


if cocotb is not None:

    @cocotb.test()
    async def isqrt_exact(dut):
        """Every operand's root equals floor(sqrt(v)); VW/2 cycles per root."""
        cfg = load_cfg()
        vw = cfg["vw"]
        rng = random.Random(cfg["seed"])
        start_clock(dut.clk_i)
        await reset(dut, start_i=0, v_i=0)
        for v, expect in zip(cfg["v"], cfg["r"], strict=True):
            glitch = {"v_i": rng.getrandbits(vw)}
            r = await sequential_op(dut, {"v_i": v}, vw // 2 + 2, "r_o", rng, glitch)
            assert r == expect, f"isqrt({v}) = {r}, expected {expect}"
        await reset_mid_op(dut, {"v_i": (1 << vw) - 1}, vw // 4)
        r = await sequential_op(dut, {"v_i": cfg["v"][-1]}, vw // 2 + 2, "r_o", rng)
        assert r == cfg["r"][-1], "wrong root after a reset in the middle of an operation"


# golden.V_W and a small width
@pytest.mark.parametrize(("sim", "vw"), sim_configs([54, 8]))
def test_isqrt(sim, vw):
    """Exact roots for the IP's 54-bit operand and a small width."""
    from pymodel import golden

    v = operands(vw, 150, vw)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_isqrt",
        test_module="test_ecg_bnn_isqrt",
        bid=build_id("isqrt", sim, VW=vw),
        parameters={"VW": vw},
        cfg={"vw": vw, "seed": vw, "v": v, "r": [golden.isqrt(x) for x in v]},
    )
