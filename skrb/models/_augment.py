"""On-the-fly augmentation of stamp sets: random flips and 90-degree rotations.

A stamp set looks the same to a real/bogus classifier whatever the orientation of the sky
(braai trained with such flips and rotations). :class:`RandomStampOrientation` draws one of
the 8 symmetries of the square (4 rotations, each optionally mirrored) per stamp set and
applies it to all its panels at once, in the training graph: every batch of every epoch sees
new draws and no copy of the data is made. At inference it is the identity.
:func:`with_augmentation` puts it in front of the model Keras trains; the published network
``model_`` is unchanged.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["RandomStampOrientation", "with_augmentation"]


@keras.saving.register_keras_serializable(package="skrb")
class RandomStampOrientation(keras.layers.Layer):
    """Randomly flip and rotate (by multiples of 90 degrees) whole stamp sets while training.

    Takes ``StampStacker`` images ``(n, H, P * W, C)``: ``P`` panels side by side (``P = 1``
    for the ``"channels"`` layout). Each image draws one transformation, the same for all its
    panels and channels. Square panels get all 8 symmetries of the square; other panels only
    the 4 that keep their shape (identity, the two flips and their product, a half turn).

    Parameters
    ----------
    n_panels : int
        Panels side by side in an image.
    seed : int or None, default=None
        Seed of the draws (None: from Keras' global seed).
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._augment import RandomStampOrientation
    >>> x = np.arange(8, dtype="float32").reshape(1, 2, 4, 1)  # two 2x2 panels
    >>> layer = RandomStampOrientation(n_panels=2, seed=0)
    >>> bool(np.array_equal(layer(x), x))  # identity outside training
    True
    >>> out = np.asarray(layer(x, training=True))
    >>> sorted(out[0, :, :2].ravel()) == [0, 1, 4, 5]  # each panel keeps its own pixels
    True
    """

    def __init__(self, n_panels: int = 1, *, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_panels = int(n_panels)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Return the images, each randomly reoriented when ``training``."""
        if not training:
            return inputs
        h, total_w, c = inputs.shape[1:]
        w = total_w // self.n_panels
        n = ops.shape(inputs)[0]
        # (n, H, P, W, C) -> (n, P, H, W, C): one square per panel.
        x = ops.transpose(ops.reshape(inputs, (n, h, self.n_panels, w, c)), (0, 2, 1, 3, 4))
        draws = keras.random.randint((n, 3), 0, 2, seed=self.seed_generator)
        flags = [ops.reshape(ops.cast(draws[:, i], "bool"), (-1, 1, 1, 1, 1)) for i in range(3)]
        if h == w:  # transposing a square + the two flips generate all 8 symmetries
            x = ops.where(flags[0], ops.transpose(x, (0, 1, 3, 2, 4)), x)
        x = ops.where(flags[1], ops.flip(x, axis=2), x)
        x = ops.where(flags[2], ops.flip(x, axis=3), x)
        x = ops.transpose(x, (0, 2, 1, 3, 4))
        return ops.reshape(x, (n, h, total_w, c))

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Return the input's shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {**super().get_config(), "n_panels": self.n_panels, "seed": self.seed}


def with_augmentation(
    model: keras.Model, *, n_panels: int, loss: Any, metrics: Any, seed: int | None = None
) -> keras.Model:
    """Return a compiled model that trains ``model`` on randomly reoriented images.

    It holds ``model`` itself (the same variables) and is compiled with its optimizer.

    Parameters
    ----------
    model : keras.Model
        A compiled model (the network, or the model that trains it).
    n_panels : int
        Panels side by side in its images.
    loss, metrics : Any
        Its loss and metrics.
    seed : int or None, default=None
        Seed of the draws.

    Returns
    -------
    trainer : keras.Model
        ``RandomStampOrientation`` followed by ``model``.

    Examples
    --------
    >>> import keras
    >>> from skrb.models._augment import with_augmentation
    >>> net = keras.Sequential([keras.Input((4, 8, 1)), keras.layers.Flatten(),
    ...                         keras.layers.Dense(2, activation="softmax")])
    >>> net.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    >>> trainer = with_augmentation(net, n_panels=2, loss=net.loss, metrics=None)
    >>> trainer.layers[1].name, trainer.count_params() == net.count_params()
    ('augment', True)
    """
    inputs = keras.Input(shape=model.input_shape[1:], name="images")
    augmented = RandomStampOrientation(n_panels, seed=seed, name="augment")(inputs)
    trainer = keras.Model(inputs, model(augmented), name=model.name)
    trainer.compile(optimizer=model.optimizer, loss=loss, metrics=metrics)
    return trainer
