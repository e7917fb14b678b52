"""Score alerts on Apache Spark: a Fink-style pandas UDF, and alert files read through Spark."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skrb.distributed._engines import require
from skrb.distributed._model import ModelSource
from skrb.distributed._threads import tf_thread_env
from skrb.io import PADS
from skrb.scoring import SCORE_FILES_CONSTRAINTS

__all__ = ["make_spark_udf", "score_files_spark"]

_POSITIVE = Interval(Integral, 1, None, closed="left")
_WHAT = "skrb's Spark engine"
_CUTOUTS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
_ERROR_COLUMNS = ("file", "record", "error")


def _score_cutouts(
    source: ModelSource, columns: Sequence[Any], pad: str
) -> tuple[np.ndarray, np.ndarray]:
    """P(real) and status for rows of cutout bytes (one array per panel), in row order."""
    from skrb.io import alerts_from_records
    from skrb.scoring import score_alerts

    rows = zip(*columns, strict=True)
    records = [{"candidate": {}, **dict(zip(_CUTOUTS, row, strict=True))} for row in rows]
    n = len(records)
    p_real = np.full(n, np.nan)
    status = np.full(n, "unreadable alert", dtype=object)
    if not n:
        return p_real, status
    alerts = alerts_from_records(records, pad=pad, on_error="skip")
    table = score_alerts(source.load(), alerts, columns=("record",))
    rows = np.asarray(table["record"], dtype=int)
    p_real[rows] = np.asarray(table["p_real"], dtype=float)
    status[rows] = np.asarray(table["status"], dtype=str)
    return p_real, status


@validate_params(
    {
        "model": "no_validation",  # ModelSource.from_estimator checks it
        "with_status": ["boolean"],
        "pad": [StrOptions(set(PADS))],
    },
    prefer_skip_nested_validation=True,
)
def make_spark_udf(model: Any, *, with_status: bool = False, pad: str = "center") -> Any:
    """Make a pandas UDF scoring the three cutout columns of a Spark DataFrame of alerts.

    Fink's layout: one row per alert, each cutout a binary column holding its FITS file
    (gzipped for ZTF), e.g. ``col("cutoutScience.stampData")`` for ZTF packets read by Spark.
    The model is broadcast once and built once per executor Python worker (Spark reuses its
    Python workers), then every Arrow batch of rows goes through the scoring core
    (:func:`skrb.scoring.score_alerts`).

    Parameters
    ----------
    model : fitted estimator or ModelSource
        As for :func:`score_files_dask`.
    with_status : bool, default=False
        Return a struct ``<p_real: double, status: string>`` instead of ``p_real`` alone
        (``status`` is ``"ok"`` or why the alert has no score).
    pad : {"center", "ztf"}, default="center"
        Where a cutout smaller than the stamp goes; with no candidate position among the
        columns, ``"ztf"`` also centres it.

    Returns
    -------
    udf : pyspark UserDefinedFunction
        Called as ``udf(science, template, difference)`` on binary columns; P(real) is NaN
        where the alert cannot be scored.

    Raises
    ------
    ImportError
        If pyspark or pandas is not installed (``pip install 'skrb[spark]'``).

    Examples
    --------
    >>> from pyspark.sql.functions import col  # doctest: +SKIP
    >>> from skrb.distributed import make_spark_udf
    >>> p_real = make_spark_udf(model)  # doctest: +SKIP
    >>> df = df.withColumn("p_real", p_real(*(col(f"{c}.stampData") for c in (  # doctest: +SKIP
    ...     "cutoutScience", "cutoutTemplate", "cutoutDifference"))))
    """
    pd = require("pandas", _WHAT)
    require("pyspark", _WHAT)
    from pyspark.sql import SparkSession
    from pyspark.sql.functions import pandas_udf

    source = ModelSource.from_estimator(model)
    session = SparkSession.getActiveSession()
    shipped = session.sparkContext.broadcast(source) if session is not None else None

    def skrb_p_real(science, template, difference):
        current = shipped.value if shipped is not None else source
        p_real, status = _score_cutouts(current, (science, template, difference), pad)
        if with_status:
            return pd.DataFrame({"p_real": p_real, "status": status.astype(str)})
        return pd.Series(p_real)

    returns = pd.DataFrame if with_status else pd.Series
    skrb_p_real.__annotations__ = {
        "science": pd.Series,
        "template": pd.Series,
        "difference": pd.Series,
        "return": returns,
    }
    kind = "p_real double, status string" if with_status else "double"
    return pandas_udf(skrb_p_real, kind)


# --- alert files read through Spark -------------------------------------------------------------

_SPARK_TYPES = {
    "i": "long",
    "u": "long",
    "f": "double",
    "b": "boolean",
    "U": "string",
    "S": "string",
}


def _schema(table: Any) -> str:
    fields = [
        f"`{name}` {_SPARK_TYPES.get(table[name].dtype.kind, 'string')}" for name in table.colnames
    ]
    return ", ".join([*fields, "_file long", "_record long", "_error string"])


def _empty(alerts: Any) -> Any:
    from sklearn.utils import Bunch

    return Bunch(data=alerts.data[:0], meta=alerts.meta[:0], survey=alerts.get("survey"))


def _nullable(column: Any) -> np.ndarray:
    """Return a column's values with masked ones as None (nulls for Spark, not NaN)."""
    mask = np.ma.getmaskarray(column)
    values = np.ma.getdata(column)
    if not mask.any():
        return values
    out = values.astype(object)
    out[mask] = None
    return out


