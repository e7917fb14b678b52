"""Paired significance tests for two classifiers evaluated on the same data.

* :func:`corrected_resampled_ttest`: the Nadeau & Bengio (2003, Machine Learning 52, 239)
  corrected resampled t-test on per-fold score differences. Folds share training data, so the
  plain paired t-test across folds is over-confident; the correction inflates the variance by
  ``n_test / n_train``. Needs at least two folds.
* :func:`mcnemar_test`: McNemar's exact test on the per-sample correctness of the two models'
  out-of-fold predictions (each sample tested once). Works with a single train/test split, e.g.
  the paper's 80/20 protocol.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats
from sklearn.utils.validation import column_or_1d

__all__ = ["corrected_resampled_ttest", "mcnemar_test"]


def corrected_resampled_ttest(
    scores_a: Any, scores_b: Any, *, n_train: int, n_test: int
) -> dict[str, float]:
    """Nadeau-Bengio corrected resampled t-test of the per-fold difference ``a - b``.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (n_folds,)
        One score per fold for each model, on the same folds.
    n_train, n_test : int
        Number of training and test samples per fold (their ratio corrects the variance).

    Returns
    -------
    result : dict
        ``mean_difference``, ``std_difference`` (across folds), ``statistic`` (t) and two-sided
        ``pvalue`` with ``n_folds - 1`` degrees of freedom, ``n_folds``.

    Raises
    ------
    ValueError
        With fewer than two folds or score arrays of different lengths.

    Examples
    --------
    >>> from skrb.model_selection import corrected_resampled_ttest
    >>> a, b = [0.9, 0.92, 0.91], [0.85, 0.86, 0.84]
    >>> res = corrected_resampled_ttest(a, b, n_train=20, n_test=10)
    >>> round(res["mean_difference"], 3), res["pvalue"] < 0.05
    (0.06, True)
    """
    a = column_or_1d(scores_a).astype(np.float64)
    b = column_or_1d(scores_b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"Paired scores must have the same length; got {a.size} and {b.size}.")
    k = a.size
    if k < 2:
        raise ValueError(
            f"The corrected resampled t-test needs at least 2 folds; got {k}. "
            "Use mcnemar_test for a single train/test split."
        )
    if n_train <= 0 or n_test <= 0:
        raise ValueError(f"n_train and n_test must be positive; got {n_train} and {n_test}.")
    diff = a - b
    mean = float(diff.mean())
    var = float(diff.var(ddof=1))
    scale = np.sqrt((1.0 / k + n_test / n_train) * var)
    if scale == 0.0:
        t, p = (0.0, 1.0) if mean == 0.0 else (float(np.sign(mean) * np.inf), 0.0)
    else:
        t = mean / scale
        p = float(2 * stats.t.sf(abs(t), df=k - 1))
    return {
        "mean_difference": mean,
        "std_difference": float(np.sqrt(var)),
        "statistic": float(t),
        "pvalue": p,
        "n_folds": k,
    }


def mcnemar_test(y_true: Any, y_pred_a: Any, y_pred_b: Any) -> dict[str, float]:
    """Test whether two classifiers err equally often on the same samples (exact McNemar).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred_a, y_pred_b : array-like of shape (n_samples,)
        The two models' predicted labels for the same samples.

    Returns
    -------
    result : dict
        ``only_a_correct`` and ``only_b_correct`` (the discordant counts), ``statistic`` (the
        smaller of the two) and the exact two-sided binomial ``pvalue``.

    Examples
    --------
    >>> from skrb.model_selection import mcnemar_test
    >>> y = [1] * 20
    >>> res = mcnemar_test(y, [1] * 20, [1] * 8 + [0] * 12)
    >>> res["only_a_correct"], res["only_b_correct"], res["pvalue"] < 0.01
    (12, 0, True)
    """
    y_true = column_or_1d(y_true)
    a = column_or_1d(y_pred_a) == y_true
    b = column_or_1d(y_pred_b) == y_true
    if not a.shape == b.shape == y_true.shape:
        raise ValueError("y_true, y_pred_a and y_pred_b must have the same length.")
    only_a = int(np.sum(a & ~b))
    only_b = int(np.sum(~a & b))
    n = only_a + only_b
    p = 1.0 if n == 0 else float(stats.binomtest(only_a, n, 0.5).pvalue)
    return {
        "only_a_correct": only_a,
        "only_b_correct": only_b,
        "statistic": min(only_a, only_b),
        "pvalue": p,
    }
