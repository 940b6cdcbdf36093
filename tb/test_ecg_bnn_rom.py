"""``ecg_bnn_rom``: ``$readmemh`` ROM with a registered read.

Random images in the shapes of the IP's threshold ROM (152 x 41) and score ROM (5 x 64, a depth
that is not a power of two); every word is read in order and at random, with ``re_i`` low in
between (the output must hold).
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_runner import SIM_BUILD, sv_string
from ecg_bnn_tb_utils import build_id, load_cfg, mem_image, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import drive_edge, start_clock
except ImportError:  # pragma: no cover
    cocotb = None


if cocotb is not None:

    @cocotb.test()
    async def rom_reads(dut):
        """Read every word in order, then random addresses with idle cycles; compare exactly."""
        cfg = load_cfg()
        image = cfg["image"]
        rng = random.Random(3)
        start_clock(dut.clk_i)
        order = list(range(len(image))) + [rng.randrange(len(image)) for _ in range(300)]
        last = None
        for a in order:
            await drive_edge(dut.clk_i)
            re = rng.random() < 0.8 or last is None
            dut.re_i.value, dut.addr_i.value = int(re), a
            if re:
                last = image[a]
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            got = int(dut.data_o.value)
            assert got == last, f"addr {a} (re {int(re)}): {got:x}, expected {last:x}"


@pytest.mark.parametrize(("sim", "depth", "width"), sim_configs([(152, 41), (5, 64)]))
def test_rom(sim, depth, width):
    """Threshold-ROM and score-ROM shapes."""
    bid = build_id("rom", sim, D=depth, W=width)
    rng = random.Random(depth * width)
    image = [rng.getrandbits(width) for _ in range(depth)]
    image[0], image[-1] = (1 << width) - 1, 0
    (SIM_BUILD / bid).mkdir(parents=True, exist_ok=True)
    path = mem_image(SIM_BUILD / bid / "rom.mem", image, width)
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_rom",
        test_module="test_ecg_bnn_rom",
        bid=bid,
        parameters={"DEPTH": depth, "WIDTH": width, "MEM_FILE": sv_string(path)},
        cfg={"image": image},
    )
