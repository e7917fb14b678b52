"""Registered Keras layers that put class probabilities in skrb's order.

Every skrb model maps images to an ``(n, 2)`` tensor of class probabilities, column ``j``
for ``classes_[j]`` (column 1 = P(real) for targets in ``{0, 1}``). Networks ending in a single
sigmoid unit (braai) get :class:`SigmoidToTwoClass` appended. The layers are registered with
Keras, so models holding them save to and load from the ``.keras`` format in safe mode.
"""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["SigmoidToTwoClass"]


@keras.saving.register_keras_serializable(package="skrb")
class SigmoidToTwoClass(keras.layers.Layer):
    """Turn a sigmoid output ``p`` (shape ``(n, 1)``) into ``[1 - p, p]`` (shape ``(n, 2)``).

    Training the two columns with sparse categorical cross-entropy is the same objective as
    binary cross-entropy on ``p``, so a sigmoid network (braai) follows the same contract as the
    softmax networks.

    Parameters
    ----------
    *args : tuple
        Passed to :class:`keras.layers.Layer`.
    **kwargs : dict
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import SigmoidToTwoClass
    >>> np.asarray(SigmoidToTwoClass()(np.array([[0.25]], dtype="float32")))
    array([[0.75, 0.25]], dtype=float32)
    """

    def call(self, inputs: Any) -> Any:
        """Return ``[1 - p, p]`` along the last axis."""
        return keras.ops.concatenate([1.0 - inputs, inputs], axis=-1)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Shape of the output: the last axis becomes 2."""
        return (*input_shape[:-1], 2)
