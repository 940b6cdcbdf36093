"""``ecg_bnn_ram_sdp``: simple dual-port RAM with bit-masked writes and a registered read.

Checks the ``$readmemh`` initialisation word by word, then random cycles of masked writes
(random, all-ones and all-zero masks) and reads of other addresses against a Python model: read
data appears the cycle after ``re_i`` and holds while ``re_i`` is low.
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
    async def ram_sdp_model(dut):
        """Initial image, then masked writes and reads against a model."""
        cfg = load_cfg()
        depth, width = cfg["depth"], cfg["width"]
        rng = random.Random(cfg["seed"])
        full = (1 << width) - 1
        mem = list(cfg["image"]) if cfg["image"] else [None] * depth
        start_clock(dut.clk_i)
        dut.we_i.value = 0
        dut.re_i.value = 0
        if not cfg["image"]:  # no image: write every word once (all-ones mask)
            for a in range(depth):
                await drive_edge(dut.clk_i)
                mem[a] = rng.getrandbits(width)
                dut.we_i.value, dut.waddr_i.value = 1, a
                dut.wdata_i.value, dut.wmask_i.value = mem[a], full
            await drive_edge(dut.clk_i)
            dut.we_i.value = 0
        for a in range(depth):  # read back every word
            await drive_edge(dut.clk_i)
            dut.re_i.value, dut.raddr_i.value = 1, a
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            assert int(dut.rdata_o.value) == mem[a], f"word {a}: {int(dut.rdata_o.value):x}"
        last = mem[depth - 1]
        for _ in range(cfg["cycles"]):
            await drive_edge(dut.clk_i)
            we, re = rng.random() < 0.6, rng.random() < 0.7
            waddr, raddr = rng.randrange(depth), rng.randrange(depth)
            if we and raddr == waddr:  # read-during-write of one address is undefined
                raddr = (raddr + 1) % depth
            wdata = rng.getrandbits(width)
            wmask = rng.choice([full, 0, rng.getrandbits(width), rng.getrandbits(width)])
            dut.we_i.value, dut.waddr_i.value = int(we), waddr
            dut.wdata_i.value, dut.wmask_i.value = wdata, wmask
            dut.re_i.value, dut.raddr_i.value = int(re), raddr
            if re:
                last = mem[raddr]
            if we:
                mem[waddr] = (mem[waddr] & ~wmask & full) | (wdata & wmask)
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            got = int(dut.rdata_o.value)
            assert got == last, f"read {raddr if re else 'hold'}: {got:x}, expected {last:x}"


@pytest.mark.parametrize(
    ("sim", "depth", "width", "init", "ebr"),
    sim_configs(
        [(256, 16, True, False), (8, 58, False, False), (512, 16, False, True),
         (256, 16, False, True), (300, 40, False, True)],
        verilator=(0, 2),
    ),
)  # fmt: skip
def test_ram_sdp(sim, depth, width, init, ebr):
    """The activation-buffer bank shape with an image, the segment-sum RAM shape without; with
    ``ECG_BNN_ICE40_EBR`` (ebr) the SB_RAM40_4K blocks of the iCE40 build, through Yosys' cell
    models: an activation-buffer bank (two blocks), a row buffer (one) and a shape that is no
    multiple of a block in either direction (2 x 3 blocks, as wide banks at SIMD 64 need)."""
    bid = build_id("ram_sdp", sim, D=depth, W=width, EBR=int(ebr))
    rng = random.Random(depth)
    image = [rng.getrandbits(width) for _ in range(depth)] if init else []
    params = {"DEPTH": depth, "WIDTH": width}
    if init:
        (SIM_BUILD / bid).mkdir(parents=True, exist_ok=True)
        params["MEM_FILE"] = sv_string(mem_image(SIM_BUILD / bid / "init.mem", image, width))
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_ram_sdp",
        test_module="test_ecg_bnn_ram_sdp",
        bid=bid,
        parameters=params,
        cfg={"depth": depth, "width": width, "image": image, "seed": width, "cycles": 600},
        defines=["ECG_BNN_ICE40_EBR"] if ebr else [],
    )
