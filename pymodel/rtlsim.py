"""Moved to :mod:`ecg_bnn_tools.rtlsim` (simulator plumbing is not part of the model package).

Kept only so that ``tb/test_ecg_bnn_top.py``'s ``from pymodel.rtlsim import ...`` keeps working
until its imports name ``ecg_bnn_tools.rtlsim``; then delete this file. Nothing else imports it.
"""

from ecg_bnn_tools.rtlsim import *  # noqa: F403
