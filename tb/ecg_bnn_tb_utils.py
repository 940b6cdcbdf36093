"""Shared helpers of the per-module cocotb testbenches (``tb/test_ecg_bnn_<module>.py``).

Two halves, like every test module here:

- pytest side: :func:`run_unit` writes the test's configuration (a JSON dict plus optional numpy
  arrays) next to the build and runs one cocotb test module against one RTL module with
  ``ecg_bnn_runner.run_cocotb``; :func:`build_id` names the build directory after the parameters;
  :func:`random_model`, :func:`ecg_windows`, :func:`ecg_stream`, :func:`edge_windows` and
  :func:`front_end_ref` provide models, real (the shipped demo windows) and hand-made stimulus
  and the front-end contract for any window length.
- cocotb side: clock and reset, signed/unsigned conversion, cocotbext-axi sources and sinks on
  the modules' valid/ready ports (random idle cycles and back-pressure), a stall-stability
  monitor, a beat driver/collector for pipelined units (valid only, no ready: no AXI-Stream),
  the start/busy/done protocol of the sequential arithmetic units, the window-buffer side of the
  front end, and waiting for a one-cycle pulse without a Python coroutine per cycle.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, FallingEdge, First, ReadOnly, RisingEdge, Timer
    from cocotb.utils import get_sim_time
    from cocotb_bus.bus import Bus
    from cocotbext.axi import AxiStreamFrame, AxiStreamSink, AxiStreamSource
except ImportError:  # pragma: no cover
    cocotb = None

CLK_NS = 10
CFG_ENV = "ECG_BNN_TB_CFG"
SIMS = ("icarus", "verilator")


# ----------------------------------------------------------------------------- pytest side


def sim_configs(configs: Sequence[object], verilator: Sequence[int] = (0,)) -> list[tuple]:
    """pytest parameters ``(sim, *config)``: every configuration in Icarus, the configurations at
    the indices ``verilator`` (the IP's own parameters first) in Verilator as well.

    A Verilator build of a unit costs about 3 CPU seconds of C++ compilation, an Icarus build a
    tenth of that, and every module's Verilator model also runs in each top-level case (many
    parameter sets), so extra unit configurations run in Icarus only.
    """
    runs = []
    for sim in SIMS:
        for i, config in enumerate(configs):
            if sim == "icarus" or i in verilator:
                runs.append((sim, *(config if isinstance(config, tuple) else (config,))))
    return runs


def build_id(name: str, sim: str, **params: object) -> str:
    """A build directory name unique to the module, simulator and RTL parameters."""
    parts = [name] + [f"{k}{v}" for k, v in params.items()] + [sim]
    return "_".join(str(p).replace("/", "-") for p in parts)


def run_unit(
    *,
    sim: str,
    toplevel: str,
    test_module: str,
    bid: str,
    parameters: Mapping[str, object] | None = None,
    cfg: Mapping[str, object] | None = None,
    arrays: Mapping[str, np.ndarray] | None = None,
    testcase: str | Sequence[str] | None = None,
    extra_sources: Sequence[Path] = (),
    defines: Sequence[str] = (),
) -> None:
    """Write ``cfg`` (+ ``arrays`` as an ``.npz``) into ``sim_build/<bid>`` and run the test
    (``extra_sources``: sources outside ``rtl/``, e.g. the board's UART under ``fpga/``;
    ``defines``: Verilog defines, e.g. the iCE40 ones)."""
    from ecg_bnn_runner import SIM_BUILD, run_cocotb

    work = SIM_BUILD / bid
    work.mkdir(parents=True, exist_ok=True)
    full = dict(cfg or {})
    if arrays:
        npz = work / "stimulus.npz"
        np.savez(npz, **arrays)
        full["npz"] = str(npz)
    cfg_path = work / "tb_cfg.json"
    cfg_path.write_text(json.dumps(full))
    run_cocotb(
        sim=sim,
        toplevel=toplevel,
        test_module=test_module,
        build_id=bid,
        parameters=parameters,
        extra_env={CFG_ENV: str(cfg_path)},
        testcase=testcase,
        extra_sources=extra_sources,
        defines=defines,
    )


def random_model(num_classes: int):
    """(params, mem_dir) of the randomized calibrated model shared with the top-level test.

    ``ecg_bnn_tools.rtlsim.export_random_model`` (random weights, BN statistics measured on the
    shipped demo windows, so every threshold case occurs) into the fixed
    ``sim_build/models/random<C>`` (exported once under a lock; a fixed ROM path lets simulator
    builds be reused).
    """
    from ecg_bnn_runner import SIM_BUILD

    from ecg_bnn_tools.rtlsim import export_random_model

    seed = {5: 1, 17: 2}[num_classes]
    mem_dir = SIM_BUILD / "models" / f"random{num_classes}"
    return export_random_model(num_classes, mem_dir, seed=seed), mem_dir


def ecg_windows(picks: Sequence[int], demo: str = "mitdb") -> np.ndarray:
    """Real ECG windows ``(len(picks), 3600)`` (int64): the shipped demo windows ``picks``."""
    from pymodel.demo import load_demo

    return load_demo(demo).windows[list(picks)]


def ecg_stream(first: int, samples: int) -> np.ndarray:
    """``samples`` real samples: the MIT-BIH demo windows from ``first`` on, back to back."""
    from pymodel.demo import load_demo

    windows = load_demo("mitdb").windows
    count = -(-samples // windows.shape[1])
    picks = [(first + k) % len(windows) for k in range(count)]
    return windows[picks].reshape(-1)[:samples]


def edge_windows(n: int = 3600) -> np.ndarray:
    """Hand-made int16 windows of ``n`` samples (bad input): flat lines (also on a rail), a
    single spike in a flat line, alternating rails (the largest variance), random full-range
    samples, one sample off (the smallest non-zero variance), a step between the rails, and a
    window with more than CLIP_MAX = 36 samples on the rails and one with exactly 36."""
    rng = np.random.default_rng(n)
    idx = np.arange(n)
    out = [
        np.full(n, 1024),  # flat at the MIT-BIH baseline
        np.full(n, 32767),  # flat on the upper rail
        np.full(n, -32768),  # flat on the lower rail
        np.where(idx == n // 3, 32767, -5),  # a single spike in a flat line
        np.tile([-32768, 32767], n // 2),  # alternating rails: the largest variance
        rng.integers(-32768, 32768, n),  # random full-range samples
        np.where(idx == 7, 1025, 1024),  # one sample off: the smallest variance
        np.where(idx < n // 2, -32768, 32767),  # a step between the rails
        np.where(idx % (n // 37) == 0, 32767, rng.integers(-300, 300, n)),  # > 36 on a rail
        np.where(idx < 36, -32768, idx % 50),  # exactly 36 on a rail: not clipped
    ]
    return np.stack(out).astype(np.int64)


def scaled_windows(x: np.ndarray) -> np.ndarray:
    """Gain and offset versions of real windows ``x`` (every value inside int16): x*8, x/16,
    x + 16000, x - 20000, and x*16 saturated to the int16 rails (a clipping AFE)."""
    x = x.astype(np.int64) - np.round(x.mean(axis=-1, keepdims=True)).astype(np.int64)
    out = [x * 8, x // 16, x + 16000, x - 20000, np.clip(x * 16, -32768, 32767)]
    for v in out:
        assert v.min() >= -32768 and v.max() <= 32767
    return np.concatenate(out)


def front_end_ref(x: np.ndarray, low_rms: int = 4, clip_max: int = 36) -> dict[str, np.ndarray]:
    """The front-end contract (docs/input_contract.md) for windows ``x`` (..., n) of any length.

    For the IP's n = 3600 this is ``golden.front_end`` itself. Shorter windows (the small test
    configurations) use golden's length-independent steps (``window_sums``, ``rail_count``,
    ``isqrt_array``, ``flag_bits``) with golden's N-dependent formulas written for ``n``:
    V = n*S2 - S1^2, P = floor((S1 + r)/n), low = r < n*LOW_RMS.
    """
    from pymodel import golden

    x = np.asarray(x, dtype=np.int64)
    assert x.min() >= golden.RAIL_LO and x.max() <= golden.RAIL_HI, "samples must be int16"
    n = x.shape[-1]
    if n == golden.N:
        ref = golden.front_end(x, low_rms, clip_max)
    else:
        s1, s2 = golden.window_sums(x)
        k = golden.rail_count(x)
        v = n * s2 - s1 * s1
        r = golden.isqrt_array(v)
        ref = {"samples": x, "s1": s1, "s2": s2, "k": k, "v": v, "r": r, "pad": (s1 + r) // n,
               "flat": v == 0, "low": r < n * low_rms, "clip": k > clip_max}  # fmt: skip
    ref["flags"] = golden.flag_bits(ref["flat"], ref["low"], ref["clip"])
    return ref


# ----------------------------------------------------------------------------- both sides


def to_signed(value: int, width: int) -> int:
    """Two's complement value of an unsigned ``width``-bit integer."""
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


