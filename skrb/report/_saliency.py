"""The saliency part of a comparison report: example stamps and the per-outcome panel shares.

For every model, the estimator fitted on the first fold explains that fold's test stamps with
vanilla gradient saliency (:func:`skrb.explain.gradient_saliency`, the paper's method); the
panel with the largest share of |gradient| "wins" each stamp, and the share of stamps won by
each panel is tabulated by outcome (true > predicted), as in Acero-Cuellar et al. (2023).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table

from skrb.model_selection import ComparisonResult
from skrb.report._document import Document
from skrb.report._tables import write_csv

__all__ = ["SaliencySection", "example_indices"]

#: Column order of the paper's table: the panels in the order the DIA model stacks them.
_PAPER_ORDER = ("difference", "search", "template")


class SaliencySection:
    """Append saliency figures and the per-outcome panel-share table to a report.

    Use it as ``write_report(result, dir, sections=SaliencySection(result, X))``; it needs
    ``compare_models(..., return_estimators=True)`` and estimators that
    :func:`skrb.explain.gradient_saliency` can differentiate (skrb pipelines and classifiers).

    Parameters
    ----------
    result : ComparisonResult
        The comparison, with its fitted estimators.
    X : ndarray of shape (n_samples, 3, H, W)
        The stamp sets the comparison ran on.
    n_examples : int, default=2
        Example stamps shown per outcome (real > real, real > bogus, ...) and model.
    max_samples : int, default=1000
        At most this many test stamps of the first fold are explained per model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report import Document, SaliencySection
    >>> y = np.repeat([0, 1], 10)
    >>> X = y[:, None] + np.linspace(0, 1.5, 20)[:, None]
    >>> res = compare_models({"lr": LogisticRegression()}, X, y, cv=2, progress=False)
    >>> doc = Document("demo")
    >>> SaliencySection(res, X)(doc, ".")  # no fitted estimators kept: says so
    >>> "return_estimators" in doc.to_markdown()
    True
    """

    def __init__(
        self,
        result: ComparisonResult,
        X: Any,
        *,
        n_examples: int = 2,
        max_samples: int = 1000,
    ) -> None:
        self.result = result
        self.X = X
        self.n_examples = n_examples
        self.max_samples = max_samples

    def explain(self, name: str) -> dict[str, Any]:
        """Saliency, panel shares and outcome table of one model on the first fold's test stamps.

        Parameters
        ----------
        name : str
            Model name.

        Returns
        -------
        explanation : dict
            ``X`` (the explained stamps), ``saliency``, ``shares``, ``panels``, ``y_true``,
            ``y_pred`` and ``table`` (:func:`skrb.explain.outcome_table`: the fraction of stamps
            won by each panel, plus ``<panel>_mean_share`` columns with the mean shares).
        """
        from skrb.explain import gradient_saliency, outcome_table, panel_shares

        estimator = self.result.estimators[name][0]
        test = self.result.splits[0][1][: self.max_samples]
        X = np.asarray(self.X)[test]
        y_true = self.result.y[test]
        y_pred = self.result.predictions(name, 0)[: len(test)]
        saliency = gradient_saliency(estimator, X)
        shares, panels = panel_shares(saliency, return_panels=True)
        order = tuple(p for p in _PAPER_ORDER if p in panels)
        shares = shares[:, [panels.index(p) for p in order]]
        table = outcome_table(shares, y_true, y_pred, panels=order)
        means = outcome_table(shares, y_true, y_pred, panels=order, statistic="mean_share")
        for p in order:
            table[f"{p}_mean_share"] = means[p]
        return {
            "X": X,
            "saliency": saliency,
            "shares": shares,
            "panels": order,
            "y_true": y_true,
            "y_pred": y_pred,
            "table": table,
        }

    def __call__(self, doc: Document, directory: str | Path) -> None:
        """Compute the explanations and append their blocks to ``doc``.

        Parameters
        ----------
        doc : Document
            The report page.
        directory : str or Path
            The report directory (figures go to its ``figures/`` folder).
        """
        from skrb.explain import plot_outcome_shares, plot_saliency

        doc.heading("Saliency: which panels do the models read?")
        if not self.result.estimators:
            doc.paragraph(
                "No fitted estimators were kept (run compare_models with "
                "return_estimators=True): saliency is not available."
            )
            return
        figures = Path(directory) / "figures"
        figures.mkdir(parents=True, exist_ok=True)
        n_test = min(len(self.result.splits[0][1]), self.max_samples)
        doc.paragraph(
            f"Vanilla gradient saliency |d P(predicted class) / d pixel| of the models fitted on "
            f"the first fold, on {n_test} of its test stamps. A panel wins a stamp when it holds "
            "the largest share of the total |gradient|. The paper found the DIA model reads "
            "mostly the difference panel and the noDIA model mostly the template."
        )
        tables: dict[str, Table] = {}
        for name in self.result.model_names:
            exp = self.explain(name)
            tables[name] = exp["table"]
            write_csv(exp["table"], Path(directory) / f"panel_outcomes_{_slug(name)}.csv")
            indices = example_indices(exp["y_true"], exp["y_pred"], self.n_examples)
            fig = plot_saliency(
                exp["X"],
                exp["saliency"],
                indices=indices,
                y_true=exp["y_true"],
                y_pred=exp["y_pred"],
            )
            path = f"figures/saliency_{_slug(name)}.png"
            fig.savefig(Path(directory) / path, dpi=90)
            doc.figure(
                path,
                f"{name}: example test stamps (rows; up to {self.n_examples} per outcome, "
                "labelled true>predicted) with each panel beside its |gradient| map; the "
                "saliency titles give the panel's share of the total |gradient|.",
            )
        self._table(doc, tables)
        fig = plot_outcome_shares(tables)
        path = "figures/panel_shares.png"
        fig.savefig(Path(directory) / path, dpi=110)
        doc.figure(
            path,
            "Share of stamps won by each panel, per outcome (true > predicted) and model: the "
            "bars of the table above (also in panel_outcomes_<model>.csv).",
        )

    @staticmethod
    def _table(doc: Document, tables: dict[str, Table]) -> None:
        def percentages(row: Any, columns: list[str]) -> str:
            return " / ".join(
                "n/a" if np.isnan(row[c]) else f"{100 * row[c]:.0f} %" for c in columns
            )

        rows = []
        for name, table in tables.items():
            panels = [c for c in table.colnames if c in _PAPER_ORDER]
            for row in table:
                rows.append(
                    [
                        name,
                        row["outcome"],
                        str(row["n"]),
                        "/".join(panels),
                        percentages(row, panels),
                        percentages(row, [f"{p}_mean_share" for p in panels]),
                    ]
                )
        doc.paragraph(
            "Share of stamps won by each panel, by outcome, and the mean share of |gradient| per "
            "panel (the paper's table, Acero-Cuellar et al. 2023: DIA real > real 90 / 9 / 1 % "
            "won by difference / search / template; noDIA 32 / 68 % by search / template)."
        )
        doc.table(
            [
                "model",
                "outcome (true > predicted)",
                "stamps",
                "panels",
                "stamps won by panel",
                "mean share of |gradient|",
            ],
            rows,
        )


def example_indices(y_true: Any, y_pred: Any, per_outcome: int) -> list[int]:
    """Pick the first ``per_outcome`` samples of each outcome, in the paper's outcome order.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels, 1 = real, 0 = bogus.
    per_outcome : int
        Samples taken from each of real > real, real > bogus, bogus > real, bogus > bogus
        (fewer where an outcome has fewer).

    Returns
    -------
    indices : list of int
        Indices into the samples, in the order described.

    Examples
    --------
    >>> from skrb.report import example_indices
    >>> example_indices([1, 1, 0, 0, 1], [1, 0, 0, 1, 1], per_outcome=1)
    [0, 1, 3, 2]
    """
    from skrb.explain import OUTCOMES  # the paper's order; loaded on use (TensorFlow)

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    label = {"real": 1, "bogus": 0}
    indices: list[int] = []
    for truth, pred in OUTCOMES:
        hits = np.flatnonzero((y_true == label[truth]) & (y_pred == label[pred]))
        indices += hits[:per_outcome].tolist()
    return indices


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).lower()
