"""The saliency part of a comparison report: example stamps and the per-outcome panel shares.

For every model, the estimator fitted on the first fold explains that fold's test stamps with
vanilla gradient saliency (:func:`skrb.explain.gradient_saliency`, the paper's method); the
panel with the largest share of ``|gradient|`` "wins" each stamp, and the share of stamps won by
each panel is tabulated by outcome (true > predicted), as in Acero-Cuellar et al. (2023).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table

from skrb._panels import DISPLAY_ORDER, PANELS
from skrb.model_selection import ComparisonResult
from skrb.report._document import Document
from skrb.report._figures import save_figure
from skrb.report._paper import PAPER
from skrb.report._tables import write_csv

__all__ = ["SaliencySection", "example_indices", "unread_pixels"]

#: Column order of the paper's table: the panels in the order the DIA model stacks them.
_PAPER_ORDER = DISPLAY_ORDER

#: Why skrb's simulated stamps make the noDIA model read the search panel (see the simulator).
_SIMULATOR_NOTE = (
    "On skrb's simulated stamps this is expected rather than a contradiction: a real "
    "candidate is a point source present in the search exposure only, and the detector "
    "artifacts (cosmic rays, hot pixels, bad columns) are added to the search exposure only, "
    "while the template is a clean deep coadd; so the evidence sits in the search panel. In "
    "DES autoScan the bogus class is dominated by subtraction residuals of sources that are in "
    "the template, which is one reading of why the paper's noDIA model looked at the template "
    "(the authors also note that the noDIA architecture was not optimised for its input). Only "
    "autoScan stamps (--autoscan) test the paper's claim."
)


def unread_pixels(estimator: Any, stamp_shape: tuple[int, int]) -> np.ndarray | None:
    """Pixels of each panel that a fitted skrb network never reads, or None.

    The paper's networks use valid convolutions and poolings that floor, so the last rows (and
    the last columns of the rightmost panel) of their stacked images never reach the output:
    their gradient is exactly zero.

    Parameters
    ----------
    estimator : estimator
        A fitted skrb classifier or a pipeline ending in one.
    stamp_shape : tuple of int
        ``(H, W)`` of the stamps.

    Returns
    -------
    unread : ndarray of bool of shape (3, H, W) or None
        True where the network never reads the pixel, panels in :data:`skrb.PANELS` order;
        None for other estimators or networks that read every pixel.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.report import unread_pixels
    >>> unread_pixels(LogisticRegression(), (51, 51)) is None
    True
    """
    from skrb.models import read_region
    from skrb.preprocessing import StampStacker

    clf = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    model, layout = getattr(clf, "model_", None), getattr(clf, "layout", None)
    if model is None or not layout:
        return None
    region = read_region(model)
    if region is None:
        return None
    stacker = StampStacker(layout=layout)
    h, w, _ = stacker.image_shape(stamp_shape)
    read = np.zeros((h, w), dtype=bool)
    read[: region[0], : region[1]] = True
    unread = np.zeros((3, *stamp_shape), dtype=bool)
    for panel, (rows, cols, _) in stacker.panel_slices(stamp_shape).items():
        unread[PANELS.index(panel)] = ~read[rows, cols]
    return unread if unread.any() else None


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
    ids : array-like of shape (n_samples,), optional
        A label per stamp set of ``X`` (e.g. alert ``candid``) for the example figures;
        default: the stamp set's index in ``X``.

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
        ids: Any = None,
    ) -> None:
        self.result = result
        self.X = X
        self.n_examples = n_examples
        self.max_samples = max_samples
        self.ids = ids

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
        ids = np.arange(len(np.asarray(self.X))) if self.ids is None else np.asarray(self.ids)
        return {
            "X": X,
            "ids": [f"#{v}" if self.ids is None else str(v) for v in ids[test]],
            "unread": unread_pixels(estimator, np.asarray(X).shape[-2:]),
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
        from skrb.explain import plot_outcome_shares, plot_saliency, plot_share_distributions

        doc.heading("Saliency: which panels do the models read?")
        if not self.result.estimators:
            doc.paragraph(
                "No fitted estimators were kept (run compare_models with "
                "return_estimators=True): saliency is not available."
            )
            return
        n_test = min(len(self.result.splits[0][1]), self.max_samples)
        fold = "first fold" if self.result.n_folds > 1 else "training split"
        doc.paragraph(
            f"Vanilla gradient saliency |a| = |d P(predicted class) / d pixel| of the models "
            f"fitted on the {fold}, on {n_test} of its test stamps. A panel wins a stamp when "
            "it holds the largest share of the stamp's total |a|. The paper found the DIA model "
            "reads mostly the difference panel and the noDIA model mostly the template. Panels "
            "are shown in the order difference, search, template, in the same colours (blue, "
            "orange, green) in every figure."
        )
        tables: dict[str, Table] = {}
        distributions: dict[str, Any] = {}
        for name in self.result.model_names:
            exp = self.explain(name)
            tables[name] = exp["table"]
            distributions[name] = (exp["shares"], exp["panels"], exp["y_true"], exp["y_pred"])
            write_csv(exp["table"], Path(directory) / f"panel_outcomes_{_slug(name)}.csv")
            indices = example_indices(exp["y_true"], exp["y_pred"], self.n_examples)
            fig = plot_saliency(
                exp["X"],
                exp["saliency"],
                indices=indices,
                y_true=exp["y_true"],
                y_pred=exp["y_pred"],
                ids=exp["ids"],
                unread=exp["unread"],
            )
            path = save_figure(fig, directory, f"saliency_{_slug(name)}", dpi=90)
            unread = exp["unread"]
            doc.figure(
                path,
                f"{name}: example test stamps, up to {self.n_examples} per outcome, one per row, "
                "labelled at the left by "
                + ("stamp-set index in the data" if self.ids is None else "candidate id")
                + " and true>predicted class. The left panels are the stamps as the model "
                "received them (before its own scaling; grey scale per panel), the right panels "
                "their saliency |a| on one colour scale per row; each |a| title gives the "
                "panel's share of the row's total |a|. Masked (NaN) pixels are cyan"
                + (
                    f"; pixels tinted magenta ({_unread_text(unread)}) are never read by the "
                    "network (its valid convolutions and poolings drop them), so their |a| is "
                    "exactly 0."
                    if unread is not None
                    else "."
                ),
            )
        self._table(doc, tables)
        self._versus_paper(doc, tables)
        fig = plot_share_distributions(distributions)
        path = save_figure(fig, directory, "panel_share_distributions")
        doc.figure(
            path,
            "How much of the |gradient| each panel holds, per outcome (true > predicted) and "
            "model: boxes span the quartiles with the median line, whiskers the 5th to 95th "
            "percentiles, white dots the mean share (the table's last column). Close boxes mean "
            "the model reads the panels nearly equally even where one wins most stamps.",
        )
        fig = plot_outcome_shares(tables)
        path = save_figure(fig, directory, "panel_shares")
        doc.figure(
            path,
            "Share of stamps won by each panel (the panel holding the largest share of a "
            "stamp's |gradient|), per outcome (true > predicted) and model: the table's "
            "'stamps won' column (also in "
            + ", ".join(
                f"[panel_outcomes_{_slug(n)}.csv](panel_outcomes_{_slug(n)}.csv)" for n in tables
            )
            + "). An outcome without stamps has no bars.",
        )

    @staticmethod
    def _versus_paper(doc: Document, tables: dict[str, Table]) -> None:
        rows, sentences = [], []
        for name, table in tables.items():
            if name not in PAPER:
                continue
            paper = PAPER[name]
            for row in table:
                outcome = str(row["outcome"])
                panels = [p for p in paper.panels if p in table.colnames]
                won = [float(row[p]) for p in panels]
                if row["n"] == 0 or not np.all(np.isfinite(won)):
                    measured = "n/a (no stamps)"
                    winner = None
                else:
                    winner = panels[int(np.argmax(won))]
                    measured = f"{winner} ({100 * max(won):.0f} %)"
                expected = paper.winner(outcome)
                share = max(paper.winners[outcome])
                rows.append([name, outcome, f"{expected} ({share:.0f} %)", measured])
                if winner is not None and winner != expected:
                    sentences.append(f"{name} {outcome}: {winner} here, {expected} in the paper")
        if not rows:
            return
        doc.paragraph("The panel that wins most stamps, per outcome: the paper beside this run.")
        doc.table(["model", "outcome", "paper's winner", "this run's winner"], rows)
        if sentences:
            text = "Where they disagree: " + "; ".join(sentences) + "."
            if any(s.startswith("noDIA") and "search here" in s for s in sentences):
                text += " " + _SIMULATOR_NOTE
            doc.paragraph(text)

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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _unread_text(unread: np.ndarray) -> str:
    """Describe the unread strip, e.g. "the last 7 rows of every panel and 5 columns of ..."."""
    rows = int(unread.all(axis=2).any(axis=0).sum())  # rows unread in every column of a panel
    parts = [f"the top {_count(rows, 'row')} of every panel as drawn"] if rows else []
    for p, mask in zip(PANELS, unread, strict=True):
        cols = int(mask.all(axis=0).sum())
        if cols:
            parts.append(f"the last {_count(cols, 'column')} of the {p}")
    return " and ".join(parts) or "a few pixels"


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).lower()
