"""``ecg_bnn_score_acc``: block-6 score sums, exact against ``golden.score_sums`` of
``golden.pooled_values``.

Classes of 27 pooled values (block 6's length): random, all +1 (``m = ROWS``: ``S_pos`` reaches
its bound ``27*ROWS``), all -1 (``m = 0``), ``y = 0`` exactly (``m = ROWS/2``, counts as
positive), alternating extremes; ``clear_i`` between classes, random idle cycles.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs, to_signed, with_idle

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from ecg_bnn_tb_utils import drive_collect, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

IDLE = {"valid_i": 0, "clear_i": 0}


if cocotb is not None:

    @cocotb.test()
    async def score_sums(dut):
        """S_pos and S_neg after every class equal the golden sums."""
        cfg = load_cfg()
        rng = random.Random(4)
        start_clock(dut.clk_i)
        for m, sp, sn in zip(cfg["m"], cfg["s_pos"], cfg["s_neg"], strict=True):
            beats = [{"valid_i": 0, "clear_i": 1}]
            beats += with_idle([{"valid_i": 1, "clear_i": 0, "m_i": v} for v in m], rng, 0.3)
            await drive_collect(dut, beats, "valid_i", [], IDLE, drain=1)
            got = (to_signed(int(dut.s_pos_o.value), 16), to_signed(int(dut.s_neg_o.value), 16))
            assert got == (sp, sn), f"sums {got}, expected {(sp, sn)}"


@pytest.mark.parametrize(("sim", "rows"), sim_configs([448, 56]))
def test_score_acc(sim, rows):
    """Block 6 (C_in = 64, 448 rows) and a C_in = 8 variant."""
    from pymodel import golden

    rng = np.random.default_rng(rows)
    ms = [rng.integers(0, rows + 1, 27) for _ in range(6)]
    ms += [np.full(27, rows), np.zeros(27, np.int64), np.full(27, rows // 2)]
    ms += [np.tile([0, rows], 14)[:27], np.full(27, rows // 2 - 1), np.full(27, rows // 2 + 1)]
    m = np.stack(ms)
    s_pos, s_neg = golden.score_sums(golden.pooled_values(m, rows // 7))
    assert s_pos.max() == 27 * rows and s_neg.min() == -27 * rows
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_score_acc",
        test_module="test_ecg_bnn_score_acc",
        bid=build_id("score_acc", sim, ROWS=rows),
        parameters={"W": 18, "ROWS": rows},
        cfg={"m": m.tolist(), "s_pos": s_pos.tolist(), "s_neg": s_neg.tolist()},
    )
