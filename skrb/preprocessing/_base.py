"""Base class of skrb's stateless stamp-set transformers."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

from skrb.utils.validation import validate_stamp_sets

__all__ = ["StatelessStampTransformer"]


class StatelessStampTransformer(TransformerMixin, BaseEstimator):
    """A transformer of stamp sets whose ``transform`` needs no fitting.

    Each stamp set is transformed on its own, so ``fit`` only checks the parameters and records
    the input shape (``n_features_in_``, ``stamp_shape_``), against which later calls are then
    checked. NaN (masked) pixels are accepted; float32 is kept.

    Subclasses implement ``transform`` (calling :meth:`_check_params` first, since it may run
    unfitted) and may extend :meth:`_check_params` and :meth:`_set_fitted_attributes`.
    """

    def fit(self, X: Any, y: Any = None) -> StatelessStampTransformer:
        """Check the parameters and record the stamp shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, 3, H, W) or (n_samples, 3 * H * W)
            Stamp sets.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._check_params()
        validate_stamp_sets(self, X, reset=True, allow_nan=True)
        self._set_fitted_attributes()
        return self

    def _check_params(self) -> None:
        """Validate the parameters (``_parameter_constraints`` and any further rule)."""
        self._validate_params()

    def _set_fitted_attributes(self) -> None:
        """Set attributes derived from the parameters in :meth:`fit` (none by default)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
