"""SciKeras, contained: every use of its private members is in this module, with its reason.

SciKeras is unmaintained since 2025 (its maintainer points to Keras' own scikit-learn wrappers).
skrb keeps it, as designed, pinned to the range it is tested with (``scikeras>=0.13,<0.14`` in
``pyproject.toml``), and touches its internals only here:

- :class:`SciKerasClassifier`, the :class:`scikeras.wrappers.KerasClassifier` that skrb's CNNs
  derive from, overrides SciKeras' private hooks and forwards each to a skrb-named hook of
  :class:`~skrb.models.StampCNNClassifier`;
- :func:`restore_network` gives a classifier a saved network without training (persistence).

:data:`PRIVATE_API` lists each private member used with the signature it has in the tested
SciKeras; ``tests/test_scikeras_contract.py`` fails loudly when an upgrade changes one of them.
"""

from __future__ import annotations

from typing import Any

import keras
from scikeras.wrappers import KerasClassifier

from skrb.models._finite import StopOnNonFinite

__all__ = ["PRIVATE_API", "SCIKERAS_VERSIONS", "SciKerasClassifier", "restore_network"]

SCIKERAS_VERSIONS = ("0.13", "0.14")
"""The SciKeras versions skrb is tested with: ``>= [0]``, ``< [1]`` (pyproject's pin)."""

PRIVATE_API: dict[str, tuple[str, ...]] = {
    # Builds model_ from model/build_fn/_keras_build_fn, seeding from _random_state first.
    "_build_keras_model": ("self",),
    # Runs keras.Model.fit on model_ and records history_, seeding from _random_state first.
    "_fit_keras_model": (
        *("self", "X", "y", "sample_weight", "warm_start", "epochs", "initial_epoch", "kwargs"),
    ),
    # Sets _fit_callbacks (and _predict_callbacks) from the callbacks parameters.
    "_initialize_callbacks": ("self",),
    # Validates X and y and fits the target encoder; returns (X, y).
    "_validate_data": ("self", "X", "y", "reset", "y_numeric"),
    # The optimizer, loss and metrics of compile, from the parameters and their routed ones.
    "_get_compile_kwargs": ("self",),
}
"""Private SciKeras methods used, with their parameters in the tested SciKeras.

Also used: the hook ``_keras_build_fn`` (SciKeras' documented way for a subclass to build its
model), and the private attributes ``_random_state`` (the seed SciKeras applies around building
and fitting; skrb sets it to None and seeds itself, see ``StampCNNClassifier._seeded``) and
``_fit_callbacks`` (the callbacks passed to ``keras.Model.fit``; skrb appends early stopping).
"""


class SciKerasClassifier(KerasClassifier):
    """:class:`scikeras.wrappers.KerasClassifier` with SciKeras' private hooks forwarded.

    Subclasses implement the skrb-named hooks instead of SciKeras' private ones:

    - ``_build_network(compile_kwargs)`` -> compiled Keras model;
    - ``_seeded()`` -> context manager seeding building and training;
    - ``_training_network(model)`` -> context manager giving the model Keras should train;
    - ``_extra_fit_callbacks()`` -> callbacks added to SciKeras' own;
    - ``_validate_images(X, reset=...)`` -> validated input images;
    - ``_validate_targets(y, n_samples, reset)`` -> validated labels (before SciKeras encodes
      them).
    """

    # -- the skrb hooks (implemented by StampCNNClassifier) --------------------------------------
    def _build_network(self, compile_kwargs: dict[str, Any]) -> keras.Model:
        raise NotImplementedError

    def _seeded(self) -> Any:
        raise NotImplementedError

    def _training_network(self, model: keras.Model) -> Any:
        raise NotImplementedError

    def _extra_fit_callbacks(self) -> list[Any]:
        return []

    def _validate_images(self, X: Any, *, reset: bool) -> Any:
        raise NotImplementedError

    def _validate_targets(self, y: Any, n_samples: int | None, reset: bool) -> Any:
        return y

    def _compile_arguments(self) -> dict[str, Any]:
        """Return the optimizer, loss and metrics SciKeras compiles with (routed ones applied)."""
        return self._get_compile_kwargs()  # private SciKeras method, see PRIVATE_API

    # -- SciKeras' private hooks, each forwarded ---------------------------------------------------
    def _keras_build_fn(self, compile_kwargs: dict[str, Any]) -> keras.Model:
        # SciKeras calls this to build model_ when neither `model` nor `build_fn` is given.
        return self._build_network(compile_kwargs)

    def _build_keras_model(self) -> keras.Model:
        # SciKeras seeds from _random_state here, forcing TensorFlow op determinism; skrb seeds
        # itself (determinism only with deterministic=True), so the private seed is cleared.
        self._random_state = None
        with self._seeded():
            return super()._build_keras_model()

    def _fit_keras_model(self, X: Any, y: Any, *args: Any, **kwargs: Any) -> None:
        # Same seeding as above; and Keras trains the network skrb hands it for training.
        self._random_state = None
        with self._training_network(self.model_), self._seeded():
            super()._fit_keras_model(X, y, *args, **kwargs)

    def _initialize_callbacks(self) -> None:
        # SciKeras sets _fit_callbacks from `callbacks` / `fit__callbacks`; skrb appends its own,
        # and puts the NaN guard first, so that no later callback (early stopping restoring
        # earlier weights) acts on a NaN epoch.
        super()._initialize_callbacks()
        guard = StopOnNonFinite(type(self).__name__)
        self._fit_callbacks = [guard, *self._fit_callbacks, *self._extra_fit_callbacks()]

    def _validate_data(
        self, X: Any = None, y: Any = None, reset: bool = False, y_numeric: bool = False
    ) -> tuple[Any, Any]:
        # SciKeras validates X and y here; skrb validates the images itself and lets SciKeras
        # encode the labels (its target encoder).
        if X is not None:
            X = self._validate_images(X, reset=reset)
        if y is not None:
            y = self._validate_targets(y, None if X is None else X.shape[0], reset)
            _, y = super()._validate_data(X=None, y=y, reset=reset, y_numeric=y_numeric)
        return X, y


def restore_network(estimator: KerasClassifier, network: keras.Model, X: Any, y: Any) -> None:
    """Initialise ``estimator`` on ``(X, y)`` with the ready ``network`` as its ``model_``.

    Used to restore a saved classifier: SciKeras' ``initialize`` fits the target encoder and
    sets the fitted attributes from ``(X, y)``, and builds ``model_`` through the private
    ``_build_keras_model``, which returns ``network`` for this one call.

    Parameters
    ----------
    estimator : KerasClassifier
        The classifier to restore (a skrb classifier).
    network : keras.Model
        Its saved network.
    X : ndarray
        Inputs of the network's shape (their values are not used).
    y : array-like
        Every class label, in ``classes_`` order.
    """
    estimator._build_keras_model = lambda: network  # private SciKeras method, see PRIVATE_API
    try:
        estimator.initialize(X, y)
    finally:
        del estimator._build_keras_model
