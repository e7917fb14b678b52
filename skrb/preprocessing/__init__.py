"""Transformers that scale stamp sets and stack them into CNN input layouts."""

from skrb.preprocessing._scaler import SCALING_METHODS, StampScaler
from skrb.preprocessing._stacker import LAYOUTS, StampStacker

__all__ = ["LAYOUTS", "SCALING_METHODS", "StampScaler", "StampStacker"]
