"""Write a model comparison to a report directory a scientist can read and a script can parse.

Layout of the directory::

    report.md, report.html   the page tying everything together
    metrics.json             settings, per-model means/spreads, per-fold metrics, paired tests
    metrics.csv              one row per model: mean and std of every metric, confusion counts
    folds.csv                one row per (model, fold)
    figures/*.png            confusion matrices, ROC curves, learning curves, saliency figures

The folder is written whole or not at all: everything goes into a hidden sibling folder that
then replaces the destination in one atomic swap (:func:`skrb.utils.atomic_directory`), so an
interrupted run leaves the previous report untouched, never a mix of two runs.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from skrb.metrics import mdr_at_fpr
from skrb.model_selection import ComparisonResult
from skrb.report._diagnostics import model_warnings
from skrb.report._document import Document
from skrb.report._figures import (
    _history_keys,
    plot_confusion_matrices,
    plot_learning_curves,
    plot_roc_curves,
    save_figure,
)
from skrb.report._summary import metric_rows
from skrb.report._tables import write_csv
from skrb.report._versus_paper import paper_section
from skrb.utils import atomic_directory, check_output_path, jsonable

__all__ = ["check_report_directory", "write_report"]


def _is_report(path: Path) -> bool:
    return (path / "report.md").is_file() and (path / "metrics.json").is_file()


def check_report_directory(directory: str | Path, *, what: str = "report folder") -> Path:
    """Check, before any work, that a report can be written to ``directory``.

    A report replaces its folder as a whole, so the folder must be new, empty, or a previous
    report (holding ``report.md`` and ``metrics.json``): a folder of other files is refused
    rather than replaced.

    Parameters
    ----------
    directory : str or Path
        The report folder.
    what : str, default="report folder"
        How the error names it (e.g. ``"--report"``).

    Returns
    -------
    directory : Path
        The folder, as a path.

    Raises
    ------
    ValueError
        If it is a file, a folder of other files, or cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skrb.report import check_report_directory
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "notes.txt").write_text("mine")
    ...     check_report_directory(tmp, what="--report")
    Traceback (most recent call last):
    ...
    ValueError: --report ... is a non-empty folder that skrb did not write; ...
    """
    return check_output_path(directory, kind="directory", replaceable=_is_report, what=what)


def _metrics_section(doc: Document, result: ComparisonResult) -> None:
    summary = result.summary()
    metrics = result.metric_names
    doc.heading("Metrics")
    split = (
        f"{result.n_folds}-fold stratified cross-validation; each cell is the mean ± standard "
        "deviation across folds"
        if result.n_folds > 1
        else "one stratified hold-out split (the paper's protocol); no spread is available"
    )
    reading = (
        "read on each fold and averaged (the MDR-FPR curve of the figures pools the folds instead)"
        if result.n_folds > 1
        else "read on the test set"
    )
    doc.paragraph(
        f"All models were trained and tested on the same folds ({split}). Positive class = real. "
        f"MDR (missed detection rate) and FPR are at P(real) >= {result.threshold:g}; "
        f"mdr@fpr=X% is the MDR at the score threshold where the FPR is X %, {reading}."
    )
    headers = [
        f"{m} (fold mean)" if m.startswith("mdr@") and result.n_folds > 1 else m for m in metrics
    ]
    doc.table(["model", *headers], metric_rows(result))
    for sentence in model_warnings(result):
        doc.paragraph(f"Warning: {sentence}")
    _paired_tests(doc, result)
    doc.paragraph(
        ("Fit time per fold" if result.n_folds > 1 else "Fit time")
        + " (s, wall clock): "
        + ", ".join(f"{r['model']} {r['fit_time_mean']:.1f}" for r in summary)
        + "."
    )


def _paired_tests(doc: Document, result: ComparisonResult) -> None:
    doc.heading("Paired tests: is the difference real?")
    tests = result.paired_tests()
    if not tests:
        doc.paragraph("Only one model was evaluated: nothing to compare.")
        return
    doc.paragraph(
        "Two tests answer two different questions. The corrected resampled t-test "
        "(Nadeau-Bengio) asks: would the accuracy difference hold if the models were trained "
        "again on new training sets from the same source? It works from the per-fold "
        "differences and inflates their variance because folds share training data, so with "
        "few folds it has little power. McNemar's exact test asks: on these very test stamps, "
        "does one trained model get right significantly more of the stamps the two disagree "
        "on? With thousands of stamps it is very sensitive, but it says nothing about how much "
        "the models would change with new training data."
    )
    rows = []
    for test in tests:
        mc = test["mcnemar"]
        rows.append(
            [
                " - ".join(test["models"]),
                f"{test['mean_difference']:+.4f}",
                "n/a (one split)" if np.isnan(test["t_pvalue"]) else f"{test['t_pvalue']:.3g}",
                f"{mc['only_a_correct']} / {mc['only_b_correct']}",
                f"{mc['pvalue']:.3g}",
            ]
        )
    doc.table(
        [
            "models (a - b)",
            "accuracy difference",
            "corrected t-test p (new training sets?)",
            "only a / only b correct",
            "McNemar p (these stamps?)",
        ],
        rows,
    )
    for test in tests:
        doc.paragraph(_read_paired_test(test))


def _read_paired_test(test: dict) -> str:
    """One plain sentence reading both tests of a pair, at the 5 % level."""
    a, b = test["models"]
    better = a if test["mean_difference"] > 0 else b
    t_p, mc_p = test["t_pvalue"], test["mcnemar"]["pvalue"]
    on_stamps = (
        f"on these test stamps {better} is significantly more accurate (McNemar p = {mc_p:.2g})"
        if mc_p < 0.05
        else f"on these test stamps the two are not distinguishable (McNemar p = {mc_p:.2g})"
    )
    if np.isnan(t_p):
        retrain = "with one split, whether it would hold on new training sets is not tested"
    elif t_p < 0.05:
        retrain = f"and the difference should hold on new training sets (t-test p = {t_p:.2g})"
    else:
        retrain = (
            f"but with these folds the evidence that it holds on new training sets is weak "
            f"(t-test p = {t_p:.2g}; more folds or repeated CV would tell)"
        )
    return f"{a} vs {b}: {on_stamps}, {retrain}."


def _figures_section(doc: Document, result: ComparisonResult, directory: Path) -> None:
    doc.heading("Figures")
    path = save_figure(plot_confusion_matrices(result), directory, "confusion_matrices")
    several = result.n_folds > 1
    where = f"pooled over the {result.n_folds} folds' test sets" if several else "on the test set"
    doc.figure(
        path,
        f"Confusion matrices {where}: rows true real / bogus, columns predicted real / bogus; "
        "the top-right cell's percentage is the MDR, the bottom-left's the FPR.",
    )
    path = save_figure(plot_roc_curves(result), directory, "roc_curves")
    pooled = []
    for name in result.model_names:
        y_true, y_score = result.out_of_fold(name)
        values = ", ".join(
            f"{100 * mdr_at_fpr(y_true, y_score, level):.1f} % at FPR {100 * level:g} %"
            for level in result.fpr_levels
        )
        pooled.append(f"{name} {values}")
    if several:
        curves = (
            "thick: pooled out-of-fold scores, thin: single folds; the legend's AUC is the mean "
            "over folds"
        )
        note = (
            " These pooled values can differ from the table's mdr@fpr columns, which are means "
            "of per-fold values."
        )
    else:
        curves, note = "scores on the test set", ""
    doc.figure(
        path,
        f"Left: ROC curves ({curves}). Right: the missed detection rate against the false "
        f"positive rate, log scale, {where}; dotted lines mark the FPR levels of the table. "
        "Read off these curves: " + "; ".join(pooled) + "." + note,
    )
    fig = plot_learning_curves(result)
    if fig is not None:
        path = save_figure(fig, directory, "learning_curves")
        keys = " and ".join(_history_keys(result))
        folds = "one grey per fold, darkest for fold 1" if several else "one training run"
        doc.figure(
            path,
            f"Learning curves from the Keras training history: {keys} per epoch, solid for "
            f"training, dashed for the validation split; {folds}.",
        )


def write_report(
    result: ComparisonResult,
    directory: str | Path,
    *,
    title: str = "skrb real/bogus model comparison",
    description: Mapping[str, Any] | None = None,
    sections: Any = None,
) -> Path:
    """Write metrics (JSON, CSV), figures and a Markdown + HTML page for a comparison.

    Parameters
    ----------
    result : ComparisonResult
        The output of :func:`skrb.model_selection.compare_models`.
    directory : str or Path
        Where to write: a new or empty folder, or a previous report, which is replaced as a
        whole in one atomic swap once the new report is complete (an interrupted run leaves
        it untouched). A folder holding other files is refused
        (:func:`check_report_directory`).
    title : str, default="skrb real/bogus model comparison"
        Title of the page.
    description : dict, optional
        Facts about the data and protocol (e.g. ``{"data": "simulated DES", "epochs": 5}``),
        listed at the top of the page and stored in ``metrics.json``.
    sections : callable, optional
        ``sections(doc, directory)`` appends further blocks (e.g. saliency figures) to the
        :class:`Document` before it is written.

    Returns
    -------
    path : Path
        The Markdown page, ``directory / "report.md"`` (``report.html`` sits beside it).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report import write_report
    >>> y = np.repeat([0, 1], 10)
    >>> X = y[:, None] + np.linspace(0, 1.5, 20)[:, None]
    >>> res = compare_models({"lr": LogisticRegression()}, X, y, cv=2, progress=False)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     page = write_report(res, tmp)
    ...     sorted(p.name for p in page.parent.iterdir())
    ['figures', 'folds.csv', 'metrics.csv', 'metrics.json', 'report.html', 'report.md']
    """
    directory = check_report_directory(directory)
    with atomic_directory(directory) as part:
        _write(result, part, title=title, description=description, sections=sections)
    return directory / "report.md"


def _write(
    result: ComparisonResult,
    directory: Path,
    *,
    title: str,
    description: Mapping[str, Any] | None,
    sections: Any,
) -> None:
    description = dict(description or {})
    payload = {"description": jsonable(description), **result.to_dict()}
    payload["environment"] = {"python": platform.python_version(), "platform": platform.platform()}
    (directory / "metrics.json").write_text(json.dumps(payload, indent=2, allow_nan=False))
    write_csv(result.summary(), directory / "metrics.csv")
    write_csv(result.fold_table(), directory / "folds.csv")

    doc = Document(title)
    n_real, n_bogus = int(np.sum(result.y == 1)), int(np.sum(result.y == 0))
    facts = [
        ["samples", f"{result.y.size} ({n_real} real, {n_bogus} bogus)"],
        ["models", ", ".join(result.model_names)],
        ["folds", str(result.n_folds)],
        *([str(k), str(v)] for k, v in description.items()),
    ]
    doc.heading("Data and protocol").table(["item", "value"], facts)
    _metrics_section(doc, result)
    paper_section(doc, result, gap=description.get("versus the paper"))
    _figures_section(doc, result, directory)
    if sections is not None:
        sections(doc, directory)
    doc.paragraph(
        "Machine-readable results: [metrics.json](metrics.json) (everything), "
        "[metrics.csv](metrics.csv) (one row per model), [folds.csv](folds.csv) (one row per "
        "model and fold)."
    )
    (directory / "report.html").write_text(doc.to_html())
    (directory / "report.md").write_text(doc.to_markdown())
