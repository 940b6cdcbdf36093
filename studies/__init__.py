"""Accuracy studies of the ECG BNN, kept apart from the product (see studies/README.md).

Nothing in pymodel/, scripts/, tb/ or fpga/ imports this package.
"""
