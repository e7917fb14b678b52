"""Warnings a reader needs before trusting a model's numbers: degenerate and miscalibrated models.

- *Degenerate*: the model calls (nearly) every test stamp real, or every one bogus, at the
  threshold, or gives (nearly) every stamp the same score: it has not learned the task, and its
  accuracy is the class balance.
- *Badly calibrated*: P(real) does not match the observed fraction of real stamps, measured by
  the expected calibration error (ECE) over ten equal-width score bins of the pooled
  out-of-fold scores. Such scores still rank candidates (ROC AUC, MDR at a fixed FPR), but a
  threshold of 0.5 is not "even odds".
"""

from __future__ import annotations

import numpy as np

from skrb.model_selection import ComparisonResult

__all__ = ["expected_calibration_error", "model_warnings"]

#: Share of test stamps called one class above which a model is called degenerate.
DEGENERATE_SHARE = 0.99
#: Standard deviation of the scores below which they are "all the same".
FLAT_SCORES = 0.01
#: Expected calibration error above which a model is called badly calibrated.
BAD_CALIBRATION = 0.05


def expected_calibration_error(y_true: np.ndarray, y_score: np.ndarray, n_bins: int = 10) -> float:
    """Mean |P(real) - observed real fraction| over equal-width score bins, weighted by counts.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        Labels, 1 = real, 0 = bogus.
    y_score : ndarray of shape (n_samples,)
        P(real), in [0, 1].
    n_bins : int, default=10
        Bins of width ``1 / n_bins`` over [0, 1].

    Returns
    -------
    ece : float

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.report._diagnostics import expected_calibration_error
    >>> round(expected_calibration_error(np.array([0, 1, 1, 0]), np.array([.9, .9, .1, .1])), 2)
    0.4
    """
    y_true = np.asarray(y_true, dtype=float)
    y_score = np.clip(np.asarray(y_score, dtype=float), 0.0, 1.0)
    bins = np.minimum((y_score * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.sum() * abs(y_score[inside].mean() - y_true[inside].mean())
    return float(total / max(y_true.size, 1))


def model_warnings(result: ComparisonResult) -> list[str]:
    """One sentence per degenerate or badly calibrated model of a comparison.

    Parameters
    ----------
    result : ComparisonResult
        The comparison (its pooled out-of-fold scores are examined).

    Returns
    -------
    warnings : list of str
        Empty when every model looks sound.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report._diagnostics import model_warnings
    >>> y = np.repeat([0, 1], 10)
    >>> res = compare_models({"dummy": DummyClassifier()}, np.zeros((20, 1)), y, cv=2,
    ...                      progress=False)
    >>> print(model_warnings(res)[0][:60])
    dummy is degenerate: it gives every test stamp nearly the sa
    """
    sentences = []
    for name in result.model_names:
        y_true, y_score = result.out_of_fold(name)
        called_real = float(np.mean(y_score >= result.threshold))
        if np.std(y_score) < FLAT_SCORES:
            sentences.append(
                f"{name} is degenerate: it gives every test stamp nearly the same P(real) "
                f"(mean {np.mean(y_score):.2f}, standard deviation {np.std(y_score):.3f}), so "
                "it has not learned the task; its accuracy is the class balance. Train longer, "
                "on more data, or check the labels."
            )
            continue
        if max(called_real, 1 - called_real) >= DEGENERATE_SHARE:
            side = "real" if called_real >= 0.5 else "bogus"
            share = called_real if side == "real" else 1 - called_real
            sentences.append(
                f"{name} is degenerate: it calls {100 * share:.1f} % of the test stamps {side} "
                f"at P(real) >= {result.threshold:g}; its accuracy is mostly the class "
                "balance. Train longer, on more data, or check the labels."
            )
            continue
        ece = expected_calibration_error(y_true, y_score)
        if ece > BAD_CALIBRATION:
            sentences.append(
                f"{name} is badly calibrated: its P(real) differs from the observed fraction of "
                f"real stamps by {ece:.3f} on average (expected calibration error, 10 bins). "
                "Its scores still rank candidates (ROC AUC, MDR at a fixed FPR), but "
                f"P(real) >= {result.threshold:g} is not even odds; calibrate it (scikit-learn's "
                "CalibratedClassifierCV) before reading the scores as probabilities."
            )
    return sentences
