"""The no-difference transformer networks of Inada et al. (2026), built with Keras.

:func:`build_nodiff_transformer` makes both of the paper's networks from a ``StampStacker``
image: the panels are cut apart and stacked as streams along the batch axis
(:class:`~skrb.models._transformer_layers.StackPanels`), so that one siamese encoder reads them
all in one pass (the same layers, the same weights for every stream); the decoder compares the
search stream with all streams at every stage, and a small head turns the comparison into one
logit, ``P(real) = sigmoid(logit)``, returned as the two columns ``[1 - p, p]`` every skrb
network returns.

- two streams (search, template): ``NoDiffTransformer``, 65,923,243 weights in the paper's
  configuration on 51x51 stamps;
- three streams (search, template, difference): ``TripletNoDiffTransformer``, 67,802,347.

Keras also counts the BatchNorm layers' moving mean and variance (792 values in the paper's
configuration: PyTorch's buffers, not its parameters), so ``model.count_params()`` is larger by
that; the trainable weights are the paper's count exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from skrb.models._layers import SigmoidToTwoClass
from skrb.models._transformer_layers import (
    ConvProjection,
    DecoderAttentionBlock,
    EncoderBlock,
    ExchangeStreams,
    StackPanels,
)

__all__ = ["TRANSFORMER_PRESETS", "build_nodiff_transformer"]

TRANSFORMER_PRESETS: dict[str, dict[str, Any]] = {
    # Inada et al. (2026): 6 stages, ~66M weights, ~7 GFLOP per pair: a GPU model.
    "paper": dict(
        embed_dims=(64, 128, 256, 512, 512, 512),
        depths=(3, 3, 3, 3, 3, 3),
        num_heads=(2, 2, 4, 8, 8, 8),
        kernel_sizes=(7, 3, 3, 3, 3, 3),
        strides=(2, 2, 2, 1, 1, 1),
        pos_dim=64,
        decoder_dim=64,
        decoder_pos_dim=16,
        decoder_heads=4,
        dense_units=256,
    ),
    # CPU-sized: four stages, one block each (about 2.5M weights on 51x51 stamps).
    "small": dict(
        embed_dims=(32, 64, 128, 128),
        depths=(1, 1, 1, 1),
        num_heads=(1, 2, 4, 4),
        kernel_sizes=(7, 3, 3, 3),
        strides=(2, 2, 2, 1),
        pos_dim=32,
        decoder_dim=32,
        decoder_pos_dim=16,
        decoder_heads=4,
        dense_units=128,
    ),
    # Test- and laptop-sized: three stages of one block, the first projection of stride 4
    # (13x13 positions on 51x51 stamps instead of 26x26: a sixteenth of the stage-1 attention).
    "tiny": dict(
        embed_dims=(16, 32, 64),
        depths=(1, 1, 1),
        num_heads=(1, 1, 2),
        kernel_sizes=(7, 3, 3),
        strides=(4, 2, 2),
        pos_dim=16,
        decoder_dim=16,
        decoder_pos_dim=8,
        decoder_heads=4,
        dense_units=64,
    ),
}
"""Preset name -> architecture keywords of :func:`build_nodiff_transformer`.

