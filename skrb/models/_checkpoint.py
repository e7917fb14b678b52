"""Load the published Keras 2 HDF5 checkpoints into fitted skrb classifiers.

Keras 3 cannot read the Keras 2.2.4 files (it mis-reads ``batch_input_shape``), so the
architecture is built by skrb and the weights are copied layer by layer from the HDF5 groups.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from skrb.models._architectures import flatten_size
from skrb.models._base import StampCNNClassifier
from skrb.models._finite import check_finite_weights
from skrb.models._registry import get_model_spec, model_names

__all__ = ["load_checkpoint"]


def _weights_file(path: Path) -> Path:
    if path.is_dir():
        candidates = sorted(path.glob("*.weights.h5")) or sorted(path.glob("*.h5"))
        if len(candidates) != 1:
            raise FileNotFoundError(
                f"Cannot tell which checkpoint to load from folder {path}: found "
                f"{[c.name for c in candidates] or 'no .h5 file'}. Pass the file itself."
            )
        return candidates[0]
    if not path.exists():
        raise FileNotFoundError(f"Checkpoint {path} does not exist.")
    return path


def _read_layers(
    path: Path,
) -> tuple[list[tuple[str, list[np.ndarray]]], tuple[int, int, int] | None]:
    """Read the weight-bearing layers (name, arrays in order) and the input shape, if stored."""
    try:
        with h5py.File(path, "r") as f:
            group = f["model_weights"] if "model_weights" in f else f
            if "layer_names" not in group.attrs:
                raise ValueError(
                    f"{path} is an HDF5 file but not a Keras checkpoint (no layer_names)."
                )
            layers = []
            for raw in group.attrs["layer_names"]:
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                names = group[name].attrs.get("weight_names", [])
                arrays = [
                    np.asarray(group[name][w.decode() if isinstance(w, bytes) else w])
                    for w in names
                ]
                if arrays:
                    layers.append((name, arrays))
            config = f.attrs.get("model_config")
    except OSError as exc:
        raise ValueError(
            f"Cannot read checkpoint {path}: not an HDF5 file, or truncated/corrupt ({exc})."
        ) from exc
    return layers, _input_shape(config, path)


_MAX_IMAGE_SIDE = 1024
"""Largest image side a checkpoint may claim (the published ones read 51 x 153 and 63 x 63)."""
_MAX_CONFIG_BYTES = 16 * 2**20


def _input_shape(config: Any, path: Path) -> tuple[int, int, int] | None:
    """Input shape from a Keras 2 model config (in the file, or the braai architecture JSON).

    The shape is only a claim: it is bounded here and checked against the weights before a
    network is built for it.
    """
    source = path.name
    if config is None:
        arch = path.with_name(path.name.replace(".weights.h5", ".architecture.json"))
        if arch == path or not arch.exists():
            return None
        if arch.stat().st_size > _MAX_CONFIG_BYTES:
            raise ValueError(f"{arch.name} is too large for a model architecture file.")
        config, source = arch.read_text(errors="replace"), arch.name
    if isinstance(config, bytes):
        config = config.decode(errors="replace")
    try:
        layers = json.loads(config)["config"]["layers"]
        shape = layers[0]["config"]["batch_input_shape"][1:]
    except (KeyError, IndexError, TypeError, json.JSONDecodeError):
        return None
    if not (
        isinstance(shape, list)
        and len(shape) == 3
        and all(isinstance(s, int) and not isinstance(s, bool) for s in shape)
        and all(1 <= s <= _MAX_IMAGE_SIDE for s in shape)
    ):
        raise ValueError(
            f"{source} claims an input shape of {str(shape):.60}, which is not three sides of "
            f"1 to {_MAX_IMAGE_SIDE} pixels; refusing to build a network for it."
        )
    return tuple(shape)


def _check_claimed_shape(
    path: Path,
    model: str,
    image_shape: tuple[int, int, int],
    clf: StampCNNClassifier,
    layers: list[tuple[str, list[np.ndarray]]],
) -> None:
    """Check the claimed input shape against the stored weights, before building anything.

    The first convolution's input channels and the first dense layer's inputs follow from the
    image shape and the architecture alone, so a file claiming a shape its weights do not fit
    (e.g. 600 x 600 images for 63 x 63 weights) is refused before a network is allocated.
    """
    expected = flatten_size(image_shape, **clf._architecture())
    dense = next((arrays[0] for _, arrays in layers if arrays[0].ndim == 2), None)
    conv = next((arrays[0] for _, arrays in layers if arrays[0].ndim == 4), None)
    channels = None if conv is None else conv.shape[2]
    if dense is None or dense.shape[0] != expected or channels != image_shape[2]:
        inputs = "no dense layer" if dense is None else f"a first dense layer of {dense.shape[0]}"
        raise ValueError(
            f"{path.name} does not hold the {model!r} network for images of shape "
            f"{image_shape} (the shape the file claims, or the default): it has {inputs} "
            f"inputs and {channels} input channel(s), where that shape needs {expected} and "
            f"{image_shape[2]}. Check the `model` argument and the architecture parameters."
        )


def load_checkpoint(path: str | os.PathLike[str], model: str, **params: Any) -> StampCNNClassifier:
    """Load a published Keras HDF5 checkpoint as a fitted skrb classifier.

    Parameters
    ----------
    path : str or path-like
        The checkpoint: the authors' ``model_checkpoint_*.h5`` files (Acero-Cuellar et al.
        2023), or braai's ``d6_m7.weights.h5`` (its ``d6_m7.architecture.json`` next to it
        gives the input shape), or a folder holding exactly one of them.
    model : {"dia", "nodia", "braai"}
        Which network the file holds (a model of :func:`~skrb.models.model_names` with a
        published checkpoint format).
    **params : dict
        Parameters of the classifier (e.g. ``predict_batch_size``, or training settings for
        a later ``warm_start`` fit); the architecture must stay the published one.

    Returns
    -------
    classifier : DIAClassifier, NoDIAClassifier or BraaiClassifier
        Fitted: ``classes_ == [0, 1]``, ``model_`` maps images to ``(n, 2)`` probabilities
        with column 1 = P(real) (the authors' softmax, which has P(real) in column 0, is
        reordered by swapping the output layer's columns), ``image_shape_``,
        ``stamp_shape_`` and ``n_features_in_`` set from the file.

    Raises
    ------
    ValueError
        On an unknown ``model`` or one without a published checkpoint, a file that is not a
        readable Keras HDF5 checkpoint, weights that do not fit the chosen network (e.g. a
        noDIA file loaded as ``"dia"``) or the input shape the file claims (checked before
        a network is built for it), or weights that are NaN or infinite.
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> from skrb.models import load_checkpoint
    >>> clf = load_checkpoint(  # doctest: +SKIP
    ...     "data/checkpoints/acero_cuellar_2023/model_checkpoint_AAD_3s3DH.h5", "dia"
    ... )
    >>> clf.image_shape_, clf.model_.count_params()  # doctest: +SKIP
    ((51, 153, 1), 126050)
    >>> load_checkpoint("missing.h5", "dia")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Checkpoint missing.h5 does not exist.
    """
    spec = get_model_spec(model)
    if spec.checkpoint is None:
        with_checkpoints = [n for n in model_names() if get_model_spec(n).checkpoint]
        raise ValueError(
            f"Model {model!r} has no published Keras HDF5 checkpoint; load_checkpoint reads "
            f"those of {', '.join(map(repr, with_checkpoints))}."
        )
    clf = spec.classifier(**params)
    clf._check_params()  # bad parameters are refused before the file is read
    path = _weights_file(Path(path))
    layers, image_shape = _read_layers(path)
    if image_shape is None:
        stamp = spec.checkpoint.stamp_size
        image_shape = clf._stacker().image_shape((stamp, stamp))
    if clf._stamp_image_shape(*image_shape) != image_shape:
        raise ValueError(
            f"{path.name} holds a network for images of shape {image_shape}, which are not "
            f"{model!r} images ({type(clf).__name__} reads StampStacker(layout="
            f"{clf.layout!r}) images). Check the `model` argument."
        )
    _check_claimed_shape(path, model, image_shape, clf, layers)
    clf.initialize(np.zeros((2, *image_shape), dtype=np.float32), np.array([0, 1]))
    targets = [layer for layer in clf.model_.layers if layer.weights]
    expected = [[tuple(w.shape) for w in layer.weights] for layer in targets]
    found = [[a.shape for a in arrays] for _, arrays in layers]
    if expected != found:
        raise ValueError(
            f"{path.name} does not hold the {model!r} network for images of shape "
            f"{image_shape}: its weight shapes are {found}, the network's are {expected}. "
            "Check the `model` argument."
        )
    for layer, (_, arrays) in zip(targets, layers, strict=True):
        layer.set_weights(arrays)
    order = spec.checkpoint.output_order
    if order is not None:
        order = list(order)
        kernel, bias = targets[-1].get_weights()
        targets[-1].set_weights([kernel[:, order], bias[order]])
    check_finite_weights(clf.model_, path.name, hint="the checkpoint is damaged")
    clf.checkpoint_path_ = str(path)
    return clf
