"""No silent NaN: a training loss or a probability that is not finite is an error.

A network whose weights became NaN (a diverged training, a damaged checkpoint) or that
overflows on extreme inputs outputs NaN; ``argmax`` then calls every candidate class 0 and a
threshold calls it bogus, so a NaN would pass as a confident "bogus". skrb stops instead:

- :class:`StopOnNonFinite`, a Keras callback of every skrb classifier's ``fit``, raises
  :class:`NonFiniteError` at the first batch whose loss is NaN or infinite, or at the end of
  the first epoch that left a weight NaN or infinite (nothing is restored: the classifier is
  left unfitted). Both checks are needed: on CPU, max pooling passes NaN activations on as the
  largest float, so a network with NaN weights can report a finite loss and output finite,
  constant probabilities;
- :func:`check_finite_weights` raises :class:`NonFiniteError` for a network holding NaN or
  infinite weights (a damaged checkpoint or model file);
- :func:`check_finite_proba` raises :class:`NonFiniteError` when probabilities are not
  finite, naming how many samples and which; the error's ``indices`` let a caller (the
  scoring loop of ``skrb score``) mark those samples and keep the others.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

__all__ = ["NonFiniteError", "StopOnNonFinite", "check_finite_proba", "check_finite_weights"]

_HINT = (
    "check the inputs' scale (e.g. pixel values near 1e30 without a scaler) or lower the "
    "learning rate"
)


class NonFiniteError(ValueError):
    """A network produced NaN or infinity: a training loss, or probabilities.

    Attributes
    ----------
    indices : ndarray of int
        For probabilities: the samples whose output is not finite (empty for a loss).

    Examples
    --------
    >>> from skrb.models import NonFiniteError
    >>> issubclass(NonFiniteError, ValueError)
    True
    """

    def __init__(self, message: str, indices: Any = ()) -> None:
        super().__init__(message)
        self.indices = np.asarray(indices, dtype=np.intp)


class StopOnNonFinite(keras.callbacks.Callback):
    """Raise :class:`NonFiniteError` as soon as a loss or a weight is NaN or infinite.

    The loss is checked after every batch, the weights after every epoch. Unlike
    :class:`keras.callbacks.TerminateOnNaN`, which stops training quietly (and lets early
    stopping restore earlier weights as if nothing happened), this makes ``fit`` fail with a
    message naming the epoch.

    Parameters
    ----------
    name : str, default="the network"
        How messages name the model (e.g. the classifier's class).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import NonFiniteError, StopOnNonFinite
    >>> callback = StopOnNonFinite("DIAClassifier")
    >>> callback.on_train_batch_end(0, {"loss": 0.7})
    >>> callback.on_train_batch_end(1, {"loss": np.nan})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    skrb.models.NonFiniteError: DIAClassifier: the training loss became nan at epoch 1, batch 2; ...
    """

    def __init__(self, name: str = "the network") -> None:
        super().__init__()
        self.name = name
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Remember the epoch, for messages."""
        self._epoch = epoch

    def _check(self, logs: dict[str, Any] | None, where: str) -> None:
        for key, value in (logs or {}).items():
            if "loss" not in key:
                continue
            value = float(value)
            if not math.isfinite(value):
                raise NonFiniteError(
                    f"{self.name}: the {'validation' if key.startswith('val_') else 'training'}"
                    f" loss became {value} at {where}; the network's weights are no longer "
                    f"usable and it is left unfitted: {_HINT}."
                )

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Check the batch's loss."""
        self._check(logs, f"epoch {self._epoch + 1}, batch {batch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Check the epoch's losses (the validation loss too) and the weights."""
        self._check(logs, f"the end of epoch {epoch + 1}")
        if self.model is not None:
            check_finite_weights(
                self.model,
                self.name,
                when=f"after training epoch {epoch + 1}",
                hint=f"{_HINT}; it is left unfitted",
            )


NonFiniteError.__module__ = "skrb.models"
StopOnNonFinite.__module__ = "skrb.models"


def check_finite_weights(
    model: Any, name: str, *, when: str = "", hint: str = "a damaged checkpoint or model file"
) -> None:
    """Raise :class:`NonFiniteError` if any weight of a Keras ``model`` is NaN or infinite.

    Parameters
    ----------
    model : keras.Model
        The network.
    name : str
        How the message names it (e.g. a file or a classifier).
    when : str, optional
        When the check is made, for the message (e.g. ``"after training epoch 3"``).
    hint : str, optional
        The likely cause, for the message.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skrb.models import check_finite_weights
    >>> layer = keras.layers.Dense(1, name="dense")
    >>> model = keras.Sequential([keras.Input((2,)), layer])
    >>> check_finite_weights(model, "tiny")  # fine: returns None
    >>> layer.set_weights([np.full((2, 1), np.nan), np.zeros(1)])
    >>> check_finite_weights(model, "tiny")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    skrb.models.NonFiniteError: tiny: 2 weight(s) of layer 'dense' are NaN or infinite: ...
    """
    for layer in model.layers:
        for variable in layer.weights:
            values = keras.ops.convert_to_numpy(variable)
            if not np.isfinite(values).all():
                count = int(np.size(values) - np.isfinite(values).sum())
                raise NonFiniteError(
                    f"{name}: {count} weight(s) of layer {layer.name!r} are NaN or infinite"
                    f"{' ' + when if when else ''}: {hint}."
                )


def check_finite_proba(proba: np.ndarray, name: str) -> np.ndarray:
    """Return ``proba`` if every row is finite, else raise :class:`NonFiniteError`.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Probabilities from a network.
    name : str
        How the message names the model.

    Returns
    -------
    proba : ndarray
        The same array.

    Raises
    ------
    NonFiniteError
        Naming how many samples have NaN or infinite probabilities and the first of them;
        its ``indices`` holds them all.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import check_finite_proba
    >>> check_finite_proba(np.array([[0.2, 0.8], [np.nan, np.nan]]), "DIA")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    skrb.models.NonFiniteError: DIA returned NaN or infinite probabilities for 1 of 2 sample(s) ...
    """
    with np.errstate(invalid="ignore"):
        if np.isfinite(proba.sum()):
            return proba
    bad = np.flatnonzero(~np.isfinite(proba.reshape(len(proba), -1)).all(axis=1))
    if bad.size == 0:
        return proba
    raise NonFiniteError(
        f"{name} returned NaN or infinite probabilities for {bad.size} of {len(proba)} "
        f"sample(s) (first at index {bad[0]}): its weights are not finite (a diverged training "
        "or a damaged checkpoint) or these inputs overflow it; no score is given rather than a "
        "wrong one.",
        bad,
    )
