"""Every flow reads the same ordered source list.

``rtl/ecg_bnn.f`` is the single source of truth; the FuseSoC core (``ecg_bnn.core``), the FPGA
flow (``scripts/fpga_flow.py``) and the cocotb runner (``tb/ecg_bnn_runner.py``) must agree with it,
and every ``rtl/*.sv`` file must be listed exactly once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from script_loader import load_file, load_script

from ecg_bnn_tools.filelist import read_file_list as f_list
from ecg_bnn_tools.ice40 import ICE40_DEFINES

REPO = Path(__file__).resolve().parents[1]
LIST = REPO / "rtl" / "ecg_bnn.f"
CORE = REPO / "ecg_bnn.core"
BOARD_LIST = REPO / "fpga" / "up5k" / "ecg_bnn_board_up5k.f"
INTEGRATION = REPO / "docs" / "integration.md"


def core() -> dict[str, Any]:
    """``ecg_bnn.core`` parsed as YAML (CAPI2 is YAML; PyYAML comes with FuseSoC)."""
    return yaml.safe_load(CORE.read_text())


def core_fileset(name: str) -> list[str]:
    """The file paths of fileset ``name`` in ``ecg_bnn.core``."""
    files = core()["filesets"][name]["files"]
    return [f if isinstance(f, str) else next(iter(f)) for f in files]


def rel(paths: list[Path]) -> list[str]:
    """Paths relative to the repository root, as strings."""
    return [str(p.resolve().relative_to(REPO)) for p in paths]


def test_every_rtl_file_listed_once():
    listed = f_list(LIST)
    assert len(listed) == len(set(listed)), "a file is listed twice in rtl/ecg_bnn.f"
    on_disk = sorted(str(p.relative_to(REPO)) for p in (REPO / "rtl").glob("*.sv"))
    assert sorted(listed) == on_disk
    for f in listed:
        text = (REPO / f).read_text()
        module = Path(f).stem
        assert re.search(rf"^module {module}\b", text, re.M), f"{f} must define {module}"


def test_core_matches_source_list():
    # the headers are included by the sources (rtl/ on the include path), not compiled
    headers = sorted(str(p.relative_to(REPO)) for p in (REPO / "rtl").glob("*.svh"))
    assert core_fileset("rtl") == [*headers, *f_list(LIST)]
    for entry, name in zip(core()["filesets"]["rtl"]["files"], headers, strict=False):
        assert entry == {name: {"is_include_file": True}}
    assert CORE.read_text().startswith("CAPI=2:")
    assert core()["filesets"]["rtl"]["file_type"] == "systemVerilogSource"


def test_core_mem_files_and_parameters():
    files = core()["filesets"]["mem"]["files"]
    copies = {next(iter(f)): f[next(iter(f))]["copyto"] for f in files}
    assert [Path(m).name for m in copies] == ["weights.mem", "thresholds.mem"]
    assert all(Path(src).name == dst for src, dst in copies.items())
    assert all((REPO / src).is_file() for src in copies)
    top = (REPO / "rtl" / "ecg_bnn_top.sv").read_text()
    header = top[top.index("module ecg_bnn_top") : top.index(") (")]
    params = re.findall(r"parameter\s+(?:int\s+)?(\w+)", header)
    declared = core()["parameters"]
    for p in params:
        assert declared.get(p, {}).get("paramtype") == "vlogparam", f"{p} missing from the core"
    for name, target in core()["targets"].items():
        for p in target.get("parameters", []):
            assert p in declared, f"target {name} uses the undeclared parameter {p}"


def test_core_targets_and_files():
    data = core()
    targets = data["targets"]
    assert {"default", "lint", "sim", "synth", "up5k"} <= set(targets)
    for name, target in targets.items():
        for fs in target["filesets"]:
            for f in core_fileset(fs):
                assert (REPO / f).is_file(), f"target {name}: {f} does not exist"
    # the board flow (scripts/fpga_flow.py reads these) needs the SPRAM define, which the issue
    # found missing: 79 of 30 EBR without it
    # (and the EBR and DSP defines, which the area figures of results/fpga.md are built with)
    for define in ICE40_DEFINES:
        param = data["parameters"][define]
        assert param["paramtype"] == "vlogdefine" and param["default"] is True
        for name in ("synth", "up5k"):
            assert define in targets[name]["parameters"]
    assert targets["up5k"]["toplevel"] == "ecg_bnn_board_up5k"
    assert targets["sim"]["toplevel"] == "ecg_bnn_tb_stream"


def test_fpga_flow_takes_its_options_from_the_core():
    flow = load_script("fpga_flow")
    opts = flow.ice40_options()
    assert opts.defines == list(ICE40_DEFINES)
    assert opts.synth_options == ["-dsp"]
    assert opts.device == ["--up5k", "--package", "sg48"]
    assert (opts.freq, opts.seed) == (12.0, 1)
    assert core()["targets"]["synth"]["tools"]["yosys"]["yosys_synth_options"] == ["-dsp"]


def test_core_board_fileset_matches_board_list():
    assert core_fileset("board_up5k")[: len(f_list(BOARD_LIST))] == f_list(BOARD_LIST)
    on_disk = sorted(str(p.relative_to(REPO)) for p in (REPO / "fpga" / "up5k").glob("*.sv"))
    assert sorted(f_list(BOARD_LIST)) == on_disk


def test_fpga_flow_reads_the_source_list():
    flow = load_script("fpga_flow")
    assert rel(flow.ip_sources()) == f_list(LIST)
    assert rel(flow.board_sources()) == f_list(LIST) + f_list(BOARD_LIST)


def test_cocotb_runner_reads_the_source_list():
    tb = load_file(REPO / "tb" / "ecg_bnn_runner.py", "ecg_bnn_tb_runner")
    assert rel(tb.rtl_sources()) == f_list(LIST)


def test_fpga_flow_parallelism_matches_engine_checks():
    flow = load_script("fpga_flow")
    simd, pe = flow.parallelism_range()
    assert simd == [8, 16, 32, 64]
    assert pe == [1, 2, 4, 8]
    names = [c.name for c in flow.default_configs()]
    assert names == ["default", "smallest", "largest", "board_up5k"]


def test_integration_doc_lists_the_sources_in_order():
    text = INTEGRATION.read_text()
    block = text[text.index("## Files") :]
    block = block[block.index("```\n") + 4 :]
    block = block[: block.index("```")]
    assert block.split() == f_list(LIST)


def test_file_list_reader_skips_comments_and_blank_lines(tmp_path):
    """The one .f reader (ecg_bnn_tools.filelist): order kept, // and # comments skipped."""
    from ecg_bnn_tools.filelist import list_sources, main

    path = tmp_path / "x.f"
    path.write_text("# header\nrtl/a.sv  // first\n\n   // only a comment\nrtl/b.sv\n")
    assert f_list(path) == ["rtl/a.sv", "rtl/b.sv"]
    assert [p.relative_to(REPO).as_posix() for p in list_sources(path)] == f_list(path)
    assert main(["--modules", str(path)]) == 0


def test_objcache_caches_only_the_verilator_runtime(tmp_path):
    """Only Verilator's runtime sources go through sccache (ecg_bnn_tools.objcache): not the
    precompiled header, the model objects, or cocotb's verilator.cpp (it includes Vtop.h)."""
    from ecg_bnn_tools.objcache import cacheable

    include = tmp_path / "verilator" / "include"
    include.mkdir(parents=True)
    (include / "verilated.mk").write_text("")
    runtime = ["c++", "-Os", "-c", "-o", "verilated.o", str(include / "verilated.cpp")]
    pch = ["c++", "-Os", "-x", "c++-header", "Vtop__pch.h", "-o", "Vtop__pch.h.fast.gch"]
    model = ["c++", "-Os", "-include", "Vtop__pch.h.fast", "-c", "Vtop___024root__0.cpp"]
    cocotb_main = ["c++", "-Os", "-I.", "-c", "-o", "verilator.o", "/c/share/verilator.cpp"]
    assert cacheable(runtime)
    assert not any(cacheable(c) for c in (pch, model, cocotb_main))
