"""``ecg_bnn_spram``: single-port RAM (behavioral model), registered read.

Random cycles of reads, writes and idle (``en_i`` low) against a Python model: read data appears
the cycle after a read and holds through writes and idle cycles. The IP's sample-ring shape
(16384 x 16) and a small one.
"""

from __future__ import annotations

import random

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import drive_edge, start_clock
except ImportError:  # pragma: no cover
    cocotb = None


if cocotb is not None:

    @cocotb.test()
    async def spram_model(dut):
        """Writes, reads and idle cycles against a model."""
        cfg = load_cfg()
        depth, width = cfg["depth"], cfg["width"]
        rng = random.Random(depth)
        start_clock(dut.clk_i)
        mem: dict[int, int] = {}
        addrs = [0, depth - 1] + [rng.randrange(depth) for _ in range(30)]
        last = None
        for _ in range(cfg["cycles"]):
            await drive_edge(dut.clk_i)
            op = rng.choice(["r", "r", "w", "w", "idle"])
            addr = rng.choice(addrs)
            if op == "r" and addr not in mem:
                op = "w"
            data = rng.choice([0, (1 << width) - 1, rng.getrandbits(width)])
            dut.en_i.value = int(op != "idle")
            dut.we_i.value = int(op == "w" or (op == "idle" and rng.random() < 0.5))
            dut.addr_i.value, dut.wdata_i.value = addr, data
            if op == "w":
                mem[addr] = data
            elif op == "r":
                last = mem[addr]
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            if last is not None:
                got = int(dut.rdata_o.value)
                assert got == last, f"{op} {addr}: rdata {got:x}, expected {last:x}"
        assert last is not None


@pytest.mark.parametrize(("sim", "depth", "width"), sim_configs([(16384, 16), (64, 12)]))
def test_spram(sim, depth, width):
    """Sample-ring shape and a small one."""
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_spram",
        test_module="test_ecg_bnn_spram",
        bid=build_id("spram", sim, D=depth, W=width),
        parameters={"DEPTH": depth, "WIDTH": width},
        cfg={"depth": depth, "width": width, "cycles": 800},
    )
