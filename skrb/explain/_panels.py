"""Per-panel analysis of attributions: panel shares, winning panels and the paper's outcome table.

Acero-Cuellar et al. (2023) summarise a saliency map by the fraction of its total absolute value
that falls in each panel (the *panel share*); the panel with the largest share *wins*. Their table
gives, for each outcome (true > predicted class), the share of stamps won by each panel.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy.table import Table
from sklearn.utils.validation import column_or_1d

from skrb._panels import PANELS
from skrb.preprocessing import StampStacker
from skrb.utils.validation import check_stamp_sets

__all__ = ["OUTCOMES", "outcome_table", "panel_shares", "winning_panel"]

OUTCOMES: tuple[tuple[str, str], ...] = (
    ("real", "real"),
    ("real", "bogus"),
    ("bogus", "real"),
    ("bogus", "bogus"),
)
"""The paper's outcomes as (true, predicted) class names, in its table's row order."""


def _as_panels(attributions: Any, layout: str | StampStacker | None) -> np.ndarray:
    """Attributions as stamp-set panels ``(n, 3, H, W)``, unused panels NaN."""
    if layout is None:
        return check_stamp_sets(attributions, allow_nan=True, name="attributions")
    stacker = StampStacker(layout) if isinstance(layout, str) else layout
    if not isinstance(stacker, StampStacker):
        raise TypeError(
            f"layout must be a StampStacker layout name or a StampStacker; got {layout!r}."
        )
    A = np.asarray(attributions)
    if A.ndim != 4:
        raise ValueError(
            "With a layout, attributions must be stacked images of shape (n_samples, H, W', C); "
            f"got shape {A.shape}. Leave layout=None for stamp-set shaped attributions."
        )
    if A.shape[0] == 0:
        raise ValueError("attributions are empty: found 0 samples.")
    h, w, c = A.shape[1:]
    expected = stacker.image_shape((h, h))
    if expected != (h, w, c) and expected[2] == c:  # a wrong channel count: the stacker says
        raise ValueError(
            f"attributions of shape {(h, w, c)} are not StampStacker(layout="
            f"{stacker.layout!r}) images of square stamps ({expected} for {h}x{h} stamps): "
            "they were made for another layout, and their panels cannot be told apart."
        )
    return stacker.inverse_transform(A.astype(np.float32, copy=False), fill_value=np.nan)


def _resolve_panels(A: np.ndarray, panels: Sequence[str] | None) -> tuple[str, ...]:
    used = tuple(p for i, p in enumerate(PANELS) if not np.isnan(A[:, i]).all())
    if panels is None:
        panels = used
    panels = tuple(panels)
    unknown = [p for p in panels if p not in PANELS]
    if unknown or not panels or len(set(panels)) != len(panels):
        raise ValueError(f"panels must be distinct names from {PANELS}; got {panels}.")
    missing = [p for p in panels if p not in used]
    if missing:
        warnings.warn(
            f"Panel(s) {missing} carry no attributions in any sample (NaN: the model's layout "
            f"does not read them, or they are masked everywhere); their shares are NaN. "
            f"Panels with attributions: {used}.",
            RuntimeWarning,
            stacklevel=3,
        )
    return panels


def panel_shares(
    saliency: Any,
    *,
    layout: str | StampStacker | None = None,
    panels: Sequence[str] | None = None,
    return_panels: bool = False,
) -> np.ndarray | tuple[np.ndarray, tuple[str, ...]]:
    r"""Fraction of the total absolute attribution that falls in each panel, per sample.

    Parameters
    ----------
    saliency : array-like
        Attributions (gradient saliency, SmoothGrad, Integrated Gradients, SHAP values, ...)
        either shaped like stamp sets, ``(n_samples, 3, H, W)`` or flattened (as the
        explainers return them for a Pipeline; panels a layout does not use are NaN), or
        shaped like stacked CNN images ``(n_samples, H, W', C)`` when ``layout`` is given.
    layout : str or StampStacker, optional
        The :class:`~skrb.preprocessing.StampStacker` layout (``"dia"``, ``"nodia"``,
        ``"channels"``) or stacker of stacked-image attributions.
    panels : sequence of str, optional
        Panels to report, as columns in this order. Default: every panel that carries
        attributions in some sample, in :data:`skrb.PANELS` order (search, template,
        difference), whatever the stacking order. A panel named here that carries none in any
        sample gets a NaN column, with a warning (pass the model's panels to keep a column for
        a panel masked in every sample).
    return_panels : bool, default=False
        Also return the panel names of the columns.

    Returns
    -------
    shares : ndarray of shape (n_samples, n_panels)
        :math:`\sum_{panel} |a| / \sum_{reported\ panels} |a|` over the pixels with an
        attribution: masked pixels (NaN attributions, e.g. where the survey masked the stamp or
        a cutout was missing) are left out, and a panel wholly masked in a sample has share NaN
        in that row. The finite shares of a row sum to 1 (NaN rows, with a warning, where a
        sample's attributions are all zero).
    panels : tuple of str
        Column names, only when ``return_panels=True``.

    See Also
    --------
    winning_panel : The panel with the largest share.
    outcome_table : The paper's table of winning panels by outcome.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.explain import panel_shares
    >>> A = np.zeros((1, 3, 2, 2))
    >>> A[0, 0] = 1.0  # search
    >>> A[0, 2] = -3.0  # difference
    >>> panel_shares(A)
    array([[0.25, 0.  , 0.75]])
    >>> A[0, 0, 0, 0] = np.nan  # a masked pixel: left out
    >>> panel_shares(A)
    array([[0.2, 0. , 0.8]])
    >>> A[:, 2] = np.nan  # a noDIA model's attributions: no difference panel
    >>> panel_shares(A, return_panels=True)
    (array([[1., 0.]]), ('search', 'template'))
    """
    A = _as_panels(saliency, layout)
    names = _resolve_panels(A, panels)
    idx = [PANELS.index(p) for p in names]
    chosen = np.abs(A[:, idx].astype(np.float64))
    masked = np.isnan(chosen).all(axis=(2, 3))  # (n, n_panels): wholly masked panels
    mass = np.where(masked, np.nan, np.nansum(chosen, axis=(2, 3)))
    total = np.nansum(mass, axis=1, keepdims=True)
    zero = (total[:, 0] == 0) & ~masked.all(axis=1)
    if zero.any():
        warnings.warn(
            f"{int(zero.sum())} sample(s) have all-zero attributions (first at index "
            f"{int(np.flatnonzero(zero)[0])}); their panel shares are NaN.",
            RuntimeWarning,
            stacklevel=2,
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = mass / total
    return (shares, names) if return_panels else shares


def _default_panels(n_columns: int, panels: Sequence[str] | None) -> tuple[str, ...]:
    if panels is not None:
        panels = tuple(panels)
        if len(panels) != n_columns:
            raise ValueError(f"Got {len(panels)} panel names for {n_columns} share columns.")
        return panels
    if n_columns != len(PANELS):
        raise ValueError(
            f"shares have {n_columns} columns: pass their panel names as `panels` (e.g. from "
            "panel_shares(..., return_panels=True))."
        )
    return PANELS


def _check_shares(shares: Any) -> np.ndarray:
    S = np.asarray(shares, dtype=np.float64)
    if S.ndim != 2 or S.shape[0] == 0 or S.shape[1] == 0:
        raise ValueError(f"shares must be a non-empty 2-D array (n, n_panels); got {S.shape}.")
    return S


def winning_panel(shares: Any, panels: Sequence[str] | None = None) -> np.ndarray:
    """Name of the panel with the largest share, per sample (the paper's "winning" panel).

    Parameters
    ----------
    shares : array-like of shape (n_samples, n_panels)
        Panel shares from :func:`panel_shares`.
    panels : sequence of str, optional
        Column names; needed unless there are three columns (then :data:`skrb.PANELS`).

    Returns
    -------
    winners : ndarray of shape (n_samples,)
        Panel names (``""`` where a row is all NaN).

    Examples
    --------
    >>> from skrb.explain import winning_panel
    >>> winning_panel([[0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]).tolist()
    ['template', 'difference']
    """
    S = _check_shares(shares)
    names = np.asarray(_default_panels(S.shape[1], panels) + ("",))
    valid = ~np.isnan(S).all(axis=1)
    best = np.full(S.shape[0], len(names) - 1)
    best[valid] = np.nanargmax(S[valid], axis=1)
    return names[best]


def _outcome_names(y_true: Any, y_pred: Any, pos_label: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = column_or_1d(y_true, warn=True)
    y_pred = column_or_1d(y_pred, warn=True)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}.")
    labels = np.unique(np.concatenate([y_true, y_pred]).astype(object).astype(str))
    if labels.size > 2:
        raise ValueError(f"Labels must be binary (real/bogus); got {labels.size}: {labels[:5]}.")
    name = np.array(["bogus", "real"])
    return name[(y_true == pos_label).astype(int)], name[(y_pred == pos_label).astype(int)]


def _percent(value: float) -> str:
    """Format a fraction as a percentage, and NaN (no stamps) as ``n/a``."""
    if value is np.ma.masked or np.isnan(value):
        return "n/a"
    return f"{100 * value:.1f}%"


def outcome_table(
    shares_or_winners: Any,
    y_true: Any,
    y_pred: Any,
    *,
    panels: Sequence[str] | None = None,
    pos_label: Any = 1,
    statistic: str = "wins",
) -> Table:
    """Tabulate the share of stamps won by each panel, by outcome (the paper's table).

    Parameters
    ----------
    shares_or_winners : array-like of shape (n_samples, n_panels) or (n_samples,)
        Panel shares from :func:`panel_shares`, or winning panel names from
        :func:`winning_panel`.
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    panels : sequence of str, optional
        Panel names of the share columns (needed unless there are three), or for winners the
        panels to tabulate (default: :data:`skrb.PANELS`); they are the table's columns, in this
        order (the paper's DIA order is ``("difference", "search", "template")``).
    pos_label : label, default=1
        The "real" class; every other label is "bogus".
    statistic : {"wins", "mean_share"}, default="wins"
        ``"wins"``: fraction of the outcome's stamps won by each panel (the paper's table);
        ``"mean_share"``: the mean panel share over them (needs shares).

    Returns
    -------
    table : astropy.table.Table
        Four rows in the paper's order (real > real, real > bogus, bogus > real,
        bogus > bogus) with columns ``outcome``, ``true``, ``predicted``, ``n`` (stamps) and one
        column per panel holding fractions (NaN where ``n`` is 0). Rows of the panel columns sum
        to 1 where ``n > 0``.

    Examples
    --------
    >>> from skrb.explain import outcome_table
    >>> shares = [[0.1, 0.1, 0.8], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.7, 0.2]]
    >>> t = outcome_table(shares, [1, 1, 0, 0], [1, 1, 1, 0])
    >>> t["outcome", "n", "difference", "search"].pprint()
          outcome     n difference search
    ------------- --- ---------- ------
      real > real   2      50.0%  50.0%
     real > bogus   0        n/a    n/a
     bogus > real   1     100.0%   0.0%
    bogus > bogus   1       0.0%   0.0%
    """
    if statistic not in ("wins", "mean_share"):
        raise ValueError(f"statistic must be 'wins' or 'mean_share'; got {statistic!r}.")
    values = np.asarray(shares_or_winners)
    if values.ndim == 1:
        if statistic != "wins":
            raise ValueError("statistic='mean_share' needs panel shares, not winners.")
        names = tuple(panels) if panels is not None else PANELS
        winners = values.astype(str)
        S = np.stack([winners == p for p in names], axis=1).astype(np.float64)
    else:
        S = _check_shares(values)
        names = _default_panels(S.shape[1], panels)
        if statistic == "wins":
            S = np.stack([winning_panel(S, names) == p for p in names], axis=1).astype(float)
    true, pred = _outcome_names(y_true, y_pred, pos_label)
    if true.size != S.shape[0]:
        raise ValueError(f"Got {S.shape[0]} shares/winners but {true.size} labels.")
    rows = []
    for t, p in OUTCOMES:
        mask = (true == t) & (pred == p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frac = S[mask].mean(axis=0) if mask.any() else np.full(len(names), np.nan)
        rows.append((f"{t} > {p}", t, p, int(mask.sum()), *frac))
    table = Table(rows=rows, names=("outcome", "true", "predicted", "n", *names))
    for name in names:
        table[name].format = _percent
    table.meta["statistic"] = statistic
    table.meta["description"] = (
        "Share of stamps won by each panel (largest share of |attribution|), by outcome"
        if statistic == "wins"
        else "Mean panel share of |attribution|, by outcome"
    )
    return table
