"""Real/bogus metrics in the conventions of transient surveys (positive class = real).

* **MDR** (missed detection rate, the false negative rate): real candidates called bogus,
  divided by all real candidates.
* **FPR** (false positive rate): bogus candidates called real, divided by all bogus candidates.

Surveys quote the MDR at a fixed FPR (e.g. 1 % or 3 %), or the FPR at a fixed MDR, read off the
ROC curve of the classifier's scores; :func:`mdr_at_fpr` and :func:`fpr_at_mdr` do that.
:func:`real_bogus_scorers` wraps them for :func:`sklearn.model_selection.cross_validate` and
:class:`~sklearn.model_selection.GridSearchCV`.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Real
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, make_scorer, roc_auc_score, roc_curve
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from skrb.utils.validation import check_binary_target, check_rates

__all__ = [
    "false_positive_rate",
    "fpr_at_mdr",
    "fpr_level_name",
    "mdr_at_fpr",
    "missed_detection_rate",
    "real_bogus_confusion_matrix",
    "real_bogus_report",
    "real_bogus_scorers",
]

_UNIT = Interval(Real, 0, 1, closed="both")
_LABEL_PARAMS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like"],
    "pos_label": [Real, str, "boolean"],
}
_SCORE_PARAMS = {
    "y_true": ["array-like"],
    "y_score": ["array-like"],
    "pos_label": [Real, str, "boolean"],
}


def _check_lengths(y_true: Any, y_other: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    y_true = column_or_1d(y_true)
    y_other = column_or_1d(y_other)
    if y_true.shape[0] != y_other.shape[0]:
        raise ValueError(
            f"y_true has {y_true.shape[0]} labels but {name} has {y_other.shape[0]} values."
        )
    if y_true.size == 0:
        raise ValueError("y_true is empty: found 0 labels.")
    return y_true, y_other


def _label_kind(y: np.ndarray, name: str) -> None:
    """Refuse what is not class labels: scores/probabilities, NaN, multi-column targets."""
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{name} contains NaN or infinity; labels are due.")
    kind = type_of_target(y, input_name=name)
    if kind == "continuous":
        hint = (
            " (probabilities? call predict(X), or threshold the scores, e.g. "
            "proba[:, 1] >= 0.5, or use mdr_at_fpr / real_bogus_report for scores)"
            if name == "y_pred"
            else ""
        )
        raise ValueError(f"{name} holds continuous values, not class labels{hint}.")
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"{name} must be a 1-D array of class labels; got target type {kind!r}.")


def _check_labels(
    y_true: Any, y_other: Any, name: str, pos_label: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Check real/bogus labels (and, for ``name="y_pred"``, predicted labels against them).

    At most two labels between ``y_true`` and ``y_pred``, and ``pos_label`` one of them (or,
    for numeric 0/1 labels, the default 1 even where only bogus candidates appear).
    """
    y_true, y_other = _check_lengths(y_true, y_other, name)
    _label_kind(y_true, "y_true")
    arrays = [y_true]
    if name == "y_pred":
        _label_kind(y_other, "y_pred")
        arrays.append(y_other)
    try:
        labels = unique_labels(*arrays).tolist()
    except ValueError as exc:
        raise ValueError(f"y_true and {name} do not hold labels of one kind: {exc}") from None
    where = "y_true and y_pred" if name == "y_pred" else "y_true"
    if len(labels) > 2:
        shown = ", ".join(map(repr, labels[:5])) + (" ..." if len(labels) > 5 else "")
        raise ValueError(
            f"Real/bogus metrics take two classes; {where} hold {len(labels)} labels: {shown}."
        )
    if pos_label not in labels and not (set(labels) <= {0, 1} and pos_label == 1):
        raise ValueError(
            f"pos_label={pos_label!r} is not a label of {where} "
            f"({', '.join(map(repr, labels))}); pass the label of real candidates as pos_label."
        )
    return y_true, y_other


def _counts(y_true: Any, y_pred: Any, pos_label: Any) -> tuple[int, int, int, int]:
    """Return ``(tp, fn, fp, tn)`` with ``pos_label`` as the real class."""
    y_true, y_pred = _check_labels(y_true, y_pred, "y_pred", pos_label)
    real = y_true == pos_label
    called_real = y_pred == pos_label
    tp = int(np.sum(real & called_real))
    fn = int(np.sum(real & ~called_real))
    fp = int(np.sum(~real & called_real))
    tn = int(np.sum(~real & ~called_real))
    return tp, fn, fp, tn


@validate_params(_LABEL_PARAMS, prefer_skip_nested_validation=True)
def missed_detection_rate(y_true: Any, y_pred: Any, *, pos_label: Any = 1) -> float:
    """Fraction of real candidates classified as bogus (the false negative rate).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (``pos_label`` = real).
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    pos_label : int or str, default=1
        The label of real candidates.

    Returns
    -------
    mdr : float
        ``FN / (TP + FN)``; NaN when ``y_true`` holds no real candidate.

    Examples
    --------
    >>> from skrb.metrics import missed_detection_rate
    >>> missed_detection_rate([1, 1, 1, 1, 0], [1, 1, 1, 0, 0])
    0.25
    """
    tp, fn, _, _ = _counts(y_true, y_pred, pos_label)
    return fn / (tp + fn) if tp + fn else float("nan")


