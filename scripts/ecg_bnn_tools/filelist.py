"""The one reader of ``.f`` source lists (``rtl/ecg_bnn.f``, ``fpga/up5k/ecg_bnn_board_up5k.f``).

A list names one source file per line, relative to the repository root, in compile order;
``//`` starts a comment, lines starting with ``#`` and blank lines are skipped. Every flow reads
the lists through :func:`read_file_list` (the cocotb runner, the stream simulator, the FPGA flow,
the packaging tests) or, from the shell, ``python -m ecg_bnn_tools.filelist`` (the RTL lint).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RTL_LIST = REPO / "rtl" / "ecg_bnn.f"
BOARD_LIST = REPO / "fpga" / "up5k" / "ecg_bnn_board_up5k.f"


def read_file_list(path: str | os.PathLike[str] = RTL_LIST) -> list[str]:
    """The entries of the ``.f`` file ``path``, in order, as written (repo-relative paths)."""
    entries = [ln.split("//")[0].strip() for ln in Path(path).read_text().splitlines()]
    return [e for e in entries if e and not e.startswith("#")]


def list_sources(path: str | os.PathLike[str] = RTL_LIST) -> list[Path]:
    """The sources of the ``.f`` file ``path`` as absolute paths under the repository."""
    return [REPO / entry for entry in read_file_list(path)]


def main(argv: list[str] | None = None) -> int:
    """Print the entries of a ``.f`` file, one a line (``--modules``: the module names)."""
    p = argparse.ArgumentParser(prog="python -m ecg_bnn_tools.filelist", description=__doc__)
    p.add_argument("list", nargs="?", default=str(RTL_LIST), help="the .f file (rtl/ecg_bnn.f)")
    p.add_argument(
        "--modules", action="store_true", help="print module names (file stems), not paths"
    )
    args = p.parse_args(argv)
    for entry in read_file_list(args.list):
        print(Path(entry).stem if args.modules else entry)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
