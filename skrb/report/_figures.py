"""Figures of a model comparison: confusion matrices, ROC curves and Keras learning curves.

Every function takes a :class:`~skrb.model_selection.ComparisonResult` and returns a matplotlib
:class:`~matplotlib.figure.Figure`; nothing is shown or saved unless the caller does it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import roc_curve

from skrb.model_selection import ComparisonResult

__all__ = ["plot_confusion_matrices", "plot_learning_curves", "plot_roc_curves"]

_LABELS = ("real", "bogus")

#: Model colours: none of them a panel colour (skrb._panels.PANEL_COLORS: blue, orange, green),
#: so that a colour always means one thing across the report.
MODEL_COLORS = ("#000000", "#CC79A7", "#D55E00", "#999999", "#56B4E9", "#F0E442")


def save_figure(fig: Figure, directory: str | Path, name: str, *, dpi: int = 110) -> str:
    """Save ``fig`` as ``directory/figures/<name>.png``; return that path relative to ``directory``.

    The one way report pages store their figures (the folder is created if missing).
    """
    relative = f"figures/{name}.png"
    (Path(directory) / "figures").mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(directory) / relative, dpi=dpi)
    return relative


def _model_color(k: int) -> str:
    return MODEL_COLORS[k % len(MODEL_COLORS)]


def _fold_color(fold: int, n_folds: int) -> str:
    """Shades of grey, darkest first: folds are not panels or models."""
    level = 0.0 if n_folds <= 1 else 0.6 * fold / (n_folds - 1)
    return str(round(level, 3))


def plot_confusion_matrices(result: ComparisonResult) -> Figure:
    """Plot one confusion matrix per model, pooled over folds, real first.

    Each cell shows the count and the fraction of its row (so the top-right cell is the MDR and
    the bottom-left the FPR).

    Parameters
    ----------
    result : ComparisonResult
        The comparison to plot.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure (saved only on request).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report import plot_confusion_matrices
    >>> y = np.repeat([0, 1], 10)
    >>> X = y[:, None] + np.linspace(0, 1.5, 20)[:, None]
    >>> res = compare_models({"lr": LogisticRegression()}, X, y, cv=2, progress=False)
    >>> len(plot_confusion_matrices(res).axes)
    1
    """
    n = len(result.model_names)
    fig = Figure(figsize=(3.4 * n + 0.4, 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, squeeze=False)[0])
    for ax, name in zip(axes, result.model_names, strict=True):
        cm = result.confusion_matrix(name)
        frac = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
        for i in range(2):
            for j in range(2):
                color = "white" if frac[i, j] > 0.6 else "black"
                ax.text(
                    j,
                    i,
                    f"{cm[i, j]}\n{100 * frac[i, j]:.1f} %",
                    ha="center",
                    va="center",
                    color=color,
                )
        ax.set_xticks([0, 1], [f"pred. {lab}" for lab in _LABELS])
        ax.set_yticks([0, 1], [f"true {lab}" for lab in _LABELS])
        ax.set_title(f"{name} (n = {cm.sum()})")
    where = "pooled over folds" if result.n_folds > 1 else "test set"
    fig.suptitle(f"Confusion matrices, P(real) >= {result.threshold:g}, {where}")
    return fig


def plot_roc_curves(result: ComparisonResult) -> Figure:
    """Plot ROC curves (left) and MDR against FPR on a log axis (right) for every model.

    Thick lines are the pooled out-of-fold scores; the ROC panel also draws each fold as a
    thin line (with more than one fold). The dotted verticals mark the FPR levels at which
    the MDR is reported.

    Parameters
    ----------
    result : ComparisonResult
        The comparison to plot.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure (saved only on request).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report import plot_roc_curves
    >>> y = np.repeat([0, 1], 10)
    >>> X = y[:, None] + np.linspace(0, 1.5, 20)[:, None]
    >>> res = compare_models({"lr": LogisticRegression()}, X, y, cv=2, progress=False)
    >>> len(plot_roc_curves(res).axes)
    2
    """
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax_roc, ax_mdr = fig.subplots(1, 2)
    n_min = min(len(test) for _, test in result.splits)
    floor = 0.5 / max(n_min, 1)
    aucs = result.summary()["roc_auc_mean"]
    auc_label = "mean AUC" if result.n_folds > 1 else "AUC"
    for k, name in enumerate(result.model_names):
        color = _model_color(k)
        if result.n_folds > 1:
            for i in range(result.n_folds):
                fpr, tpr, _ = roc_curve(result.test_labels(i), result.scores[name][i])
                ax_roc.plot(fpr, tpr, color=color, lw=0.6, alpha=0.35)
        fpr, tpr, _ = result.roc_curve(name)
        ax_roc.plot(fpr, tpr, color=color, lw=2, label=f"{name} ({auc_label} {aucs[k]:.3f})")
        ax_mdr.step(np.maximum(fpr, floor), 1 - tpr, where="post", color=color, lw=2, label=name)
    ax_roc.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8, label="chance")
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate (1 - MDR)")
    ax_roc.set_title("ROC curves")
    ax_roc.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18), fontsize="small", frameon=False)
    for level in result.fpr_levels:
        ax_mdr.axvline(max(level, floor), color="grey", ls=":", lw=1)
    ax_mdr.set_xscale("log")
    ax_mdr.set_xlim(floor, 1)
    ax_mdr.set_ylim(0, 1)
    ax_mdr.set(xlabel="false positive rate (log)", ylabel="missed detection rate")
    levels = ", ".join(f"{100 * v:g} %" for v in result.fpr_levels)
    where = ", pooled over folds" if result.n_folds > 1 else ""
    ax_mdr.set_title(f"MDR vs FPR{where} (dotted: FPR {levels})")
    ax_mdr.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18), fontsize="small", frameon=False)
    return fig


def _history_keys(result: ComparisonResult) -> list[str]:
    keys: list[str] = []
    for name in result.model_names:
        for history in result.histories[name]:
            for key in history or {}:
                base = key.removeprefix("val_")
                if base not in keys:
                    keys.append(base)
    return sorted(keys, key=lambda k: (k != "loss", k))  # the loss first


def plot_learning_curves(result: ComparisonResult) -> Figure | None:
    """Plot the Keras training histories: one column per model, one row per metric.

    Solid lines are the training values, dashed lines the validation values (when the model was
    trained with a validation split), one line pair per fold.

    Parameters
    ----------
    result : ComparisonResult
        The comparison to plot.

    Returns
    -------
    fig : matplotlib.figure.Figure or None
        None when no model recorded a history (e.g. plain scikit-learn estimators).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.model_selection import compare_models
    >>> from skrb.report import plot_learning_curves
    >>> y = np.repeat([0, 1], 10)
    >>> X = y[:, None] + np.linspace(0, 1.5, 20)[:, None]
    >>> res = compare_models({"lr": LogisticRegression()}, X, y, cv=2, progress=False)
    >>> plot_learning_curves(res) is None
    True
    """
    keys = _history_keys(result)
    if not keys:
        return None
    names = result.model_names
    fig = Figure(figsize=(4.2 * len(names) + 0.5, 2.8 * len(keys) + 0.6), layout="constrained")
    axes = fig.subplots(len(keys), len(names), squeeze=False, sharex="col", sharey="row")
    for col, name in enumerate(names):
        for row, key in enumerate(keys):
            ax: Any = axes[row, col]
            for fold, history in enumerate(result.histories[name]):
                if not history:
                    continue
                color = _fold_color(fold, result.n_folds)
                label = f"fold {fold + 1}" if result.n_folds > 1 else "train"
                if key in history:
                    epochs = np.arange(1, len(history[key]) + 1)
                    ax.plot(epochs, history[key], color=color, label=label)
                if f"val_{key}" in history:
                    epochs = np.arange(1, len(history[f"val_{key}"]) + 1)
                    ax.plot(epochs, history[f"val_{key}"], color=color, ls="--")
            if row == 0:
                ax.set_title(name)
            if row == len(keys) - 1:
                ax.set_xlabel("epoch")
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if col == 0:
                ax.set_ylabel(key)
            if not ax.lines:
                ax.text(0.5, 0.5, "no history", ha="center", va="center", transform=ax.transAxes)
        handles = axes[0, col].get_legend_handles_labels()[0]
        if handles:
            axes[-1, col].legend(
                fontsize="small",
                title="solid: train, dashed: validation",
                title_fontsize="small",
                loc="upper left",
                bbox_to_anchor=(0.0, -0.3),
                frameon=False,
                ncols=min(len(handles), 3),
            )
    fig.suptitle("Learning curves")
    return fig
