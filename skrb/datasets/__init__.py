"""Data sets: simulated DIA stamp sets (the offline default) and the DES autoScan release.

:func:`make_stamps` simulates search, template and difference stamps of real and bogus
transient candidates for a DES-like or ZTF-like survey; :func:`load_autoscan` reads the DES
autoScan release as downloaded.
"""

from skrb.datasets._autoscan import load_autoscan
from skrb.datasets._presets import ARTIFACTS
from skrb.datasets._simulate import make_stamps

__all__ = ["ARTIFACTS", "load_autoscan", "make_stamps"]
