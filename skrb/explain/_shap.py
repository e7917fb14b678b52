"""SHAP values of skrb classifiers through shap's GradientExplainer or DeepExplainer."""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skrb._dependencies import require
from skrb.explain._gradients import _COMMON, _class_index, _predicted_index
from skrb.explain._target import resolve_target

__all__ = ["shap_values"]

_METHODS = ("gradient", "deep")


def _background(X_len: int, background: Any, n_background: int, rng: Any) -> Any:
    if background is not None:
        return background
    return rng.choice(X_len, size=min(n_background, X_len), replace=False)


@validate_params(
    {
        **_COMMON,
        "background": "no_validation",
        "n_background": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(_METHODS))],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def shap_values(
    estimator: Any,
    X: Any,
    *,
    background: Any = None,
    n_background: int = 50,
    method: str = "gradient",
    target: Any = "predicted",
    n_samples: int = 200,
    batch_size: int = 50,
    random_state: Any = None,
) -> np.ndarray:
    """SHAP values of the class probability, on the same footing as the gradient explainers.

    Uses :class:`shap.GradientExplainer` (expected gradients: integrated gradients averaged over
    baselines drawn from the background, ``method="gradient"``) or :class:`shap.DeepExplainer`
    (DeepLIFT-style rescaling, ``method="deep"``) on the classifier's Keras model.

    Parameters
    ----------
    estimator : skrb classifier or Pipeline
        A fitted skrb classifier (``X`` its own images) or a Pipeline ending in one (``X`` stamp
        sets; values on the CNN input, mapped back to the panels).
    X : array-like
        Samples to explain, as for :func:`~skrb.explain.gradient_saliency`.
    background : array-like, optional
        Background (reference) samples, shaped like ``X`` (stamp sets for a Pipeline). Default:
        ``n_background`` samples drawn from ``X`` without replacement.
    n_background : int, default=50
        Size of the default background.
    method : {"gradient", "deep"}, default="gradient"
        The shap explainer.
    target : "predicted", class label or array-like of labels, default="predicted"
        Class whose probability is explained, per sample.
    n_samples : int, default=200
        Background/path samples per explained sample (``"gradient"`` only).
    batch_size : int, default=50
        Batch size of the GradientExplainer's model calls.
    random_state : int, RandomState instance or None, default=None
        Seeds the background draw and GradientExplainer's sampling.

    Returns
    -------
    values : ndarray of the shape of ``X``
        The float32 signed SHAP values of the target class probability (NaN in panels a Pipeline's
        layout does not use). With ``method="deep"`` they sum over pixels to the probability
        minus its mean over the background; ``"gradient"`` does so approximately.

    See Also
    --------
    integrated_gradients : The single-baseline path method.
    panel_shares : Share of the total absolute value in each panel.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb import make_dia_pipeline
    >>> from skrb.datasets import make_stamps
    >>> from skrb.explain import panel_shares, shap_values
    >>> X, y = make_stamps(16, random_state=0)
    >>> pipe = make_dia_pipeline(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    >>> values = shap_values(pipe, X[:4], background=X[4:12], n_samples=20, random_state=0)
    >>> values.shape
    (4, 3, 51, 51)
    >>> panel_shares(values).shape
    (4, 3)
    """
    with warnings.catch_warnings():
        # shap's import touches matplotlib colour-map APIs that are being deprecated.
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        shap = require("shap")  # an extra: skrb[shap]

    resolved = resolve_target(estimator, X)
    images = resolved.images
    rng = check_random_state(random_state)
    bg = _background(images.shape[0], background, n_background, rng)
    bg_images = images[bg] if background is None else resolved.to_input(bg)
    index = _class_index(target, resolved.classes, images.shape[0])
    with warnings.catch_warnings():
        # Keras 3 warns that shap calls the functional model on a list of tensors.
        warnings.filterwarnings("ignore", message=".*Expected: keras_tensor.*")
        warnings.filterwarnings("ignore", message=".*structure of `inputs`.*")
        warnings.filterwarnings("ignore", message="Your TensorFlow version is newer")
        index = _predicted_index(resolved.model, images, index)
        if method == "gradient":
            # Only the wanted output column of each sample ("custom" ranking), not all of them.
            explainer = shap.GradientExplainer(resolved.model, bg_images, batch_size=batch_size)
            values, _ = explainer.shap_values(
                images,
                nsamples=n_samples,
                rseed=int(rng.randint(2**31 - 1)),
                ranked_outputs=index.reshape(-1, 1),
                output_rank_order="custom",
            )
            picked = np.asarray(values, dtype=np.float32)[..., 0]
        else:
            explainer = shap.DeepExplainer(resolved.model, bg_images)
            values = np.asarray(explainer.shap_values(images), dtype=np.float32)
            if values.ndim == images.ndim:  # a single output
                values = values[..., np.newaxis]
            picked = np.take_along_axis(values, index.reshape(-1, 1, 1, 1, 1), axis=-1)[..., 0]
    return resolved.to_output(np.ascontiguousarray(picked))
