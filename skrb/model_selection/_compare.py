"""Cross-validated comparison of real/bogus classifiers on the same folds.

:func:`compare_models` fits every estimator on the same train/test splits (stratified k-fold,
or one stratified hold-out split such as the paper's 80/20) and returns a
:class:`ComparisonResult` with per-fold metrics, their mean and spread, confusion matrices, ROC
data, Keras learning curves and paired tests between models.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from numbers import Integral, Real
from typing import Any

import numpy as np
from astropy.table import Table
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import roc_curve
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, validate_params

from skrb.metrics import real_bogus_confusion_matrix, real_bogus_report
from skrb.model_selection._paired import corrected_resampled_ttest, mcnemar_test
from skrb.utils import check_binary_target, check_rates, final_estimator, jsonable, p_real

__all__ = ["ComparisonResult", "compare_models", "make_cv"]

#: Metrics summarised across folds, in display order (MDR-at-FPR columns are added per level).
_SUMMARY_METRICS = ("accuracy", "roc_auc", "mdr", "fpr")


def make_cv(cv: int | float | Any = 5, *, random_state: int | None = None) -> Any:
    """Turn a ``cv`` argument into a stratified splitter.

    Parameters
    ----------
    cv : int, float or cross-validation splitter, default=5
        An int ``k >= 2`` gives shuffled :class:`~sklearn.model_selection.StratifiedKFold`; a
        float in (0, 1) gives one stratified hold-out split with that test fraction (``0.2`` is
        the paper's 80/20 protocol); anything else goes through
        :func:`sklearn.model_selection.check_cv`.
    random_state : int, optional
        Seed of the shuffling.

    Returns
    -------
    splitter : cross-validation splitter
        The splitter ``compare_models`` uses.

    Examples
    --------
    >>> from skrb.model_selection import make_cv
    >>> make_cv(3, random_state=0)
    StratifiedKFold(n_splits=3, random_state=0, shuffle=True)
    >>> make_cv(0.2, random_state=0).get_n_splits()
    1
    """
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds; got {cv}.")
        return StratifiedKFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    if isinstance(cv, Real) and not isinstance(cv, bool):
        if not 0.0 < cv < 1.0:
            raise ValueError(f"A float cv is the hold-out test fraction, in (0, 1); got {cv}.")
        return StratifiedShuffleSplit(n_splits=1, test_size=float(cv), random_state=random_state)
    return check_cv(cv, classifier=True)


def _history(estimator: Any) -> dict[str, list[float]] | None:
    """Return the Keras history of a fitted (pipeline ending in a) SciKeras model, or None."""
    history = getattr(final_estimator(estimator), "history_", None)
    if not history:
        return None
    return {str(k): [float(v) for v in values] for k, values in dict(history).items()}


@dataclass
class ComparisonResult:
    """Outcome of :func:`compare_models`: everything needed to judge the models against each other.

    Attributes
    ----------
    model_names : list of str
        The compared models, in the order given.
    y : ndarray of shape (n_samples,)
        The labels the models were evaluated on (1 = real, 0 = bogus).
    splits : list of (ndarray, ndarray)
        ``(train_indices, test_indices)`` of every fold, shared by all models.
    scores : dict of str to list of ndarray
        Per model, per fold: P(real) on the fold's test samples.
    fold_metrics : dict of str to list of dict
        Per model, per fold: :func:`skrb.metrics.real_bogus_report` on the test samples.
    histories : dict of str to list of (dict or None)
        Per model, per fold: the Keras training history (``loss``, ``val_loss``, ...), or None for
        models without one.
    fit_times, score_times : dict of str to list of float
        Seconds spent fitting and scoring, per model and fold.
    estimators : dict of str to list of estimator
        The fitted estimators per fold (empty unless ``return_estimators=True``).
    threshold : float
        Score at or above which a candidate is called real.
    fpr_levels : tuple of float
        False positive rates at which the MDR was read.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = rng.normal(size=(40, 3)) + y[:, None]
    >>> res = compare_models({"logreg": LogisticRegression(), "dummy": DummyClassifier()},
    ...                      X, y, cv=4, random_state=0, progress=False)
    >>> int(res.confusion_matrix("logreg").sum())
    40
    >>> res.paired_test("logreg", "dummy")["mean_difference"] > 0
    True
    """

    model_names: list[str]
    y: np.ndarray
    splits: list[tuple[np.ndarray, np.ndarray]]
    scores: dict[str, list[np.ndarray]]
    fold_metrics: dict[str, list[dict[str, float]]]
    histories: dict[str, list[dict[str, list[float]] | None]]
    fit_times: dict[str, list[float]]
    score_times: dict[str, list[float]]
    threshold: float = 0.5
    fpr_levels: tuple[float, ...] = (0.01, 0.03)
    estimators: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def n_folds(self) -> int:
        """Number of train/test splits."""
        return len(self.splits)

    @property
    def metric_names(self) -> list[str]:
        """Names of the per-fold metrics, in display order."""
        first = self.fold_metrics[self.model_names[0]][0]
        return [m for m in first if m not in ("tp", "fn", "fp", "tn")]

    def _check_name(self, name: str) -> None:
        if name not in self.model_names:
            raise KeyError(f"Unknown model {name!r}; compared models: {self.model_names}.")

    def test_labels(self, fold: int) -> np.ndarray:
        """Labels of one fold's test samples.

        Parameters
        ----------
        fold : int
            Fold index.

        Returns
        -------
        y : ndarray
        """
        return self.y[self.splits[fold][1]]

    def predictions(self, name: str, fold: int) -> np.ndarray:
        """Predicted labels (1 real, 0 bogus) of one model on one fold's test samples.

        Parameters
        ----------
        name : str
            Model name.
        fold : int
            Fold index.

        Returns
        -------
        y_pred : ndarray of int
        """
        self._check_name(name)
        return (self.scores[name][fold] >= self.threshold).astype(int)

    def out_of_fold(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Pooled test labels and P(real) of one model over all folds.

        Parameters
        ----------
        name : str
            Model name.

        Returns
        -------
        y_true, y_score : ndarray
            Concatenated over folds (each sample once for k-fold CV).
        """
        self._check_name(name)
        y_true = np.concatenate([self.test_labels(i) for i in range(self.n_folds)])
        return y_true, np.concatenate(self.scores[name])

    def confusion_matrix(self, name: str) -> np.ndarray:
        """Confusion matrix summed over folds, rows true real/bogus, columns predicted real/bogus.

        Parameters
        ----------
        name : str
            Model name.

        Returns
        -------
        cm : ndarray of shape (2, 2)
            ``[[TP, FN], [FP, TN]]``.
        """
        y_true, y_score = self.out_of_fold(name)
        return real_bogus_confusion_matrix(y_true, (y_score >= self.threshold).astype(int))

    def roc_curve(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """ROC curve of the pooled out-of-fold scores.

        Parameters
        ----------
        name : str
            Model name.

        Returns
        -------
        fpr, tpr, thresholds : ndarray
            As :func:`sklearn.metrics.roc_curve`, positive class = real.
        """
        y_true, y_score = self.out_of_fold(name)
        return roc_curve(y_true, y_score, pos_label=1)

    def metric(self, name: str, metric: str) -> np.ndarray:
        """One metric of one model across folds.

        Parameters
        ----------
        name : str
            Model name.
        metric : str
            One of :attr:`metric_names`.

        Returns
        -------
        values : ndarray of shape (n_folds,)
        """
        self._check_name(name)
        if metric not in self.metric_names:
            raise KeyError(f"Unknown metric {metric!r}; available: {self.metric_names}.")
        return np.array([fold[metric] for fold in self.fold_metrics[name]])

    def summary(self) -> Table:
        """Mean and spread (standard deviation across folds) of every metric, one row per model.

        Returns
        -------
        table : astropy.table.Table
            Columns ``model``, ``n_folds`` and ``<metric>_mean``, ``<metric>_std`` for each metric
            (the std is NaN with a single split), plus the pooled confusion counts.
        """
        rows = []
        for name in self.model_names:
            row: dict[str, Any] = {"model": name, "n_folds": self.n_folds}
            for metric in self.metric_names:
                values = self.metric(name, metric)
                row[f"{metric}_mean"] = float(np.mean(values))
                row[f"{metric}_std"] = float(np.std(values, ddof=1)) if values.size > 1 else np.nan
            (tp, fn), (fp, tn) = self.confusion_matrix(name)
            row.update(tp=int(tp), fn=int(fn), fp=int(fp), tn=int(tn))
            row["fit_time_mean"] = float(np.mean(self.fit_times[name]))
            rows.append(row)
        return Table(rows=rows, names=list(rows[0]))

    def fold_table(self) -> Table:
        """Every metric of every model on every fold, one row per (model, fold).

        Returns
        -------
        table : astropy.table.Table
        """
        rows = [
            {
                "model": name,
                "fold": i,
                "n_train": len(self.splits[i][0]),
                "n_test": len(self.splits[i][1]),
                **self.fold_metrics[name][i],
                "fit_time": self.fit_times[name][i],
                "score_time": self.score_times[name][i],
            }
            for name in self.model_names
            for i in range(self.n_folds)
        ]
        return Table(rows=rows, names=list(rows[0]))

    def paired_test(self, a: str, b: str, metric: str = "accuracy") -> dict[str, Any]:
        """Test the difference between two models evaluated on the same folds.

        With two or more folds: the Nadeau-Bengio corrected resampled t-test of the per-fold
        ``metric`` difference ``a - b``. Always: McNemar's exact test on the pooled out-of-fold
        predictions at :attr:`threshold`.

        Parameters
        ----------
        a, b : str
            Model names.
        metric : str, default="accuracy"
            The per-fold metric whose difference is tested.

        Returns
        -------
        result : dict
            ``models``, ``metric``, ``mean_difference``, ``std_difference``, ``t_statistic``,
            ``t_pvalue`` (NaN with a single split), ``test`` (the t-test's name) and
            ``mcnemar`` (a dict, see :func:`~skrb.model_selection.mcnemar_test`).
        """
        values_a, values_b = self.metric(a, metric), self.metric(b, metric)
        result: dict[str, Any] = {"models": [a, b], "metric": metric}
        if self.n_folds >= 2:
            n_train = int(np.mean([len(tr) for tr, _ in self.splits]))
            n_test = int(np.mean([len(te) for _, te in self.splits]))
            t = corrected_resampled_ttest(values_a, values_b, n_train=n_train, n_test=n_test)
            result.update(
                mean_difference=t["mean_difference"],
                std_difference=t["std_difference"],
                t_statistic=t["statistic"],
                t_pvalue=t["pvalue"],
                test="Nadeau-Bengio corrected resampled t-test",
            )
        else:
            result.update(
                mean_difference=float(values_a[0] - values_b[0]),
                std_difference=float("nan"),
                t_statistic=float("nan"),
                t_pvalue=float("nan"),
                test="none (single split: see McNemar)",
            )
        y_true, _ = self.out_of_fold(a)
        pred_a = np.concatenate([self.predictions(a, i) for i in range(self.n_folds)])
        pred_b = np.concatenate([self.predictions(b, i) for i in range(self.n_folds)])
        result["mcnemar"] = mcnemar_test(y_true, pred_a, pred_b)
        return result

    def paired_tests(self, metric: str = "accuracy") -> list[dict[str, Any]]:
        """:meth:`paired_test` for every pair of models, in the order given.

        Parameters
        ----------
        metric : str, default="accuracy"
            The per-fold metric whose difference is tested.

        Returns
        -------
        results : list of dict
        """
        return [self.paired_test(a, b, metric) for a, b in combinations(self.model_names, 2)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: settings, per-model means/spreads, folds, histories, tests.

        Returns
        -------
        result : dict
        """
        summary = self.summary()
        return {
            "n_samples": int(self.y.size),
            "n_real": int(np.sum(self.y == 1)),
            "n_bogus": int(np.sum(self.y == 0)),
            "n_folds": self.n_folds,
            "threshold": self.threshold,
            "fpr_levels": list(self.fpr_levels),
            "models": {
                name: {
                    "summary": {k: jsonable(summary[i][k]) for k in summary.colnames[1:]},
                    "folds": self.fold_metrics[name],
                    "confusion_matrix": self.confusion_matrix(name).tolist(),
                    "confusion_matrix_layout": "rows true [real, bogus], columns predicted "
                    "[real, bogus]",
                    "fit_times": self.fit_times[name],
                    "histories": self.histories[name],
                }
                for i, name in enumerate(self.model_names)
            },
            "paired_tests": jsonable(self.paired_tests()),
        }


def _check_class_counts(y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
    for i, (train, test) in enumerate(splits):
        for part, idx in (("training", train), ("test", test)):
            counts = np.bincount(y[idx], minlength=2)
            if counts.min() == 0:
                raise ValueError(
                    f"Too few samples per class: fold {i}'s {part} part has {counts[1]} real and "
                    f"{counts[0]} bogus candidates. Provide more samples of the rarer class or "
                    "use fewer folds."
                )


def _fit_and_score(
    model: Any,
    X: Any,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    fit_params: Mapping[str, Any],
    *,
    header: str | None,
    keep_model: bool,
) -> tuple[Any, dict[str, list[float]] | None, np.ndarray, float, float]:
    """Fit ``model`` on ``train`` and score P(real) on ``test`` (one task of compare_models).

    Returns the fitted model (None unless ``keep_model``: it need not travel back from a
    worker), its history, the scores and the fit and score times.
    """
    if header is not None:
        print(f"{header}: training on {len(train)}, testing on {len(test)}", flush=True)
    start = time.perf_counter()
    model.fit(_safe_indexing(X, train), y[train], **fit_params)
    fitted = time.perf_counter()
    score = p_real(model, _safe_indexing(X, test))
    score_time = time.perf_counter() - fitted
    return model if keep_model else None, _history(model), score, fitted - start, score_time


@validate_params(
    {
        "estimators": [Mapping],
        "X": ["array-like"],
        "y": ["array-like"],
        "cv": "no_validation",  # make_cv checks it
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "fpr_levels": [Iterable],
        "random_state": ["random_state"],
        "return_estimators": ["boolean"],
        "fit_params": [Mapping, None],
        "progress": ["boolean"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=False,
)
def compare_models(
    estimators: Mapping[str, Any],
    X: Any,
    y: Any,
    *,
    cv: int | float | Any = 5,
    threshold: float = 0.5,
    fpr_levels: Iterable[float] = (0.01, 0.03),
    random_state: int | None = None,
    return_estimators: bool = False,
    fit_params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = True,
    n_jobs: int | None = None,
) -> ComparisonResult:
    """Fit and evaluate several real/bogus classifiers on the same train/test splits.

    Every estimator is cloned and fitted on each fold's training part and scored (P(real)) on
    its test part, so all models see exactly the same data and their per-fold metrics can be
    compared pairwise (:meth:`ComparisonResult.paired_test`).

    Parameters
    ----------
    estimators : dict of str to estimator
        The models to compare, by display name (e.g. ``{"DIA": make_dia_pipeline(),
        "noDIA": make_nodia_pipeline()}``). Any scikit-learn classifier with ``predict_proba``
        (or ``decision_function``) works.
    X : array-like of shape (n_samples, ...)
        The data every estimator is fitted on (stamp sets for skrb pipelines).
    y : array-like of shape (n_samples,)
        Labels, 1 = real, 0 = bogus.
    cv : int, float or splitter, default=5
        See :func:`make_cv`: ``k`` folds of stratified CV, or a float hold-out test fraction
        (``0.2`` for the paper's 80/20 split), or any scikit-learn splitter.
    threshold : float, default=0.5
        P(real) at or above which a candidate is called real (for accuracy, MDR, FPR).
    fpr_levels : iterable of float, default=(0.01, 0.03)
        False positive rates at which the MDR is read off each fold's ROC curve.
    random_state : int, optional
        Seed of the fold shuffling (the estimators keep their own ``random_state``).
    return_estimators : bool, default=False
        Keep the fitted estimators of every fold in :attr:`ComparisonResult.estimators`
        (needed to explain the models afterwards; costs memory).
    fit_params : dict of str to dict, optional
        Extra ``fit`` keyword arguments per model name.
    progress : bool, default=True
        Print a header before each fit (``"DIA fold 1/3: training on 1000, testing on 500"``,
        so that the model's own progress output is attributed) and a result line after it.
        With ``n_jobs``, the header is printed where the fit runs (a Dask worker's log) and the
        result lines here, in order.
    n_jobs : int, optional
        Fits run at once, through joblib (one task per model and fold). None means 1 unless
        inside a :func:`joblib.parallel_backend` context: ``joblib.parallel_backend("dask")``
        runs the fits on a Dask cluster (see :ref:`scaling_out`); -1 uses every core. The
        results do not depend on it for seeded estimators.

    Returns
    -------
    result : ComparisonResult
        Per-fold scores, metrics, histories and timings of every model.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        If a parameter has an invalid type or value (e.g. ``threshold`` outside [0, 1]),
        before any model is fitted.
    ValueError
        If ``estimators`` is empty, labels are not 0/1, ``X`` and ``y`` differ in length, or a
        fold lacks one of the classes ("too few samples per class").

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 15)
    >>> X = rng.normal(size=(30, 2)) + 2 * y[:, None]
    >>> res = compare_models({"a": LogisticRegression(), "b": LogisticRegression(C=0.01)},
    ...                      X, y, cv=3, random_state=0, progress=False)
    >>> res.n_folds, sorted(res.summary().colnames)[:3]
    (3, ['accuracy_mean', 'accuracy_std', 'fit_time_mean'])
    """
    if not estimators:
        raise ValueError("estimators is empty: give at least one model to evaluate.")
    names = [str(n) for n in estimators]
    y = check_binary_target(y, n_samples=len(X), zero_one=True)
    levels = check_rates(fpr_levels, name="fpr_levels", caller="compare_models")
    splitter = make_cv(cv, random_state=random_state)
    min_count = int(np.bincount(y, minlength=2).min())
    n_splits = splitter.get_n_splits(X, y)
    if isinstance(splitter, StratifiedKFold) and min_count < n_splits:
        raise ValueError(
            f"Too few samples per class for {n_splits}-fold CV: the rarer class has only "
            f"{min_count} sample(s). Provide more samples or use fewer folds."
        )
    splits = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y)]
    _check_class_counts(y, splits)
    fit_params = dict(fit_params or {})
    unknown = set(fit_params) - set(names)
    if unknown:
        raise ValueError(f"fit_params names unknown models {sorted(unknown)}; models: {names}.")

    out: dict[str, dict[str, list[Any]]] = {
        key: {n: [] for n in names}
        for key in ("scores", "metrics", "histories", "fit", "score", "est")
    }
    tasks = [
        (i, name, estimator)
        for i in range(len(splits))
        for name, estimator in zip(names, estimators.values(), strict=True)
    ]

    def fold_name(i: int) -> str:
        return f"fold {i + 1}/{len(splits)}" if len(splits) > 1 else "hold-out split"

    fits = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_and_score)(
            clone(estimator),
            X,
            y,
            *splits[i],
            fit_params.get(name, {}),
            header=f"{name} {fold_name(i)}" if progress else None,
            keep_model=return_estimators,
        )
        for i, name, estimator in tasks
    )
    for (i, name, _), fit in zip(tasks, fits, strict=True):
        model, history, score, fit_time, score_time = fit
        report = real_bogus_report(y[splits[i][1]], score, threshold=threshold, fpr_levels=levels)
        out["fit"][name].append(fit_time)
        out["score"][name].append(score_time)
        out["scores"][name].append(score)
        out["metrics"][name].append(report)
        out["histories"][name].append(history)
        if return_estimators:
            out["est"][name].append(model)
        if progress:
            print(
                f"{name} {fold_name(i)}: test accuracy {report['accuracy']:.3f}, "
                f"fit {fit_time:.0f} s",
                flush=True,
            )
    return ComparisonResult(
        model_names=names,
        y=y,
        splits=splits,
        scores=out["scores"],
        fold_metrics=out["metrics"],
        histories=out["histories"],
        fit_times=out["fit"],
        score_times=out["score"],
        threshold=float(threshold),
        fpr_levels=levels,
        estimators=out["est"] if return_estimators else {},
    )
