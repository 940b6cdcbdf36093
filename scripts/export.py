"""Export the committed checkpoints to rtl/mem/<name>/ (thin wrapper of ``pymodel.export``).

Usage: ``python scripts/export.py [CHECKPOINT ...] [--out-root DIR] [--name NAME]
[--storage-only]``; ``--help`` explains the options.
"""

from __future__ import annotations

from pymodel.export import main

if __name__ == "__main__":
    raise SystemExit(main())
