"""The board's UART (``fpga/up5k/ecg_bnn_uart_rx.sv``, ``ecg_bnn_uart_tx.sv``), both simulators.

Receiver: random bytes with random gaps between frames, every byte must come out once, in
order, as a one-cycle ``m_valid_o`` pulse; a frame whose stop bit is 0 gives ``frame_err_o`` and
no byte; a low glitch shorter than half a bit is not a start bit. Transmitter: random bytes with
random gaps on ``s_valid_i``; the line is decoded bit by bit (start 0, eight data bits LSB
first, stop 1, each exactly ``CLKS_PER_BIT`` cycles) and ``s_ready_o`` is low while a frame is
on the line. The whole board (UART, IP, LEDs) runs in ``test_ecg_bnn_board_up5k.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
    from ecg_bnn_tb_utils import reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

UART_DIR = Path(__file__).resolve().parents[1] / "fpga" / "up5k"
BYTES = 40


if cocotb is not None:

    async def drive_frame(dut, byte: int, cpb: int, stop: int = 1) -> None:
        """One 8N1 frame on ``rxd_i`` (``stop``: the stop bit's value)."""
        for b in [0, *((byte >> i) & 1 for i in range(8)), stop]:
            dut.rxd_i.value = b
            await ClockCycles(dut.clk_i, cpb)
        dut.rxd_i.value = 1

    async def collect_rx(dut, got: list[int], errors: list[int]) -> None:
        """Record every received byte and frame error; check both are one-cycle pulses."""
        while True:
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            valid, err = int(dut.m_valid_o.value), int(dut.frame_err_o.value)
            assert not (valid and err), "m_valid_o and frame_err_o together"
            if valid:
                got.append(int(dut.m_data_o.value))
            if err:
                errors.append(len(got))

    @cocotb.test()
    async def uart_rx_bytes(dut):
        """Bytes in order, a bad stop bit and a short glitch are rejected."""
        cpb = int(load_cfg()["cpb"])
        rng = random.Random(cpb)
        start_clock(dut.clk_i)
        await reset(dut, rxd_i=1)
        got: list[int] = []
        errors: list[int] = []
        cocotb.start_soon(collect_rx(dut, got, errors))
        sent = [0x00, 0xFF, 0x55, 0xAA] + [rng.getrandbits(8) for _ in range(BYTES)]
        for byte in sent:
            await drive_frame(dut, byte, cpb)
            await ClockCycles(dut.clk_i, rng.choice([0, 1, cpb, 3 * cpb]) + 1)
        await ClockCycles(dut.clk_i, 2 * cpb)
        assert got == sent, f"received {got}, sent {sent}"
        assert not errors, "frame error on good frames"
        await drive_frame(dut, 0x3C, cpb, stop=0)  # stop bit 0: dropped, one error pulse
        await ClockCycles(dut.clk_i, 2 * cpb)
        assert got == sent and errors == [len(sent)], "a frame with a bad stop bit"
        dut.rxd_i.value = 0  # glitch shorter than half a bit: no start bit
        await ClockCycles(dut.clk_i, max(1, cpb // 2 - 2))
        dut.rxd_i.value = 1
        await ClockCycles(dut.clk_i, 12 * cpb)
        assert got == sent and len(errors) == 1, "a glitch was taken as a frame"
        await drive_frame(dut, 0xC3, cpb)  # still in step afterwards
        await ClockCycles(dut.clk_i, 2 * cpb)
        assert got == [*sent, 0xC3], "no byte after the error and the glitch"

    async def decode_tx(dut, cpb: int, out: list[int]) -> None:
        """Decode ``txd_o`` frames cycle by cycle: every bit exactly ``cpb`` cycles long."""
        while True:
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            if int(dut.txd_o.value):
                continue
            bits = []
            for _ in range(10):  # start, 8 data, stop: sample every cycle of each bit
                levels = []
                for _ in range(cpb):
                    levels.append(int(dut.txd_o.value))
                    assert int(dut.s_ready_o.value) == 0 or len(bits) == 9, "ready mid-frame"
                    await RisingEdge(dut.clk_i)
                    await ReadOnly()
                assert len(set(levels)) == 1, f"bit {len(bits)} not stable for {cpb} cycles"
                bits.append(levels[0])
            assert bits[0] == 0 and bits[9] == 1, f"framing {bits}"
            out.append(sum(b << i for i, b in enumerate(bits[1:9])))
            if int(dut.txd_o.value) == 0:  # the next start bit began in this cycle
                raise AssertionError("stop bit shorter than one bit time")

    @cocotb.test()
    async def uart_tx_bytes(dut):
        """Random bytes with gaps: each accepted byte is sent once, in order, 8N1."""
        cpb = int(load_cfg()["cpb"])
        rng = random.Random(cpb + 1)
        start_clock(dut.clk_i)
        await reset(dut, s_valid_i=0, s_data_i=0)
        await ReadOnly()
        assert int(dut.txd_o.value) == 1 and int(dut.s_ready_o.value) == 1, "not idle"
        out: list[int] = []
        cocotb.start_soon(decode_tx(dut, cpb, out))
        await RisingEdge(dut.clk_i)
        sent = [0x00, 0xFF] + [rng.getrandbits(8) for _ in range(BYTES)]
        for byte in sent:
            dut.s_data_i.value = byte
            dut.s_valid_i.value = 1
            while True:
                await ReadOnly()
                ready = int(dut.s_ready_o.value)
                await RisingEdge(dut.clk_i)
                if ready:
                    break
            dut.s_valid_i.value = 0
            dut.s_data_i.value = rng.getrandbits(8)  # must not matter once accepted
            await ClockCycles(dut.clk_i, rng.choice([0, 0, 1, 5 * cpb]) + 1)
        await ClockCycles(dut.clk_i, 12 * cpb)
        assert out == sent, f"sent {out}, expected {sent}"


# the board test runs both at 4 cycles per bit in Verilator
@pytest.mark.parametrize(
    ("sim", "unit", "cpb"),
    sim_configs([("rx", 4), ("rx", 7), ("tx", 2), ("tx", 5)], verilator=(1, 3)),
)
def test_uart(sim, unit, cpb):
    """Receiver at the smallest bit time and an odd one; transmitter likewise."""
    run_unit(
        sim=sim,
        toplevel=f"ecg_bnn_uart_{unit}",
        test_module="test_ecg_bnn_uart",
        bid=build_id(f"uart_{unit}", sim, CPB=cpb),
        parameters={"CLKS_PER_BIT": cpb},
        cfg={"cpb": cpb},
        testcase=f"uart_{unit}_bytes",
        extra_sources=[UART_DIR / f"ecg_bnn_uart_{unit}.sv"],
    )
