"""Model-building functions: the paper's DIA and noDIA CNNs and braai's VGG6.

One generic builder, :func:`build_stamp_cnn`, makes every network as a stack of convolution
blocks (``convs_per_block`` valid ``Conv2D`` + ReLU, then max pooling and dropout) followed by a
dense ReLU layer and a two-class output. The published networks are its defaults as held by
:data:`ARCHITECTURES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from skrb.models._layers import SigmoidToTwoClass

__all__ = ["ARCHITECTURES", "build_stamp_cnn", "flatten_size"]

ARCHITECTURES: dict[str, dict[str, Any]] = {
    # Acero-Cuellar et al. 2023, DIA-based CNN: 126,050 parameters on (51, 153, 1).
    "dia": dict(
        filters=(16, 32, 64),
        kernel_size=5,
        pool_size=2,
        dropout=0.4,
        convs_per_block=1,
        dense_units=32,
        dense_dropout=0.0,
        output="softmax",
    ),
    # Acero-Cuellar et al. 2023, noDIA CNN: 45,908 parameters on (51, 102, 1).
    "nodia": dict(
        filters=(1, 16, 32),
        kernel_size=(7, 3, 3),
        pool_size=2,
        dropout=(0.0, 0.4, 0.4),
        convs_per_block=1,
        dense_units=32,
        dense_dropout=0.0,
        output="softmax",
    ),
    # Duev et al. 2019, braai VGG6 (d6_m7) on (63, 63, 3).
    "braai": dict(
        filters=(16, 32),
        kernel_size=3,
        pool_size=(2, 4),
        dropout=0.25,
        convs_per_block=2,
        dense_units=256,
        dense_dropout=0.5,
        output="sigmoid",
    ),
}
"""Architecture name -> keyword arguments of :func:`build_stamp_cnn` for the published network."""


def _per_block(value: Any, n_blocks: int, name: str) -> list[Any]:
    """Broadcast a scalar knob to every block, or check a per-block sequence's length."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != n_blocks:
            raise ValueError(
                f"{name} must be a single value or one per convolution block "
                f"({n_blocks} blocks, from `filters`); got {value!r}."
            )
        return list(value)
    return [value] * n_blocks


def flatten_size(
    input_shape: tuple[int, int, int],
    *,
    filters: Sequence[int],
    kernel_size: int | Sequence[int],
    pool_size: int | Sequence[int],
    convs_per_block: int,
    **_: Any,
) -> int:
    """Return the features :func:`build_stamp_cnn` flattens for ``input_shape`` (0: none).

    Computed from the shapes alone, without building the network: so a claimed input shape
    can be checked against stored weights before anything is allocated.
    """
    filters = list(filters) if isinstance(filters, Sequence) else [filters]
    kernels = _per_block(kernel_size, len(filters), "kernel_size")
    pools = _per_block(pool_size, len(filters), "pool_size")
    h, w = (int(s) for s in input_shape[:2])
    for k, p in zip(kernels, pools, strict=True):
        h, w = (
            (h - convs_per_block * (int(k) - 1)) // int(p),
            (w - convs_per_block * (int(k) - 1)) // int(p),
        )
        if h < 1 or w < 1:
            return 0
    return h * w * int(filters[-1])


