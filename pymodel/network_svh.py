"""Write the engine's layer table (``rtl/ecg_bnn_network.svh``) from the Python network definition.

The RTL does not repeat the network's shape: ``ecg_bnn_engine`` includes this generated file,
whose functions give each layer's input and output channels, pooled length and ROM bases (from
:func:`pymodel.network.layer_shapes` and :func:`pymodel.packing.layout`). Block 6's output
channels are the engine's ``NUM_CLASSES`` parameter, so one file serves every model.
``python -m pymodel.network_svh`` rewrites it; ``tests/test_network_svh.py`` checks it is current.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.network import PAD, WINDOW_SAMPLES, layer_shapes
from pymodel.packing import layout

SVH_PATH = Path(__file__).resolve().parent.parent / "rtl" / "ecg_bnn_network.svh"
ANY_CLASSES = 5  # every table entry below except block 6's C_out is independent of the classes


def case_function(name: str, values: list[int], last: str | None = None) -> list[str]:
    """An ``int`` function of the layer ``l`` (1..6) as a case table; ``last`` overrides l = 6."""
    cases = [f"{i}: {name} = {v};" for i, v in enumerate(values[:-1], start=1)]
    lines = [f"function automatic int {name}(input int l);", "  case (l)"]
    lines += [f"    {c}" for c in cases]
    lines += [f"    default: {name} = {last if last is not None else values[-1]};", "  endcase"]
    return [*lines, "endfunction"]


def render_svh() -> str:
    """The text of ``rtl/ecg_bnn_network.svh``."""
    shapes = layer_shapes(ANY_CLASSES)
    rom = layout(ANY_CLASSES)
    act_bits = max((s.pool_length + 2 * PAD) * s.out_channels for s in shapes[:-1])
    lines = [
        "// ecg_bnn_network.svh: the network's layer table, generated from pymodel/network.py by",
        "// `python -m pymodel.network_svh`; do not edit (tests/test_network_svh.py checks it).",
        "// Included inside ecg_bnn_engine (memory sizes) and ecg_bnn_engine_ctrl (loop bounds);",
        "// NUM_CLASSES is their parameter.",
        f"localparam int NET_N        = {WINDOW_SAMPLES};  // samples per window",
        f"localparam int NET_PAD      = {PAD};  // pad positions on each side of every map",
        f"localparam int NET_ACT_BITS = {act_bits};  // largest padded bit map (blocks 1-5)",
        "// input channels, output channels and pooled output length of layer l",
        *case_function("lay_cin", [s.in_channels for s in shapes]),
        *case_function("lay_cout", [s.out_channels for s in shapes], last="NUM_CLASSES"),
        *case_function("lay_lout", [s.pool_length for s in shapes]),
        "// first weight ROM word (16-bit words), first threshold record (stream order) of layer l",
        *case_function("lay_wbase", [ly.wbase for ly in rom.layers]),
        *case_function(
            "lay_tbase",
            [rom.thresholds_depth if ly.tbase is None else ly.tbase for ly in rom.layers],
        ),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """CLI: write (or ``--check``) the generated include."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 when the file is not current")
    args = p.parse_args(argv)
    text = render_svh()
    if args.check:
        current = SVH_PATH.read_text() if SVH_PATH.is_file() else ""
        if current != text:
            print(f"{SVH_PATH} is out of date: run python -m pymodel.network_svh")
            return 1
        return 0
    SVH_PATH.write_text(text)
    print(f"wrote {SVH_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
