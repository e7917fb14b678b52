"""Compiled, batched inference of a Keras network, shared by the classifiers and explainers.

One :func:`tf.function` per network (and XLA setting), cached beside the network without
keeping it alive, reading only the image region the network depends on
(:func:`~skrb.models._receptive_field.inference_function`).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from skrb.models._receptive_field import inference_function

__all__ = ["compiled_forward", "predict_batches"]

# model -> {jit_compile: traced function}
_FORWARD: weakref.WeakKeyDictionary[Any, dict[bool, Any]] = weakref.WeakKeyDictionary()


def compiled_forward(model: Any, *, jit_compile: bool = False) -> Any:
    """Return the traced ``images -> model(images)`` function of ``model`` (cached).

    Parameters
    ----------
    model : keras.Model
        A network taking float32 images.
    jit_compile : bool, default=False
        Compile with XLA.

    Returns
    -------
    forward : tf.types.experimental.PolymorphicFunction
        Traced once for any batch size.
    """
    import tensorflow as tf

    per_model = _FORWARD.setdefault(model, {})
    if jit_compile not in per_model:
        spec = tf.TensorSpec((None, *(int(s) for s in model.input_shape[1:])), tf.float32)
        per_model[jit_compile] = tf.function(
            inference_function(model),
            input_signature=[spec],
            jit_compile=jit_compile,
            autograph=False,
        )
    return per_model[jit_compile]


def predict_batches(
    model: Any, images: np.ndarray, batch_size: int, *, jit_compile: bool = False
) -> np.ndarray:
    """Run ``model`` on float32 ``images`` in batches through :func:`compiled_forward`.

    Parameters
    ----------
    model : keras.Model
        A network with a 2-D output.
    images : ndarray of shape (n, H, W, C)
        float32 images of the model's input shape.
    batch_size : int
        Images per compiled call. With ``jit_compile`` the last batch is padded to this size,
        so that XLA compiles once.
    jit_compile : bool, default=False
        Compile with XLA.

    Returns
    -------
    outputs : ndarray of shape (n, n_outputs)
        float32.
    """
    import tensorflow as tf

    if images.shape[0] == 0:
        raise ValueError("images is empty: found 0 images.")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be an int >= 1; got {batch_size!r}.")
    fn = compiled_forward(model, jit_compile=jit_compile)
    step = int(batch_size)
    out: np.ndarray | None = None
    for start in range(0, images.shape[0], step):
        batch = images[start : start + step]
        n = batch.shape[0]
        if jit_compile and n < step:
            batch = np.concatenate([batch, np.zeros((step - n, *batch.shape[1:]), batch.dtype)])
        result = fn(tf.constant(batch)).numpy()[:n]
        if out is None:
            out = np.empty((images.shape[0], *result.shape[1:]), dtype=np.float32)
        out[start : start + n] = result
    if out is None:
        raise ValueError("images is empty: found 0 images.")
    return out
