"""Figures of the per-panel analysis: stamps beside their saliency, outcome bars, method grids.

Every function returns a :class:`matplotlib.figure.Figure` (built without pyplot, so nothing is
shown or kept open) and saves it when given ``path``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table
from matplotlib.figure import Figure

from skrb._panels import DISPLAY_ORDER, PANEL_COLORS, PANELS
from skrb.explain._panels import _as_panels, panel_shares
from skrb.utils.validation import check_stamp_sets

__all__ = [
    "plot_method_comparison",
    "plot_outcome_shares",
    "plot_saliency",
    "plot_share_distributions",
]

_SHORT = {"search": "srch", "template": "tmpl", "difference": "diff"}
_PAPER_ORDER = DISPLAY_ORDER
#: Colour of masked (NaN) pixels in stamp images, and of the pixels a network never reads.
MASKED_COLOR = "#00E5FF"
UNREAD_COLOR = "#FF00FF"
_LEGEND_OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0}


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        fig.savefig(path, bbox_inches="tight")
    return fig


def _panels_of(A: np.ndarray) -> tuple[str, ...]:
    """Panels with attributions, in the paper's reading order (diff, srch, tmpl)."""
    return tuple(p for p in _PAPER_ORDER if not np.isnan(A[:, PANELS.index(p)]).all())


def _check_indices(indices: Sequence[int] | None, n: int, limit: int) -> list[int]:
    chosen = list(range(min(n, limit))) if indices is None else [int(i) for i in indices]
    if not chosen or any(not -n <= i < n for i in chosen):
        raise ValueError(f"indices must be a non-empty list of sample indices in [0, {n}).")
    return chosen


