"""What skrb asks of any fitted estimator: its final classifier, and P(real) from it.

Written once here for every package (model comparison, scoring, explaining, reports).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["final_estimator", "p_real", "real_class_index"]


def final_estimator(estimator: Any) -> Any:
    """Return the estimator that makes the predictions: a Pipeline's last step, unwrapped.

    A fitted search object (``GridSearchCV``, ...) is replaced by its ``best_estimator_``, and
    a :class:`~sklearn.pipeline.Pipeline` by its last step, repeatedly (nested pipelines).

    Parameters
    ----------
    estimator : estimator
        A classifier, a Pipeline ending in one, or a fitted search object.

    Returns
    -------
    final : estimator
        The final classifier (``estimator`` itself when it is neither).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skrb.utils import final_estimator
    >>> type(final_estimator(make_pipeline(StandardScaler(), LogisticRegression()))).__name__
    'LogisticRegression'
    """
    while True:
        inner = getattr(estimator, "best_estimator_", None)
        if inner is None:
            steps = getattr(estimator, "steps", None)
            inner = steps[-1][1] if steps else None
        if inner is None:
            return estimator
        estimator = inner


def real_class_index(classes: Any) -> int:
    """Return the column of the real class (label 1) in a classifier's ``classes_``.

    Parameters
    ----------
    classes : array-like
        The fitted classifier's ``classes_``.

    Returns
    -------
    index : int
        Position of the label 1.

    Raises
    ------
    ValueError
        If the classes lack the label 1 (skrb's real class).
    """
    classes = list(np.asarray(classes).tolist())
    if 1 not in classes:
        raise ValueError(
            f"The fitted estimator's classes_ {classes} lack the real class 1 (skrb's targets "
            "are 1 = real, 0 = bogus)."
        )
    return classes.index(1)


def p_real(estimator: Any, X: Any) -> np.ndarray:
    """P(real) of a fitted classifier (or Pipeline ending in one) for ``X``, as float64.

    The column of class 1 of ``predict_proba``; for classifiers without it, the logistic
    function of ``decision_function`` (a score in (0, 1) growing with it).

    Parameters
    ----------
    estimator : fitted estimator
        With ``classes_`` holding 1 (real) and ``predict_proba`` or ``decision_function``.
    X : array-like
        Its input.

    Returns
    -------
    p_real : ndarray of shape (n_samples,)
        float64 probabilities of the real class.

    Raises
    ------
    ValueError
        If the classes lack the label 1.
    TypeError
        If the estimator has neither ``predict_proba`` nor ``decision_function``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.utils import p_real
    >>> clf = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> p = p_real(clf, np.array([[0.0], [1.0]]))
    >>> p.dtype, bool(p[1] > 0.5 > p[0])
    (dtype('float64'), True)
    """
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        classes = getattr(final_estimator(estimator), "classes_", [0, 1])
    index = real_class_index(classes)
    if hasattr(estimator, "predict_proba"):
        return np.asarray(estimator.predict_proba(X))[:, index].astype(np.float64)
    if hasattr(estimator, "decision_function"):
        score = np.asarray(estimator.decision_function(X), dtype=np.float64)
        if score.ndim != 1:
            raise ValueError(
                f"{type(estimator).__name__}.decision_function gives shape {score.shape}; a "
                "binary real/bogus classifier gives one score per sample."
            )
        score = score if index == 1 else -score
        return 1.0 / (1.0 + np.exp(-score))
    raise TypeError(f"{type(estimator).__name__} has neither predict_proba nor decision_function.")