``"paper"`` is Inada et al.'s configuration; ``"small"`` and ``"tiny"`` are skrb's CPU-sized
versions of the same architecture.
"""


def _per_stage(value: Any, n_stages: int, name: str) -> tuple[int, ...]:
    values = tuple(int(v) for v in value)
    if len(values) != n_stages:
        raise ValueError(
            f"{name} must have one entry per stage ({n_stages}, as embed_dims); got {values}."
        )
    return values


def build_nodiff_transformer(
    image_shape: Sequence[int],
    *,
    n_panels: int,
    streams: Sequence[int],
    embed_dims: Sequence[int],
    depths: Sequence[int],
    num_heads: Sequence[int],
    kernel_sizes: Sequence[int],
    strides: Sequence[int],
    pos_dim: int = 64,
    mlp_ratio: int = 4,
    decoder_dim: int = 64,
    decoder_pos_dim: int = 16,
    decoder_heads: int = 4,
    dense_units: int = 256,
    dropout: float = 0.2,
    attention_dropout: float = 0.2,
    dtype_policy: str | None = None,
    name: str = "nodiff_transformer",
) -> keras.Model:
    """Build a no-difference transformer for side-by-side ``StampStacker`` images.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, n_panels * W, C)``: the stacked images.
    n_panels : int
        Panels side by side in an image.
    streams : sequence of int
        Panels (left-to-right indices) fed to the encoder as streams, search first, then
        template, then (for the triplet model) the difference.
    embed_dims, depths, num_heads, kernel_sizes, strides : sequence of int
        Per encoder stage: channels, encoder blocks, attention heads, kernel size and stride
        of the stage's convolutional projection.
    pos_dim : int, default=64
        Positional embedding size of the encoder attention.
    mlp_ratio : int, default=4
        Hidden width of the MLPs, as a multiple of the channels.
    decoder_dim : int, default=64
        Channels of the convolutional head after each decoder block.
    decoder_pos_dim : int, default=16
        Positional embedding size of the decoder blocks.
    decoder_heads : int, default=4
        Heads of the decoder attentions.
    dense_units : int, default=256
        Units of the dense ReLU layer before the logit.
    dropout, attention_dropout : float, default=0.2
        Dropout after projections and MLPs, and on attention weights.
    dtype_policy : str or None, default=None
        Keras dtype policy of the layers (the logit and the probabilities stay float32).
    name : str, default="nodiff_transformer"
        Model name.

    Returns
    -------
    model : keras.Model
        Uncompiled: images ``(n, H, n_panels * W, C)`` -> ``(n, 2)`` = ``[1 - p, p]``,
        ``p = sigmoid(logit)``.

    Examples
    --------
    >>> from skrb.models import TRANSFORMER_PRESETS, build_nodiff_transformer
    >>> model = build_nodiff_transformer(
    ...     (21, 42, 1), n_panels=2, streams=(0, 1), **TRANSFORMER_PRESETS["tiny"]
    ... )
    >>> model.output_shape
    (None, 2)
    """
    embed_dims = tuple(int(d) for d in embed_dims)
    n_stages = len(embed_dims)
    if n_stages == 0:
        raise ValueError("embed_dims must name at least one stage.")
    depths = _per_stage(depths, n_stages, "depths")
    num_heads = _per_stage(num_heads, n_stages, "num_heads")
    kernel_sizes = _per_stage(kernel_sizes, n_stages, "kernel_sizes")
    strides = _per_stage(strides, n_stages, "strides")
    for dim, heads in zip(embed_dims, num_heads, strict=True):
        if heads < 1 or dim % heads:
            raise ValueError(f"num_heads {num_heads} must divide embed_dims {embed_dims}.")
        if (dim + decoder_pos_dim) % decoder_heads:
            raise ValueError(
                f"decoder_heads={decoder_heads} must divide each embed_dim + decoder_pos_dim "
                f"({dim} + {decoder_pos_dim})."
            )
    streams = tuple(int(s) for s in streams)
    if len(streams) not in (2, 3):
        raise ValueError(f"The transformer compares 2 or 3 streams; got {len(streams)}.")
    dt = dtype_policy
    inputs = keras.Input(shape=tuple(int(s) for s in image_shape), name="images")
    n_streams = len(streams)
    x = StackPanels(n_panels, order=streams, dtype=dt, name="streams")(inputs)
    features = []
    for i, (dim, depth, heads, k, s) in enumerate(
        zip(embed_dims, depths, num_heads, kernel_sizes, strides, strict=True)
    ):
        # The streams are stacked along the batch axis: one pass, one set of weights (siamese).
        x = ConvProjection(dim, k, s, dtype=dt, name=f"stage{i + 1}_projection")(x)
        for j in range(depth):
            x = EncoderBlock(
                heads,
                pos_dim=pos_dim,
                mlp_ratio=mlp_ratio,
                dropout=dropout,
                attention_dropout=attention_dropout,
                dtype=dt,
                name=f"stage{i + 1}_block{j + 1}",
            )(x)
        x = keras.layers.LayerNormalization(epsilon=1e-5, dtype=dt, name=f"stage{i + 1}_norm")(x)
        x = ExchangeStreams(n_streams, dtype=dt, name=f"stage{i + 1}_exchange")(x)
        features.append(x)
    flat = []
    for i, stage in enumerate(features):
        x = DecoderAttentionBlock(
            n_streams,
            decoder_heads,
            pos_dim=decoder_pos_dim,
            mlp_ratio=mlp_ratio,
            dropout=dropout,
            attention_dropout=attention_dropout,
            dtype=dt,
            name=f"decoder{i + 1}",
        )(stage)
        for j, (filters, last) in enumerate(
            ((decoder_dim, False), (decoder_dim, False), (2, False), (2, True))
        ):
            x = keras.layers.Conv2D(
                filters,
                3,
                padding="same",
                activation=None if last else "relu",
                dtype=dt,
                name=f"decoder{i + 1}_conv{j + 1}",
            )(x)
            if j % 2 == 0:
                x = keras.layers.BatchNormalization(
                    momentum=0.9, epsilon=1e-5, dtype=dt, name=f"decoder{i + 1}_bn{j // 2 + 1}"
                )(x)
        flat.append(keras.layers.Flatten(dtype=dt, name=f"decoder{i + 1}_flatten")(x))
    x = keras.layers.Concatenate(dtype=dt, name="decoded")(flat) if len(flat) > 1 else flat[0]
    x = keras.layers.Dense(dense_units, activation="relu", dtype=dt, name="dense")(x)
    logit = keras.layers.Dense(1, dtype="float32", name="logit")(x)
    p = keras.layers.Activation("sigmoid", dtype="float32", name="p_real")(logit)
    outputs = SigmoidToTwoClass(dtype="float32", name="probabilities")(p)
    return keras.Model(inputs, outputs, name=name)
