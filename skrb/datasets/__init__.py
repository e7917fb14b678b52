"""Data sets: simulated DIA stamp sets (the offline default) and loaders of real releases.

:func:`make_stamps` simulates search, template and difference stamps of real and bogus
transient candidates for a DES-like or ZTF-like survey.
"""

from skrb.datasets._presets import ARTIFACTS
from skrb.datasets._simulate import make_stamps

__all__ = ["ARTIFACTS", "make_stamps"]
