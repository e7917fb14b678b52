"""The input region a network reads, and an inference function that reads only that region.

A valid convolution with kernel ``k``, stride ``s`` and dilation ``d`` computes ``n`` output rows
from the first ``(n - 1) * s + (k - 1) * d + 1`` input rows; a valid pooling of size ``p`` and
stride ``s`` floors, so its ``n`` output rows use only the first ``(n - 1) * s + p`` input rows.
Followed back from the ``Flatten`` layer (which uses every position it is given), a chain of
such layers reads only a top-left region of its images. The paper's DIA network on
``(51, 153)`` images reads ``(44, 148)``: each pooling drops an odd row or column and the
convolution before it computes those positions for nothing. Nearly a fifth of the network's
arithmetic is spent on outputs no later layer reads.

:func:`inference_function` crops the images to the region before the first layer, so
prediction and input gradients skip that arithmetic and give the same numbers: the cropped
pixels never reach the output (their input gradient is exactly zero in either form).
:func:`attach_training_model` does the same for training, with a model that shares the
network's layers behind a ``Cropping2D`` layer; the network itself keeps its published form.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import keras

__all__ = ["attach_training_model", "inference_function", "read_region", "training_model"]

_POINTWISE = (
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.Dropout,  # SpatialDropout1D/2D/3D are subclasses
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    keras.layers.GaussianNoise,
    keras.layers.BatchNormalization,
)
"""Layers that act on each position separately (identity or affine at inference)."""

_POOLING = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)


def _window(layer: Any) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """``(extent, stride)`` per image axis of a valid channels-last layer, else None.

    The extent is the number of input positions one output position reads.
    """
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        return None
    if getattr(layer, "padding", None) != "valid":
        return None
    if isinstance(layer, keras.layers.Conv2D):  # Conv2DTranspose is not a subclass
        kernel, dilation = layer.kernel_size, layer.dilation_rate
        extent = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))
        return extent, tuple(layer.strides)  # type: ignore[return-value]
    if isinstance(layer, _POOLING):
        return tuple(layer.pool_size), tuple(layer.strides)  # type: ignore[return-value]
    return None


def read_region(model: Any) -> tuple[int, int] | None:
    """Rows and columns of the top-left image region a network's output depends on.

    Parameters
    ----------
    model : keras.Model
        A :class:`keras.Sequential` whose layers up to ``Flatten`` are valid-padded,
        channels-last ``Conv2D`` and pooling layers and position-wise layers (activations,
        dropout, noise, batch normalisation).

    Returns
    -------
    region : tuple of (int, int) or None
        ``(rows, columns)`` read from the top-left corner, or None when the network reads its
        whole image or is not such a chain (nothing can then be cropped).

    Examples
    --------
    >>> from skrb.models import ARCHITECTURES, build_stamp_cnn, read_region
    >>> read_region(build_stamp_cnn((51, 153, 1), **ARCHITECTURES["dia"]))
    (44, 148)
    """
    if not isinstance(model, keras.Sequential):
        return None
    shape = model.input_shape
    if len(shape) != 4 or shape[1] is None or shape[2] is None:
        return None
    size = [int(shape[1]), int(shape[2])]
    windows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Flatten):
            break
        if isinstance(layer, _POINTWISE):
            continue
        window = _window(layer)
        if window is None:
            return None
        windows.append(window)
        extent, stride = window
        size = [(n - e) // s + 1 for n, e, s in zip(size, extent, stride, strict=True)]
    else:
        return None  # no Flatten: a global pooling or a fully convolutional head
    for extent, stride in reversed(windows):  # positions needed, back to the input
        size = [(n - 1) * s + e for n, e, s in zip(size, extent, stride, strict=True)]
    region = (size[0], size[1])
    return None if region == (int(shape[1]), int(shape[2])) else region


def inference_function(model: Any) -> Callable[[Any], Any]:
    """Return ``images -> model(images, training=False)``, reading only the needed region.

    Parameters
    ----------
    model : keras.Model
        The network. It is held through a weak reference, so the function can be cached
        beside the model without keeping it alive.

    Returns
    -------
    forward : callable
        Maps a float32 tensor of images of the model's input shape to the model's output.
        When :func:`read_region` finds a smaller region, the images are cropped to it and
        passed through the layers in turn; otherwise the model is called as it is.
    """
    ref = weakref.ref(model)
    region = read_region(model)
    if region is None:
        return lambda images: ref()(images, training=False)
    rows, columns = region

    def forward(images: Any) -> Any:
        x = images[:, :rows, :columns, :]
        for layer in ref().layers:
            x = layer(x, training=False)
        return x

    return forward


# model -> the model to train in its place (see attach_training_model). Weak keys: the entry
# goes with the model; the value holds the model's layers, never the model itself.
_TRAINING_MODELS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def attach_training_model(model: Any, *, loss: Any, metrics: Any) -> None:
    """Pair a compiled ``model`` with a model that trains it reading only its read region.

    The training model is a :class:`keras.Sequential` of a ``Cropping2D`` layer (named
    ``"unread_pixels"``) followed by ``model``'s own layers, so it holds the same variables and
    is compiled with the same optimizer object: training it trains ``model``. Its losses and
    gradients equal ``model``'s, without the arithmetic on positions no later layer reads
    (faster training: see the performance notes of the user guide). Dropout draws its
    masks for the cropped tensors: as likely as the uncropped network's, but other draws, so
    a seeded fit is reproducible without repeating bare Keras's numbers. Nothing is attached
    when :func:`read_region` finds nothing to crop.

    Parameters
    ----------
    model : keras.Sequential
        A compiled network.
    loss, metrics : Any
        The loss and metrics ``model`` was compiled with.
    """
    region = read_region(model)
    if region is None:
        return
    rows, columns = region
    height, width = (int(s) for s in model.input_shape[1:3])
    crop = keras.layers.Cropping2D(((0, height - rows), (0, width - columns)), name="unread_pixels")
    trainer = keras.Sequential(
        [keras.Input(shape=model.input_shape[1:]), crop, *model.layers], name=model.name
    )
    trainer.compile(optimizer=model.optimizer, loss=loss, metrics=metrics)
    _TRAINING_MODELS[model] = trainer


def training_model(model: Any) -> Any:
    """Return the model to call ``fit`` on to train ``model``: its attached one, or itself."""
    return _TRAINING_MODELS.get(model, model)
