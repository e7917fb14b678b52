"""Numbers as text and as JSON, shared by model comparison and reports."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["jsonable", "mean_std"]


def jsonable(value: Any) -> Any:
    """Return ``value`` with NumPy scalars as Python ones and non-finite floats as None."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def mean_std(mean: float, std: float, digits: int = 3) -> str:
    """Return ``"mean ± std"``, or the mean alone where the spread is undefined (one fold)."""
    text = f"{mean:.{digits}f}"
    return text if np.isnan(std) else f"{text} ± {std:.{digits}f}"