def _column(values: list[Any], dtype: np.dtype, name: str) -> Any:
    """Build an astropy column of ``dtype`` from Spark values, masked where they are null."""
    from astropy.table import Column, MaskedColumn

    mask = np.array([value is None for value in values], dtype=bool)
    if dtype.kind in "US":
        dtype = np.dtype(str)
    filler = "" if dtype.kind == "U" else 0
    data = np.array([filler if value is None else value for value in values], dtype=dtype)
    if mask.any():
        return MaskedColumn(data, mask=mask, name=name)
    return Column(data, name=name)


def _local_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme in ("file", "") else uri


def _score_file_batches(
    batches: Iterator[Any],
    shipped: Any,
    index: dict[str, int],
    columns: Sequence[str],
    read_options: dict[str, Any],
) -> Iterator[Any]:
    """mapInPandas: ``(path, content)`` rows of files -> scored alerts (and unreadable files)."""
    import pandas as pd

    from skrb.io import ReadError, read_alerts
    from skrb.scoring import score_alerts

    for batch in batches:
        paths = [_local_path(p) for p in batch["path"]]
        contents = [bytes(c) for c in batch["content"]]
        names = {f"<bytes {i}>": p for i, p in enumerate(paths)}
        try:
            alerts = read_alerts(contents, progress=False, **read_options)
        except ReadError as exc:
            errors = pd.DataFrame({"_file": [index[p] for p in paths], "_error": str(exc)})
            yield errors.assign(_record=-1)
            continue
        table = score_alerts(shipped.value.load(), alerts, columns=columns)
        frame = pd.DataFrame({name: _nullable(table[name]) for name in table.colnames})
        frame["_file"] = [index[names[f]] for f in alerts.meta["file"]]
        frame["_record"] = np.asarray(alerts.meta["record"], dtype=np.int64)
        frame["_error"] = None
        yield frame
        failed = [(names[f], int(r), str(e)) for f, r, e in alerts.errors if r == -1]
        if failed:
            yield pd.DataFrame(
                {
                    "_file": [index[f] for f, _, _ in failed],
                    "_record": [-1] * len(failed),
                    "_error": [e for _, _, e in failed],
                }
            )


@contextlib.contextmanager
def _session(spark: Any, master: str | None, n_workers: int | None) -> Iterator[Any]:
    require("pyspark", _WHAT)
    require("pandas", _WHAT)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession() if master is None and n_workers is None else None
    if spark is not None or active is not None:  # the caller's session: used, not stopped
        yield spark if spark is not None else active
        return

    # Python workers run this interpreter (with skrb), unless the user chose one.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master or (f"local[{n_workers}]" if n_workers else "local[*]"))
        .appName("skrb score")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.python.worker.reuse", "true")
    )
    for key, value in tf_thread_env(1).items():  # one TensorFlow thread per Python worker
        builder = builder.config(f"spark.executorEnv.{key}", value)
    session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()


