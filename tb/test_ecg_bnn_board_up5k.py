"""Board-level test of ``ecg_bnn_board_up5k``: one real MIT-BIH window in over the UART.

The pytest side exports a randomized calibrated model, runs the golden model on one MIT-BIH
window and writes the expected result; the cocotb side presses the reset button, sends the
3600 samples as 16-bit little-endian byte pairs over a UART model (4 clock cycles per bit), and
decodes the reply frame (class, flags, NUM_CLASSES little-endian 32-bit scores) from ``txd_o``,
comparing it and the class LEDs exactly with the golden model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from ecg_bnn_tb_utils import ecg_windows, random_model

from ecg_bnn_tools.filelist import list_sources

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer
except ImportError:  # pragma: no cover
    cocotb = None

CLK_NS = 10
CLK_HZ = 12_000_000
BAUD = 3_000_000  # 4 clock cycles per bit: fast enough to simulate a whole window
CPB = CLK_HZ // BAUD
REPO = Path(__file__).resolve().parents[1]
BOARD_LIST = REPO / "fpga" / "up5k" / "ecg_bnn_board_up5k.f"


# ----------------------------------------------------------------------------- cocotb side

if cocotb is not None:

    def bit_time(bits: float = 1.0) -> Timer:
        """``bits`` UART bit periods as one timer: ``ClockCycles`` would wake Python on every
        clock edge (4 per bit, 288k per window), which dominated the Icarus run time."""
        return Timer(int(bits * CPB) * CLK_NS, unit="ns")

    async def uart_send(dut, data: bytes) -> None:
        """Drive ``rxd_i`` with 8N1 frames, ``CPB`` clock cycles per bit."""
        for byte in data:
            bits = [0] + [(byte >> i) & 1 for i in range(8)] + [1]
            for b in bits:
                dut.rxd_i.value = b
                await bit_time()

    async def uart_recv(dut, count: int, out: list[int]) -> None:
        """Decode ``count`` 8N1 bytes from ``txd_o`` (sampling each bit in its middle)."""
        while len(out) < count:
            await FallingEdge(dut.txd_o)
            await bit_time(0.5)
            assert dut.txd_o.value == 0, "glitch instead of a start bit"
            byte = 0
            for i in range(8):
                await bit_time()
                byte |= int(dut.txd_o.value) << i
            await bit_time()
            assert dut.txd_o.value == 1, "missing stop bit"
            out.append(byte)

    @cocotb.test()
    async def classify_over_uart(dut):
        """Send one window over the UART; the reply frame must equal the golden result."""
        cfg = json.loads(Path(os.environ["ECG_BNN_TB_CFG"]).read_text())
        samples = [int(s) for s in cfg["samples"]]
        num_classes = int(cfg["num_classes"])
        nbytes = 2 + 4 * num_classes
        Clock(dut.clk_i, CLK_NS, unit="ns").start()
        dut.rxd_i.value = 1
        dut.btn_ni.value = 0
        await ClockCycles(dut.clk_i, 30)
        dut.btn_ni.value = 1
        await ClockCycles(dut.clk_i, 10)
        reply: list[int] = []
        rx = cocotb.start_soon(uart_recv(dut, nbytes, reply))
        payload = b"".join(int(s).to_bytes(2, "little", signed=True) for s in samples)
        await uart_send(dut, payload)
        waited = 0
        while not rx.done():
            await Timer(10_000 * CLK_NS, unit="ns")
            waited += 10_000
            assert waited < int(cfg["max_cycles"]), f"timeout: {len(reply)} of {nbytes} bytes"
        await RisingEdge(dut.clk_i)
        cls, flags = reply[0], reply[1]
        scores = [
            int.from_bytes(bytes(reply[2 + 4 * c : 6 + 4 * c]), "little", signed=True)
            for c in range(num_classes)
        ]
        dut._log.info("class %d flags %#x scores %s", cls, flags, scores)
        assert scores == [int(s) for s in cfg["scores"]], f"scores {scores} != {cfg['scores']}"
        assert cls == int(cfg["pred"]), f"class {cls} != golden {cfg['pred']}"
        assert flags == int(cfg["flags"]), (
            f"flags {flags:#x}, expected {cfg['flags']:#x} (no errors)"
        )
        leds = int(dut.led_o.value)
        want = 0x1F if cls >= 5 else 1 << cls
        assert leds == want, f"led_o {leds:#07b} != {want:#07b}"
        assert dut.ledg_no.value == 0, "green LED toggles on the first result"


# ----------------------------------------------------------------------------- pytest side


def board_sources() -> list[Path]:
    """The board top's own sources (``fpga/up5k/ecg_bnn_board_up5k.f``), after the IP's."""
    return list_sources(BOARD_LIST)


# Verilator only: in Icarus the window took 80 s of the suite (700k cycles at about 10k per
# second), and each part already runs there: the UART in test_ecg_bnn_uart.py, the IP on a real
# window in test_ecg_bnn_top.py.
@pytest.mark.parametrize("sim", ["verilator"])
def test_board_uart_window(sim):
    """One real MIT-BIH window (a demo window) over the UART, reply frame vs the golden model."""
    from ecg_bnn_runner import SIM_BUILD, run_cocotb, sv_string

    from pymodel import golden
    from pymodel.export import thresholds_depth

    params, mem_dir = random_model(5)
    window = ecg_windows([3])
    res = golden.run_batch(params, window)
    work = SIM_BUILD / f"board_up5k_{sim}"
    work.mkdir(parents=True, exist_ok=True)
    cfg = {
        "samples": [int(s) for s in np.asarray(window[0])],
        "num_classes": params.num_classes,
        "pred": int(res.pred[0]),
        "flags": 4 * int(res.clip[0]) + 2 * int(res.low[0]) + int(res.flat[0]),
        "scores": [int(s) for s in res.scores[0]],
        "max_cycles": 4_000_000,
    }
    cfg_path = work / "tb_cfg.json"
    cfg_path.write_text(json.dumps(cfg))
    run_cocotb(
        sim=sim,
        toplevel="ecg_bnn_board_up5k",
        test_module="test_ecg_bnn_board_up5k",
        build_id=f"board_up5k_{sim}/{sim}",
        parameters={
            "NUM_CLASSES": params.num_classes,
            "CLK_HZ": CLK_HZ,
            "BAUD": BAUD,
            "WEIGHTS_FILE": sv_string(mem_dir / "weights.mem"),
            "THRESHOLDS_FILE": sv_string(mem_dir / "thresholds.mem"),
            "THRESHOLDS_DEPTH": thresholds_depth(mem_dir),
        },
        extra_env={"ECG_BNN_TB_CFG": str(cfg_path)},
        extra_sources=board_sources(),
    )
