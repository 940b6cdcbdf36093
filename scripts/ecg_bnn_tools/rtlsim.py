"""Run ``ecg_bnn_top`` in a simulator on whole windows, fast, and compare with the golden model.

The file-driven testbench ``tb/ecg_bnn_tb_stream.sv`` streams samples from a hex file into
``s_axis`` and prints one line per event (window complete, z buffer ready, per-layer engine
cycles, result) on stdout; no Python runs per clock cycle, so Verilator simulates a 3600-sample
window (about 400k cycles) in a fraction of a second. This module builds that testbench with
Verilator (``--binary``) or Icarus Verilog, runs it (optionally in several processes), parses its
output as it arrives (for progress bars) and checks every result against
:func:`pymodel.golden.run_batch`. Shared by ``scripts/run_sim.py``, ``scripts/bench_rtl.py``,
``scripts/bench_cycles.py``, ``scripts/fpga_flow.py`` and the top-level tests.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ecg_bnn_tools.filelist import RTL_LIST, list_sources
from ecg_bnn_tools.ice40 import ICE40_DEFINES, simulation
from ecg_bnn_tools.objcache import objcache_env
from pymodel.export import thresholds_depth
from pymodel.network import KERNEL_SIZE, WINDOW_SAMPLES, layer_shapes

if TYPE_CHECKING:  # the golden model (and torch) only load where results are compared
    from pymodel.golden import IntegerParams

REPO = Path(__file__).resolve().parents[2]
SOURCE_LIST = RTL_LIST
INCLUDE_DIR = REPO / "rtl"  # the headers the sources include: assertion macros, layer table
STREAM_TB = REPO / "tb" / "ecg_bnn_tb_stream.sv"
BUILD_ROOT = REPO / "sim_build" / "stream"
SIMULATORS = ("verilator", "icarus")
WINDOW = WINDOW_SAMPLES
CLK_NS = 10


@dataclass(frozen=True)
class TopConfig:
    """RTL parameters of ``ecg_bnn_top`` (the ROM file paths come from the model directory)."""

    num_classes: int = 5
    simd: int = 16
    pe: int = 1
    hop: int = WINDOW
    qdepth: int = 2
    ring_depth: int = 16384
    ice40: bool = False  # the iCE40 build (ecg_bnn_tools.ice40: defines, Yosys' cell models)

    def parameters(self, mem_dir: Path) -> dict[str, str]:
        """Parameter name -> value text, string parameters quoted for both simulators."""
        mem_dir = Path(mem_dir).resolve()
        return {
            "NUM_CLASSES": str(self.num_classes),
            "SIMD": str(self.simd),
            "PE": str(self.pe),
            "HOP": str(self.hop),
            "QDEPTH": str(self.qdepth),
            "RING_DEPTH": str(self.ring_depth),
            "WEIGHTS_FILE": f'"{mem_dir / "weights.mem"}"',
            "THRESHOLDS_FILE": f'"{mem_dir / "thresholds.mem"}"',
            "THRESHOLDS_DEPTH": str(thresholds_depth(mem_dir)),
        }

    @property
    def label(self) -> str:
        """Short human-readable name, e.g. ``SIMD=16 PE=1``."""
        text = f"SIMD={self.simd} PE={self.pe}"
        if self.num_classes != 5:
            text += f" C={self.num_classes}"
        if self.hop != WINDOW:
            text += f" HOP={self.hop}"
        if self.ice40:
            text += " iCE40"
        return text


@dataclass
class TopResult:
    """One ``m_axis`` beat: class index, the flags field ``{clipped, low, flat}`` (``flat``, named
    after its first bit) and the signed scores."""

    index: int
    cycle: int
    cls: int
    flat: int
    scores: list[int]


@dataclass
class StreamRun:
    """Everything one testbench run reported (cycles count from the end of reset)."""

    results: list[TopResult] = field(default_factory=list)
    window_cycles: list[int] = field(default_factory=list)  # last sample of window k accepted
    win_ready_cycles: list[int] = field(default_factory=list)  # a window's constants ready
    layer_cycles: list[list[int]] = field(default_factory=list)  # engine busy cycles per layer
    end_cycle: int = 0
    timed_out: bool = False
    wall_s: float = 0.0
    log: list[str] = field(default_factory=list)

    def latencies(self) -> list[int]:
        """Cycles from each window's last sample to its result (HOP = 3600 runs).

        Only the first is the IP's latency when windows stream back to back: later windows
        also wait for the engine to finish the earlier ones.
        """
        return [r.cycle - w for r, w in zip(self.results, self.window_cycles, strict=False)]


def decode_result(value: int, num_classes: int) -> tuple[int, int, list[int]]:
    """Split ``m_axis_tdata`` into (class index, flags ``{clipped, low, flat}`` = tdata[10:8],
    signed scores); the flags compare with ``golden.flag_bits``.

    Raises ``ValueError`` when the reserved bits 15:11 are not zero.
    """
    cls = value & 0xFF
    flat = (value >> 8) & 0x7
    if (value >> 11) & 0x1F:
        raise ValueError(f"tdata[15:11] must be zero (tdata = {value:#x})")
    scores = []
    for c in range(num_classes):
        s = (value >> (16 + 32 * c)) & 0xFFFFFFFF
        scores.append(s - (1 << 32) if s >> 31 else s)
    return cls, flat, scores


def ideal_cycles(num_classes: int, simd: int, pe: int) -> list[float]:
    """Ideal cycles per layer: MACs / (bits per cycle), per-layer rounding up.

    Block 1 does 7 taps per PE per cycle (``ecg_bnn_conv1_pe``); blocks 2-6 do ``SIMD*PE``
    binary MACs per cycle. Each layer's MAC count is ``C_out * conv length * 7 * C_in``.
    """
    out = []
    for shape in layer_shapes(num_classes):  # the network's one definition (pymodel.network)
        per_cycle = KERNEL_SIZE * pe if shape.index == 1 else simd * pe
        out.append(float(math.ceil(shape.macs / per_cycle)))
    return out


def stream_samples(windows: np.ndarray, hop: int = WINDOW) -> np.ndarray:
    """Concatenate windows into the sample stream whose windows every ``hop`` samples they are.

    For ``hop < 3600`` the rows must overlap consistently (row ``k+1`` starts ``hop`` samples
    after row ``k``); only ``hop = 3600`` is supported for arbitrary rows.
    """
    windows = np.asarray(windows)
    if hop == WINDOW:
        return windows.reshape(-1)
    head = windows[0]
    tails = [w[WINDOW - hop :] for w in windows[1:]]
    stream = np.concatenate([head, *tails]) if tails else head
    for k, w in enumerate(windows):
        if not np.array_equal(stream[k * hop : k * hop + WINDOW], w):
            raise ValueError(f"window {k} is not the stream's window at {k * hop}")
    return stream


def stream_windows(samples: np.ndarray, hop: int = WINDOW) -> np.ndarray:
    """The windows ``(count, 3600)`` the IP classifies in a sample stream (every ``hop``)."""
    samples = np.asarray(samples, dtype=np.int64)
    count = (len(samples) - WINDOW) // hop + 1 if len(samples) >= WINDOW else 0
    return np.stack([samples[k * hop : k * hop + WINDOW] for k in range(count)])


def write_hex(path: Path, samples: np.ndarray) -> None:
    """Write 16-bit samples, one 4-digit hex word per line (two's complement)."""
    words = (np.asarray(samples, dtype=np.int64) & 0xFFFF).astype(np.uint16)
    Path(path).write_text("".join(f"{int(w):04x}\n" for w in words))


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (parallel pytest workers, concurrent scripts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def rtl_sources() -> list[Path]:
    """The RTL sources of ``rtl/ecg_bnn.f`` followed by the stream testbench."""
    return [*list_sources(SOURCE_LIST), STREAM_TB]


def build_key(
    sim: str,
    params: dict[str, str],
    waves: bool,
    defines: Sequence[str] = (),
    extra_sources: Sequence[Path] = (),
) -> str:
    """Hash of simulator, parameters, waveform option, defines and the contents of the sources
    (the RTL, its includes and ``extra_sources``, e.g. the iCE40 cell models of a Yosys update)."""
    h = hashlib.sha256(f"{sim}|{sorted(params.items())}|{waves}|{sorted(defines)}".encode())
    for src in [*extra_sources, *rtl_sources(), *sorted(INCLUDE_DIR.glob("*.svh"))]:
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


def build(
    sim: str,
    cfg: TopConfig,
    mem_dir: Path,
    *,
    waves: bool = False,
    build_root: Path = BUILD_ROOT,
    quiet: bool = True,
) -> Path:
    """Build the stream testbench; returns the executable (Verilator) or ``.vvp`` (Icarus).

    Builds are cached under ``build_root/<sim>_<hash>`` (hash of the parameters and sources) and
    made under a lock, so parallel callers share one build.
    """
    if sim not in SIMULATORS:
        raise ValueError(f"unknown simulator {sim!r}; choose one of {SIMULATORS}")
    exe_name = {"verilator": "ecg_bnn_tb_stream", "icarus": "ecg_bnn_tb_stream.vvp"}[sim]
    if shutil.which({"verilator": "verilator", "icarus": "iverilog"}[sim]) is None:
        raise FileNotFoundError(f"{sim} is not installed (make tools)")
    params = cfg.parameters(mem_dir)
    defines, cell_models = simulation(ICE40_DEFINES if cfg.ice40 else ())
    out = build_root / f"{sim}_{build_key(sim, params, waves, defines, cell_models)}"
    exe = out / exe_name
    with file_lock(build_root / f"{out.name}.lock"):
        if exe.exists():
            return exe
        tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.", dir=build_root))
        srcs = [str(p) for p in [*cell_models, *rtl_sources()]]
        if sim == "verilator":
            cmd = [
                "verilator", "--binary", "-O3", "--x-assign", "fast", "--x-initial", "fast",
                "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "ecg_bnn_tb_stream",
                f"-I{INCLUDE_DIR}",
                "-Mdir", str(tmp), "-o", exe_name, "-j", str(os.cpu_count() or 1),
            ]  # fmt: skip
            cmd += ["--trace-fst"] if waves else []
            cmd += [f"-D{d}" for d in defines]
            cmd += [f"-G{k}={v}" for k, v in params.items()] + srcs
        else:
            cmd = ["iverilog", "-g2012", "-I", str(INCLUDE_DIR), "-s", "ecg_bnn_tb_stream"]
            cmd += ["-o", str(tmp / exe_name)] + [f"-D{d}" for d in defines]
            cmd += [f"-Pecg_bnn_tb_stream.{k}={v}" for k, v in params.items()] + srcs
        env = {**os.environ, **objcache_env()} if sim == "verilator" else None
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
        if proc.returncode != 0 or not (tmp / exe_name).exists():
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"{sim} build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        if not quiet:
            print(proc.stdout[-2000:])
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    return exe


def parse_line(line: str, run: StreamRun, num_classes: int) -> TopResult | None:
    """Add one testbench output line to ``run``; returns the result it carried, if any."""
    parts = line.split()
    if not parts:
        return None
    tag = parts[0]
    if tag == "RESULT":
        cls, flat, scores = decode_result(int(parts[3], 16), num_classes)
        res = TopResult(int(parts[1]), int(parts[2]), cls, flat, scores)
        run.results.append(res)
        return res
    if tag == "WINDOW":
        run.window_cycles.append(int(parts[2]))
    elif tag == "WIN_READY":
        run.win_ready_cycles.append(int(parts[1]))
    elif tag == "LAYERS":
        run.layer_cycles.append([int(p) for p in parts[2:8]])
    elif tag in ("DONE", "TIMEOUT"):
        run.end_cycle = int(parts[1])
        run.timed_out = tag == "TIMEOUT"
    else:
        run.log.append(line.rstrip())
    return None


def simulate(
    sim: str,
    exe: Path,
    samples: np.ndarray,
    num_results: int,
    num_classes: int,
    *,
    idle: float = 0.0,
    stall: float = 0.0,
    seed: int = 1,
    waves: Path | None = None,
    on_result: Callable[[TopResult], None] | None = None,
    max_cycles: int | None = None,
) -> StreamRun:
    """Stream ``samples`` through a built testbench and collect ``num_results`` results.

    ``idle`` / ``stall`` are the probabilities of an idle input cycle / a cycle with
    ``m_axis_tready`` low. ``on_result`` is called as each result arrives (progress bars).
    """
    run = StreamRun()
    with tempfile.TemporaryDirectory(prefix="ecg_bnn_stream_") as tmp:
        hexfile = Path(tmp) / "samples.hex"
        write_hex(hexfile, samples)
        args = [
            f"+samples={hexfile}",
            f"+results={num_results}",
            f"+idle={round(idle * 1024)}",
            f"+stall={round(stall * 1024)}",
            f"+seed={seed}",
        ]
        if max_cycles is not None:
            args.append(f"+max_cycles={max_cycles}")
        if waves is not None:
            args.append(f"+waves={Path(waves).resolve()}")
        if sim == "verilator":
            cmd = [str(exe), *args]
        else:
            cmd = ["vvp", "-n", str(exe), *args] + (["-fst"] if waves is not None else [])
        start = time.perf_counter()
        with subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                res = parse_line(line, run, num_classes)
                if res is not None and on_result is not None:
                    on_result(res)
            rc = proc.wait()
        run.wall_s = time.perf_counter() - start
    if rc != 0:
        raise RuntimeError(f"{sim} testbench exited with {rc}:\n" + "\n".join(run.log[-20:]))
    return run


@dataclass
class WindowOutcome:
    """RTL and golden results of one window."""

    rtl_class: int
    golden_class: int
    rtl_flat: int
    golden_flat: int
    scores_equal: bool

    @property
    def match(self) -> bool:
        """Class, flat flag and every score equal."""
        return (
            self.scores_equal
            and self.rtl_class == self.golden_class
            and self.rtl_flat == self.golden_flat
        )


@dataclass
class Comparison:
    """RTL vs golden over a set of windows."""

    outcomes: list[WindowOutcome]
    runs: list[StreamRun]
    sim_wall_s: float

    @property
    def agreement(self) -> float:
        """Fraction of windows where the RTL matches the golden model exactly."""
        return sum(o.match for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def mismatches(self) -> list[int]:
        """Indices of the windows that differ."""
        return [i for i, o in enumerate(self.outcomes) if not o.match]

    def accuracy(self, labels: np.ndarray) -> float:
        """Fraction of windows whose RTL class equals ``labels``."""
        pred = np.asarray([o.rtl_class for o in self.outcomes])
        return float(np.mean(pred == np.asarray(labels))) if len(pred) else float("nan")


def compare_result(res: TopResult, pred: int, flat: int, scores: Sequence[int]) -> WindowOutcome:
    """Compare one RTL result with the golden model's prediction, flags field and scores."""
    return WindowOutcome(
        res.cls, int(pred), res.flat, int(flat), res.scores == [int(s) for s in scores]
    )


def classify(
    sim: str,
    cfg: TopConfig,
    mem_dir: Path,
    params: IntegerParams,
    windows: np.ndarray,
    *,
    jobs: int = 1,
    idle: float = 0.0,
    stall: float = 0.0,
    waves: Path | None = None,
    on_result: Callable[[int, TopResult, WindowOutcome], None] | None = None,
) -> Comparison:
    """Classify independent windows ``(n, 3600)`` (back to back, HOP = 3600) in the RTL.

    With ``jobs > 1`` the windows are split into contiguous shards simulated in parallel
    processes (each an independent run of the IP from reset). Every result is compared with
    the golden model; ``on_result(window, result, outcome)`` is called as results arrive.
    """
    from pymodel.golden import flag_bits as golden_flags
    from pymodel.golden import run_batch

    if cfg.hop != WINDOW:
        raise ValueError("classify() streams independent windows: HOP must be 3600")
    windows = np.asarray(windows, dtype=np.int64)
    gold = run_batch(params, windows)
    exe = build(sim, cfg, mem_dir, waves=waves is not None)
    jobs = max(1, min(jobs, len(windows)))
    bounds = np.linspace(0, len(windows), jobs + 1).astype(int)
    lock = threading.Lock()
    outcomes: dict[int, WindowOutcome] = {}

    def shard(k: int) -> StreamRun:
        lo, hi = int(bounds[k]), int(bounds[k + 1])

        def cb(res: TopResult) -> None:
            i = lo + res.index
            flags = golden_flags(gold.flat[i], gold.low[i], gold.clip[i])
            out = compare_result(res, gold.pred[i], flags, gold.scores[i])
            with lock:
                outcomes[i] = out
                if on_result is not None:
                    on_result(i, res, out)

        return simulate(
            sim, exe, windows[lo:hi].reshape(-1), hi - lo, cfg.num_classes,
            idle=idle, stall=stall, seed=k + 1, waves=waves if k == 0 else None, on_result=cb,
        )  # fmt: skip

    start = time.perf_counter()
    if jobs == 1:
        runs = [shard(0)]
    else:
        with ThreadPoolExecutor(jobs) as pool:
            runs = list(pool.map(shard, range(jobs)))
    wall = time.perf_counter() - start
    if len(outcomes) != len(windows) or any(run.timed_out for run in runs):
        raise RuntimeError(f"{len(outcomes)} results for {len(windows)} windows (timeout?)")
    return Comparison([outcomes[i] for i in range(len(windows))], runs, wall)


def model_dir(name: str) -> Path:
    """``rtl/mem/<name>`` of a shipped model."""
    return REPO / "rtl" / "mem" / name


def available_models() -> list[str]:
    """Names of the exported models under ``rtl/mem`` (directories with a manifest)."""
    root = REPO / "rtl" / "mem"
    return sorted(p.name for p in root.glob("*") if (p / "manifest.json").is_file())


def layer_table(
    layer_cycles: Sequence[int], num_classes: int, simd: int, pe: int
) -> list[dict[str, float]]:
    """Per-layer measured vs ideal cycles (``ideal_cycles``) as a list of rows."""
    ideal = ideal_cycles(num_classes, simd, pe)
    return [
        {"layer": i + 1, "cycles": int(c), "ideal": ideal[i], "ratio": c / ideal[i]}
        for i, c in enumerate(layer_cycles)
    ]


def export_random_model(num_classes: int, out_dir: Path, seed: int = 1) -> IntegerParams:
    """Export a randomized model calibrated on the shipped MIT-BIH demo windows into ``out_dir``.

    ``pymodel.fold.randomize_model`` with BN statistics measured on the 20 demo windows
    (``demo/mitdb_demo.npz``, real ECG of every class), so every threshold lands inside the range
    real data reaches and no database is needed. An existing valid export in
    ``out_dir`` is reused (under a lock, so parallel callers share it). Returns the parameters
    as read back from the ``.mem`` files.
    """
    from pymodel.export import export_model, load_params

    out_dir = Path(out_dir)
    with file_lock(out_dir.parent / f"{out_dir.name}.lock"):
        if (out_dir / "manifest.json").is_file():
            try:
                return load_params(out_dir)
            except Exception:  # noqa: BLE001 - stale or partial export: write it again
                pass
        # torch only when the model is built (about 1.5 s to import)
        from pymodel.demo import load_demo
        from pymodel.fold import randomize_model
        from pymodel.model import EcgBnn

        calib = load_demo("mitdb").windows
        model = randomize_model(EcgBnn(num_classes), calib, seed=seed)
        export_model(model, out_dir, name=f"random{num_classes}_s{seed}")
        return load_params(out_dir)
