"""Train the ECG BNN: ``python scripts/train.py --protocol paper|interpatient|ecg17``."""

from pymodel.train import main

if __name__ == "__main__":
    main()
