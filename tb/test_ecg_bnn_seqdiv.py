"""``ecg_bnn_seqdiv``: ``q = floor(a / DIVISOR)`` for signed numerators, exact against Python's
``//`` (floor division, also for negative numerators).

Edge cases: 0, +-1, multiples of the divisor and their neighbours on both sides of zero, the
most negative and most positive numerators the caller's quotient width allows; random
numerators; a start pulse while busy (ignored) and a reset in the middle of an operation.
Configurations: the front end's P = floor((S1 + r)/3600) (29-bit numerator, 17-bit quotient),
an odd divisor and a power of two.
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs, to_signed, to_unsigned

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import reset, reset_mid_op, sequential_op, start_clock
except ImportError:  # pragma: no cover
    cocotb = None


def numerators(nw: int, d: int, qw: int, count: int, seed: int) -> list[int]:
    """Edge cases, then random numerators whose floor quotient fits ``qw`` bits signed."""
    rng = random.Random(seed)
    lo = max(-(1 << (nw - 1)), -(1 << (qw - 1)) * d)
    hi = min((1 << (nw - 1)) - 1, ((1 << (qw - 1)) - 1) * d + d - 1)
    vals = [0, 1, -1, d, -d, d - 1, -d + 1, d + 1, -d - 1, lo, hi, lo + 1, hi - 1]
    for _ in range(10):
        m = rng.randrange(lo // d, hi // d)
        vals += [m * d, m * d - 1, m * d + 1]
    vals += [rng.randrange(lo, hi + 1) for _ in range(count)]
    return [v for v in vals if lo <= v <= hi]


if cocotb is not None:

    @cocotb.test()
    async def seqdiv_exact(dut):
        """Every quotient equals a // DIVISOR."""
        cfg = load_cfg()
        nw, qw = cfg["nw"], cfg["qw"]
        rng = random.Random(cfg["seed"])
        start_clock(dut.clk_i)
        await reset(dut, start_i=0, a_i=0)
        for a, expect in zip(cfg["a"], cfg["q"], strict=True):
            glitch = {"a_i": rng.getrandbits(nw)}
            q = await sequential_op(dut, {"a_i": to_unsigned(a, nw)}, nw + 2, "q_o", rng, glitch)
            assert to_signed(q, qw) == expect, f"{a} // d = {to_signed(q, qw)}, expected {expect}"
        await reset_mid_op(dut, {"a_i": to_unsigned(cfg["a"][0], nw)}, 5)
        q = await sequential_op(dut, {"a_i": to_unsigned(cfg["a"][-1], nw)}, nw + 2, "q_o", rng)
        assert to_signed(q, qw) == cfg["q"][-1], "wrong quotient after a reset"


@pytest.mark.parametrize(
    ("sim", "nw", "divisor", "qw"), sim_configs([(29, 3600, 17), (12, 7, 10), (10, 16, 6)])
)
def test_seqdiv(sim, nw, divisor, qw):
    """The front end's pad division, an odd divisor, a power of two."""
    a = numerators(nw, divisor, qw, 150, nw * divisor)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_seqdiv",
        test_module="test_ecg_bnn_seqdiv",
        bid=build_id("seqdiv", sim, NW=nw, D=divisor),
        parameters={"NW": nw, "DIVISOR": divisor, "QW": qw},
        cfg={"nw": nw, "qw": qw, "seed": nw, "a": a, "q": [v // divisor for v in a]},
    )
