"""Score alerts on Apache Spark: a Fink-style pandas UDF, and alert files read through Spark.

One code path: :func:`make_spark_udf` scores a DataFrame of alert rows (a broker's layout:
identifiers and the three cutouts as bytes, ZTF's or Rubin's), and :func:`score_files_spark`
reads alert files with Spark (``binaryFile``), turns them into such rows on the executors and
scores them with that same UDF.
"""

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

from skrb._dependencies import require
from skrb.distributed._model import ModelSource
from skrb.distributed._threads import tf_thread_env
from skrb.io import PADS
from skrb.scoring import SCORE_FILES_CONSTRAINTS

__all__ = ["make_spark_udf", "score_files_spark"]

_POSITIVE = Interval(Integral, 1, None, closed="left")
_CUTOUTS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
_ERROR_COLUMNS = ("file", "record", "error")
_DECODE_OPTIONS = ("stamp_size", "pad", "masked_sentinel")
_READ_OPTIONS = ("survey", *_DECODE_OPTIONS, "on_error")


# --- the UDF: alert rows in, P(real) and status out ------------------------------------------


def _alert_rows(columns: Sequence[Any]) -> Any:
    """Return the UDF's arguments as one pandas DataFrame of alert rows.

    One struct column (``F.struct(...)`` of the alert's columns) arrives as a DataFrame with
    its field names; three columns are the cutouts, in :data:`skrb.PANELS` order.
    """
    import pandas as pd

    if len(columns) == 1 and isinstance(columns[0], pd.DataFrame):
        return columns[0]
    if len(columns) == 3 and all(isinstance(c, pd.Series) for c in columns):
        return pd.DataFrame({name: c.to_numpy() for name, c in zip(_CUTOUTS, columns, strict=True)})
    raise ValueError(
        "skrb's UDF takes one struct of the alert's columns (F.struct('diaSourceId', "
        "'cutoutScience', 'cutoutTemplate', 'cutoutDifference'), or candid... for ZTF) or the "
        f"three cutout columns (science, template, difference); got {len(columns)} argument(s)."
    )


