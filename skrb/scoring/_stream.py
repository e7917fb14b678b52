"""Score alert files as a stream: read, score and write batch by batch in bounded memory."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from skrb.scoring._core import OK, score_alerts
from skrb.scoring._prefetch import prefetch
from skrb.scoring._writer import TableWriter

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = ["ScoringSummary", "score_files"]

_ERROR_COLUMNS = ("file", "record", "error")


@dataclass
class ScoringSummary:
    """What :func:`score_files` did.

    Attributes
    ----------
    n_alerts : int
        Alerts read (one output row each).
    n_scored : int
        Alerts with a score (status ``"ok"``); the others have P(real) NaN.
    n_real : int
        Alerts with P(real) at or above the threshold (0 without one).
    errors : astropy.table.Table
        Files or alerts skipped or flagged while reading (``file``, ``record``, ``error``).
    seconds : float
        Wall time.
    output : str or None
        Where the table was written.
    table : astropy.table.Table or None
        The scores, when no output file was given.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from skrb.scoring import ScoringSummary
    >>> ScoringSummary(n_alerts=3, n_scored=3, n_real=1, errors=Table(), seconds=0.5).alerts_per_s
    6.0
    """

    n_alerts: int
    n_scored: int
    n_real: int
    errors: Table
    seconds: float
    output: str | None = None
    table: Table | None = field(default=None, repr=False)

    @property
    def alerts_per_s(self) -> float:
        """Alerts read, scored and written per second of wall time."""
        return self.n_alerts / self.seconds if self.seconds > 0 else float("nan")


SCORE_FILES_CONSTRAINTS = {
    "paths": "no_validation",  # iter_alerts checks it
    "estimator": "no_validation",  # score_alerts checks it
    "output": [str, os.PathLike, None],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "columns": "no_validation",  # score_alerts checks it
    "threshold": [Interval(Real, 0, 1, closed="both"), None],
    "progress": ["boolean", None],
}
"""Constraints (``validate_params``) of :func:`score_files`, shared by the cluster engines."""


# Not prefer_skip_nested_validation: **read_options are validated by iter_alerts.
@validate_params(SCORE_FILES_CONSTRAINTS, prefer_skip_nested_validation=False)
def score_files(
    paths: Any,
    estimator: Any,
    output: str | os.PathLike[str] | None = None,
    *,
    batch_size: int = 1024,
    columns: Sequence[str] | None = None,
    threshold: float | None = None,
    progress: bool | None = None,
    **read_options: Any,
) -> ScoringSummary:
    """Score alert files in a stream: read, score and write one batch at a time.

    The next batch is read (in a background thread, or by ``n_jobs`` worker processes) while
    this one is scored, so reading and the model use different cores. Memory holds about two
    batches of ``batch_size`` alerts whatever the number of files; rows are appended to
    ``output`` as they are made, in the order of the alerts, and the file appears under its
    name only at the end (see :class:`TableWriter`).

    Parameters
    ----------
    paths : path-like, glob pattern, bytes or list of them
        Alert files, as for :func:`skrb.io.iter_alerts`.
    estimator : fitted classifier or Pipeline
        Gives P(real) (see :func:`score_alerts`).
    output : str or path-like, optional
        ``.csv``, ``.ecsv`` or ``.parquet`` file, or ``"-"`` (CSV on standard output). Without
        it the scores are gathered into ``summary.table`` (memory then grows with the alerts).
    batch_size : int, default=1024
        Alerts per batch.
    columns : sequence of str, optional
        Metadata columns before the scores (see :func:`score_alerts`).
    threshold : float, optional
        Adds a boolean ``real`` column, P(real) >= threshold (False where there is no score).
    progress : bool or None, default=None
        A tqdm bar counting alerts (with alerts/s); ``None`` shows it only on a terminal.
    **read_options
        Further options of :func:`skrb.io.iter_alerts` (``on_error``, ``n_jobs``, ...): with
        ``n_jobs=2`` two processes decode the alert files while this one scores.

    Returns
    -------
    summary : ScoringSummary
        What was scored and written.

    Examples
    --------
    Score two alert packets (written on the spot with flat cutouts) with a model that calls
    everything real, into a Parquet file:

    >>> import gzip, io, tempfile, pathlib
    >>> import numpy as np, fastavro, pyarrow.parquet as pq
    >>> from astropy.io import fits
    >>> from skrb.scoring import score_files
    >>> buffer = io.BytesIO()
    >>> fits.PrimaryHDU(np.ones((63, 63), ">f4")).writeto(buffer)
    >>> cutouts = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
    >>> schema = {"name": "alert", "type": "record", "fields": [
    ...     {"name": "candid", "type": "long"}, {"name": "objectId", "type": "string"},
    ...     {"name": "candidate", "type": {"name": "c", "type": "record", "fields": []}},
    ...     *({"name": name, "type": "bytes"} for name in cutouts)]}
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with open(folder / "alerts.avro", "wb") as handle:
    ...     fastavro.writer(handle, schema, [
    ...         {"candid": candid, "objectId": "ZTF18abc", "candidate": {},
    ...          **dict.fromkeys(cutouts, gzip.compress(buffer.getvalue()))}
    ...         for candid in (1, 2)])
    >>> class AllReal:
    ...     classes_ = np.array([0, 1])
    ...     def predict_proba(self, X):
    ...         return np.tile([0.0, 1.0], (len(X), 1))
    >>> summary = score_files(
    ...     folder, AllReal(), folder / "scores.parquet", columns=("candid", "objectId"))
    >>> summary.n_alerts, summary.n_scored
    (2, 2)
    >>> pq.read_table(folder / "scores.parquet").to_pylist()[0]
    {'candid': 1, 'objectId': 'ZTF18abc', 'p_real': 1.0, 'status': 'ok'}
    """
    from tqdm.auto import tqdm

    from skrb.io import iter_alerts

    start = time.perf_counter()
    stream = iter_alerts(paths, batch_size=batch_size, progress=False, **read_options)
    tables: list[Table] = []
    errors: list[Table] = []
    n_alerts = n_scored = n_real = 0
    disable = None if progress is None else not progress
    writer = TableWriter(output) if output is not None else None
    with (
        writer if writer is not None else contextlib.nullcontext(),
        tqdm(desc="Scoring", unit=" alerts", disable=disable) as bar,
        contextlib.closing(prefetch(stream)) as batches,  # closed at once if scoring fails
    ):
        for batch in batches:
            table = score_alerts(estimator, batch, columns=columns, batch_size=batch_size)
            if threshold is not None:
                table["real"] = np.nan_to_num(table["p_real"], nan=-1.0) >= threshold
                n_real += int(np.sum(table["real"]))
            n_alerts += len(table)
            n_scored += int(np.sum(table["status"] == OK))
            if len(batch.errors):
                errors.append(batch.errors)
            if writer is not None:
                writer.write(table)
            else:
                tables.append(table)
            bar.update(len(table))
    from astropy.table import Table, vstack

    return ScoringSummary(
        n_alerts=n_alerts,
        n_scored=n_scored,
        n_real=n_real,
        errors=vstack(errors) if errors else Table(names=_ERROR_COLUMNS, dtype=(str, int, str)),
        seconds=time.perf_counter() - start,
        output=None if output is None else os.fspath(output),
        table=None if writer is not None else vstack(tables),
    )
