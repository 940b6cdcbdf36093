"""Export the committed checkpoints to rtl/mem/<name>/ (thin wrapper of ``pymodel.export``).

Usage: ``python scripts/export.py [CHECKPOINT ...] [--out-root DIR] [--name NAME]
[--storage-only]``; ``--help`` explains the options.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymodel.export import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
