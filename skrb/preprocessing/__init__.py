"""Transformers that resize and scale stamp sets and stack them into CNN input layouts."""

from skrb.preprocessing._resizer import PIXEL_SCALES, StampResizer
from skrb.preprocessing._scaler import SCALING_METHODS, StampScaler
from skrb.preprocessing._stacker import LAYOUTS, StampStacker

__all__ = [
    "LAYOUTS",
    "PIXEL_SCALES",
    "SCALING_METHODS",
    "StampResizer",
    "StampScaler",
    "StampStacker",
]
