"""``ecg_bnn_seqmul``: sequential signed multiplier, exact against Python's ``a * b``.

Edge cases: 0, +-1, the most negative and most positive operands in every combination (the
multiplier's sign bit is subtracted, so ``MIN * MIN`` is the critical case), then random operands;
a start pulse while busy (ignored) and a reset in the middle of an operation.
"""

from __future__ import annotations

import itertools
import random

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs, to_signed, to_unsigned

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import reset, reset_mid_op, sequential_op, start_clock
except ImportError:  # pragma: no cover
    cocotb = None


def operand_pairs(wa: int, wb: int, count: int, seed: int) -> list[tuple[int, int]]:
    """Edge-case pairs (every combination of 0, +-1, MIN, MAX), then random signed pairs."""
    rng = random.Random(seed)

    def edges(w: int) -> list[int]:
        return [0, 1, -1, -(1 << (w - 1)), (1 << (w - 1)) - 1, -(1 << (w - 1)) + 1]

    pairs = list(itertools.product(edges(wa), edges(wb)))
    pairs += [
        (
            rng.randrange(-(1 << (wa - 1)), 1 << (wa - 1)),
            rng.randrange(-(1 << (wb - 1)), 1 << (wb - 1)),
        )
        for _ in range(count)
    ]
    return pairs


if cocotb is not None:

    @cocotb.test()
    async def seqmul_exact(dut):
        """Every product equals a * b (signed, WA+WB bits) within WB + 2 cycles."""
        cfg = load_cfg()
        wa, wb = cfg["wa"], cfg["wb"]
        rng = random.Random(cfg["seed"])
        start_clock(dut.clk_i)
        await reset(dut, start_i=0, a_i=0, b_i=0)
        pairs = operand_pairs(wa, wb, cfg["count"], cfg["seed"])
        for a, b in pairs:
            inputs = {"a_i": to_unsigned(a, wa), "b_i": to_unsigned(b, wb)}
            glitch = {"a_i": rng.getrandbits(wa), "b_i": rng.getrandbits(wb)}
            p = to_signed(await sequential_op(dut, inputs, wb + 2, "p_o", rng, glitch), wa + wb)
            assert p == a * b, f"{a} * {b} = {p}, expected {a * b}"
        a, b = pairs[3]
        await reset_mid_op(dut, {"a_i": to_unsigned(a, wa), "b_i": to_unsigned(b, wb)}, wb // 2)
        inputs = {"a_i": to_unsigned(a, wa), "b_i": to_unsigned(b, wb)}
        p = to_signed(await sequential_op(dut, inputs, wb + 2, "p_o", rng), wa + wb)
        assert p == a * b, "wrong product after a reset in the middle of an operation"


@pytest.mark.parametrize(("sim", "wa", "wb"), sim_configs([(16, 16), (5, 3)]))
def test_seqmul(sim, wa, wb):
    """The 16x16 score multiplier and an odd small shape (24x24 is covered via ecg_bnn_norm)."""
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_seqmul",
        test_module="test_ecg_bnn_seqmul",
        bid=build_id("seqmul", sim, WA=wa, WB=wb),
        parameters={"WA": wa, "WB": wb},
        cfg={"wa": wa, "wb": wb, "count": 120, "seed": wa * 100 + wb},
    )