def _score_rows(
    estimator: Any, rows: Any, survey: str, options: dict[str, Any], batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """P(real) and status for a pandas DataFrame of alert rows, in row order.

    ``batch_size`` rows are decoded at a time (memory holds one such batch of stamps). An
    alert that cannot be read gets NaN and the reason, as an alert with a bad cutout does.
    """
    from skrb.io import ReadError, alerts_from_records
    from skrb.scoring import score_alerts

    n = len(rows)
    p_real = np.full(n, np.nan)
    status = np.full(n, "unreadable alert", dtype=object)
    for start in range(0, n, batch_size):
        part = rows.iloc[start : start + batch_size]
        try:
            alerts = alerts_from_records(part, survey=survey, on_error="skip", **options)
        except ReadError as exc:  # not one alert of the batch could be read
            status[start : start + len(part)] = f"unreadable alert: {exc}"
            continue
        for _, record, error in alerts.errors.iterrows():
            if record >= 0:
                status[start + record] = error
        table = score_alerts(estimator, alerts, columns=("record",), batch_size=batch_size)
        where = start + np.asarray(table["record"], dtype=int)
        p_real[where] = np.asarray(table["p_real"], dtype=float)
        status[where] = np.asarray(table["status"], dtype=str)
    return p_real, status


def _udf(
    model: Any, shipped: Any, survey: str, options: dict[str, Any], batch_size: int, status: bool
) -> Any:
    """Make the pandas UDF over alert rows; the model is ``shipped`` (a broadcast) or ``model``."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    def skrb_p_real(*columns):
        source = shipped.value if shipped is not None else model
        rows = _alert_rows(columns)
        p_real, why = _score_rows(source.load(), rows, survey, options, batch_size)
        if status:
            return pd.DataFrame({"p_real": p_real, "status": why.astype(str)})
        return pd.Series(p_real)

    skrb_p_real.__annotations__ = {
        "columns": pd.Series,
        "return": pd.DataFrame if status else pd.Series,
    }
    return pandas_udf(skrb_p_real, "p_real double, status string" if status else "double")


@validate_params(
    {
        "model": "no_validation",  # ModelSource.from_estimator checks it
        "survey": [StrOptions({"auto", "ztf", "lsst"})],
        "with_status": ["boolean"],
        "stamp_size": [_POSITIVE, None],
        "pad": [StrOptions(set(PADS))],
        "masked_sentinel": [StrOptions({"nan", "keep"})],
        "batch_size": [_POSITIVE],
    },
    prefer_skip_nested_validation=True,
)
def make_spark_udf(
    model: Any,
    *,
    survey: str = "auto",
    with_status: bool = False,
    stamp_size: int | None = None,
    pad: str = "ztf",
    masked_sentinel: str = "nan",
    batch_size: int = 1024,
) -> Any:
    """Make a pandas UDF scoring a Spark DataFrame of alerts (ZTF's or Rubin's, Fink's layout).

    A broker's DataFrame holds one row per alert, the three cutouts as binary columns (ZTF:
    gzipped FITS, or Fink's ``{fileName, stampData}`` structs; Rubin: FITS). Call the UDF on
    one struct of the alert's columns, named as in the survey's schema:
    ``F.struct("candid", "candidate", "cutoutScience", "cutoutTemplate", "cutoutDifference")``
    for ZTF (the ``candidate``, or its flattened ``xpos``/``ypos``, places cutouts clipped by
    the CCD edge as :func:`skrb.io.read_alerts` does), ``F.struct("diaSourceId",
    "cutoutScience", "cutoutTemplate", "cutoutDifference")`` for Rubin; the survey is told
    from those names (``candid``/``candidate`` or ``diaSourceId``/``diaSource``). Or call it
    on the three cutout columns alone, with ``survey`` given. Each Arrow batch of rows is
    decoded by :func:`skrb.io.alerts_from_records` and scored by
    :func:`skrb.scoring.score_alerts`; the model is broadcast once and built once per executor
    Python worker (Spark reuses its Python workers; :class:`ModelSource`).

    Parameters
    ----------
    model : fitted estimator or ModelSource
        As for :func:`score_files_dask`.
    survey : {"auto", "ztf", "lsst"}, default="auto"
        Whose alerts the rows are; ``"auto"`` tells from the struct's field names (a
        DataFrame of neither survey is a ValueError naming its columns).
    with_status : bool, default=False
        Return a struct ``<p_real: double, status: string>`` instead of ``p_real`` alone
        (``status`` is ``"ok"`` or why the alert has no score).
    stamp_size, pad, masked_sentinel
        As for :func:`skrb.io.read_alerts`: the stamp side (None: 63 for ZTF, for Rubin the
        largest cutout of each batch: give the model's side, e.g. 51), where a clipped ZTF
        cutout goes, and ZTF's masked-pixel sentinel (``"keep"`` for braai).
    batch_size : int, default=1024
        Alerts decoded and scored at a time within a Spark batch.

    Returns
    -------
    udf : pyspark UserDefinedFunction
        ``udf(struct_of_alert_columns)`` or ``udf(science, template, difference)``; P(real) is
        NaN where the alert cannot be scored (``with_status=True`` says why).

    Raises
    ------
    ImportError
        If pyspark or pandas is not installed (``pip install 'skrb[spark]'``).
    InvalidParameterError
        If an option is invalid (a ValueError and TypeError).

    Examples
    --------
    >>> import pyspark.sql.functions as F  # doctest: +SKIP
    >>> from skrb.distributed import make_spark_udf
    >>> p_real = make_spark_udf(model, stamp_size=51)  # doctest: +SKIP
    >>> ztf = ztf.withColumn("skrb_p_real", p_real(F.struct(  # doctest: +SKIP
    ...     "candid", "candidate", "cutoutScience", "cutoutTemplate", "cutoutDifference")))
    >>> rubin = rubin.withColumn("skrb_p_real", p_real(F.struct(  # doctest: +SKIP
    ...     "diaSourceId", "cutoutScience", "cutoutTemplate", "cutoutDifference")))
    """
    require("pandas")
    require("pyspark")
    from pyspark.sql import SparkSession

    options = {"stamp_size": stamp_size, "pad": pad, "masked_sentinel": masked_sentinel}
    source = ModelSource.from_estimator(model)
    session = SparkSession.getActiveSession()
    shipped = None
    with contextlib.suppress(Exception):  # Spark Connect has no context: the closure carries it
        shipped = session.sparkContext.broadcast(source) if session is not None else None
    return _udf(source, shipped, survey, options, int(batch_size), with_status)


# --- alert files read through Spark ----------------------------------------------------------

_SPARK_TYPES = {"i": "long", "u": "long", "f": "double", "b": "boolean"}


def _spark_type(dtype: np.dtype | None) -> str:
    return _SPARK_TYPES.get(dtype.kind, "string") if dtype is not None else "double"


def _coerced(value: Any, kind: str) -> Any:
    """``value`` as Spark's ``kind`` holds it, or None (null) where it is of another kind."""
    if value is None:
        return None
    if kind == "string":
        return str(value)
    if isinstance(value, bool | np.bool_):
        return bool(value) if kind == "boolean" else None
    if kind == "long" and isinstance(value, int | np.integer):
        return int(value)
    if kind == "double" and isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return None


def _local_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme in ("file", "") else uri


def _file_rows(
    batches: Iterator[Any], index: dict[str, int], survey: str, kinds: dict[str, str]
) -> Iterator[Any]:
    """mapInArrow: ``(path, content)`` of files -> alert rows, and rows for what is unreadable.

    Each alert becomes ``_file``, ``_record``, its fields ``kinds`` and its three cutouts as
    bytes; an unreadable file or alert becomes a row with ``_error`` (``_record`` -1 for a
    file) and no cutouts, so that nothing is lost on the way to the driver.
    """
    import pyarrow as pa

    from skrb.io import alert_file_rows

    types = {"long": pa.int64(), "double": pa.float64(), "boolean": pa.bool_()}
    schema = pa.schema(
        [
            ("_file", pa.int64()),
            ("_record", pa.int64()),
            ("_error", pa.string()),
            *((name, types.get(kind, pa.string())) for name, kind in kinds.items()),
            *((name, pa.binary()) for name in _CUTOUTS),
        ]
    )
    for batch in batches:
        out: list[dict[str, Any]] = []
        for uri, content in zip(
            batch.column("path").to_pylist(), batch.column("content"), strict=True
        ):
            path = _local_path(uri)
            number = index.get(path, index.get(os.path.realpath(path), -1))
            rows, errors = alert_file_rows(path, content.as_py(), survey=survey, columns=kinds)
            for row in rows:
                fields = {name: _coerced(row[name], kind) for name, kind in kinds.items()}
                cutouts = {name: row[name] for name in _CUTOUTS}
                out.append({"_file": number, "_record": row["record"], **fields, **cutouts})
            out.extend({"_file": number, "_record": r, "_error": e} for _, r, e in errors)
        yield pa.RecordBatch.from_pylist(out, schema=schema)


def _first_batch(files: Sequence[str], read_options: dict[str, Any]) -> Any:
    """Read a few alerts of the first readable file: their survey and metadata types."""
    from skrb.io import ReadError, iter_alerts

    for path in files:
        try:
            options = {**read_options, "on_error": "skip"}
            return next(iter(iter_alerts(path, batch_size=8, progress=False, **options)))
        except (ReadError, StopIteration):
            continue
    raise ReadError(f"None of the {len(files)} alert file(s) held a readable alert.")


@contextlib.contextmanager
def _session(spark: Any, master: str | None, n_workers: int | None) -> Iterator[Any]:
    require("pyspark")
    require("pandas")
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
    prefer_skip_nested_validation=False,  # **read_options: check_read_options, in the body
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

    Spark reads the files (``binaryFile``: Avro containers, Rubin wire packets, Fink Parquet
    exports); the executors turn each into alert rows in a broker's layout (identifiers and
    the three cutouts as bytes) and score them with the UDF of :func:`make_spark_udf`, the
    one a broker calls on its own DataFrame (the model broadcast once, built once per Python
    worker). An unreadable file or alert travels as a row with its reason, so nothing is lost:
    it is named in ``summary.errors`` (and a warning) as the local engine names it. The rows
    come back to the driver in the files' order and are written to ``output`` as they arrive.

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
        ``columns`` may name the alert fields of :data:`skrb.io.SCORE_COLUMNS` (and the
        readers' other identifying fields), ``file`` and ``record``.
    progress : bool or None, default=None
        A tqdm bar counting alerts (None: only on a terminal).
    **read_options
        ``survey``, ``stamp_size``, ``pad``, ``masked_sentinel`` and ``on_error`` of
        :func:`skrb.io.read_alerts`.

    Returns
    -------
    summary : skrb.scoring.ScoringSummary
        Counts of alerts read, scored and called real, the errors, the wall time, and the
        scores themselves (``summary.table``) when no ``output`` was given.

    Raises
    ------
    ImportError
        If pyspark or pandas is not installed (``pip install 'skrb[spark]'``).
    TypeError
        For a read option this engine does not take.
    ValueError
        For ``columns`` it cannot carry (``n_nonfinite``, ``cutout_shape``, ``schema``).

    Examples
    --------
    >>> from skrb.distributed import score_files_spark
    >>> summary = score_files_spark("night/", model, "scores.parquet")  # doctest: +SKIP
    """
    from astropy.table import Column, MaskedColumn, Table, vstack
    from tqdm.auto import tqdm

    from skrb.io import ROW_COLUMNS, ReadError, alert_sources, check_read_options, report_errors
    from skrb.scoring import OK, ScoringSummary, TableWriter, default_columns, score_alerts

    require("pyspark")
    require("pandas")
    check_read_options(read_options, "score_files_spark", _READ_OPTIONS)  # before any work
    udf_options = {k: read_options[k] for k in _DECODE_OPTIONS if k in read_options}
    on_error = read_options.get("on_error", "warn")
    start = time.perf_counter()
    files = [os.path.abspath(path) for _, path in alert_sources(paths)]
    index = {path: i for i, path in enumerate(files)}
    index.update({os.path.realpath(path): i for i, path in enumerate(files)})
    first = _first_batch(files, {k: v for k, v in read_options.items() if k != "on_error"})
    survey = first.survey
    if columns is None:
        columns = default_columns(survey)
    empty = score_alerts(None, _empty(first), columns=columns)  # no alert: no model call
    names = empty.colnames  # the output's columns, as the local engine writes them
    carried = [n for n in names if n not in ("file", "record", "p_real", "status")]
    cannot = [n for n in carried if n not in ROW_COLUMNS[survey]]
    if cannot:
        raise ValueError(
            f"score_files_spark cannot write the column(s) {', '.join(cannot)}; it writes "
            f"{', '.join(ROW_COLUMNS[survey])}, file and record."
        )
    kinds = {
        name: _spark_type(first.meta[name].dtype if name in first.meta.colnames else None)
        for name in ROW_COLUMNS[survey]
    }
    source = ModelSource.from_estimator(model)
    totals = {"n_alerts": 0, "n_scored": 0, "n_real": 0}
    errors: list[tuple[str, int, str]] = []
    tables: list[Any] = []
    disable = None if progress is None else not progress
    writer = TableWriter(output) if output is not None else None
    with (
        _session(spark, master, n_workers) as session,
        writer if writer is not None else contextlib.nullcontext(),
        tqdm(desc="Scoring", unit=" alerts", disable=disable) as bar,
    ):
        from pyspark.sql import functions as F

        shipped = session.sparkContext.broadcast(source)
        frame = session.read.format("binaryFile").load(files)
        # binaryFile makes about one partition per small file: a task (and an Arrow batch)
        # per alert costs more than the alert; a few partitions per core instead.
        n_partitions = max(1, min(len(files), 2 * session.sparkContext.defaultParallelism))
        schema = ", ".join(
            [
                "_file long, _record long, _error string",
                *(f"`{name}` {kind}" for name, kind in kinds.items()),
                *(f"`{name}` binary" for name in _CUTOUTS),
            ]
        )
        rows = (
            frame.select("path", "content")
            .repartition(n_partitions)
            .mapInArrow(lambda batches: _file_rows(batches, index, survey, kinds), schema)
        )
        udf = _udf(source, shipped, survey, udf_options, batch_size, True)
        alert = F.struct(*(F.col(f"`{name}`") for name in [*kinds, *_CUTOUTS]))
        scored = rows.select(
            "_file",
            "_record",
            "_error",
            *(F.col(f"`{name}`") for name in carried),
            udf(alert).alias("_skrb"),
        ).select("_file", "_record", "_error", *carried, "_skrb.p_real", "_skrb.status")
        # Cached: the sort samples its input first, which would otherwise score everything twice.
        scored = scored.cache()
        ordered = scored.orderBy("_file", "_record").toLocalIterator(prefetchPartitions=True)
        pending: list[Any] = []

        def value(row: Any, name: str) -> Any:
            if name == "file":
                return files[row["_file"]]
            return row["_record"] if name == "record" else row[name]

        def flush() -> None:
            if not pending:
                return
            built = []
            for name in names:
                values = [value(row, name) for row in pending]
                mask = np.array([v is None for v in values], dtype=bool)
                dtype = empty[name].dtype if empty[name].dtype.kind not in "US" else str
                filler = "" if dtype is str else 0
                data = np.array([filler if v is None else v for v in values], dtype=dtype)
                built.append(
                    MaskedColumn(data, mask=mask, name=name) if mask.any() else Column(data, name)
                )
            table = Table(built)
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

        for row in ordered:
            if row["_error"] is not None:
                errors.append((files[row["_file"]], row["_record"], row["_error"]))
                if on_error == "raise":
                    raise ReadError(f"{files[row['_file']]}: {row['_error']}")
                continue
            if row["status"] != OK:
                errors.append((files[row["_file"]], row["_record"], row["status"]))
            pending.append(row)
            if len(pending) >= batch_size:
                flush()
        flush()
        scored.unpersist()
        shipped.unpersist()
    if not totals["n_alerts"]:
        listed = "; ".join(f"{f}: {e}" for f, _, e in errors[:3])
        raise ReadError(f"None of the {len(files)} alert file(s) held a readable alert: {listed}")
    error_table = Table(rows=errors or None, names=_ERROR_COLUMNS, dtype=(str, int, str))
    report_errors(errors, on_error, what="alert files or alerts")
    return ScoringSummary(
        **totals,
        errors=error_table,
        seconds=time.perf_counter() - start,
        output=None if output is None else os.fspath(output),
        table=vstack(tables) if writer is None and tables else None,
    )


def _empty(alerts: Any) -> Any:
    from sklearn.utils import Bunch

    return Bunch(data=alerts.data[:0], meta=alerts.meta[:0], survey=alerts.get("survey"))
