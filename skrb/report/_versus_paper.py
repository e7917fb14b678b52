"""The paper beside the measured results: a table, and a sentence wherever they disagree.

Models are matched to the paper by name (``"DIA"``, ``"noDIA"``, as the command line names
them); other models are listed without a paper row.
"""

from __future__ import annotations

import numpy as np

from skrb.model_selection import ComparisonResult
from skrb.report._document import Document
from skrb.report._paper import PAPER, PAPER_CITATION, PAPER_PROTOCOL

__all__ = ["disagreements", "paper_section"]

#: The paper's metrics and the difference beyond which a measured value "disagrees" (it must
#: also lie outside two fold standard deviations of the measurement).
_TOLERANCE = {"accuracy": 0.01, "mdr": 0.02, "fpr": 0.02, "roc_auc": 0.01}
_LABEL = {"accuracy": "accuracy", "mdr": "MDR", "fpr": "FPR", "roc_auc": "ROC AUC"}


def _fmt(metric: str, value: float | None, *, paper: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    if metric in ("mdr", "fpr"):
        return f"{100 * value:.1f} %"
    return f"{value:.4g}" if paper else f"{value:.3f}"  # the paper quotes 0.9155


def disagreements(result: ComparisonResult) -> list[str]:
    """Sentences naming every measured metric that disagrees with the paper's.

    A metric disagrees when it differs from the paper's by more than a tolerance (0.01 in
    accuracy and ROC AUC, 2 points of MDR or FPR) and by more than two fold standard
    deviations. The ordering of the DIA and noDIA models is checked too.

    Parameters
    ----------
    result : ComparisonResult
        The comparison; models named ``"DIA"`` and ``"noDIA"`` are set beside the paper.

    Returns
    -------
    sentences : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report._versus_paper import disagreements
    >>> y = np.repeat([0, 1], 10)
    >>> res = compare_models({"DIA": DummyClassifier()}, np.zeros((20, 1)), y, cv=2,
    ...                      progress=False)
    >>> disagreements(res)[0]
    'DIA: accuracy 0.500 here, 0.959 in the paper (-0.459).'
    """
    summary = {row["model"]: row for row in result.summary()}
    sentences = []
    for name in result.model_names:
        if name not in PAPER:
            continue
        paper, row = PAPER[name], summary[name]
        for metric, tolerance in _TOLERANCE.items():
            expected = paper.metric(metric)
            if expected is None or f"{metric}_mean" not in row.colnames:
                continue
            mean, std = float(row[f"{metric}_mean"]), float(row[f"{metric}_std"])
            spread = 2 * std if np.isfinite(std) else 0.0
            if abs(mean - expected) > max(tolerance, spread):
                difference = mean - expected
                shown = (
                    f"{100 * difference:+.1f} points"
                    if metric in ("mdr", "fpr")
                    else f"{difference:+.3f}"
                )
                sentences.append(
                    f"{name}: {_LABEL[metric]} {_fmt(metric, mean)} here, "
                    f"{_fmt(metric, expected, paper=True)} in the paper ({shown})."
                )
    if "DIA" in summary and "noDIA" in summary:
        dia, nodia = summary["DIA"]["accuracy_mean"], summary["noDIA"]["accuracy_mean"]
        if dia <= nodia:
            sentences.append(
                f"The paper's ordering does not hold here: noDIA ({nodia:.3f}) is at least as "
                f"accurate as DIA ({dia:.3f}); in the paper DIA led by "
                f"{PAPER['DIA'].accuracy - PAPER['noDIA'].accuracy:.3f}."
            )
    return sentences


def paper_section(doc: Document, result: ComparisonResult, *, gap: str | None = None) -> None:
    """Append "The paper beside these results": the table and the disagreements.

    Parameters
    ----------
    doc : Document
        The report page.
    result : ComparisonResult
        The comparison.
    gap : str, optional
        How this run's protocol differs from the paper's (one sentence), e.g. written by the
        command line from its protocol and data.
    """
    compared = [n for n in result.model_names if n in PAPER]
    if not compared:
        return
    doc.heading("The paper beside these results")
    summary = {row["model"]: row for row in result.summary()}
    metrics = list(_TOLERANCE)
    rows = []
    for name in compared:
        paper, row = PAPER[name], summary[name]
        rows.append([name, "paper", *(_fmt(m, paper.metric(m), paper=True) for m in metrics)])
        measured = [
            _fmt(m, float(row[f"{m}_mean"])) if f"{m}_mean" in row.colnames else "n/a"
            for m in metrics
        ]
        rows.append([name, "this run", *measured])
    doc.paragraph(
        f"The paper: {PAPER_CITATION}, 20,000 test stamps, P(real) >= 0.5 (its confusion "
        f"matrices; it gives no ROC AUC for the DIA model). Its protocol: {PAPER_PROTOCOL}."
        + (f" This run: {gap}" if gap else "")
    )
    doc.table(["model", "source", *(_LABEL[m] for m in metrics)], rows)
    found = disagreements(result)
    better = [
        name
        for name in compared
        if float(summary[name]["accuracy_mean"]) > PAPER[name].accuracy + _TOLERANCE["accuracy"]
    ]
    if found:
        easier = (
            f" {' and '.join(better)} beat{'s' if len(better) == 1 else ''} the paper's "
            "accuracy: on simulated stamps that says the simulator's task is easier than DES "
            "autoScan's, not that the models are better."
            if better and gap and "simulated" in gap
            else ""
        )
        doc.paragraph(
            "Where this run and the paper disagree: "
            + " ".join(found)
            + easier
            + " A smaller training set, fewer epochs or other data (simulated stamps are not DES "
            "autoScan stamps) change these numbers; only a run of the paper's protocol on "
            "autoScan stamps (skrb compare --autoscan DIR --protocol paper) tests the paper."
        )
    else:
        ordering = (
            ", and DIA leads noDIA as in the paper"
            if "DIA" in compared and "noDIA" in compared
            else ""  # with one of the two, the ordering is not checked
        )
        doc.paragraph(
            "Every metric above agrees with the paper's within 0.01 (accuracy, AUC) or 2 points "
            f"(MDR, FPR), or within two fold standard deviations{ordering}."
        )
