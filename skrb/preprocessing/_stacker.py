"""Stack stamp sets into the image layouts the CNNs read."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils._param_validation import StrOptions

from skrb._panels import PANELS
from skrb.preprocessing._base import StatelessStampTransformer
from skrb.preprocessing._stacking_kernels import stack_horizontally
from skrb.preprocessing._threads import for_each_chunk
from skrb.utils.validation import validate_stamp_sets

__all__ = ["LAYOUTS", "StampStacker"]

LAYOUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dia": ("horizontal", ("difference", "search", "template")),
    "nodia": ("horizontal", ("search", "template")),
    "channels": ("channels", ("search", "template", "difference")),
    "horizontal": ("horizontal", ()),
}
"""Layout name -> (arrangement, default panels). ``"horizontal"`` needs explicit ``panels``."""


class StampStacker(StatelessStampTransformer):
    """Stack stamp sets into CNN input images.

    Stateless: ``transform`` works without ``fit`` (``fit`` only records the input shape so that
    later calls are checked against it).

    Parameters
    ----------
    layout : {"dia", "nodia", "channels", "horizontal"}, default="dia"
        How panels are arranged:

        - ``"dia"``: difference | search | template side by side, ``(n, H, 3W, 1)``
          (Acero-Cuellar et al. 2023, DIA-based model);
        - ``"nodia"``: search | template side by side, ``(n, H, 2W, 1)`` (their noDIA model);
        - ``"channels"``: search, template, difference as channels, ``(n, H, W, 3)`` (braai);
        - ``"horizontal"``: the panels named in ``panels`` side by side (for ablations).
    panels : sequence of str, optional
        Panels to use, in order, from :data:`skrb.PANELS`; overrides the layout's own
        selection (e.g. ``layout="horizontal", panels=("template",)`` for template alone).

    Attributes
    ----------
    n_features_in_ : int
        Number of features of the flattened stamp sets seen in :meth:`fit`.
    stamp_shape_ : tuple of int
        ``(H, W)`` of the stamps seen in :meth:`fit`.
    panels_ : tuple of str
        The panels stacked, in output order.

    See Also
    --------
    StampScaler : per-stamp scaling, the step before stacking.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.preprocessing import StampStacker
    >>> X = np.zeros((4, 3, 51, 51), dtype=np.float32)
    >>> StampStacker("dia").fit_transform(X).shape
    (4, 51, 153, 1)
    >>> StampStacker("nodia").fit_transform(X).shape
    (4, 51, 102, 1)
    >>> StampStacker("channels").fit_transform(X).shape
    (4, 51, 51, 3)
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "layout": [StrOptions(set(LAYOUTS))],
        "panels": [list, tuple, None],
    }

    def __init__(self, layout: str = "dia", panels: tuple[str, ...] | None = None) -> None:
        self.layout = layout
        self.panels = panels

    # -- geometry -------------------------------------------------------------------------------
    def _arrangement(self) -> str:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {sorted(LAYOUTS)}; got {self.layout!r}.")
        return LAYOUTS[self.layout][0]

    def _resolve_panels(self) -> tuple[str, ...]:
        self._arrangement()  # checks the layout
        if self.panels is None:
            panels = LAYOUTS[self.layout][1]
            if not panels:
                raise ValueError(f"layout={self.layout!r} needs `panels`, e.g. ('template',).")
        elif isinstance(self.panels, str):
            raise ValueError(f"panels must be a sequence of panel names; got {self.panels!r}.")
        else:
            panels = tuple(self.panels)
            if not panels:
                raise ValueError("panels must name at least one panel; got an empty sequence.")
        unknown = [p for p in panels if p not in PANELS]
        if unknown:
            raise ValueError(f"Unknown panel(s) {unknown}; panels are {PANELS}.")
        if len(set(panels)) != len(panels):
            raise ValueError(f"panels must not repeat; got {panels}.")
        return panels

    def image_shape(self, stamp_shape: tuple[int, int] | None = None) -> tuple[int, int, int]:
        """Shape ``(H, W', C)`` of one stacked image.

        Parameters
        ----------
        stamp_shape : tuple of int, optional
            ``(H, W)`` of the stamps; defaults to the fitted ``stamp_shape_``.

        Returns
        -------
        shape : tuple of int
            The image shape the CNN sees.
        """
        h, w = self._stamp_shape(stamp_shape)
        k = len(self._resolve_panels())
        return (h, k * w, 1) if self._arrangement() == "horizontal" else (h, w, k)

    def panel_slices(
        self, stamp_shape: tuple[int, int] | None = None
    ) -> dict[str, tuple[slice, slice, slice]]:
        """Where each panel lies in one stacked image.

        Parameters
        ----------
        stamp_shape : tuple of int, optional
            ``(H, W)`` of the stamps; defaults to the fitted ``stamp_shape_``.

        Returns
        -------
        slices : dict
            Panel name -> index ``(rows, columns, channels)`` into an image of shape
            :meth:`image_shape`. Panels the layout does not use are absent.

        Examples
        --------
        >>> from skrb.preprocessing import StampStacker
        >>> StampStacker("nodia").panel_slices((5, 5))["template"]
        (slice(None, None, None), slice(5, 10, None), slice(0, 1, None))
        """
        _, w = self._stamp_shape(stamp_shape)
        out = {}
        for j, panel in enumerate(self._resolve_panels()):
            if self._arrangement() == "horizontal":
                out[panel] = (slice(None), slice(j * w, (j + 1) * w), slice(0, 1))
            else:
                out[panel] = (slice(None), slice(None), slice(j, j + 1))
        return out

    def _stamp_shape(self, stamp_shape: tuple[int, int] | None) -> tuple[int, int]:
        if stamp_shape is not None:
            return int(stamp_shape[0]), int(stamp_shape[1])
        if not hasattr(self, "stamp_shape_"):
            raise ValueError("Give stamp_shape=(H, W) or fit the stacker first.")
        return self.stamp_shape_

    # -- estimator API --------------------------------------------------------------------------
    def _set_fitted_attributes(self) -> None:
        self.panels_ = self._resolve_panels()

    def transform(self, X: Any) -> np.ndarray:
        """Stack stamp sets into images.

        Parameters
        ----------
        X : array-like of shape (n_samples, 3, H, W) or (n_samples, 3 * H * W)
            Stamp sets (NaN pixels pass through unchanged).

        Returns
        -------
        images : ndarray of shape (n_samples, H, k * W, 1) or (n_samples, H, W, k)
            float32 images, ``k`` the number of panels used.
        """
        self._check_params()
        X = validate_stamp_sets(self, X, reset=False, allow_nan=True)
        idx = [PANELS.index(p) for p in self._resolve_panels()]
        n, _, h, w = X.shape
        if self._arrangement() == "channels":
            out = np.empty((n, h, w, len(idx)), dtype=X.dtype)
            for j, i in enumerate(idx):
                out[..., j] = X[:, i]
            return out
        X = np.ascontiguousarray(X)
        panels = np.array(idx, dtype=np.int64)
        out = np.empty((n, h, len(idx) * w, 1), dtype=X.dtype)
        for_each_chunk(
            lambda start, stop: stack_horizontally(X[start:stop], panels, out[start:stop, :, :, 0]),
            n,
        )
        return out

    def inverse_transform(self, X: Any, fill_value: float = np.nan) -> np.ndarray:
        """Map stacked images (or attributions on them) back to stamp-set panels.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, k * W, 1) or (n_samples, H, W, k)
            Stacked images, as returned by :meth:`transform`, or maps of the same shape
            (e.g. saliency).
        fill_value : float, default=np.nan
            Value of the panels this layout does not use.

        Returns
        -------
        X : ndarray of shape (n_samples, 3, H, W)
            Stamp sets in the order of :data:`skrb.PANELS`.
        """
        Z = np.asarray(X)
        panels = self._resolve_panels()
        k = len(panels)
        if Z.ndim != 4:
            raise ValueError(f"Expected stacked images of 4 dimensions; got shape {Z.shape}.")
        n, h = Z.shape[:2]
        if self._arrangement() == "channels":
            if Z.shape[3] != k:
                raise ValueError(f"Expected {k} channels for panels {panels}; got {Z.shape}.")
            w = Z.shape[2]
        else:
            if Z.shape[3] != 1 or Z.shape[2] % k:
                raise ValueError(
                    f"Expected images of shape (n, H, {k} * W, 1) for panels {panels}; "
                    f"got {Z.shape}."
                )
            w = Z.shape[2] // k
        dtype = Z.dtype if Z.dtype.kind == "f" else np.float32
        out = np.full((n, len(PANELS), h, w), fill_value, dtype=dtype)
        for panel, sl in self.panel_slices((h, w)).items():
            out[:, PANELS.index(panel)] = Z[(slice(None), *sl)][..., 0]
        return out
