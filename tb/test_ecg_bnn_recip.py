"""``ecg_bnn_recip``: ``q = floor(2^NUM_SHIFT / d)`` (low QW bits), exact.

For the IP's configuration (DW 23, NUM_SHIFT 32, QW 27) the expectation is
``pymodel.golden.gain`` (``G = floor(2^32 / r)``) for every divisor the front end can produce
(59 .. 2^23 - 1, including the boundaries and powers of two); ``d = 0`` gives all ones. A small
configuration checks the quotient truncation to QW bits for every divisor. Also a start pulse
while busy (ignored) and a reset in the middle of an operation.
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_tb_utils import SIMS, build_id, load_cfg, run_unit

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import reset, reset_mid_op, sequential_op, start_clock
except ImportError:  # pragma: no cover
    cocotb = None


def divisors(dw: int, count: int, seed: int) -> list[int]:
    """Edge-case divisors (0, 1, 59, powers of two and neighbours, max), then random ones."""
    rng = random.Random(seed)
    top = (1 << dw) - 1
    if dw <= 10:
        return list(range(top + 1))
    vals = [0, 1, 2, 3, 58, 59, 60, top, top - 1]
    for k in range(1, dw):
        vals += [(1 << k) - 1, 1 << k, (1 << k) + 1]
    vals += [rng.randrange(59, top + 1) for _ in range(count)]
    return sorted({v for v in vals if 0 <= v <= top}, key=lambda v: rng.random())


def expected(d: int, num_shift: int, qw: int) -> int:
    """Low QW bits of floor(2^NUM_SHIFT / d); all ones for d = 0 (restoring division)."""
    if d == 0:
        return (1 << qw) - 1
    return ((1 << num_shift) // d) & ((1 << qw) - 1)


if cocotb is not None:

    @cocotb.test()
    async def recip_exact(dut):
        """Every quotient equals the expectation within NUM_SHIFT + 3 cycles."""
        cfg = load_cfg()
        rng = random.Random(1)
        lat = cfg["num_shift"] + 3
        start_clock(dut.clk_i)
        await reset(dut, start_i=0, d_i=0)
        for d, q_exp in zip(cfg["d"], cfg["q"], strict=True):
            glitch = {"d_i": rng.getrandbits(cfg["dw"])}
            q = await sequential_op(dut, {"d_i": d}, lat, "q_o", rng, glitch)
            assert q == q_exp, f"2^{cfg['num_shift']} / {d} = {q}, expected {q_exp}"
        await reset_mid_op(dut, {"d_i": 1}, cfg["num_shift"] // 2)
        q = await sequential_op(dut, {"d_i": cfg["d"][0]}, lat, "q_o", rng)
        assert q == cfg["q"][0], "wrong quotient after a reset in the middle of an operation"


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize(("dw", "num_shift", "qw"), [(23, 32, 27), (6, 9, 7)])
def test_recip(sim, dw, num_shift, qw):
    """The front end's gain divider (against golden.gain) and a small truncating one."""
    import numpy as np

    from pymodel import golden

    d = divisors(dw, 120, dw)
    q = [expected(x, num_shift, qw) for x in d]
    if (dw, num_shift, qw) == (golden.R_W, golden.GAIN_NUM_SHIFT, golden.G_W):
        r = np.array([x for x in d if x >= 59], dtype=np.int64)
        g = golden.gain(r, np.zeros_like(r, dtype=bool))
        assert [expected(int(x), num_shift, qw) for x in r] == g.tolist()
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_recip",
        test_module="test_ecg_bnn_recip",
        bid=build_id("recip", sim, DW=dw, NS=num_shift, QW=qw),
        parameters={"DW": dw, "NUM_SHIFT": num_shift, "QW": qw},
        cfg={"dw": dw, "num_shift": num_shift, "d": d, "q": q},
    )
