"""Sanity checks of attributions: the model-randomisation test of Adebayo et al. (2018)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state

from skrb.explain._gradients import gradient_saliency
from skrb.explain._target import _unwrap

__all__ = ["model_randomization_check", "randomized_copy"]


#: Names of the Keras normalisation layers' scale weights (BatchNormalization,
#: LayerNormalization, GroupNormalization), reset to one rather than zero.
_NORM_SCALES = ("gamma", "scale")


def _randomized_model(model: Any, rng: np.random.RandomState) -> Any:
    import keras

    clone = keras.models.clone_model(model)
    for source, weight in zip(model.weights, clone.weights, strict=True):
        value = np.asarray(source)
        scale = float(value.std()) or 0.05
        if weight.trainable and value.ndim > 1:
            weight.assign(rng.normal(0.0, scale, size=value.shape).astype(value.dtype))
        elif weight.trainable and weight.name in _NORM_SCALES:  # as initialised: a zero
            weight.assign(np.ones_like(value))  # scale would silence the whole layer
        else:  # biases and normalisation offsets: start from zero; non-trainable state: keep
            weight.assign(np.zeros_like(value) if weight.trainable else value)
    return clone


def randomized_copy(estimator: Any, random_state: Any = None) -> Any:
    """Copy a fitted classifier (or Pipeline), giving its Keras model random weights.

    Every kernel is redrawn from a Gaussian with the standard deviation of the trained kernel,
    biases and normalisation offsets are zeroed and normalisation scales set to one (as Keras
    initialises them); the architecture, the class order and every other fitted attribute (and
    a Pipeline's other steps) are kept. The original is not modified.

    Parameters
    ----------
    estimator : skrb classifier or Pipeline
        Fitted classifier, or a Pipeline ending in one.
    random_state : int, RandomState instance or None, default=None
        Seeds the new weights.

    Returns
    -------
    randomized : estimator
        The copy.

    Examples
    --------
    >>> from skrb import make_dia_pipeline
    >>> from skrb.datasets import make_stamps
    >>> from skrb.explain import randomized_copy
    >>> X, y = make_stamps(16, random_state=0)
    >>> pipe = make_dia_pipeline(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    >>> copy = randomized_copy(pipe, random_state=0)
    >>> copy[-1].model_ is pipe[-1].model_, copy[-1].model_.count_params()
    (False, 126050)
    """
    estimator = _unwrap(estimator)
    rng = check_random_state(random_state)
    if isinstance(estimator, Pipeline):
        name, classifier = estimator.steps[-1]
        return Pipeline([*estimator.steps[:-1], (name, randomized_copy(classifier, rng))])
    if not hasattr(estimator, "model_"):
        raise ValueError(
            f"{type(estimator).__name__} is not fitted: it has no Keras `model_` to randomise."
        )
    out = copy.copy(estimator)
    out.model_ = _randomized_model(estimator.model_, rng)
    return out


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of |a| and |b| per sample, over the finite entries."""
    a = np.abs(a.reshape(a.shape[0], -1))
    b = np.abs(b.reshape(b.shape[0], -1))
    keep = np.isfinite(a).all(axis=0) & np.isfinite(b).all(axis=0)
    ra = rankdata(a[:, keep], axis=1)
    rb = rankdata(b[:, keep], axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denom = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ra * rb).sum(axis=1) / denom


def model_randomization_check(
    estimator: Any,
    X: Any,
    *,
    method: Callable[..., np.ndarray] = gradient_saliency,
    threshold: float = 0.5,
    random_state: Any = None,
    **method_params: Any,
) -> Bunch:
    """Check that attributions depend on the trained weights (model randomisation test).

    The sanity check of Adebayo et al. (2018).

    An attribution method that explains the model must give different maps once the trained
    weights are replaced by random ones. This computes the maps of the trained model and of
    :func:`randomized_copy` and their Spearman rank correlation (of absolute values) per sample.
    High correlation means the method shows the input (e.g. edges), not what the model learnt.

    Parameters
    ----------
    estimator : skrb classifier or Pipeline
        Fitted classifier or Pipeline ending in one.
    X : array-like
        Samples to explain.
    method : callable, default=gradient_saliency
        An explainer of this module, ``method(estimator, X, **method_params)``.
    threshold : float, default=0.5
        The check passes when the mean rank correlation is below this.
    random_state : int, RandomState instance or None, default=None
        Seeds the random weights.
    **method_params
        Passed to ``method``.

    Returns
    -------
    result : Bunch
        ``original`` and ``randomized`` maps, ``rank_correlation`` (n_samples,),
        ``mean_rank_correlation`` and ``passed`` (bool).

    Notes
    -----
    The threshold is a convention, not a statistical test. Correlations stay above zero even
    for a method that does depend on the weights where the architecture alone shapes the maps:
    unpadded convolutions and pooling give pixels near the panel edges fewer paths to the
    output, for trained and random weights alike.

    Examples
    --------
    >>> from skrb import make_dia_pipeline
    >>> from skrb.datasets import make_stamps
    >>> from skrb.explain import model_randomization_check
    >>> X, y = make_stamps(16, random_state=0)
    >>> pipe = make_dia_pipeline(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    >>> result = model_randomization_check(pipe, X[:8], random_state=0)
    >>> result.rank_correlation.shape
    (8,)
    """
    original = method(estimator, X, **method_params)
    randomized = method(randomized_copy(estimator, random_state), X, **method_params)
    rho = _rank_correlation(np.asarray(original), np.asarray(randomized))
    mean = float(np.nanmean(rho))
    return Bunch(
        original=original,
        randomized=randomized,
        rank_correlation=rho,
        mean_rank_correlation=mean,
        passed=bool(mean < threshold),
    )
