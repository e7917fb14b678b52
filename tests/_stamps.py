"""Small synthetic stamp sets for the model tests (a blob in the difference panel = real)."""

from __future__ import annotations

import numpy as np


def blob_stamps(
    n: int, size: int, rng: np.random.Generator, *, amplitude: float = 6.0
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(X, y)``: noise stamp sets, with a centred Gaussian blob in search and difference
    for the real ones (y = 1) and alternating labels."""
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 3, size, size)).astype(np.float32)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    blob = (amplitude * np.exp(-(xx**2 + yy**2) / 4.0)).astype(np.float32)
    X[y == 1, 0] += blob
    X[y == 1, 2] += blob
    return X, y
