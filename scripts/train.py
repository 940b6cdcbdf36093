"""Train the ECG BNN: ``python scripts/train.py --protocol paper|interpatient|ecg17``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymodel.train import main  # noqa: E402

if __name__ == "__main__":
    main()
