"""Data sets: the DES autoScan release and simulated stamp sets."""

from skrb.datasets._autoscan import load_autoscan

__all__ = ["load_autoscan"]
