"""Import repository Python files that are not package modules (scripts/, tb/)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_file(path: Path, name: str) -> ModuleType:
    """Import a Python file under a private module name (no clash with tests' conftest)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` under a private module name."""
    return load_file(REPO / "scripts" / f"{name}.py", f"ecg_bnn_{name}")
