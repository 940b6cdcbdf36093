"""Cross-validated BNN accuracy through the golden model: ``python scripts/crossval.py --help``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymodel.crossval import main  # noqa: E402

if __name__ == "__main__":
    main()
