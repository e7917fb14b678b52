"""Compiled per-panel scaling kernels behind :class:`skrb.preprocessing.StampScaler`.

One call scales every panel of every stamp set in a single pass over memory: each panel (a few
kilobytes, so it stays in the CPU cache) is handled by one parallel iteration that computes its
statistics in float64 over the non-NaN pixels, writes the scaled float32 panel and fills its NaN
pixels. Statistics use float64 accumulators so that a constant panel has exactly zero spread.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "CLIPPED_MINMAX",
    "L2",
    "L2_ROWS",
    "MINMAX",
    "NAN_FILL",
    "NAN_MEDIAN",
    "ROBUST",
    "ZSCORE",
    "scale_panels",
]

# Per-panel scaling codes.
ZSCORE = 0  # (x - mean) / std
CLIPPED_MINMAX = 1  # (x - lo) / (hi - lo), lo/hi over pixels within mean +- n_sigma std
ROBUST = 2  # (x - median) / (1.4826 MAD)
L2 = 3  # x / ||panel||_2
L2_ROWS = 4  # each row x / ||row||_2
MINMAX = 5  # (x - min) / (max - min)

# What NaN pixels become in the output.
NAN_FILL = 0  # a constant
NAN_MEDIAN = 1  # the median of the panel's scaled valid pixels

_MAD_TO_SIGMA = 1.4826
_F32_MAX = float(np.finfo(np.float32).max)


@njit(cache=True, nogil=True)
def _nonzero(scale: float) -> float:
    """Replace a zero scale by 1 (scikit-learn's convention): constant panels map to 0."""
    return scale if scale > 0.0 else 1.0


@njit(cache=True, nogil=True)
def _gather_valid(values: np.ndarray, x: np.ndarray, n_valid: int) -> np.ndarray:
    """Gather, as float64, the pixels of ``values`` where ``x`` is not NaN."""
    buf = np.empty(n_valid, dtype=np.float64)
    k = 0
    for r in range(x.shape[0]):
        for c in range(x.shape[1]):
            if not np.isnan(x[r, c]):
                buf[k] = values[r, c]
                k += 1
    return buf


@njit(cache=True, nogil=True)
def _mean_std(x: np.ndarray, n_valid: int) -> tuple[float, float]:
    total = 0.0
    for v in x.ravel():
        if not np.isnan(v):
            total += v
    mean = total / n_valid
    ss = 0.0
    for v in x.ravel():
        if not np.isnan(v):
            ss += (v - mean) * (v - mean)
    return mean, np.sqrt(ss / n_valid)


@njit(cache=True, nogil=True)
def _min_max(x: np.ndarray, lower: float, upper: float) -> tuple[float, float, int]:
    """Min and max of the non-NaN pixels within [lower, upper], and their count."""
    lo = np.inf
    hi = -np.inf
    count = 0
    for v in x.ravel():
        if v >= lower and v <= upper:  # False for NaN
            count += 1
            lo = min(lo, v)
            hi = max(hi, v)
    return lo, hi, count


@njit(cache=True, nogil=True)
def _center_scale(x: np.ndarray, code: int, n_valid: int, n_sigma: float) -> tuple[float, float]:
    """Return (center, scale) so that the panel maps to (x - center) / scale."""
    if code == ZSCORE:
        mean, std = _mean_std(x, n_valid)
        return mean, _nonzero(std)
    if code == CLIPPED_MINMAX:
        mean, std = _mean_std(x, n_valid)
        lo, hi, count = _min_max(x, mean - n_sigma * std, mean + n_sigma * std)
        if count == 0:  # only reachable through rounding with n_sigma close to 1
            lo, hi, count = _min_max(x, -np.inf, np.inf)
        return lo, _nonzero(hi - lo)
    if code == MINMAX:
        lo, hi, _ = _min_max(x, -np.inf, np.inf)
        return lo, _nonzero(hi - lo)
    if code == ROBUST:
        values = _gather_valid(x, x, n_valid)
        median = np.median(values)
        mad = np.median(np.abs(values - median))
        return median, _nonzero(_MAD_TO_SIGMA * mad)
    # L2
    ss = 0.0
    for v in x.ravel():
        if not np.isnan(v):
            ss += v * v
    return 0.0, _nonzero(np.sqrt(ss))


@njit(cache=True, nogil=True)
def _write(v: float, center: float, scale: float) -> np.float32:
    return np.float32(min(max((v - center) / scale, -_F32_MAX), _F32_MAX))


@njit(cache=True, nogil=True)
def _scale_rows(x: np.ndarray, out: np.ndarray) -> None:
    """Divide each row by its L2 norm over non-NaN pixels (zero rows stay zero)."""
    for r in range(x.shape[0]):
        ss = 0.0
        for v in x[r]:
            if not np.isnan(v):
                ss += v * v
        scale = _nonzero(np.sqrt(ss))
        for c in range(x.shape[1]):
            out[r, c] = _write(x[r, c], 0.0, scale)


@njit(cache=True, nogil=True)
def _fill_nan(x: np.ndarray, out: np.ndarray, n_valid: int, nan_code: int, fill: float) -> None:
    """Give the output pixels that are NaN in ``x`` their policy's value."""
    value = fill
    if nan_code == NAN_MEDIAN and n_valid > 0:
        value = np.median(_gather_valid(out, x, n_valid))
    for r in range(x.shape[0]):
        for c in range(x.shape[1]):
            if np.isnan(x[r, c]):
                out[r, c] = value


@njit(cache=True, nogil=True)
def _scale_panel(
    x: np.ndarray, out: np.ndarray, code: int, n_sigma: float, nan_code: int, fill: float
) -> int:
    """Scale one (H, W) panel into ``out``; return its number of NaN pixels."""
    n_valid = 0
    for v in x.ravel():
        if not np.isnan(v):
            n_valid += 1
    n_nan = x.size - n_valid
    if n_valid == 0:
        out[:, :] = fill
        return n_nan
    if code == L2_ROWS:
        _scale_rows(x, out)
    else:
        center, scale = _center_scale(x, code, n_valid, n_sigma)
        for r in range(x.shape[0]):
            for c in range(x.shape[1]):
                out[r, c] = _write(x[r, c], center, scale)
    if n_nan:
        _fill_nan(x, out, n_valid, nan_code, fill)
    return n_nan


@njit(cache=True, parallel=True)
def scale_panels(
    X: np.ndarray,
    codes: np.ndarray,
    n_sigma: float,
    nan_code: int,
    fill: float,
    out: np.ndarray,
    n_nan: np.ndarray,
) -> None:
    """Scale every panel of ``X`` (n, P, H, W) float32 into ``out``; count NaN per panel.

    ``codes[p]`` is the scaling code of panel ``p``; ``n_nan`` (n, P) receives the number of
    NaN pixels of each input panel.
    """
    n_panels = X.shape[1]
    for k in prange(X.shape[0] * n_panels):
        i = k // n_panels
        p = k % n_panels
        n_nan[i, p] = _scale_panel(X[i, p], out[i, p], codes[p], n_sigma, nan_code, fill)
