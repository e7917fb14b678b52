r"""Gradient attributions: vanilla gradient saliency, SmoothGrad and Integrated Gradients.

All three differentiate the probability of one class (by default the predicted class) with
respect to the CNN input, batched through one compiled :func:`tf.function` per Keras model.

Notes on saturation, which every gradient method here inherits:

- Softmax saturates: where the model is confident, :math:`p = \sigma(z)` is flat in the logits
  (:math:`\partial p / \partial z_k = p (\delta_k - p_k) \to 0` as :math:`p \to 1`), so vanilla
  gradients of very confident predictions are small everywhere. Their *relative* pattern (and so
  :func:`~skrb.explain.panel_shares`) stays meaningful, their absolute size does not compare across
  stamps.
- ReLU units that are off pass no gradient, so a pixel whose contribution is cut by a ReLU gets
  zero saliency even when it matters at larger amplitude; MaxPool passes gradient to one pixel
  per window, which gives vanilla maps their speckle.
- Integrated Gradients integrates along a path from a baseline and satisfies completeness (the
  attributions sum to :math:`p(x) - p(\text{baseline})`), so it does not suffer from saturation;
  SmoothGrad averages the speckle out.
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from tqdm.auto import tqdm

from skrb.explain._target import ExplainTarget, _check_images, resolve_target
from skrb.utils import real_class_index

__all__ = ["gradient_saliency", "integrated_gradients", "saliency_and_p_real", "smoothgrad"]

PREDICTED = -1
_GRADIENT_FNS: weakref.WeakKeyDictionary[Any, Callable[..., Any]] = weakref.WeakKeyDictionary()


def _gradient_fn(model: Any) -> Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]:
    """Compiled ``(images, class_index) -> (d p[class] / d images, p)``, cached per model.

    ``class_index`` is an int32 vector, ``-1`` meaning the predicted (most probable) class.
    The model is held through a weak reference so that the cache does not keep it alive;
    pixels the network never reads are cropped before the first layer (their gradient is 0).
    """
    fn = _GRADIENT_FNS.get(model)
    if fn is not None:
        return fn
    import tensorflow as tf

    from skrb.models import inference_function

    forward = inference_function(model)  # holds the model weakly
    shape = [None, *(int(s) for s in model.input_shape[1:])]

    @tf.function(
        input_signature=[tf.TensorSpec(shape, tf.float32), tf.TensorSpec([None], tf.int32)]
    )
    def gradient(images: Any, index: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            tape.watch(images)
            proba = tf.convert_to_tensor(forward(images))
            predicted = tf.argmax(proba, axis=1, output_type=tf.int32)
            index = tf.where(index < 0, predicted, index)
            # Samples are independent (inference mode): the gradient of the sum is the
            # per-sample gradient, in one backward pass for the whole batch.
            selected = tf.gather(proba, index, axis=1, batch_dims=1)
        return tape.gradient(selected, images), proba

    _GRADIENT_FNS[model] = gradient
    return gradient


def _class_index(target: Any, classes: np.ndarray, n_samples: int) -> np.ndarray:
    """Per-sample output column to differentiate (``-1`` = predicted class)."""
    if isinstance(target, str) and target == "predicted":
        return np.full(n_samples, PREDICTED, dtype=np.int32)
    labels = np.asarray(target)
    if labels.ndim == 0:
        labels = np.full(n_samples, labels)
    if labels.shape != (n_samples,):
        raise ValueError(
            f"target must be 'predicted', a class label or one label per sample ({n_samples}); "
            f"got shape {labels.shape}."
        )
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    unknown = sorted({v for v in labels.tolist() if v not in lookup}, key=str)
    if unknown:
        raise ValueError(
            f"target {unknown[:5]} not among the classifier's classes_ {classes.tolist()}."
        )
    return np.array([lookup[v] for v in labels.tolist()], dtype=np.int32)


_COMMON = {
    "estimator": "no_validation",  # resolve_target checks it
    "X": ["array-like"],
    "target": "no_validation",  # _class_index checks it against the classes
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "verbose": ["verbose"],
}
"""Constraints shared by the explainers (validate_params)."""


def _batches(n: int, batch_size: int, verbose: int, desc: str) -> Iterator[slice]:
    starts = range(0, n, batch_size)
    for start in tqdm(starts, desc=desc, disable=not verbose, unit="batch"):
        yield slice(start, min(start + batch_size, n))


def _prepare(estimator: Any, X: Any, target: Any) -> tuple[ExplainTarget, np.ndarray]:
    resolved = resolve_target(estimator, X)
    index = _class_index(target, resolved.classes, resolved.images.shape[0])
    return resolved, index


def _predicted_index(model: Any, images: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Replace ``-1`` (predicted) by the class predicted on the clean images (forward only)."""
    if (index >= 0).all():
        return index
    from skrb.models import predict_batches

    proba = predict_batches(model, images, len(images))
    return np.where(index < 0, np.argmax(proba, axis=1), index).astype(np.int32)


