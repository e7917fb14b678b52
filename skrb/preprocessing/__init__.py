"""Transformers that scale stamp sets and stack them into CNN input layouts."""

from skrb.preprocessing._stacker import LAYOUTS, StampStacker

__all__ = ["LAYOUTS", "StampStacker"]
