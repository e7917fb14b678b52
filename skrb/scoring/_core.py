"""The engine-neutral scoring core: alert rows in, ids + P(real) + status out.

Every way skrb scores alerts (a Python call, ``skrb score``, Dask tasks, Spark UDFs) goes
through :func:`score_alerts`, so that they all give the same numbers for the same alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from skrb.utils import p_real

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = ["OK", "default_columns", "score_alerts"]

OK = "ok"
"""The ``status`` of an alert that was scored."""

# Until the readers say which columns identify an alert of each survey: ZTF's, with its own scores.
_FALLBACK_COLUMNS = ("candid", "objectId", "jd", "fid", "ra", "dec", "magpsf", "rb", "drb")


def default_columns(survey: str = "ztf") -> tuple[str, ...]:
    """Return the metadata columns that identify an alert of ``survey`` among its scores.

    Parameters
    ----------
    survey : str, default="ztf"
        The survey read (``Bunch.survey`` of :func:`skrb.io.read_alerts` where it has one).

    Returns
    -------
    columns : tuple of str
        From :data:`skrb.io.SCORE_COLUMNS` where the readers define it, else ZTF's
        ``candid``, ``objectId``, ``jd``, ``fid``, ``ra``, ``dec``, ``magpsf``, ``rb``, ``drb``.

    Examples
    --------
    >>> from skrb.scoring import default_columns
    >>> "candid" in default_columns("ztf")
    True
    """
    import skrb.io

    mapping = getattr(skrb.io, "SCORE_COLUMNS", None)
    if mapping is not None and survey in mapping:
        return tuple(mapping[survey])
    return _FALLBACK_COLUMNS


def _is_alert_bunch(alerts: Any) -> bool:
    return hasattr(alerts, "data") and hasattr(alerts, "meta") and hasattr(alerts.meta, "colnames")


@validate_params(
    {
        "estimator": "no_validation",  # p_real checks it
        "alerts": "no_validation",  # a reader's Bunch, or records for alerts_from_records
        "columns": "no_validation",  # a sequence of names but not a string: checked below
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def score_alerts(
    estimator: Any,
    alerts: Any,
    *,
    columns: Sequence[str] | None = None,
    batch_size: int = 1024,
) -> Table:
    """Score alerts: one row per alert with its identifiers, P(real) and status.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        Any fitted skrb pipeline (or classifier on stamp sets); P(real) is
        ``predict_proba[:, classes_ == 1]`` (see :func:`skrb.utils.p_real`).
    alerts : Bunch, pandas.DataFrame, pyarrow.Table or sequence of dict
        What :func:`skrb.io.read_alerts` or :func:`skrb.io.iter_alerts` return, or alert rows
        with the cutouts as bytes (a broker's layout, decoded by
        :func:`skrb.io.alerts_from_records`).
    columns : sequence of str, optional
        Metadata columns to copy into the output, in order; those absent are left out.
        Default: :func:`default_columns` of the alerts' survey.
    batch_size : int, default=1024
        Stamp sets per call of the estimator.

    Returns
    -------
    scores : astropy.table.Table
        ``columns``, then ``p_real`` (float64) and ``status``: ``"ok"`` for a scored alert;
        an alert that cannot be scored (a missing or unreadable cutout: its ``meta["status"]``)
        gets ``p_real`` NaN and that status.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.table import Table
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.utils import Bunch
    >>> from skrb.scoring import score_alerts
    >>> X = np.zeros((3, 3, 4, 4), np.float32)
    >>> model = DummyClassifier(strategy="prior").fit(X.reshape(3, -1), [1, 0, 1])
    >>> class Flat:  # any estimator on stamp sets; this one flattens them for the dummy
    ...     classes_ = model.classes_
    ...     def predict_proba(self, X):
    ...         return model.predict_proba(X.reshape(len(X), -1))
    >>> meta = Table({"candid": [1, 2, 3], "status": ["ok", "missing template cutout", "ok"]})
    >>> scores = score_alerts(Flat(), Bunch(data=X, meta=meta))
    >>> scores["p_real"].format = ".3f"
    >>> print(scores)
    candid p_real          status
    ------ ------ -----------------------
         1  0.667                      ok
         2    nan missing template cutout
         3  0.667                      ok
    """
    from astropy.table import Table

    if not _is_alert_bunch(alerts):
        from skrb.io import alerts_from_records

        alerts = alerts_from_records(alerts)
    meta, data = alerts.meta, alerts.data
    n = len(meta)
    if len(data) != n:
        raise ValueError(f"the alerts hold {len(data)} stamp sets for {n} metadata rows.")
    if "status" in meta.colnames:
        status = np.asarray(meta["status"], dtype=str)
    else:
        status = np.full(n, OK)
    ok = np.flatnonzero(status == OK)
    scores = np.full(n, np.nan)
    for start in range(0, len(ok), batch_size):
        rows = ok[start : start + batch_size]
        whole = len(rows) == n  # every alert scorable: no copy of the stamps
        scores[rows] = p_real(estimator, data if whole else data[rows])
        _check_finite_scores(scores[rows], meta, rows)
    if columns is None:
        columns = default_columns(getattr(alerts, "survey", None) or "ztf")
    elif isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of column names; got {columns!r}.")
    kept = [name for name in columns if name in meta.colnames]
    table = Table(meta[kept], copy=True) if kept else Table()
    table["p_real"] = scores
    table["status"] = status
    return table


def _check_finite_scores(scores: np.ndarray, meta: Any, rows: np.ndarray) -> None:
    """Refuse NaN or infinite P(real) for scorable alerts: no score rather than a wrong one.

    skrb's classifiers raise :class:`~skrb.models.NonFiniteError` themselves; this catches
    any other model (a pickled one loaded with ``--allow-pickle``).
    """
    bad = np.flatnonzero(~np.isfinite(scores))
    if not bad.size:
        return
    from skrb.models import NonFiniteError

    first = rows[bad[0]]
    ids = [c for c in ("candid", "diaSourceId") if c in meta.colnames]
    name = f"{ids[0]} {meta[ids[0]][first]}" if ids else f"row {first}"
    raise NonFiniteError(
        f"the model returned NaN or infinite P(real) for {bad.size} alert(s) with good "
        f"cutouts (first: {name}); no scores are written rather than wrong ones.",
        rows[bad],
    )