def _rgba(color: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(color, alpha)


def _with_bad(cmap: str, color: str) -> Any:
    """``cmap`` with NaN pixels drawn in ``color`` (matplotlib leaves them transparent)."""
    import matplotlib

    return matplotlib.colormaps[cmap].with_extremes(bad=color)


def _hide(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def plot_saliency(
    X: Any,
    attributions: Any,
    *,
    layout: str | None = None,
    indices: Sequence[int] | None = None,
    y_true: Any = None,
    y_pred: Any = None,
    max_stamps: int = 6,
    cmap: str = "gray",
    saliency_cmap: str = "inferno",
    ids: Sequence[Any] | None = None,
    unread: Any = None,
    path: str | Path | None = None,
) -> Figure:
    """Stamp panels with their saliency maps beside them, one candidate per row (as the paper).

    Each row shows the panels the model reads (difference, search, template order) and then the
    attribution magnitude ``|a|`` of each, on one colour scale per row so the panels compare;
    titles give each panel's share of the row's total ``|a|``. Masked (NaN) pixels are drawn in
    cyan (``MASKED_COLOR``); pixels the network never reads (``unread``) are tinted magenta.

    Parameters
    ----------
    X : array-like of shape (n_samples, 3, H, W) or flattened
        Stamp sets (as given to the explainer, or scaled: any display scale).
    attributions : array-like
        Attributions shaped like ``X`` (from a Pipeline), or stacked images with ``layout``.
    layout : str, optional
        StampStacker layout of stacked-image attributions.
    indices : sequence of int, optional
        Samples to show (default: the first ``max_stamps``).
    y_true, y_pred : array-like of shape (n_samples,), optional
        Labels shown in the row titles (1 = real).
    max_stamps : int, default=6
        Rows shown when ``indices`` is None.
    cmap, saliency_cmap : str
        Colour maps of the stamps and of the saliency.
    ids : sequence, optional
        A label per sample of ``X`` (e.g. the candidate id) shown at the left of its row;
        default ``#<index>``.
    unread : ndarray of bool of shape (3, H, W), optional
        Pixels (in :data:`skrb.PANELS` order) the network never reads, tinted in every row
        (their gradient is exactly zero).
    path : str or Path, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.explain import plot_saliency
    >>> X = np.random.default_rng(0).normal(size=(2, 3, 5, 5))
    >>> fig = plot_saliency(X, np.abs(X))
    >>> len(fig.axes)
    12
    """
    stamps = check_stamp_sets(X, allow_nan=True)
    A = _as_panels(attributions, layout)
    if A.shape != stamps.shape:
        raise ValueError(
            f"attributions map to stamp sets of shape {A.shape}; X has shape {stamps.shape}."
        )
    rows = _check_indices(indices, stamps.shape[0], max_stamps)
    panels = _panels_of(A)
    shares, names = panel_shares(A[rows], panels=panels, return_panels=True)
    k = len(panels)
    fig = Figure(figsize=(1.6 * 2 * k, 1.7 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), 2 * k, squeeze=False)
    stamp_cmap = _with_bad(cmap, MASKED_COLOR)
    overlay = None
    if unread is not None:
        unread = np.asarray(unread, dtype=bool)
        if unread.shape != stamps.shape[1:]:
            raise ValueError(f"unread has shape {unread.shape}; expected {stamps.shape[1:]}.")
        overlay = np.zeros((*unread.shape, 4))
        overlay[unread] = _rgba(UNREAD_COLOR, 0.55)
    for r, i in enumerate(rows):
        mag = np.abs(A[i, [PANELS.index(p) for p in panels]])
        vmax = float(np.nanmax(mag)) or 1.0
        for j, p in enumerate(panels):
            ax_img, ax_sal = axes[r, j], axes[r, k + j]
            ax_img.imshow(stamps[i, PANELS.index(p)], cmap=stamp_cmap, origin="lower")
            ax_sal.imshow(mag[j], cmap=saliency_cmap, vmin=0, vmax=vmax, origin="lower")
            if overlay is not None:
                for ax in (ax_img, ax_sal):
                    ax.imshow(overlay[PANELS.index(p)], origin="lower", interpolation="nearest")
            ax_img.set_title(_SHORT[p], fontsize=8, color=PANEL_COLORS[p])
            share = shares[r, names.index(p)]
            ax_sal.set_title(f"|a| {_SHORT[p]} {share:.0%}", fontsize=8, color=PANEL_COLORS[p])
            _hide(ax_img)
            _hide(ax_sal)
        label = f"#{i}" if ids is None else str(ids[i])
        if y_true is not None and y_pred is not None:
            name = {1: "real", 0: "bogus"}
            label += f"\n{name.get(int(np.asarray(y_true)[i]), '?')}>"
            label += f"{name.get(int(np.asarray(y_pred)[i]), '?')}"
        axes[r, 0].set_ylabel(label, fontsize=8)
    return _finish(fig, path)


def plot_outcome_shares(
    tables: Table | Mapping[str, Table], *, path: str | Path | None = None
) -> Figure:
    """Bars of the outcome table: share of stamps won by each panel, per outcome.

    Parameters
    ----------
    tables : astropy Table or mapping of name -> Table
        Tables from :func:`~skrb.explain.outcome_table`; a mapping (e.g. ``{"DIA": t_dia,
        "noDIA": t_nodia}``) gives one subplot per model.
    path : str or Path, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> from skrb.explain import outcome_table, plot_outcome_shares
    >>> table = outcome_table(["difference", "search"], [1, 0], [1, 0])
    >>> len(plot_outcome_shares({"DIA": table}).axes)
    1
    """
    named = {"": tables} if isinstance(tables, Table) else dict(tables)
    if not named:
        raise ValueError("No outcome table given.")
    fig = Figure(figsize=(4.5 * len(named), 3.2), layout="constrained")
    axes = fig.subplots(1, len(named), squeeze=False)[0]
    for ax, (name, table) in zip(axes, named.items(), strict=True):
        panels = [p for p in DISPLAY_ORDER if p in table.colnames]
        if not panels or "outcome" not in table.colnames:
            raise ValueError("Expected a table from skrb.explain.outcome_table.")
        x = np.arange(len(table))
        width = 0.8 / len(panels)
        for j, p in enumerate(panels):
            values = np.nan_to_num(np.asarray(table[p], dtype=float)) * 100
            ax.bar(
                x + (j - (len(panels) - 1) / 2) * width,
                values,
                width,
                label=_SHORT[p],
                color=PANEL_COLORS[p],
            )
        ticks = zip(table["outcome"], table["n"], strict=True)
        ax.set_xticks(x, [f"{outcome}\n(n={n})" for outcome, n in ticks])
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylim(0, 100)
        ax.set_ylabel("stamps won by panel (%)")
        ax.set_title(name)
        ax.legend(fontsize=7, **_LEGEND_OUTSIDE)
    return _finish(fig, path)


def plot_share_distributions(
    shares: Mapping[str, tuple[Any, Sequence[str], Any, Any]],
    *,
    path: str | Path | None = None,
) -> Figure:
    """Distributions of each panel's share of ``|gradient|``, per outcome and model.

    Winner-takes-all bars hide how close the panels are; this shows, for every outcome (true >
    predicted), a box per panel (median, quartiles, whiskers at the 5th and 95th percentiles)
    and the mean share as a white dot, in the panel colours of every skrb figure.

    Parameters
    ----------
    shares : mapping of str -> (shares, panels, y_true, y_pred)
        Per model: the ``(n, k)`` panel shares (:func:`~skrb.explain.panel_shares`), the ``k``
        panel names of its columns, and the true and predicted labels (1 = real).
    path : str or Path, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One subplot per model.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.explain import plot_share_distributions
    >>> S = np.random.default_rng(0).dirichlet([2, 1, 1], size=40)
    >>> y = np.arange(40) % 2
    >>> fig = plot_share_distributions({"DIA": (S, ("difference", "search", "template"), y, y)})
    >>> len(fig.axes)
    1
    """
    from skrb.explain._panels import OUTCOMES

    if not shares:
        raise ValueError("No panel shares given.")
    fig = Figure(figsize=(5.2 * len(shares) + 0.8, 3.4), layout="constrained")
    axes = fig.subplots(1, len(shares), squeeze=False)[0]
    label = {"real": 1, "bogus": 0}
    for ax, (name, (S, names, y_true, y_pred)) in zip(axes, shares.items(), strict=True):
        S = np.asarray(S, dtype=float)
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        panels = [p for p in DISPLAY_ORDER if p in names]
        width = 0.8 / len(panels)
        ticks = []
        for o, (t, pr) in enumerate(OUTCOMES):
            mask = (y_true == label[t]) & (y_pred == label[pr])
            ticks.append(f"{t} > {pr}\n(n={int(mask.sum())})")
            for j, p in enumerate(panels):
                values = S[mask, list(names).index(p)] * 100
                values = values[np.isfinite(values)]
                if not values.size:
                    continue
                x = o + (j - (len(panels) - 1) / 2) * width
                box = ax.boxplot(
                    values,
                    positions=[x],
                    widths=width * 0.85,
                    whis=(5, 95),
                    showfliers=False,
                    patch_artist=True,
                    medianprops={"color": "black"},
                )
                box["boxes"][0].set_facecolor(PANEL_COLORS[p])
                ax.plot(x, values.mean(), "o", ms=4, mfc="white", mec="black", mew=0.8)
        for p in panels:
            ax.bar(0, 0, color=PANEL_COLORS[p], label=_SHORT[p])  # legend handles only
        ax.plot([], [], "o", ms=4, mfc="white", mec="black", label="mean")
        ax.set_xticks(range(len(OUTCOMES)), ticks)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlim(-0.5, len(OUTCOMES) - 0.5)
        ax.set_ylim(0, 100)
        ax.set_ylabel("share of |gradient| (%)")
        ax.set_title(name)
        ax.legend(fontsize=7, **_LEGEND_OUTSIDE)
    return _finish(fig, path)


def plot_method_comparison(
    X: Any,
    attributions: Mapping[str, Any],
    *,
    index: int = 0,
    layout: str | None = None,
    cmap: str = "gray",
    saliency_cmap: str = "inferno",
    path: str | Path | None = None,
) -> Figure:
    """Compare attribution methods on one stamp set: one row per method, one column per panel.

    Parameters
    ----------
    X : array-like of shape (n_samples, 3, H, W) or flattened
        Stamp sets.
    attributions : mapping of str -> array-like
        Method name -> attributions of ``X`` (e.g. ``{"gradient": ..., "SHAP": ...}``).
    index : int, default=0
        The stamp set shown.
    layout : str, optional
        StampStacker layout, when the attributions are stacked images.
    cmap, saliency_cmap : str
        Colour maps of the stamp and of the attribution magnitudes.
    path : str or Path, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure; the first row is the stamp set, each further row's titles give the method's
        panel shares for it.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.explain import plot_method_comparison
    >>> X = np.random.default_rng(0).normal(size=(2, 3, 5, 5))
    >>> fig = plot_method_comparison(X, {"a": X, "b": X**2}, index=1)
    >>> len(fig.axes)
    9
    """
    stamps = check_stamp_sets(X, allow_nan=True)
    if not attributions:
        raise ValueError("attributions must map at least one method name to its attributions.")
    maps = {name: _as_panels(a, layout) for name, a in attributions.items()}
    for name, A in maps.items():
        if A.shape != stamps.shape:
            raise ValueError(f"attributions {name!r} have shape {A.shape}; X has {stamps.shape}.")
    (i,) = _check_indices([index], stamps.shape[0], 1)
    panels = _panels_of(next(iter(maps.values())))
    fig = Figure(figsize=(1.8 * len(panels), 1.8 * (len(maps) + 1)), layout="constrained")
    axes = fig.subplots(len(maps) + 1, len(panels), squeeze=False)
    for j, p in enumerate(panels):
        axes[0, j].imshow(stamps[i, PANELS.index(p)], cmap=cmap, origin="lower")
        axes[0, j].set_title(_SHORT[p], fontsize=8)
    axes[0, 0].set_ylabel(f"stamp #{i}", fontsize=8)
    for r, (name, A) in enumerate(maps.items(), start=1):
        shares = panel_shares(A[i : i + 1], panels=panels)[0]
        mag = np.abs(A[i, [PANELS.index(p) for p in panels]])
        vmax = float(np.nanmax(mag)) or 1.0
        for j, p in enumerate(panels):
            axes[r, j].imshow(mag[j], cmap=saliency_cmap, vmin=0, vmax=vmax, origin="lower")
            axes[r, j].set_title(f"{_SHORT[p]} {shares[j]:.0%}", fontsize=8)
        axes[r, 0].set_ylabel(name, fontsize=8)
    for ax in axes.flat:
        _hide(ax)
    return _finish(fig, path)
