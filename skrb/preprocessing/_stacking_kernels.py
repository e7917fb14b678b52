"""Compiled copy kernel behind :class:`skrb.preprocessing.StampStacker`'s side-by-side layouts."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["stack_horizontally"]


@njit(cache=True, nogil=True)
def stack_horizontally(X: np.ndarray, panels: np.ndarray, out: np.ndarray) -> None:
    """Copy panels ``panels`` of ``X`` (n, P, H, W) side by side into ``out`` (n, H, k * W).

    Each stamp set is copied row by row, so reads and writes stay contiguous. Releases the GIL.
    """
    w = X.shape[3]
    for i in range(X.shape[0]):
        for r in range(X.shape[2]):
            for j in range(panels.size):
                out[i, r, j * w : (j + 1) * w] = X[i, panels[j], r]