@validate_params(
    {
        **{k: v for k, v in SCORE_FILES_CONSTRAINTS.items() if k != "estimator"},
        "model": "no_validation",  # ModelSource.from_estimator checks it
        "spark": "no_validation",
        "master": [str, None],
        "n_workers": [_POSITIVE, None],
    },
    prefer_skip_nested_validation=False,  # **read_options: read_alerts/iter_alerts check them
)
def score_files_spark(
    paths: Any,
    model: Any,
    output: str | os.PathLike[str] | None = None,
    *,
    spark: Any = None,
    master: str | None = None,
    n_workers: int | None = None,
    batch_size: int = 1024,
    columns: Sequence[str] | None = None,
    threshold: float | None = None,
    progress: bool | None = None,
    **read_options: Any,
) -> Any:
    """Score alert files on Spark, like :func:`skrb.scoring.score_files`.

    The files are read by Spark (``binaryFile``), each partition's files decoded and scored by
    the scoring core on the executors (the model broadcast once, built once per Python
    worker), and the rows come back to the driver in the files' order and are written to
    ``output`` as they arrive.

    Parameters
    ----------
    paths : path-like, glob pattern or list of them
        Alert files or folders; executors must see them at the same paths.
    model : fitted estimator or ModelSource
        As for :func:`score_files_dask`.
    output : str or path-like, optional
        ``.csv``, ``.ecsv`` or ``.parquet`` file; without it the scores are gathered into
        ``summary.table``.
    spark : pyspark.sql.SparkSession, optional
        A session of your own (a cluster's); otherwise one is made on ``master`` and stopped
        at the end.
    master : str, optional
        Spark master URL (default ``local[*]``, or ``local[n_workers]``).
    n_workers : int, optional
        Cores of the local master.
    batch_size, columns, threshold : see :func:`skrb.scoring.score_files`
    progress : bool or None, default=None
        A tqdm bar counting alerts (None: only on a terminal).
    **read_options
        Options of :func:`skrb.io.read_alerts` (``survey``, ``stamp_size``, ...).

    Returns
    -------
    summary : skrb.scoring.ScoringSummary
        Counts of alerts read, scored and called real, the errors, the wall time, and the
        scores themselves (``summary.table``) when no ``output`` was given.

    Raises
    ------
    ImportError
        If pyspark or pandas is not installed (``pip install 'skrb[spark]'``).

    Examples
    --------
    >>> from skrb.distributed import score_files_spark
    >>> summary = score_files_spark("night/", model, "scores.parquet")  # doctest: +SKIP
    """
    from astropy.table import Table, vstack
    from tqdm.auto import tqdm

    from skrb.io import ReadError, alert_sources, read_alerts
    from skrb.scoring import OK, ScoringSummary, TableWriter, default_columns, score_alerts

    require("pyspark", _WHAT)
    require("pandas", _WHAT)
    start = time.perf_counter()
    files = [os.path.abspath(path) for _, path in alert_sources(paths)]
    index = {path: i for i, path in enumerate(files)}
    source = ModelSource.from_estimator(model)
    # The output's columns and types, from the first readable file (its survey's columns).
    probe = None
    for path in files:
        try:
            probe = read_alerts(path, on_error="skip", progress=False, **read_options)
            break
        except ReadError:
            continue
    if probe is None:
        raise ReadError(f"None of the {len(files)} alert file(s) held a readable alert.")
    if columns is None:
        columns = default_columns(getattr(probe, "survey", None) or "ztf")
    empty = score_alerts(None, _empty(probe), columns=columns)  # no alert: no model call
    names = empty.colnames
    totals = {"n_alerts": 0, "n_scored": 0, "n_real": 0}
    errors: list[Any] = []
    tables: list[Any] = []
    disable = None if progress is None else not progress
    writer = TableWriter(output) if output is not None else None
    with (
        _session(spark, master, n_workers) as session,
        writer if writer is not None else contextlib.nullcontext(),
        tqdm(desc="Scoring", unit=" alerts", disable=disable) as bar,
    ):
        shipped = session.sparkContext.broadcast(source)
        frame = session.read.format("binaryFile").load(files)
        # binaryFile makes about one partition per small file: a task (and an Arrow batch)
        # per alert costs more than the alert; a few partitions per core instead.
        n_partitions = max(1, min(len(files), 2 * session.sparkContext.defaultParallelism))
        frame = frame.repartition(n_partitions)
        scored = frame.select("path", "content").mapInPandas(
            lambda batches: _score_file_batches(batches, shipped, index, columns, read_options),
            _schema(empty),
        )
        # Cached: the sort samples its input first, which would otherwise score everything twice.
        scored = scored.cache()
        rows = scored.orderBy("_file", "_record").toLocalIterator(prefetchPartitions=True)
        pending: list[Any] = []

        def flush() -> None:
            if not pending:
                return
            table = Table([_column([r[n] for r in pending], empty[n].dtype, n) for n in names])
            if threshold is not None:
                table["real"] = np.nan_to_num(table["p_real"], nan=-1.0) >= threshold
                totals["n_real"] += int(np.sum(table["real"]))
            totals["n_alerts"] += len(table)
            totals["n_scored"] += int(np.sum(table["status"] == OK))
            if writer is not None:
                writer.write(table)
            else:
                tables.append(table)
            bar.update(len(table))
            pending.clear()

        for row in rows:
            if row["_error"] is not None:
                errors.append((files[row["_file"]], row["_record"], row["_error"]))
                continue
            pending.append(row)
            if len(pending) >= batch_size:
                flush()
        flush()
        scored.unpersist()
        shipped.unpersist()
    error_table = Table(rows=errors or None, names=_ERROR_COLUMNS, dtype=(str, int, str))
    if errors and read_options.get("on_error", "warn") == "warn":
        from skrb.io import report_errors

        report_errors(errors, "warn", what="alert files or alerts")
    return ScoringSummary(
        **totals,
        errors=error_table,
        seconds=time.perf_counter() - start,
        output=None if output is None else os.fspath(output),
        table=vstack(tables) if writer is None and tables else None,
    )
