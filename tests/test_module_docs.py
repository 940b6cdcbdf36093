"""Checks of the per-module documentation in ``docs/modules/``.

Every ``rtl/ecg_bnn_*.sv`` module must have a page ``docs/modules/<module>.md`` whose
``## Parameters`` table names every parameter and whose ``## Ports`` table names every port of
the module header (parsed with a simple regex), and every fenced ``wavedrom`` block on the pages
must be valid JSON with a ``signal`` list. ``docs/modules/README.md`` must link every page and
contain a block diagram.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RTL = ROOT / "rtl"
DOCS = ROOT / "docs" / "modules"

MODULE_RE = re.compile(
    r"^\s*module\s+(\w+)\s*(#\s*\((?P<params>.*?)\)\s*)?\((?P<ports>.*?)\);", re.S | re.M
)
PARAM_RE = re.compile(
    r"\bparameter\s+(?:(?:int|integer|logic|bit|string)\s+)?(?:\[[^\]]*\]\s*)?(\w+)\s*="
)
PORT_RE = re.compile(
    r"\b(?:input|output|inout)\s+(?:wire\s+|logic\s+|reg\s+|var\s+)*(?:signed\s+)?"
    r"(?:\[[^\]]*\]\s*)*(\w+)"
)
WAVEDROM_RE = re.compile(r"^```wavedrom[ \t]*\n(.*?)^```", re.S | re.M)


def rtl_files() -> list[Path]:
    """The RTL source files that need a page."""
    return sorted(RTL.glob("ecg_bnn_*.sv"))


def strip_comments(text: str) -> str:
    """Remove ``//`` and ``/* */`` comments from SystemVerilog source."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_header(path: Path) -> tuple[str, list[str], list[str]]:
    """Module name, parameter names and port names of the first module in ``path``."""
    match = MODULE_RE.search(strip_comments(path.read_text()))
    assert match, f"{path.name}: no module header found"
    params = PARAM_RE.findall(match.group("params") or "")
    ports = PORT_RE.findall(match.group("ports"))
    return match.group(1), params, ports


def sections(page: str) -> dict[str, str]:
    """Split a Markdown page into its ``## `` sections, keyed by the heading's first word."""
    out: dict[str, str] = {}
    for chunk in re.split(r"^## ", page, flags=re.M)[1:]:
        heading, _, body = chunk.partition("\n")
        out[heading.split()[0].lower()] = body
    return out


def table_names(body: str) -> set[str]:
    """Backquoted names in the first column of the Markdown table rows of ``body``."""
    names: set[str] = set()
    for line in body.splitlines():
        if not line.startswith("|"):
            continue
        first = line.strip("|").split("|")[0]
        names.update(re.findall(r"`(\w+)`", first))
    return names


@pytest.mark.parametrize("path", rtl_files(), ids=lambda p: p.stem)
def test_module_has_page_with_tables(path: Path) -> None:
    """The page exists and its tables name every parameter and port of the module header."""
    module, params, ports = parse_header(path)
    assert module == path.stem, f"{path.name} declares module {module}"
    assert ports, f"{path.name}: no ports parsed"
    page_path = DOCS / f"{module}.md"
    assert page_path.is_file(), f"missing page {page_path.relative_to(ROOT)}"
    secs = sections(page_path.read_text())
    for required in ("parameters", "ports", "timing"):
        assert required in secs, f"{page_path.name}: no '## {required.title()}' section"
    missing_params = set(params) - table_names(secs["parameters"])
    assert not missing_params, f"{page_path.name}: parameters not in the table: {missing_params}"
    missing_ports = set(ports) - table_names(secs["ports"])
    assert not missing_ports, f"{page_path.name}: ports not in the table: {missing_ports}"
    assert WAVEDROM_RE.search(page_path.read_text()), f"{page_path.name}: no wavedrom block"


def test_parser_sees_known_header() -> None:
    """The regex parser finds the engine's parameters and ports (guards against a silent miss)."""
    module, params, ports = parse_header(RTL / "ecg_bnn_engine.sv")
    assert module == "ecg_bnn_engine"
    assert params == [
        "NUM_CLASSES", "SIMD", "PE", "WEIGHTS_FILE", "THRESHOLDS_FILE", "THRESHOLDS_DEPTH", "N",
        "XDEPTH",
    ]  # fmt: skip
    assert ports[:3] == ["clk_i", "rst_ni", "win_ready_i"]
    assert ports[-1] == "layer_o" and len(ports) == 16


def test_no_page_without_module() -> None:
    """No stale page documents a module that no longer exists."""
    modules = {p.stem for p in rtl_files()}
    pages = {p.stem for p in DOCS.glob("ecg_bnn_*.md")}
    assert pages <= modules, f"pages without a module: {pages - modules}"


def test_index_lists_every_module() -> None:
    """The index links every page and has a block diagram."""
    index = (DOCS / "README.md").read_text()
    for path in rtl_files():
        assert f"({path.stem}.md)" in index, f"README.md does not link {path.stem}.md"
    assert "```mermaid" in index or "```text" in index, "README.md has no block diagram"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.stem)
def test_wavedrom_blocks_are_valid(page: Path) -> None:
    """Every wavedrom block is JSON with a ``signal`` list of lanes, groups or spacers."""
    for block in WAVEDROM_RE.findall(page.read_text()):
        try:
            doc = json.loads(block)
        except json.JSONDecodeError as err:
            pytest.fail(f"{page.name}: wavedrom block is not valid JSON: {err}")
        assert isinstance(doc, dict), f"{page.name}: wavedrom block is not a JSON object"
        signal = doc.get("signal")
        assert isinstance(signal, list) and signal, f"{page.name}: no 'signal' list"
        check_lanes(page.name, signal)


def check_lanes(name: str, lanes: list) -> None:
    """Lanes are ``{}`` spacers, ``{"name", "wave"}`` objects or ``["group", ...]`` lists."""
    for lane in lanes:
        if isinstance(lane, list):
            assert lane and isinstance(lane[0], str), f"{name}: group without a name"
            check_lanes(name, lane[1:])
        else:
            assert isinstance(lane, dict), f"{name}: lane {lane!r} is not an object"
            if lane:
                assert isinstance(lane.get("wave"), str), f"{name}: lane {lane} has no wave"
                data = lane.get("data", [])
                data = data.split() if isinstance(data, str) else data
                slots = sum(lane["wave"].count(c) for c in "=23456789")
                assert len(data) >= slots, f"{name}: lane {lane.get('name')} lacks data labels"