@validate_params(_LABEL_PARAMS, prefer_skip_nested_validation=True)
def false_positive_rate(y_true: Any, y_pred: Any, *, pos_label: Any = 1) -> float:
    """Fraction of bogus candidates classified as real.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (``pos_label`` = real, anything else = bogus).
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    pos_label : int or str, default=1
        The label of real candidates.

    Returns
    -------
    fpr : float
        ``FP / (FP + TN)``; NaN when ``y_true`` holds no bogus candidate.

    Examples
    --------
    >>> from skrb.metrics import false_positive_rate
    >>> false_positive_rate([0, 0, 0, 0, 1], [1, 0, 0, 0, 1])
    0.25
    """
    _, _, fp, tn = _counts(y_true, y_pred, pos_label)
    return fp / (fp + tn) if fp + tn else float("nan")


@validate_params(_LABEL_PARAMS, prefer_skip_nested_validation=True)
def real_bogus_confusion_matrix(y_true: Any, y_pred: Any, *, pos_label: Any = 1) -> np.ndarray:
    """Confusion matrix in the paper's orientation: real first.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    pos_label : int or str, default=1
        The label of real candidates.

    Returns
    -------
    cm : ndarray of shape (2, 2)
        Rows true real / true bogus, columns predicted real / predicted bogus:
        ``[[TP, FN], [FP, TN]]``.

    Examples
    --------
    >>> from skrb.metrics import real_bogus_confusion_matrix
    >>> real_bogus_confusion_matrix([1, 1, 0, 0, 0], [1, 0, 1, 0, 0])
    array([[1, 1],
           [1, 2]])
    """
    tp, fn, fp, tn = _counts(y_true, y_pred, pos_label)
    return np.array([[tp, fn], [fp, tn]])


def _roc(y_true: Any, y_score: Any, pos_label: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_score = _check_labels(y_true, y_score, "y_score", pos_label)
    try:
        y_score = np.asarray(y_score, dtype=np.float64)
    except ValueError:
        raise ValueError("y_score must hold numbers (scores growing with P(real)).") from None
    if not np.isfinite(y_score).all():
        raise ValueError("y_score contains NaN or infinity.")
    real = y_true == pos_label
    if real.all() or not real.any():
        raise ValueError(
            "y_true must hold both real and bogus candidates to read a rate off the ROC curve; "
            f"got only {'real' if real.any() else 'bogus'} ones."
        )
    fpr, tpr, _ = roc_curve(real.astype(int), y_score)
    return fpr, tpr


@validate_params({**_SCORE_PARAMS, "fpr": [_UNIT]}, prefer_skip_nested_validation=True)
def mdr_at_fpr(y_true: Any, y_score: Any, fpr: float = 0.01, *, pos_label: Any = 1) -> float:
    """Missed detection rate at the threshold where the false positive rate is ``fpr``.

    The threshold is the lowest score threshold whose false positive rate does not exceed
    ``fpr`` (so the MDR is the best one reachable within the FPR budget).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (``pos_label`` = real).
    y_score : array-like of shape (n_samples,)
        Scores that grow with the probability of being real, e.g. ``predict_proba(X)[:, 1]``.
    fpr : float, default=0.01
        The allowed false positive rate, in [0, 1].
    pos_label : int or str, default=1
        The label of real candidates.

    Returns
    -------
    mdr : float
        The missed detection rate at that operating point.

    Examples
    --------
    >>> from skrb.metrics import mdr_at_fpr
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> score = [0.1, 0.2, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95]
    >>> mdr_at_fpr(y, score, fpr=0.0)
    0.5
    >>> mdr_at_fpr(y, score, fpr=0.25)
    0.0
    """
    fprs, tprs = _roc(y_true, y_score, pos_label)
    return float(1.0 - tprs[fprs <= fpr + 1e-12].max())


@validate_params({**_SCORE_PARAMS, "mdr": [_UNIT]}, prefer_skip_nested_validation=True)
def fpr_at_mdr(y_true: Any, y_score: Any, mdr: float = 0.05, *, pos_label: Any = 1) -> float:
    """Compute the false positive rate at the threshold where the MDR is ``mdr``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (``pos_label`` = real).
    y_score : array-like of shape (n_samples,)
        Scores that grow with the probability of being real.
    mdr : float, default=0.05
        The allowed missed detection rate, in [0, 1].
    pos_label : int or str, default=1
        The label of real candidates.

    Returns
    -------
    fpr : float
        The lowest false positive rate reachable while missing at most ``mdr`` of the reals.

    Examples
    --------
    >>> from skrb.metrics import fpr_at_mdr
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> score = [0.1, 0.2, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95]
    >>> fpr_at_mdr(y, score, mdr=0.0)
    0.25
    """
    fprs, tprs = _roc(y_true, y_score, pos_label)
    return float(fprs[1.0 - tprs <= mdr + 1e-12].min())


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "threshold": [Interval(Real, None, None, closed="neither")],
        "fpr_levels": [Iterable],
    },
    prefer_skip_nested_validation=True,
)
def real_bogus_report(
    y_true: Any,
    y_score: Any,
    *,
    threshold: float = 0.5,
    fpr_levels: Iterable[float] = (0.01, 0.03),
) -> dict[str, float]:
    """All the real/bogus figures a survey quotes, from labels and P(real) scores.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, 1 = real, 0 = bogus.
    y_score : array-like of shape (n_samples,)
        P(real) (or any score that grows with it), e.g. ``predict_proba(X)[:, 1]``.
    threshold : float, default=0.5
        Candidates with ``y_score >= threshold`` are called real.
    fpr_levels : iterable of float, default=(0.01, 0.03)
        False positive rates at which the MDR is reported.

    Returns
    -------
    report : dict
        ``accuracy``, ``roc_auc``, ``mdr`` and ``fpr`` (at ``threshold``), ``mdr@fpr=X%`` for each
        level, and the confusion counts ``tp``, ``fn``, ``fp``, ``tn``.

    Examples
    --------
    >>> from skrb.metrics import real_bogus_report
    >>> rep = real_bogus_report([0, 0, 1, 1], [0.2, 0.6, 0.7, 0.9], fpr_levels=[0.0])
    >>> rep["accuracy"], rep["mdr"], rep["fpr"], rep["mdr@fpr=0%"]
    (0.75, 0.0, 0.5, 0.0)
    """
    y_true = check_binary_target(y_true, zero_one=True)
    y_true, y_score = _check_lengths(y_true, y_score, "y_score")
    y_score = np.asarray(y_score, dtype=np.float64)
    y_pred = (y_score >= threshold).astype(int)
    (tp, fn), (fp, tn) = real_bogus_confusion_matrix(y_true, y_pred)
    report = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "roc_auc": float(roc_auc_score(y_true, y_score)),
        "mdr": missed_detection_rate(y_true, y_pred),
        "fpr": false_positive_rate(y_true, y_pred),
    }
    for level in check_rates(fpr_levels, name="fpr_levels", caller="real_bogus_report"):
        report[fpr_level_name(level)] = mdr_at_fpr(y_true, y_score, level)
    report.update(tp=int(tp), fn=int(fn), fp=int(fp), tn=int(tn))
    return report


