"""Train many BNNs at once and pick one on validation: ``python scripts/sweep.py run|pick``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymodel.sweep import main  # noqa: E402

if __name__ == "__main__":
    main()
