"""The plain-text summary of a model comparison (what ``skrb compare`` prints)."""

from __future__ import annotations

import numpy as np

from skrb.model_selection import ComparisonResult
from skrb.utils import mean_std

__all__ = ["format_comparison", "metric_rows"]


def metric_rows(result: ComparisonResult, digits: int = 3) -> list[list[str]]:
    """One row per model: its name, then ``mean ± std`` across folds of each metric.

    In the order of ``result.model_names`` and ``result.metric_names``; the mean alone where
    the spread is undefined (one split). Shared by :func:`format_comparison` and the report.
    """
    return [
        [
            str(row["model"]),
            *(
                mean_std(row[f"{metric}_mean"], row[f"{metric}_std"], digits)
                for metric in result.metric_names
            ),
        ]
        for row in result.summary()
    ]


def format_comparison(result: ComparisonResult, digits: int = 3) -> str:
    """Format a model comparison as a plain-text table with its paired tests.

    One line per model with every metric as ``mean ± std`` across folds (the mean alone for
    one hold-out split), a line saying how the models were evaluated, then one line per pair
    of models with the accuracy difference, the corrected resampled t-test's p-value (with two
    folds or more) and McNemar's. The numbers come from
    :meth:`ComparisonResult.summary() <skrb.model_selection.ComparisonResult.summary>` and
    :meth:`~skrb.model_selection.ComparisonResult.paired_tests`; this only lays them out.

    Parameters
    ----------
    result : ComparisonResult
        What :func:`skrb.model_selection.compare_models` returned.
    digits : int, default=3
        Decimals shown for the metrics and the accuracy differences.

    Returns
    -------
    text : str
        The table, one line per row, without a final newline.

    See Also
    --------
    skrb.report.write_report : The full report (Markdown, HTML, figures, CSV and JSON).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report import format_comparison
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = rng.normal(size=(40, 3)) + 2 * y[:, None]
    >>> result = compare_models({"logreg": LogisticRegression(), "dummy": DummyClassifier()},
    ...                         X, y, cv=4, random_state=0, progress=False)
    >>> lines = format_comparison(result, digits=2).splitlines()
    >>> lines[0].split()[:3], [line.split()[0] for line in lines[2:4]]
    (['model', 'accuracy', 'roc_auc'], ['logreg', 'dummy'])
    >>> print(lines[-2])
    4-fold stratified CV (mean ± std across folds); MDR/FPR at P(real) >= 0.5.
    >>> lines[-1].startswith("logreg - dummy: accuracy difference +")
    True
    """
    headers = ["model", *result.metric_names]
    rows = metric_rows(result, digits)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    split = (
        f"{result.n_folds}-fold stratified CV (mean ± std across folds)"
        if result.n_folds > 1
        else "one stratified hold-out split"
    )
    lines.append(f"{split}; MDR/FPR at P(real) >= {result.threshold:g}.")
    for test in result.paired_tests():
        a, b = test["models"]
        line = f"{a} - {b}: accuracy difference {test['mean_difference']:+.{digits}f}"
        if not np.isnan(test["t_pvalue"]):
            line += f", corrected t-test p = {test['t_pvalue']:.3g}"
        line += f", McNemar p = {test['mcnemar']['pvalue']:.3g}"
        lines.append(line)
    return "\n".join(lines)