@validate_params({"fpr": [_UNIT]}, prefer_skip_nested_validation=True)
def fpr_level_name(fpr: float) -> str:
    """Name of the "MDR at a fixed FPR" figure in reports and tables.

    Parameters
    ----------
    fpr : float
        The false positive rate, in [0, 1].

    Returns
    -------
    name : str
        E.g. ``"mdr@fpr=1%"``.

    Examples
    --------
    >>> from skrb.metrics import fpr_level_name
    >>> fpr_level_name(0.01), fpr_level_name(0.005)
    ('mdr@fpr=1%', 'mdr@fpr=0.5%')
    """
    return f"mdr@fpr={float(fpr) * 100:g}%"


@validate_params({"fpr_levels": [Iterable]}, prefer_skip_nested_validation=True)
def real_bogus_scorers(fpr_levels: Iterable[float] = (0.01, 0.03)) -> dict[str, Any]:
    """Scorers for ``cross_validate(scoring=...)`` and ``GridSearchCV(scoring=...)``.

    MDR-type scorers are negated (scikit-learn maximises scores), following the
    ``neg_`` naming of :mod:`sklearn.metrics`.

    Parameters
    ----------
    fpr_levels : iterable of float, default=(0.01, 0.03)
        False positive rates at which a ``neg_mdr@fpr=X%`` scorer is made.

    Returns
    -------
    scorers : dict of str to callable
        ``accuracy``, ``roc_auc``, ``neg_mdr``, ``neg_fpr`` and one ``neg_mdr@fpr=X%`` per level.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from skrb.metrics import real_bogus_scorers
    >>> X = np.r_[np.zeros((10, 2)), np.ones((10, 2))] + np.linspace(0, 0.5, 20)[:, None]
    >>> y = np.r_[np.zeros(10, int), np.ones(10, int)]
    >>> res = cross_validate(LogisticRegression(), X, y, cv=2, scoring=real_bogus_scorers([0.01]))
    >>> sorted(k for k in res if k.startswith("test_"))  # doctest: +NORMALIZE_WHITESPACE
    ['test_accuracy', 'test_neg_fpr', 'test_neg_mdr', 'test_neg_mdr@fpr=1%', 'test_roc_auc']
    """
    scorers: dict[str, Any] = {
        "accuracy": "accuracy",
        "roc_auc": "roc_auc",
        "neg_mdr": make_scorer(missed_detection_rate, greater_is_better=False),
        "neg_fpr": make_scorer(false_positive_rate, greater_is_better=False),
    }
    for level in check_rates(fpr_levels, name="fpr_levels", caller="real_bogus_scorers"):
        scorers["neg_" + fpr_level_name(level)] = make_scorer(
            mdr_at_fpr, response_method="predict_proba", greater_is_better=False, fpr=level
        )
    return scorers
