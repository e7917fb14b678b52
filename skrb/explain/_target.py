"""Resolve what an explainer differentiates: a fitted skrb classifier or a Pipeline ending in one.

Every explainer in :mod:`skrb.explain` works on the Keras model ``model_`` of a fitted skrb
classifier, on the classifier's own input (the stacked CNN images). For a
:class:`~sklearn.pipeline.Pipeline`, the stamp sets go through every step before the classifier
(scaling, stacking), the attributions are taken on the CNN images and mapped back to the stamp-set
panels with the pipeline's :class:`~skrb.preprocessing.StampStacker`, then through any
:class:`~skrb.preprocessing.StampResizer` before it to the pixels of the stamp sets given.
Pixels that are masked (NaN) in the stamp sets get NaN attributions: the model saw a filled-in
value there, not the sky, so they are credited to no panel. A Pipeline with a step between its
stacker and the classifier, a stacker of another layout than the classifier's, or steps before the
stacker that change the stamps' geometry (other than a StampResizer, which is mapped back) is
refused: its attributions could not be mapped back to the right panel and pixel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from skrb.preprocessing import StampResizer, StampStacker
from skrb.utils.validation import check_images, check_stamp_sets

__all__ = ["ExplainTarget", "resolve_target"]


@dataclass(frozen=True)
class ExplainTarget:
    """What an explainer needs: the Keras model, its input and the way back to ``X``'s shape.

    Attributes
    ----------
    model : keras.Model
        Maps float32 CNN images to ``(n, n_classes)`` class probabilities.
    images : ndarray of shape (n_samples, H, W', C)
        The CNN input for the ``X`` given.
    classes : ndarray of shape (n_classes,)
        Class labels in the order of the model's output columns.
    to_input : callable
        Maps array-likes shaped like ``X`` (e.g. a background sample) to CNN images.
    to_output : callable
        Maps image-shaped attributions to the shape of the ``X`` given.
    stacker : StampStacker or None
        The pipeline's stacker (``None`` for a bare classifier).
    """

    model: Any
    images: np.ndarray
    classes: np.ndarray
    to_input: Callable[[Any], np.ndarray]
    to_output: Callable[[np.ndarray], np.ndarray]
    stacker: StampStacker | None


def _unwrap(estimator: Any) -> Any:
    """Return the fitted estimator inside a search object (``best_estimator_``), or itself."""
    return getattr(estimator, "best_estimator_", estimator)


def _check_classifier(classifier: Any, owner: str) -> None:
    if not hasattr(classifier, "model_") and not hasattr(classifier, "fit"):
        raise TypeError(
            f"{owner} must be a fitted skrb classifier (with a Keras `model_`) or a Pipeline "
            f"ending in one; got {type(classifier).__name__}."
        )
    check_is_fitted(classifier, "model_")
    if not hasattr(classifier.model_, "input_shape"):
        raise TypeError(
            f"{type(classifier).__name__}.model_ is not a Keras model; skrb.explain "
            "differentiates the Keras model of skrb's classifiers."
        )


def _image_shape(model: Any) -> tuple[int, ...]:
    shape = tuple(model.input_shape[1:])
    if len(shape) != 3 or any(s is None for s in shape):
        raise ValueError(
            f"The classifier's Keras model must take images of a fixed shape (H, W, C); its "
            f"input shape is {model.input_shape}."
        )
    return tuple(int(s) for s in shape)


_HINT = "Pass stamp sets through a Pipeline (e.g. skrb.make_dia_pipeline) to explain stamp sets."


def _check_images(X: Any, image_shape: tuple[int, ...], name: str = "X") -> np.ndarray:
    return check_images(X, image_shape, name=name, hint=_HINT)


def _pipeline_target(pipe: Pipeline, X: Any) -> ExplainTarget:
    classifier = _unwrap(pipe.steps[-1][1])
    _check_classifier(classifier, "The Pipeline's last step")
    head = pipe[:-1]
    stackers = [step for _, step in head.steps if isinstance(step, StampStacker)]
    if len(stackers) != 1:
        raise ValueError(
            "To map attributions back to stamp-set panels, the Pipeline needs exactly one "
            f"StampStacker step before the classifier; found {len(stackers)}."
        )
    stacker = stackers[0]
    position = next(i for i, (_, step) in enumerate(head.steps) if step is stacker)
    after = [
        (name, step)
        for name, step in head.steps[position + 1 :]
        if step is not None and not (isinstance(step, str) and step == "passthrough")
    ]
    if after:
        name, step = after[0]
        raise ValueError(
            f"The Pipeline has step {name!r} ({type(step).__name__}) between its StampStacker "
            "and the classifier: the explainers map attributions back to the panels through "
            "the stacker alone and cannot map them back through that step (it may move or "
            "flip pixels, which would credit the wrong panel). Put such steps before the "
            "stacker."
        )
    layout = getattr(classifier, "layout", None)
    if isinstance(layout, str) and layout and stacker.layout != layout:
        raise ValueError(
            f"The Pipeline's StampStacker makes {stacker.layout!r} images but its "
            f"{type(classifier).__name__} reads {layout!r} images: its panels cannot be "
            "attributed."
        )
    image_shape = _image_shape(classifier.model_)

    def to_input(Z: Any) -> np.ndarray:
        return _check_images(head.transform(check_stamp_sets(Z, allow_nan=True)), image_shape)

    flat = np.ndim(X) == 2
    resizers = [step for _, step in head.steps if isinstance(step, StampResizer)]
    stamps = check_stamp_sets(X, allow_nan=True)
    masked = np.isnan(stamps)

    def to_output(A: np.ndarray) -> np.ndarray:
        out = stacker.inverse_transform(A, fill_value=np.nan)
        for i, resizer in reversed(list(enumerate(resizers))):  # back to X's own pixels
            fitted = getattr(resizer, "stamp_shape_", None)
            shape = fitted or (stamps.shape[2:] if i == 0 else None)
            # pixels the model never saw (cropped away) get no attribution: 0, not NaN
            out = resizer.inverse_transform(out, stamp_shape=shape, fill_value=0.0)
        if out.shape != stamps.shape:
            raise ValueError(
                f"Attributions map back to stamp sets of shape {out.shape[1:]}, but X holds "
                f"stamp sets of shape {stamps.shape[1:]}: a step before the stacker changes "
                "the stamps' geometry, so the explainers cannot map pixels back."
            )
        if masked.any():  # masked (NaN) pixels of X get no attribution
            out = np.where(masked, np.float32(np.nan), out).astype(out.dtype, copy=False)
        return out.reshape(out.shape[0], -1) if flat else out

    return ExplainTarget(
        model=classifier.model_,
        images=_check_images(head.transform(stamps), image_shape),
        classes=np.asarray(classifier.classes_),
        to_input=to_input,
        to_output=to_output,
        stacker=stacker,
    )


def resolve_target(estimator: Any, X: Any) -> ExplainTarget:
    """Build the :class:`ExplainTarget` of a fitted classifier or Pipeline for input ``X``.

    Parameters
    ----------
    estimator : skrb classifier or Pipeline
        A fitted skrb classifier (``X`` = its own input images) or a Pipeline ending in one
        (``X`` = stamp sets); a fitted search object (``best_estimator_``) is unwrapped.
    X : array-like
        The input to explain.

    Returns
    -------
    target : ExplainTarget
        The model, CNN images and the mappings to and from ``X``'s shape.
    """
    estimator = _unwrap(estimator)
    if isinstance(estimator, Pipeline):
        return _pipeline_target(estimator, X)
    _check_classifier(estimator, "estimator")
    image_shape = _image_shape(estimator.model_)
    shape = np.shape(X)

    def to_input(Z: Any) -> np.ndarray:
        return _check_images(Z, image_shape)

    def to_output(A: np.ndarray) -> np.ndarray:
        return A.reshape((A.shape[0], *shape[1:]))

    return ExplainTarget(
        model=estimator.model_,
        images=to_input(X),
        classes=np.asarray(estimator.classes_),
        to_input=to_input,
        to_output=to_output,
        stacker=None,
    )