@validate_params(
    {**_COMMON, "absolute": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def gradient_saliency(
    estimator: Any,
    X: Any,
    *,
    target: Any = "predicted",
    absolute: bool = True,
    batch_size: int = 256,
    verbose: int = 0,
) -> np.ndarray:
    r"""Vanilla gradient saliency, :math:`|\partial p_c / \partial x|` (Simonyan et al. 2014).

    The saliency of Acero-Cuellar et al. (2023): the absolute gradient of the probability of the
    predicted class ``c`` (the softmax maximum) with respect to every input pixel, batched
    through a compiled TensorFlow function.

    Parameters
    ----------
    estimator : skrb classifier or Pipeline
        A fitted skrb classifier (:class:`~skrb.models.DIAClassifier`, ...; ``X`` is then its
        own input, the stacked CNN images) or a Pipeline ending in one (``X`` are stamp sets;
        the gradient is taken on the CNN input, i.e. after scaling and stacking, and mapped back
        to the panels).
    X : array-like
        Stamp sets ``(n_samples, 3, H, W)`` or flattened for a Pipeline; images
        ``(n_samples, H, W', C)`` or flattened for a bare classifier.
    target : "predicted", class label or array-like of labels, default="predicted"
        Class whose probability is differentiated: the predicted class per sample (the
        paper's choice), one label from ``classes_`` (e.g. ``1`` for P(real)) or one per sample.
    absolute : bool, default=True
        Return :math:`|\nabla|` (the paper's saliency); ``False`` keeps the sign.
    batch_size : int, default=256
        Samples per compiled call.
    verbose : int, default=0
        Show a progress bar over batches when > 0.

    Returns
    -------
    saliency : ndarray of the shape of ``X``
        The float32 saliency. For a Pipeline, panels the classifier's layout does not use (e.g. the
        difference for noDIA) are NaN.

    See Also
    --------
    smoothgrad : Noise-averaged gradients (less speckle).
    integrated_gradients : Path-integrated gradients (no saturation, completeness).
    panel_shares : Share of the total saliency in each panel.

    Notes
    -----
    Gradients saturate: for a confident prediction the softmax is flat and the saliency small
    everywhere; compare maps by their relative pattern (as :func:`panel_shares` does), not their
    absolute size. ReLU units that are off and max-pooling pass no gradient to most pixels.
    See the module notes of :mod:`skrb.explain` and :func:`integrated_gradients`.

    Examples
    --------
    A Pipeline explains stamp sets, panel by panel (one epoch on 16 simulated stamps here, to
    keep the example fast):

    >>> import numpy as np
    >>> from skrb import make_dia_pipeline, make_nodia_pipeline
    >>> from skrb.datasets import make_stamps
    >>> from skrb.explain import gradient_saliency, panel_shares
    >>> X, y = make_stamps(16, random_state=0)
    >>> dia = make_dia_pipeline(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    >>> saliency = gradient_saliency(dia, X[:4])
    >>> saliency.shape
    (4, 3, 51, 51)
    >>> panel_shares(saliency).sum(axis=1)
    array([1., 1., 1., 1.])

    A noDIA model does not read the difference panel, which is NaN:

    >>> nodia = make_nodia_pipeline(epochs=1, batch_size=8, verbose=0, random_state=0)
    >>> bool(np.isnan(gradient_saliency(nodia.fit(X, y), X[:4])[:, 2]).all())
    True

    A bare classifier is explained on its own input, the stacked images:

    >>> images = dia[:-1].transform(X[:4])
    >>> gradient_saliency(dia["classifier"], images).shape
    (4, 51, 153, 1)
    """
    saliency, _ = saliency_and_p_real(
        estimator, X, target=target, absolute=absolute, batch_size=batch_size, verbose=verbose
    )
    return saliency


def saliency_and_p_real(
    estimator: Any,
    X: Any,
    *,
    target: Any = "predicted",
    absolute: bool = True,
    batch_size: int = 256,
    verbose: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gradient_saliency` and P(real) from the same forward passes (for ``skrb explain``).

    Returns ``(saliency, p_real)``; P(real) is the probability column of class 1.
    """
    resolved, index = _prepare(estimator, X, target)
    real = real_class_index(resolved.classes)
    fn = _gradient_fn(resolved.model)
    images = resolved.images
    out = np.empty_like(images)
    p_real = np.empty(images.shape[0], dtype=np.float64)
    for sl in _batches(images.shape[0], batch_size, verbose, "gradient saliency"):
        grad, proba = fn(images[sl], index[sl])
        out[sl] = np.asarray(grad)
        p_real[sl] = np.asarray(proba)[:, real]
    if absolute:
        np.abs(out, out=out)
    return resolved.to_output(out), p_real


@validate_params(
    {
        **_COMMON,
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "noise_level": [Interval(numbers.Real, 0, None, closed="left")],
        "absolute": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def smoothgrad(
    estimator: Any,
    X: Any,
    *,
    n_samples: int = 25,
    noise_level: float = 0.15,
    target: Any = "predicted",
    absolute: bool = True,
    batch_size: int = 256,
    random_state: Any = None,
    verbose: int = 0,
) -> np.ndarray:
    r"""SmoothGrad: gradients averaged over noisy copies of the input (Smilkov et al. 2017).

    Each image gets ``n_samples`` copies with Gaussian noise of standard deviation
    ``noise_level * (max - min)`` of that image (on the CNN input); the gradient of the class
    probability is averaged over them. The class is fixed per sample on the clean input, so noise
    cannot switch which class is explained.

    Parameters
    ----------
    estimator : skrb classifier or Pipeline
        As in :func:`gradient_saliency`.
    X : array-like
        As in :func:`gradient_saliency`.
    n_samples : int, default=25
        Noisy copies per image.
    noise_level : float, default=0.15
        Noise standard deviation as a fraction of each image's value range (Smilkov et al.
        recommend 10-20 %).
    target : "predicted", class label or array-like of labels, default="predicted"
        Class whose probability is differentiated.
    absolute : bool, default=True
        Average :math:`|\nabla|` (comparable to :func:`gradient_saliency`); ``False`` averages
        the signed gradients (the original SmoothGrad).
    batch_size : int, default=256
        Images per compiled call.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise.
    verbose : int, default=0
        Progress bar over batches when > 0.

    Returns
    -------
    saliency : ndarray of the shape of ``X``
        The float32 averaged gradients (NaN in panels a Pipeline's layout does not use).

    See Also
    --------
    gradient_saliency : The single-gradient saliency this averages.

    Examples
    --------
    >>> from skrb import make_dia_pipeline
    >>> from skrb.datasets import make_stamps
    >>> from skrb.explain import smoothgrad
    >>> X, y = make_stamps(16, random_state=0)
    >>> pipe = make_dia_pipeline(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    >>> smoothgrad(pipe, X[:2], n_samples=4, random_state=0).shape
    (2, 3, 51, 51)
    """
    resolved, index = _prepare(estimator, X, target)
    rng = check_random_state(random_state)
    fn = _gradient_fn(resolved.model)
    images = resolved.images
    out = np.zeros_like(images)
    axes = tuple(range(1, images.ndim))
    for sl in _batches(images.shape[0], batch_size, verbose, "SmoothGrad"):
        batch = images[sl]
        cls = _predicted_index(resolved.model, batch, index[sl])
        spread = batch.max(axis=axes, keepdims=True) - batch.min(axis=axes, keepdims=True)
        sigma = (noise_level * spread).astype(np.float32)
        for _ in range(n_samples):
            noisy = batch + sigma * rng.standard_normal(batch.shape).astype(np.float32)
            grad = np.asarray(fn(noisy, cls)[0])
            out[sl] += np.abs(grad) if absolute else grad
    out /= n_samples
    return resolved.to_output(out)


def _baseline_images(baseline: Any, resolved: ExplainTarget) -> np.ndarray:
    images = resolved.images
    if isinstance(baseline, str):
        if baseline != "zeros":
            raise ValueError(f"baseline must be 'zeros', a number or an array; got {baseline!r}.")
        return np.zeros(images.shape[1:], dtype=np.float32)
    if isinstance(baseline, numbers.Real):
        return np.full(images.shape[1:], baseline, dtype=np.float32)
    arr = np.asarray(baseline)
    if arr.shape == images.shape or arr.shape == images.shape[1:]:
        single = arr.shape == images.shape[1:]
        arr = _check_images(arr[np.newaxis] if single else arr, images.shape[1:], "baseline")
        return arr[0] if single else arr
    # Shaped like the X given (e.g. stamp sets for a Pipeline): map through the input steps.
    mapped = resolved.to_input(arr if arr.ndim in (2, 4) else arr[np.newaxis])
    if mapped.shape[0] == 1:
        return mapped[0]
    if mapped.shape[0] != images.shape[0]:
        raise ValueError(
            f"baseline holds {mapped.shape[0]} samples; give one, or one per sample "
            f"({images.shape[0]})."
        )
    return mapped


@validate_params(
    {
        **_COMMON,
        "baseline": "no_validation",  # _baseline_images checks it
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def integrated_gradients(
    estimator: Any,
    X: Any,
    *,
    baseline: Any = "zeros",
    n_steps: int = 50,
    target: Any = "predicted",
    batch_size: int = 256,
    verbose: int = 0,
) -> np.ndarray:
    r"""Integrated Gradients (Sundararajan et al. 2017), signed.

    :math:`(x - x_0) \int_0^1 \partial p_c(x_0 + \alpha (x - x_0)) / \partial x \, d\alpha`,
    with the integral a midpoint Riemann sum of ``n_steps`` points, for the class ``c`` predicted
    on ``x``. The attributions of a sample sum to :math:`p_c(x) - p_c(x_0)` up to the sum's error
    (completeness), which makes them immune to softmax saturation.

    Parameters
    ----------
    estimator : skrb classifier or Pipeline
        As in :func:`gradient_saliency`.
    X : array-like
        As in :func:`gradient_saliency`.
    baseline : "zeros", float or array-like, default="zeros"
        The reference input :math:`x_0`, on the CNN input (after scaling and stacking).
        ``"zeros"`` is an empty image: with the paper's scaling ("acero2023") zero is the
        background level of the min-max scaled search and template panels and the mean of the
        z-scored difference, i.e. "no source anywhere". A float fills every pixel; an array may
        be one image, one image per sample, or shaped like ``X`` (stamp sets for a Pipeline,
        which are scaled and stacked like ``X``).
    n_steps : int, default=50
        Points of the Riemann sum.
    target : "predicted", class label or array-like of labels, default="predicted"
        Class whose probability is attributed.
    batch_size : int, default=256
        Images per compiled call.
    verbose : int, default=0
        Progress bar over batches when > 0.

    Returns
    -------
    attributions : ndarray of the shape of ``X``
        The float32 signed attributions (NaN in panels a Pipeline's layout does not use).

    See Also
    --------
    gradient_saliency : The local gradient.

    Examples
    --------
    >>> from skrb import make_dia_pipeline
    >>> from skrb.datasets import make_stamps
    >>> from skrb.explain import integrated_gradients
    >>> X, y = make_stamps(16, random_state=0)
    >>> pipe = make_dia_pipeline(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    >>> integrated_gradients(pipe, X[:2], n_steps=8).shape
    (2, 3, 51, 51)
    """
    resolved, index = _prepare(estimator, X, target)
    base = _baseline_images(baseline, resolved)
    fn = _gradient_fn(resolved.model)
    images = resolved.images
    out = np.zeros_like(images)
    alphas = (np.arange(n_steps, dtype=np.float32) + 0.5) / n_steps
    for sl in _batches(images.shape[0], batch_size, verbose, "Integrated Gradients"):
        batch = images[sl]
        b = base if base.ndim == batch.ndim - 1 else base[sl]
        delta = batch - b
        cls = _predicted_index(resolved.model, batch, index[sl])
        for alpha in alphas:
            out[sl] += np.asarray(fn(b + alpha * delta, cls)[0])
        out[sl] *= delta / n_steps
    return resolved.to_output(out)
