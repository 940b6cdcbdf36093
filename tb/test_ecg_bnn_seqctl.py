"""``ecg_bnn_seqctl``: the start/busy/done controller of the sequential units, cycle by cycle
against a Python model, and its handshake against the protocol it promises.

Stimulus: ``start_i`` patterns of several densities (single pulses, random, held high so that a
new start is taken in every done cycle), starts while busy (ignored), and resets in the middle of
an operation (with ``start_i`` high during the reset). In every cycle ``busy_o``, ``last_o``,
``left_o`` and ``done_o`` must equal the model's; independently of the model, every start taken
(``start_i`` while ``busy_o`` is low) must be followed by exactly ``STEPS`` busy cycles
(``last_o`` in the last) and one ``done_o`` in the cycle after them, and nothing else may raise
``busy_o`` or ``done_o``.
Configurations: ``STEPS`` = 1, 2, 16, 24 (``ecg_bnn_seqdiv``), 27 (``ecg_bnn_isqrt``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from ecg_bnn_tb_utils import build_id, load_cfg, run_unit, sim_configs

try:  # the cocotb side only exists inside a simulator
    import cocotb
    from cocotb.triggers import FallingEdge, ReadOnly
    from ecg_bnn_tb_utils import reset, start_clock
except ImportError:  # pragma: no cover
    cocotb = None

OUTPUTS = ("busy_o", "last_o", "left_o", "done_o")


@dataclass
class SeqCtlModel:
    """Cycle model of the controller: ``outputs`` in a cycle, ``clock`` at its end."""

    steps: int
    left: int = 0
    busy: bool = False
    done: bool = False

    def outputs(self) -> tuple[int, ...]:
        """(busy, last, left, done) in a cycle."""
        return int(self.busy), int(self.left == 1), self.left, int(self.done)

    def clock(self, start: int, rst: int) -> None:
        """The rising edge at the end of the cycle (``rst``: reset asserted in the cycle)."""
        if rst:
            self.left, self.busy, self.done = 0, False, False
            return
        self.done = False
        if self.busy:
            self.left -= 1
            if self.left == 0:
                self.busy, self.done = False, True
        elif start:
            self.busy, self.left = True, self.steps


def stimulus(steps: int, seed: int) -> list[tuple[int, int]]:
    """(start_i, reset) per cycle: phases of different start densities and resets mid-operation."""
    rng = random.Random(seed)
    cycles: list[tuple[int, int]] = [(0, 1)] * 3  # initial reset
    phases = [0.02, 0.2, 0.6, 1.0, 0.5]
    for density in phases:
        for _ in range(8 * (steps + 2)):
            cycles.append((int(rng.random() < density), 0))
        # a reset while an operation may be running, start_i held high through it
        cycles += [(1, 0)] * rng.randrange(1, steps + 2) + [(1, 1)] * 2 + [(0, 0)] * 2
    cycles += [(1, 0)] + [(0, 0)] * (steps + 3)  # one last clean operation
    return cycles


def protocol_errors(
    steps: int, starts: list[int], trace: list[tuple[int, ...]], rsts: list[int]
) -> list[str]:
    """Check the promised handshake on a trace of (busy, last, left, done) per cycle.

    Independent of the cycle model: every start taken (``start_i`` while not busy) is followed
    by exactly ``steps`` busy cycles, the last of them with ``last_o``, then one ``done_o``; busy
    and done happen only so. A reset cancels the operation in flight.
    """
    errors = []
    expect: dict[int, str] = {}  # cycle -> what a pending operation makes of it
    cycles = zip(starts, trace, rsts, strict=True)
    for c, (start, (busy, last, _left, done), rst) in enumerate(cycles):
        if rst:  # the reset cancels the operation in flight; a start in this cycle is not taken
            expect.clear()
            continue
        want = expect.pop(c, "idle")
        got = "".join(n for n, v in (("done", done), ("busy", busy), ("last", last)) if v) or "idle"
        if got != want:
            errors.append(f"cycle {c}: {got}, expected {want}")
        if start and not busy:
            for k in range(1, steps + 1):
                expect[c + k] = "busylast" if k == steps else "busy"
            expect[c + steps + 1] = "done"
    return errors[:5]


if cocotb is not None:

    @cocotb.test()
    async def seqctl_cycles(dut):
        """Every output in every cycle equals the model; the handshake is the promised one."""
        cfg = load_cfg()
        steps = cfg["steps"]
        start_clock(dut.clk_i)
        await reset(dut, start_i=0)
        model = SeqCtlModel(steps)
        trace, starts, rsts = [], [], []
        for c, (start, rst) in enumerate(cfg["cycles"]):
            await FallingEdge(dut.clk_i)
            dut.start_i.value = start
            dut.rst_ni.value = 0 if rst else 1
            await ReadOnly()
            got = tuple(int(getattr(dut, o).value) for o in OUTPUTS)
            want = model.outputs()
            assert got == want, f"cycle {c}: {dict(zip(OUTPUTS, got, strict=True))}, model {want}"
            model.clock(start, rst)
            trace.append(got)
            starts.append(start)
            rsts.append(rst)
        errors = protocol_errors(steps, starts, trace, rsts)
        assert not errors, "; ".join(errors)
        taken = sum(s and not t[0] and not r for s, t, r in zip(starts, trace, rsts, strict=True))
        assert taken > 10, f"only {taken} starts taken"


@pytest.mark.parametrize(("sim", "steps"), sim_configs([1, 2, 16, 24, 27], verilator=(0, 4)))
def test_seqctl(sim, steps):
    """The smallest counts and those of the multiplier, the divider and the square root."""
    run_unit(
        sim=sim,
        toplevel="ecg_bnn_seqctl",
        test_module="test_ecg_bnn_seqctl",
        bid=build_id("seqctl", sim, STEPS=steps),
        parameters={"STEPS": steps},
        cfg={"steps": steps, "cycles": stimulus(steps, 1000 + steps)},
    )