def build_stamp_cnn(
    input_shape: tuple[int, int, int],
    *,
    filters: Sequence[int] = (16, 32, 64),
    kernel_size: int | Sequence[int] = 5,
    pool_size: int | Sequence[int] = 2,
    dropout: float | Sequence[float] = 0.4,
    convs_per_block: int = 1,
    dense_units: int = 32,
    dense_dropout: float = 0.0,
    output: str = "softmax",
    dtype_policy: str | None = None,
    name: str = "stamp_cnn",
) -> keras.Sequential:
    """Build a real/bogus CNN mapping images to two class probabilities.

    Parameters
    ----------
    input_shape : tuple of int
        ``(H, W, C)`` of one input image (a :class:`~skrb.preprocessing.StampStacker` output).
    filters : sequence of int, default=(16, 32, 64)
        Number of filters of the convolutions in each block; one block per entry.
    kernel_size : int or sequence of int, default=5
        Square kernel size, for all blocks or per block.
    pool_size : int or sequence of int, default=2
        Max-pooling size (and stride) after each block.
    dropout : float or sequence of float, default=0.4
        Dropout rate after each block (0 = no dropout layer).
    convs_per_block : int, default=1
        Convolutions per block (2 in braai's VGG6).
    dense_units : int, default=32
        Units of the dense ReLU layer after flattening.
    dense_dropout : float, default=0.0
        Dropout rate after the dense layer.
    output : {"softmax", "sigmoid"}, default="softmax"
        ``"softmax"``: ``Dense(2, softmax)``; ``"sigmoid"``: ``Dense(1, sigmoid)`` followed by
        :class:`SigmoidToTwoClass`. Either way the model outputs ``(n, 2)`` probabilities.
    dtype_policy : str or None, default=None
        Keras dtype policy of the hidden layers (e.g. ``"mixed_bfloat16"``); None uses Keras'
        global policy. The output layers always compute in float32, so the probabilities keep
        full precision under a mixed policy.
    name : str, default="stamp_cnn"
        Name of the Keras model.

    Returns
    -------
    model : keras.Sequential
        The (uncompiled) network.

    Raises
    ------
    ValueError
        If a per-block knob has the wrong length, ``output`` is unknown, or the images are too
        small for the convolutions and poolings.

    Examples
    --------
    >>> from skrb.models import ARCHITECTURES, build_stamp_cnn
    >>> build_stamp_cnn((51, 153, 1), **ARCHITECTURES["dia"]).count_params()
    126050
    >>> build_stamp_cnn((51, 102, 1), **ARCHITECTURES["nodia"]).count_params()
    45908
    """
    if output not in ("softmax", "sigmoid"):
        raise ValueError(f"output must be 'softmax' or 'sigmoid'; got {output!r}.")
    filters = list(filters) if isinstance(filters, Sequence) else [filters]
    n_blocks = len(filters)
    kernels = _per_block(kernel_size, n_blocks, "kernel_size")
    pools = _per_block(pool_size, n_blocks, "pool_size")
    drops = _per_block(dropout, n_blocks, "dropout")

    hidden: dict[str, Any] = {} if dtype_policy is None else {"dtype": dtype_policy}
    layers: list[keras.layers.Layer] = [keras.Input(shape=tuple(input_shape), dtype="float32")]
    h, w = input_shape[:2]
    for b, (n_filters, k, p, d) in enumerate(zip(filters, kernels, pools, drops, strict=True)):
        for c in range(convs_per_block):
            h, w = h - k + 1, w - k + 1
            layers.append(
                keras.layers.Conv2D(
                    int(n_filters),
                    int(k),
                    activation="relu",
                    name=f"conv{b + 1}_{c + 1}",
                    **hidden,
                )
            )
        h, w = h // p, w // p
        if h < 1 or w < 1:
            raise ValueError(
                f"Images of shape {tuple(input_shape)} are too small for {n_blocks} blocks of "
                f"kernel sizes {kernels} and pool sizes {pools}: block {b + 1} leaves no pixels."
            )
        layers.append(keras.layers.MaxPooling2D(int(p), name=f"pool{b + 1}", **hidden))
        if d:
            layers.append(keras.layers.Dropout(float(d), name=f"dropout{b + 1}", **hidden))
    layers += [keras.layers.Flatten(name="flatten", **hidden)]
    layers.append(keras.layers.Dense(int(dense_units), activation="relu", name="dense", **hidden))
    if dense_dropout:
        layers.append(keras.layers.Dropout(float(dense_dropout), name="dense_dropout", **hidden))
    if output == "softmax":
        layers.append(keras.layers.Dense(2, activation="softmax", name="output", dtype="float32"))
    else:
        layers.append(keras.layers.Dense(1, activation="sigmoid", name="output", dtype="float32"))
        layers.append(SigmoidToTwoClass(name="two_class", dtype="float32"))
    return keras.Sequential(layers, name=name)