def to_unsigned(value: int, width: int) -> int:
    """The ``width``-bit two's complement bit pattern of ``value``."""
    return int(value) & ((1 << width) - 1)


def mem_image(path: Path, words: Sequence[int], width: int) -> Path:
    """Write a ``$readmemh`` image (one fixed-width hex word per line)."""
    digits = (width + 3) // 4
    path.write_text("".join(f"{int(w):0{digits}x}\n" for w in words))
    return path


def with_idle(beats: Sequence[object], rng: random.Random, idle: float) -> list[object]:
    """Insert idle cycles (``None``) before beats with probability ``idle`` each."""
    out: list[object] = []
    for b in beats:
        while idle and rng.random() < idle:
            out.append(None)
        out.append(b)
    return out


# ----------------------------------------------------------------------------- cocotb side


def load_cfg() -> dict:
    """The test configuration written by :func:`run_unit` (``arrays`` loaded as ``cfg['npz']``)."""
    cfg = json.loads(Path(os.environ[CFG_ENV]).read_text())
    if "npz" in cfg:
        cfg["arrays"] = dict(np.load(cfg["npz"]))
    return cfg


if cocotb is not None:

    def start_clock(clk) -> None:
        """Start the (C-accelerated) 100 MHz clock."""
        Clock(clk, CLK_NS, unit="ns").start()

    async def reset(dut, cycles: int = 3, **idle: int) -> None:
        """Synchronous active-low reset ``rst_ni``; ``idle`` names inputs to drive meanwhile."""
        for name, value in idle.items():
            getattr(dut, name).value = value
        dut.rst_ni.value = 0
        await ClockCycles(dut.clk_i, cycles)
        dut.rst_ni.value = 1
        await RisingEdge(dut.clk_i)

    async def wait_pulse(clk, sig, timeout: int, what: str = "") -> None:
        """Wait for ``sig`` high without a per-cycle coroutine; returns in ReadOnly with it high.

        A rising edge after which ``sig`` is low again once the time step settles does not
        count: a decoded (combinational) output can glitch for a delta cycle in Icarus while the
        registers it decodes take their new values one after the other.
        """
        deadline = get_sim_time(unit="ns") + timeout * CLK_NS  # one bound over every retry
        while True:
            if int(sig.value) != 1:
                left = deadline - get_sim_time(unit="ns")
                assert left > 0, f"timeout after {timeout} cycles waiting for {what}"
                timer = Timer(left, unit="ns")
                got = await First(RisingEdge(sig), timer)
                assert got is not timer, f"timeout after {timeout} cycles waiting for {what}"
            await ReadOnly()
            if int(sig.value) == 1:
                return

    class StreamPort(Bus):
        """cocotb-bus view of an IP valid/ready port under AXI4-Stream names (cocotbext-axi)."""

        _optional_signals: tuple[str, ...] = ()

    def stream_bus(dut, side: str) -> StreamPort:
        """A valid/ready port of an IP module as an AXI4-Stream bus for cocotbext-axi.

        ``side`` ``"s"``: the input ``s_data_i``/``s_valid_i``/``s_ready_o``; ``"m"``: the output
        ``m_data_o``/``m_valid_o``/``m_ready_i`` (the IP's names, not AXI's ``tdata``...).
        """
        ours, theirs = ("i", "o") if side == "s" else ("o", "i")
        names = {"tdata": f"data_{ours}", "tvalid": f"valid_{ours}", "tready": f"ready_{theirs}"}
        return StreamPort(dut, None, {k: f"{side}_{v}" for k, v in names.items()})

    def random_pauses(rng: random.Random, probability: float) -> Iterator[bool]:
        """cocotbext-axi pause generator: each cycle paused with ``probability``."""
        while True:
            yield rng.random() < probability

    def set_pauses(bfm, rng: random.Random, probability: float) -> None:
        """Idle cycles (source) or back-pressure (sink) with ``probability`` per cycle."""
        bfm.set_pause_generator(random_pauses(rng, probability) if probability else None)
        if not probability:
            bfm.pause = False  # a stopped generator leaves its last value

    def quiet(bfm, dut, side: str) -> None:
        """Give a BFM its own logger without its per-beat INFO lines (they slow long streams)."""
        bfm.log = logging.getLogger(f"cocotb.{dut._name}.axis_{side}")
        bfm.log.setLevel(logging.WARNING)

    def stream_source(dut, rng: random.Random, idle: float = 0.0) -> AxiStreamSource:
        """cocotbext-axi source on the module's ``s_*`` port (one beat per item, no tlast).

        A reset (``rst_ni`` low) drops ``tvalid``; call ``clear()`` to drop the queued items too.
        """
        src = AxiStreamSource(
            stream_bus(dut, "s"), dut.clk_i, dut.rst_ni, reset_active_level=False, byte_lanes=1
        )
        quiet(src, dut, "s")
        set_pauses(src, rng, idle)
        return src

    def stream_sink(dut, rng: random.Random, stall: float = 0.0) -> AxiStreamSink:
        """cocotbext-axi sink on the module's ``m_*`` port; each beat is one frame."""
        sink = AxiStreamSink(
            stream_bus(dut, "m"), dut.clk_i, dut.rst_ni, reset_active_level=False, byte_lanes=1
        )
        quiet(sink, dut, "m")
        set_pauses(sink, rng, stall)
        return sink

    async def send_items(src: AxiStreamSource, items: Sequence[int]) -> None:
        """Send ``items`` (one beat each) and wait until the last one is accepted."""
        await src.send(AxiStreamFrame([int(x) for x in items]))
        await src.wait()

    async def recv_items(sink: AxiStreamSink, count: int) -> list[int]:
        """The data of the next ``count`` beats."""
        return [int((await sink.recv()).tdata[0]) for _ in range(count)]

    async def watch_stalls(dut, what: str) -> None:
        """Protocol monitor of the ``m_*`` port, run as a task: a stalled beat keeps ``m_valid_o``
        high and ``m_data_o`` stable until ``m_ready_i`` takes it."""
        check = stable_check(dut.m_valid_o, dut.m_data_o, what)
        while True:
            await ReadOnly()
            if int(dut.rst_ni.value):
                check(bool(int(dut.m_ready_i.value)))
            else:  # a reset may drop a stalled beat
                check = stable_check(dut.m_valid_o, dut.m_data_o, what)
            await RisingEdge(dut.clk_i)

    async def sequential_op(
        dut,
        inputs: Mapping[str, int],
        latency: int,
        out: str,
        rng: random.Random,
        glitch: Mapping[str, int] | None = None,
    ) -> int:
        """One operation of a start/busy/done unit (isqrt, seqdiv, norm); returns ``out``.

        Pulses ``start_i`` with ``inputs``; one cycle later drives ``glitch`` (other operands) and
        raises ``start_i`` again for a cycle to check the unit latches its operands and ignores
        ``start_i`` while busy. Checks ``busy_o`` until the one-cycle ``done_o`` (at most
        ``latency`` cycles after the start edge), then that the result holds while idle.
        """
        for name, value in inputs.items():
            getattr(dut, name).value = value
        dut.start_i.value = 1
        await RisingEdge(dut.clk_i)
        dut.start_i.value = 0
        if glitch is not None:
            for name, value in glitch.items():
                getattr(dut, name).value = value
            dut.start_i.value = 1
        cycles = 1
        while True:
            await ReadOnly()
            if int(dut.done_o.value):
                break
            assert int(dut.busy_o.value) == 1, "busy_o fell before done_o"
            assert cycles <= latency, f"no done_o within {latency} cycles"
            await RisingEdge(dut.clk_i)
            dut.start_i.value = 0
            cycles += 1
        assert int(dut.busy_o.value) == 0, "busy_o must be low with done_o"
        result = int(getattr(dut, out).value)
        idle = rng.randrange(1, 4)
        for _ in range(idle):
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            assert int(dut.done_o.value) == 0, "done_o must be a one-cycle pulse"
            assert int(getattr(dut, out).value) == result, f"{out} must hold until the next start"
        await RisingEdge(dut.clk_i)
        return result

    async def reset_mid_op(dut, inputs: Mapping[str, int], cycles: int) -> None:
        """Start an operation, reset after ``cycles`` cycles, check the unit is idle again."""
        for name, value in inputs.items():
            getattr(dut, name).value = value
        dut.start_i.value = 1
        await RisingEdge(dut.clk_i)
        dut.start_i.value = 0
        await ClockCycles(dut.clk_i, cycles)
        await reset(dut, 2)
        for _ in range(3):
            await ReadOnly()
            assert int(dut.busy_o.value) == 0 and int(dut.done_o.value) == 0, "not idle after reset"
            await RisingEdge(dut.clk_i)

    async def drive_edge(clk) -> None:
        """Wait for the falling edge: inputs change there, outputs are checked after the rise."""
        await FallingEdge(clk)

    def stable_check(valid, data, what: str) -> Callable[[bool], None]:
        """A monitor of the valid/ready rule: a stalled beat keeps valid high and data stable.

        Returns ``check(ready)``, to be called once per cycle in the ReadOnly phase.
        """
        state: dict[str, object] = {"held": None}

        def check(ready: bool) -> None:
            held = state["held"]
            if held is not None:
                assert int(valid.value) == 1, f"{what}: valid dropped while stalled"
                assert int(data.value) == held, f"{what}: data changed while stalled"
            stalled = int(valid.value) == 1 and not ready
            state["held"] = int(data.value) if stalled else None

        return check

    async def drive_collect(
        dut,
        beats: Sequence[Mapping[str, int] | None],
        valid_out: str,
        outs: Sequence[str],
        idle_inputs: Mapping[str, int],
        drain: int = 8,
    ) -> list[tuple[int, ...]]:
        """Drive one beat per cycle (``None``: an idle cycle with ``idle_inputs``), collect outputs.

        Inputs change on the falling edge; after every rising edge the outputs ``outs`` are
        sampled (ReadOnly) whenever ``valid_out`` is high. Runs ``drain`` idle cycles at the end
        and returns on the next falling edge (inputs may be driven right away).
        """
        got: list[tuple[int, ...]] = []
        for beat in list(beats) + [None] * drain:
            await FallingEdge(dut.clk_i)
            for name, value in (idle_inputs if beat is None else beat).items():
                getattr(dut, name).value = value
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            if int(getattr(dut, valid_out).value):
                got.append(tuple(int(getattr(dut, o).value) for o in outs))
        await FallingEdge(dut.clk_i)
        return got

    async def collect_windows(
        dut, count: int, n: int, rng: random.Random, hold: int, out: list
    ) -> None:
        """The engine side of the window buffer: collect every window, then release it.

        Records the window buffer writes (``xbuf_we_o``) until ``win_ready_o``; checks each of
        the ``n`` addresses was written and no signal is X, appends ``(samples, S1, r, P, flags)``
        to ``out``, keeps the buffer up to ``hold`` random cycles (no write may happen and the
        constants must hold meanwhile) and pulses ``win_release_i``.
        """
        xs: list[int | None] = [None] * n
        consts = ("win_s1_o", "win_r_o", "win_pad_o", "win_flags_o")
        while len(out) < count:
            await ReadOnly()
            if int(dut.xbuf_we_o.value):
                xs[int(dut.xbuf_waddr_o.value)] = to_signed(int(dut.xbuf_wdata_o.value), 16)
            if int(dut.win_ready_o.value):
                missing = [i for i, v in enumerate(xs) if v is None]
                assert not missing, f"window {len(out)}: samples {missing[:5]}... never written"
                vals = [getattr(dut, c).value for c in consts]
                assert all(v.is_resolvable for v in vals), f"window {len(out)}: X in {vals}"
                s1, r, pad, flags = (int(v) for v in vals)
                out.append((xs, to_signed(s1, 28), r, to_signed(pad, 17), flags))
                for _ in range(rng.randrange(hold + 1)):
                    await RisingEdge(dut.clk_i)
                    await ReadOnly()
                    assert int(dut.win_ready_o.value) == 1 and int(dut.xbuf_we_o.value) == 0
                    assert [int(getattr(dut, c).value) for c in consts] == [s1, r, pad, flags]
                await RisingEdge(dut.clk_i)
                dut.win_release_i.value = 1
                await RisingEdge(dut.clk_i)
                dut.win_release_i.value = 0
                xs = [None] * n
                continue
            await RisingEdge(dut.clk_i)

    def check_windows(got: list, samples: np.ndarray, ref: dict[str, np.ndarray]) -> None:
        """Compare collected windows with the expected samples (n_windows, n) and constants."""
        assert len(got) == len(samples), f"{len(got)} windows, expected {len(samples)}"
        flags = ref["flags"]
        for k, (xs, s1, r, pad, fl) in enumerate(got):
            bad = [i for i in range(len(xs)) if xs[i] != int(samples[k][i])]
            assert not bad, (
                f"window {k}: {len(bad)} wrong samples, first x[{bad[0]}] = {xs[bad[0]]}"
            )
            exp = (int(ref["s1"][k]), int(ref["r"][k]), int(ref["pad"][k]), int(flags[k]))
            assert (s1, r, pad, fl) == exp, (
                f"window {k}: (S1, r, P, flags) {(s1, r, pad, fl)} != {exp}"
            )
