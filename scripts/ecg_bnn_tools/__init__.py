"""Tooling shared by the scripts, the testbenches and the tests; not part of the model package.

- :mod:`ecg_bnn_tools.filelist`: the one reader of ``.f`` source lists (``rtl/ecg_bnn.f``, the
  board's list), also a command line for ``scripts/lint_rtl.sh``;
- :mod:`ecg_bnn_tools.rtlsim`: builds and runs ``ecg_bnn_top`` on whole windows in Verilator or
  Icarus Verilog and compares every result with the golden model (``make sim``, the benchmarks).

Installed with the project (``pip install -e .``, ``make venv``), so scripts, testbenches and
tests import it without editing ``sys.path``.
"""
