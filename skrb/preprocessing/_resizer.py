"""Bring stamp sets of any side (and pixel scale) to the side a model reads."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skrb.preprocessing._base import StatelessStampTransformer
from skrb.utils.validation import validate_stamp_sets

__all__ = ["PIXEL_SCALES", "StampResizer", "resample_matrix"]

PIXEL_SCALES: Mapping[str, float] = MappingProxyType({"lsst": 0.2, "des": 0.263, "ztf": 1.01})
"""Survey -> pixel scale in arcsec per pixel (Rubin's LSSTCam, DECam for DES, ZTF's camera).

Read-only: a resizer's ``pixel_scale`` and ``target_pixel_scale`` take a number for any
other camera.
"""

# An output pixel is NaN unless its whole footprint lies on finite input pixels (up to rounding).
_COVERED = 1.0 - 1e-6


def _scale(value: float | str | None) -> float | None:
    return PIXEL_SCALES[value] if isinstance(value, str) else value


def resample_matrix(n_in: int, n_out: int, zoom: float) -> np.ndarray:
    """Overlap weights ``(n_out, n_in)`` of a centred, flux-conserving 1-D resampling.

    Output pixel ``j`` is ``1 / zoom`` input pixels wide, and the centres of the two stamps
    coincide (Rubin puts the source at its cutout's centre). ``M[j, i]`` is the length of input
    pixel ``i`` (width 1) inside output pixel ``j``: ``M @ x`` sums the flux in each output
    pixel, and each input pixel's weights sum to 1 where it is wholly covered. With ``zoom = 1``
    this is a centred crop or pad (a 0/1 matrix; input pixel ``n_in // 2`` lands on output pixel
    ``n_out // 2``, as :func:`skrb.io.read_alerts` places cutouts, which differs from the exact
    centre by half a pixel when one side is odd and the other even).

    Examples
    --------
    >>> resample_matrix(4, 2, 0.5)  # two input pixels per output pixel
    array([[1., 1., 0., 0.],
           [0., 0., 1., 1.]])
    >>> resample_matrix(2, 4, 1.0)  # centred pad
    array([[0., 0.],
           [1., 0.],
           [0., 1.],
           [0., 0.]])
    """
    width = 1.0 / zoom
    if zoom == 1.0:  # whole-pixel shifts: an exact crop or pad
        centre_in, centre_out = n_in // 2, n_out // 2
    else:
        centre_in, centre_out = n_in / 2, n_out / 2
    starts = centre_in + (np.arange(n_out) - centre_out) * width
    lo = np.maximum(starts[:, None], np.arange(n_in)[None, :])
    hi = np.minimum(starts[:, None] + width, np.arange(n_in)[None, :] + 1.0)
    overlap = np.clip(hi - lo, 0.0, None)
    overlap[overlap < 1e-9] = 0.0
    return overlap


def _resample(
    X: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    zoom: float,
    norm: float,
    fill_value: float = np.nan,
    *,
    variance: bool = False,
) -> np.ndarray:
    """Resample stamps ``(n, p, H, W)`` with ``rows`` (S, H) and ``cols`` (S', W); NaN-aware.

    With ``fill_value`` NaN, a pixel is NaN unless its whole footprint (``1 / zoom**2`` input
    pixels) is finite input. Otherwise NaN input counts as 0, a pixel with no finite input in
    its footprint is ``fill_value``, and panels that are wholly NaN stay NaN. With
    ``variance``, ``X`` holds the variances of independent pixels and the result is the
    variance of each resampled pixel: the squared weights (and ``norm ** 2``) apply.
    """
    finite = np.isfinite(X)
    values = np.where(finite, X, 0.0).astype(np.float64)
    if variance:
        out = (rows * rows) @ values @ (cols * cols).T
        norm = norm * norm
    else:
        out = rows @ values @ cols.T
    coverage = rows @ finite.astype(np.float64) @ cols.T
    if np.isnan(fill_value):
        out[coverage < _COVERED / (zoom * zoom)] = np.nan
    else:
        out[coverage <= 0.0] = fill_value / norm
        out[~finite.any(axis=(-2, -1))] = np.nan
    return (out * norm).astype(np.float32)


class StampResizer(StatelessStampTransformer):
    """Bring stamp sets of any side, and any pixel scale, to side ``size``.

    A model reads stamps of one side (51 x 51 for the DES CNNs, 63 x 63 for braai), but alerts
    come in other sides (Rubin's cutouts are 30 to 102 pixels) and other pixel scales (Rubin
    0.2", DES 0.263", ZTF 1.01" per pixel). Each panel is

    - cropped about its centre (larger stamps) or padded with NaN (smaller ones), the input's
      pixel ``H // 2`` landing on the output's pixel ``size // 2`` (as
      :func:`skrb.io.read_alerts` centres Rubin cutouts); the NaN padding is then filled by the
      scaler's ``nan_policy`` (:class:`StampScaler`);
    - with ``pixel_scale`` and ``target_pixel_scale``, resampled to the target scale first:
      each output pixel receives the flux of the input area it covers (exact box overlaps,
      ``conserve="flux"``), so a source keeps its total flux and angular size. An output
      pixel whose footprint touches a NaN pixel, or lies partly outside the input, is NaN.

    Stateless: ``transform`` works without ``fit``; ``fit`` records the input shape, which
    :meth:`inverse_transform` needs.

    Parameters
    ----------
    size : int, default=51
        Side of the output stamps.
    pixel_scale : float, {"lsst", "des", "ztf"} or None, default=None
        Pixel scale of the input stamps in arcsec per pixel, or a survey named in
        :data:`PIXEL_SCALES`. ``None`` (with ``target_pixel_scale=None``): no resampling.
    target_pixel_scale : float, {"lsst", "des", "ztf"} or None, default=None
        Pixel scale of the output stamps (the model's training data).
    conserve : {"flux", "surface_brightness"}, default="flux"
        ``"flux"``: an output pixel holds the flux that fell in its footprint (the sum over a
        stamp is kept; pixel values grow when pixels grow). ``"surface_brightness"``: the mean
        over its footprint (pixel values keep their level, e.g. the background's).

    Attributes
    ----------
    n_features_in_ : int
        Number of features of the flattened stamp sets seen in :meth:`fit`.
    stamp_shape_ : tuple of int
        ``(H, W)`` of the stamps seen in :meth:`fit`.
    zoom_ : float
        Output pixels per input pixel along each axis (``pixel_scale / target_pixel_scale``;
        1 without resampling).

    See Also
    --------
    StampScaler : per-stamp scaling with a NaN policy, the step after resizing.
    skrb.io.read_alerts : reads Rubin cutouts of any side, centred in a common side.

    Examples
    --------
    Rubin's 30-pixel cutouts padded to the 51 pixels of the DES CNNs, and 0.2" Rubin pixels
    resampled to 0.263" DES ones (a point source keeps its flux):

    >>> import numpy as np
    >>> from skrb.preprocessing import StampResizer
    >>> X = np.zeros((2, 3, 30, 30), dtype=np.float32)
    >>> X[:, :, 15, 15] = 100.0
    >>> padded = StampResizer(size=51).fit_transform(X)
    >>> padded.shape, padded[0, 0, 25, 25], np.isnan(padded[0, 0, 0, 0])
    ((2, 3, 51, 51), np.float32(100.0), np.True_)
    >>> resized = StampResizer(size=21, pixel_scale="lsst", target_pixel_scale="des")
    >>> out = resized.fit_transform(X)
    >>> out.shape, round(float(np.nansum(out[0, 0])), 3)
    ((2, 3, 21, 21), 100.0)

    Saliency of the resized stamps maps back to the input's pixels:

    >>> resized.inverse_transform(out).shape
    (2, 3, 30, 30)
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "size": [Interval(Integral, 1, None, closed="left")],
        "pixel_scale": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions(set(PIXEL_SCALES)),
            None,
        ],
        "target_pixel_scale": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions(set(PIXEL_SCALES)),
            None,
        ],
        "conserve": [StrOptions({"flux", "surface_brightness"})],
    }

    def __init__(
        self,
        size: int = 51,
        *,
        pixel_scale: float | str | None = None,
        target_pixel_scale: float | str | None = None,
        conserve: str = "flux",
    ) -> None:
        self.size = size
        self.pixel_scale = pixel_scale
        self.target_pixel_scale = target_pixel_scale
        self.conserve = conserve

    def _check_params(self) -> None:
        super()._check_params()
        if (self.pixel_scale is None) != (self.target_pixel_scale is None):
            raise ValueError(
                "pixel_scale and target_pixel_scale go together: give both (to resample) or "
                f"neither; got pixel_scale={self.pixel_scale!r}, "
                f"target_pixel_scale={self.target_pixel_scale!r}."
            )

    def _zoom(self) -> float:
        if self.pixel_scale is None:
            return 1.0
        return _scale(self.pixel_scale) / _scale(self.target_pixel_scale)

    def _set_fitted_attributes(self) -> None:
        self.zoom_ = self._zoom()

    def _apply(
        self,
        X: np.ndarray,
        shape_out: tuple[int, int],
        zoom: float,
        fill_value: float = np.nan,
        *,
        variance: bool = False,
    ) -> np.ndarray:
        rows = resample_matrix(X.shape[2], shape_out[0], zoom)
        cols = resample_matrix(X.shape[3], shape_out[1], zoom)
        norm = zoom * zoom if self.conserve == "surface_brightness" else 1.0
        return _resample(X, rows, cols, zoom, norm, fill_value, variance=variance)

    def transform(self, X: Any) -> np.ndarray:
        """Crop, pad and resample stamp sets to side ``size``.

        Parameters
        ----------
        X : array-like of shape (n_samples, 3, H, W) or (n_samples, 3 * H * W)
            Stamp sets (NaN pixels are masked ones).

        Returns
        -------
        X_out : ndarray of shape (n_samples, 3, size, size)
            float32 stamp sets, NaN where no (or not only finite) input pixels cover a pixel.
        """
        self._check_params()
        X = validate_stamp_sets(self, X, reset=False, allow_nan=True)
        return self._apply(X, (self.size, self.size), self._zoom())

    def transform_variance(self, V: Any) -> np.ndarray:
        """Resize variance planes: the variance of each pixel of :meth:`transform`'s output.

        A crop or a pad moves variances as :meth:`transform` moves pixels. Resampling sums
        (or, with ``conserve="surface_brightness"``, averages) input pixels with weights
        ``w`` (the area of each input pixel inside the output pixel), so for independent
        pixels the output variance is the sum of ``w ** 2`` times the input variances (times
        ``zoom ** 4`` for surface brightness), not :meth:`transform` of the variances (which
        would overstate it wherever a pixel is split between output pixels). Output pixels
        are correlated after resampling; this is each one's own variance.

        Parameters
        ----------
        V : array-like of shape (n_samples, 3, H, W) or (n_samples, 3 * H * W)
            Variances of the stamp sets' pixels (e.g. ``read_alerts(..., variance=True)
            .variance``, Rubin's ``UNCERT`` planes), as the stamps given to :meth:`transform`.

        Returns
        -------
        V_out : ndarray of shape (n_samples, 3, size, size)
            float32 variances, NaN where :meth:`transform` gives NaN.

        Examples
        --------
        Along each axis a 0.3" output pixel takes one whole 0.2" input pixel and half of
        the next: its flux is 1 + 1/2 of theirs, its variance 1 + 1/4 of theirs (per axis),
        where resizing the variances as images would give 1 + 1/2:

        >>> import numpy as np
        >>> from skrb.preprocessing import StampResizer
        >>> V = np.ones((1, 3, 4, 4), dtype=np.float32)
        >>> resizer = StampResizer(size=2, pixel_scale=0.2, target_pixel_scale=0.3)
        >>> resizer.transform_variance(V)[0, 0]
        array([[1.5625, 1.5625],
               [1.5625, 1.5625]], dtype=float32)
        >>> resizer.transform(V)[0, 0]
        array([[2.25, 2.25],
               [2.25, 2.25]], dtype=float32)
        """
        self._check_params()
        V = validate_stamp_sets(self, V, reset=False, allow_nan=True)
        return self._apply(V, (self.size, self.size), self._zoom(), variance=True)

    def inverse_transform(
        self, X: Any, stamp_shape: tuple[int, int] | None = None, fill_value: float = np.nan
    ) -> np.ndarray:
        """Map resized stamp sets (or attributions on them) back to the input's pixels.

        The inverse geometry: the ``size``-pixel stamps are resampled back to the input's
        pixel scale and placed, centred, in stamps of the fitted side; input pixels that the
        resized stamps do not cover (cropped away) are NaN. Without resampling this undoes a
        crop or a pad exactly where pixels were kept. Used by :mod:`skrb.explain` to map
        saliency back through a Pipeline.

        Parameters
        ----------
        X : array-like of shape (n_samples, 3, size, size) or (n_samples, 3 * size * size)
            Output of :meth:`transform`, or attributions on it.
        stamp_shape : tuple of int, optional
            ``(H, W)`` of the input stamps; defaults to the fitted ``stamp_shape_`` (an
            unfitted resizer needs it).
        fill_value : float, default=np.nan
            Value of input pixels the resized stamps do not cover. NaN (the default) also marks
            pixels only partly covered, or covered by NaN. Any other value (e.g. 0 for
            attributions: the model never saw those pixels) sums what is covered, treating NaN
            as 0, and keeps wholly NaN panels NaN (a panel the model does not use).

        Returns
        -------
        X_in : ndarray of shape (n_samples, 3, H, W)
            float32.
        """
        if stamp_shape is None:
            check_is_fitted(self, "stamp_shape_")
            stamp_shape = self.stamp_shape_
        self._check_params()
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 2 and X.shape[1] == 3 * self.size * self.size:
            X = X.reshape(len(X), 3, self.size, self.size)
        if X.ndim != 4 or X.shape[1:] != (3, self.size, self.size):
            raise ValueError(
                f"inverse_transform takes stamp sets of shape (n_samples, 3, {self.size}, "
                f"{self.size}) (this resizer's output); got shape {X.shape}."
            )
        shape = (int(stamp_shape[0]), int(stamp_shape[1]))
        return self._apply(X, shape, 1.0 / self._zoom(), fill_value)
