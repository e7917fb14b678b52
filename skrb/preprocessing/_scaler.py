"""Per-stamp, per-panel scaling of stamp sets."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from skrb._panels import PANELS
from skrb.preprocessing import _scaling_kernels as kernels
from skrb.preprocessing._base import StatelessStampTransformer
from skrb.preprocessing._robust_stats import median_and_mad
from skrb.preprocessing._threads import for_each_chunk
from skrb.utils.validation import validate_stamp_sets

__all__ = ["SCALING_METHODS", "StampScaler"]

SCALING_METHODS: dict[str, tuple[str, str, str]] = {
    "acero2023": ("clipped_minmax", "clipped_minmax", "zscore"),
    "autoscan": ("robust", "robust", "robust"),
    "l2": ("l2", "l2", "l2"),
    "l2_rows": ("l2_rows", "l2_rows", "l2_rows"),
    "zscore": ("zscore", "zscore", "zscore"),
    "minmax": ("minmax", "minmax", "minmax"),
}
"""Method name -> the scaling applied to each panel, in the order of :data:`skrb.PANELS`."""

_PANEL_CODES = {
    "zscore": kernels.ZSCORE,
    "clipped_minmax": kernels.CLIPPED_MINMAX,
    "robust": kernels.ROBUST,
    "l2": kernels.L2,
    "l2_rows": kernels.L2_ROWS,
    "minmax": kernels.MINMAX,
}
_NO_STATISTICS = np.empty((0, 2))
_NAN_CODES = {"median": kernels.NAN_MEDIAN, "fill": kernels.NAN_FILL, "raise": kernels.NAN_FILL}


class StampScaler(StatelessStampTransformer):
    """Scale each panel of each stamp set by its own statistics.

    Stateless: every panel is scaled with statistics of that panel alone, so ``transform``
    works without ``fit`` (``fit`` only records the input shape so that later calls are
    checked against it). Statistics ignore NaN (masked) pixels; the NaN pixels themselves are
    then set by ``nan_policy``. The work runs in compiled code (numba), one pass over memory
    with no Python loop per stamp, on all CPU cores (Python threads, safe with ``fork``; set
    the ``NUMBA_NUM_THREADS`` environment variable to use fewer).

    Parameters
    ----------
    method : {"acero2023", "autoscan", "l2", "l2_rows", "zscore", "minmax"}, \
            default="acero2023"
        Scaling of each panel ``x`` (statistics over its non-NaN pixels):

        - ``"acero2023"``: Acero-Cuellar et al. (2023), their "3 sigma" scaling. The
          difference panel is z-scored, ``(x - mean) / std``; the search and template panels
          map the pixels within ``mean +- n_sigma * std`` onto [0, 1],
          ``(x - lo) / (hi - lo)`` with ``lo, hi`` the minimum and maximum of those pixels;
          outliers stay outside [0, 1].
        - ``"autoscan"``: ``(x - median) / (1.4826 * MAD)``, autoScan (Goldstein et al. 2015).
        - ``"l2"``: ``x / ||x||_2``, the whole panel (braai after model d6_m7).
        - ``"l2_rows"``: each row of the panel divided by its own L2 norm, as
          ``tf.keras.utils.normalize(x, axis=-1)`` (braai d6_m7).
        - ``"zscore"``: ``(x - mean) / std`` on every panel.
        - ``"minmax"``: ``(x - min) / (max - min)`` on every panel.

        Standard deviations are population ones (``ddof=0``).
    nan_policy : {"median", "fill", "raise"}, default="median"
        What NaN (masked) pixels become after scaling:

        - ``"median"``: the median of the panel's scaled non-NaN pixels, so a masked chip edge
          looks like flat background and adds no artificial step for a CNN to read;
        - ``"fill"``: ``fill_value``;
        - ``"raise"``: raise a ``ValueError`` naming the first stamp set and panel with NaN.

        A panel that is entirely NaN becomes ``fill_value`` under ``"median"`` and ``"fill"``.
    fill_value : float, default=0.0
        Output value of NaN pixels with ``nan_policy="fill"`` and of all-NaN panels.
        braai's own preprocessing (NaN -> 0, then rows L2-normalised) is exactly
        ``StampScaler("l2_rows", nan_policy="fill", fill_value=0.0)``, since zeros add
        nothing to an L2 norm.
    n_sigma : float, default=3.0
        Half-width, in standard deviations, of the pixel range mapped onto [0, 1] by
        ``"acero2023"`` (the authors' best variant used 3).

    Attributes
    ----------
    n_features_in_ : int
        Number of features of the flattened stamp sets seen in :meth:`fit`.
    stamp_shape_ : tuple of int
        ``(H, W)`` of the stamps seen in :meth:`fit`.

    See Also
    --------
    StampStacker : arranges the scaled panels into CNN input images.

    Notes
    -----
    Degenerate panels have a defined result and never produce NaN or infinity: a zero scale
    (a constant panel, a zero MAD, an all-zero row for ``"l2_rows"``) is replaced by 1, as
    scikit-learn's scalers do, so a constant panel maps to 0 with every method except
    ``"l2"`` and ``"l2_rows"``, where only an all-zero panel (row) has a zero norm and it
    stays 0, as with ``tf.keras.utils.normalize``. Statistics are accumulated in float64 and
    results that would exceed the float32 range are clipped to it.

    ``"l2"`` and ``"l2_rows"`` reproduce braai's float32 arithmetic where it matters: a row
    (panel) whose sum of squares overflows float32 has an infinite norm and scales to 0. ZTF
    templates mark masked pixels with the float32 sentinel -3.4e38 rather than NaN, so such
    rows reached braai as zeros; with this rule skrb reproduces the ``drb`` scores stored in
    ZTF alerts whose templates hold the sentinel (with float64 norms they differ by up to 0.2).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.preprocessing import StampScaler
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(100.0, 5.0, size=(2, 3, 5, 5)).astype(np.float32)
    >>> Z = StampScaler().fit_transform(X)
    >>> Z.shape, Z.dtype
    ((2, 3, 5, 5), dtype('float32'))
    >>> bool(np.allclose(Z[:, 2].mean(axis=(1, 2)), 0.0, atol=1e-5))
    True
    >>> X[0, 0, 0, 0] = np.nan  # a masked pixel
    >>> Z = StampScaler("l2_rows", nan_policy="fill", fill_value=0.0).transform(X)
    >>> float(Z[0, 0, 0, 0]), float(np.linalg.norm(Z[0, 0, 0]))
    (0.0, 1.0)
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "method": [StrOptions(set(SCALING_METHODS))],
        "nan_policy": [StrOptions({"median", "fill", "raise"})],
        "fill_value": [Interval(Real, None, None, closed="neither")],
        "n_sigma": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        method: str = "acero2023",
        *,
        nan_policy: str = "median",
        fill_value: float = 0.0,
        n_sigma: float = 3.0,
    ) -> None:
        self.method = method
        self.nan_policy = nan_policy
        self.fill_value = fill_value
        self.n_sigma = n_sigma

    def transform(self, X: Any) -> np.ndarray:
        """Scale each panel of each stamp set.

        Parameters
        ----------
        X : array-like of shape (n_samples, 3, H, W) or (n_samples, 3 * H * W)
            Stamp sets, panels in the order of :data:`skrb.PANELS`; NaN marks masked pixels.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, 3, H, W)
            float32 scaled stamp sets, free of NaN and infinity.

        Raises
        ------
        ValueError
            With ``nan_policy="raise"``, if any pixel is NaN.
        """
        self._check_params()
        X = np.ascontiguousarray(validate_stamp_sets(self, X, reset=False, allow_nan=True))
        n, n_panels, h, w = X.shape
        codes = np.array([_PANEL_CODES[s] for s in SCALING_METHODS[self.method]], dtype=np.int64)
        out = np.empty_like(X)
        n_nan = np.empty((n, n_panels), dtype=np.int64)
        args = (float(self.n_sigma), _NAN_CODES[self.nan_policy], float(self.fill_value))

        robust = kernels.ROBUST in codes

        def scale_chunk(start: int, stop: int) -> None:
            rows = (stop - start) * n_panels, h * w
            panels = X[start:stop].reshape(rows)
            kernels.scale_panels(
                panels,
                codes,
                w,
                *args,
                out[start:stop].reshape(rows),
                n_nan[start:stop].reshape(-1),
                median_and_mad(panels) if robust else _NO_STATISTICS,
            )

        for_each_chunk(scale_chunk, n)
        if self.nan_policy == "raise" and n_nan.any():
            i, p = np.argwhere(n_nan)[0]
            raise ValueError(
                f"X contains NaN in {int(np.count_nonzero(n_nan.any(axis=1)))} stamp set(s) "
                f"(first: stamp set {i}, {PANELS[p]} panel, {n_nan[i, p]} pixel(s)) and "
                "nan_policy='raise'. Use nan_policy='median' or 'fill' to replace masked pixels."
            )
        return out

    def _check_params(self) -> None:
        super()._check_params()
        if not np.isfinite(self.fill_value):
            raise ValueError(f"fill_value must be finite; got {self.fill_value!r}.")
