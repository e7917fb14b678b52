"""Compiled per-panel scaling kernels behind :class:`skrb.preprocessing.StampScaler`.

One call scales every panel of a chunk of stamp sets in a single pass over memory: each panel
(a few kilobytes, so it stays in the CPU cache) has its statistics computed in float64 over its
non-NaN pixels, then is written scaled as float32 and its NaN pixels filled. The kernels release
the GIL, so chunks run in parallel on threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit

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
# Let reductions be reordered (so they vectorise) while keeping exact NaN/inf semantics.
_FAST = {"reassoc", "contract", "arcp", "nsz"}
_jit = njit(cache=True, nogil=True, fastmath=_FAST)


@_jit
def _nonzero(scale: float) -> float:
    """Replace a zero scale by 1 (scikit-learn's convention): constant panels map to 0."""
    return scale if scale > 0.0 else 1.0


@_jit
def _moments(x: np.ndarray) -> tuple[int, float, float]:
    """Count, mean and population std of the non-NaN values of the 1-D array ``x``.

    One pass of shifted sums (shifted by a value of ``x``, so that cancellation is small);
    a constant array gets a std of exactly 0.
    """
    shift = 0.0
    for j in range(x.size):
        if x[j] == x[j]:
            shift = np.float64(x[j])
            break
    n = 0
    total = 0.0
    squares = 0.0
    for j in range(x.size):
        d = np.float64(x[j]) - shift
        ok = d == d
        n += ok
        d = d if ok else 0.0
        total += d
        squares += d * d
    if n == 0:
        return 0, np.nan, np.nan
    mean = total / n
    return n, shift + mean, np.sqrt(max(squares / n - mean * mean, 0.0))


@_jit
def _sum_squares(x: np.ndarray) -> float:
    """Sum of squares of the non-NaN values of ``x``."""
    ss = 0.0
    for j in range(x.size):
        v = np.float64(x[j])
        ss += v * v if v == v else 0.0
    return ss


@_jit
def _l2_norm(x: np.ndarray) -> float:
    """L2 norm of the non-NaN values of ``x`` as braai computed it on float32 data.

    The sum of squares is accumulated in float64, but where it exceeds the float32 range the
    norm is infinite, as in ``tf.keras.utils.normalize`` on float32 cutouts: the row (panel)
    then scales to 0. ZTF templates mark masked pixels with the float32 sentinel -3.4e38, so
    this is what braai (and ZTF's ``drb``) saw for such rows.
    """
    ss = _sum_squares(x)
    return np.inf if ss > _F32_MAX else _nonzero(np.sqrt(ss))


@_jit
def _order_key(bits: int) -> int:
    """Map a float32 bit pattern (as an integer) to an integer key that sorts like the float.

    Negative floats have their magnitude bits flipped; NaN lands beyond +-infinity, so a key
    range between two numbers never includes it. The map is its own inverse.
    """
    return bits ^ ((bits >> 31) & 0x7FFFFFFF)


@_jit
def _key_range(lower: float, upper: float, scratch: np.ndarray) -> tuple[int, int]:
    """Keys of the smallest float32 >= ``lower`` and the largest float32 <= ``upper``."""
    floats = scratch.view(np.float32)
    floats[0] = lower
    floats[1] = upper
    lo_key = _order_key(scratch[0]) + (np.float64(floats[0]) < lower)
    hi_key = _order_key(scratch[1]) - (np.float64(floats[1]) > upper)
    return lo_key, hi_key


@_jit
def _key_value(key: int, scratch: np.ndarray) -> float:
    """Return the float32 value, as float64, of an order key."""
    scratch[0] = _order_key(key)
    return np.float64(scratch.view(np.float32)[0])


@_jit
def _min_max(
    x: np.ndarray, lower: float, upper: float, scratch: np.ndarray
) -> tuple[float, float, int]:
    """Min and max of the values of ``x`` within [lower, upper] (never NaN), and their count.

    Works on integer order keys: integer min/max reductions vectorise, float ones (which must
    respect NaN) do not.
    """
    lo_key, hi_key = _key_range(lower, upper, scratch)
    bits = x.view(np.int32)
    lo = hi_key
    hi = lo_key
    count = 0
    for j in range(bits.size):
        b = bits[j]
        k = _order_key(b)
        inside = (k >= lo_key) & (k <= hi_key)
        count += inside
        a = k if inside else hi_key
        lo = a if a < lo else lo
        a = k if inside else lo_key
        hi = a if a > hi else hi
    return _key_value(lo, scratch), _key_value(hi, scratch), count


@_jit
def _gather_valid(values: np.ndarray, x: np.ndarray, n_valid: int) -> np.ndarray:
    """Gather, as float64, the values of ``values`` where ``x`` is not NaN."""
    buf = np.empty(n_valid, dtype=np.float64)
    k = 0
    for j in range(x.size):
        if x[j] == x[j]:
            buf[k] = values[j]
            k += 1
    return buf


@_jit
def _center_scale(
    x: np.ndarray,
    code: int,
    n_valid: int,
    mean: float,
    std: float,
    n_sigma: float,
    robust: np.ndarray,
    scratch: np.ndarray,
) -> tuple[float, float]:
    """Return (center, scale) so that the panel ``x`` maps to (x - center) / scale.

    ``robust`` holds the panel's (median, MAD) if known, else NaN.
    """
    if code == ZSCORE:
        return mean, _nonzero(std)
    if code == CLIPPED_MINMAX:
        lo, hi, count = _min_max(x, mean - n_sigma * std, mean + n_sigma * std, scratch)
        if count == 0:  # only reachable through rounding with n_sigma close to 1
            lo, hi, count = _min_max(x, -np.inf, np.inf, scratch)
        return lo, _nonzero(hi - lo)
    if code == MINMAX:
        lo, hi, _ = _min_max(x, -np.inf, np.inf, scratch)
        return lo, _nonzero(hi - lo)
    if code == ROBUST:
        median, mad = robust[0], robust[1]
        if np.isnan(median):  # not given: compute over the valid pixels
            values = _gather_valid(x, x, n_valid)
            median = np.median(values)
            mad = np.median(np.abs(values - median))
        return median, _nonzero(_MAD_TO_SIGMA * mad)
    return 0.0, _l2_norm(x)  # L2


@_jit
def _write(x: np.ndarray, out: np.ndarray, center: float, scale: float) -> None:
    """``out = (x - center) / scale``, clipped to the float32 range (NaN stays NaN)."""
    inv = 1.0 / scale
    for j in range(x.size):
        z = (np.float64(x[j]) - center) * inv
        out[j] = np.float32(min(max(z, -_F32_MAX), _F32_MAX))


@_jit
def _scale_rows(x: np.ndarray, out: np.ndarray, width: int) -> None:
    """Divide each row of ``width`` pixels by its L2 norm over non-NaN pixels (0 stays 0)."""
    for start in range(0, x.size, width):
        row = x[start : start + width]
        _write(row, out[start : start + width], 0.0, _l2_norm(row))


@_jit
def _fill_nan(x: np.ndarray, out: np.ndarray, n_valid: int, nan_code: int, fill: float) -> None:
    """Give the output pixels that are NaN in ``x`` their policy's value."""
    value = fill
    if nan_code == NAN_MEDIAN and n_valid > 0:
        value = np.median(_gather_valid(out, x, n_valid))
    for j in range(x.size):
        if x[j] != x[j]:
            out[j] = value


@_jit
def _scale_panel(
    x: np.ndarray,
    out: np.ndarray,
    code: int,
    width: int,
    n_sigma: float,
    nan_code: int,
    fill: float,
    robust: np.ndarray,
    scratch: np.ndarray,
) -> int:
    """Scale one flattened panel ``x`` into ``out``; return its number of NaN pixels."""
    n_valid, mean, std = _moments(x)
    n_nan = x.size - n_valid
    if n_valid == 0:
        out[:] = fill
        return n_nan
    if code == L2_ROWS:
        _scale_rows(x, out, width)
    else:
        center, scale = _center_scale(x, code, n_valid, mean, std, n_sigma, robust, scratch)
        _write(x, out, center, scale)
    if n_nan:
        _fill_nan(x, out, n_valid, nan_code, fill)
    return n_nan


@_jit
def scale_panels(
    X: np.ndarray,
    codes: np.ndarray,
    width: int,
    n_sigma: float,
    nan_code: int,
    fill: float,
    out: np.ndarray,
    n_nan: np.ndarray,
    robust: np.ndarray,
) -> None:
    """Scale every panel of ``X`` into ``out`` and count the NaN pixels of each.

    ``X`` and ``out`` are float32 of shape (n_samples * n_panels, H * W), C-contiguous, panel
    ``k`` being panel ``k % len(codes)`` of its stamp set; ``codes[p]`` is the scaling code of
    panel ``p``; ``width`` is the stamp width W; ``n_nan`` (n_samples * n_panels,) receives
    the number of NaN pixels of each panel; ``robust`` (n_samples * n_panels, 2) gives the
    (median, MAD) of each panel where known (NaN elsewhere), or has no rows when no panel
    uses them. Releases the GIL.
    """
    n_panels = codes.size
    scratch = np.empty(2, dtype=np.int32)
    unknown = np.full(2, np.nan)
    for k in range(X.shape[0]):
        code = codes[k % n_panels]
        given = robust[k] if code == ROBUST else unknown
        n_nan[k] = _scale_panel(X[k], out[k], code, width, n_sigma, nan_code, fill, given, scratch)
