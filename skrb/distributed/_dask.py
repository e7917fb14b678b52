"""Score alert files on a Dask cluster: one task per group of files, the model once per worker."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any

from sklearn.utils._param_validation import Interval, validate_params

from skrb._dependencies import require
from skrb.distributed._model import ModelSource
from skrb.distributed._threads import set_tf_threads, tf_thread_env
from skrb.scoring import SCORE_FILES_CONSTRAINTS

__all__ = ["score_files_dask"]

_POSITIVE = Interval(Integral, 1, None, closed="left")
_ERROR_COLUMNS = ("file", "record", "error")


def _score_group(
    files: Sequence[str],
    source: ModelSource,
    index: int,
    partitions: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """One task: score a group of files with the worker's model (built once per worker)."""
    from astropy.table import Table

    from skrb.io import ReadError
    from skrb.scoring import score_files

    estimator = source.load()
    output = None if partitions is None else os.path.join(partitions, f"part-{index:05d}.parquet")
    try:
        summary = score_files(list(files), estimator, output, progress=False, **options)
    except ReadError as exc:  # no readable alert in this group: the others go on
        if options.get("on_error") == "raise":
            raise
        errors = Table(rows=[(f, -1, str(exc)) for f in files], names=_ERROR_COLUMNS)
        return {"table": None, "errors": errors, "n_alerts": 0, "n_scored": 0, "n_real": 0}
    return {
        "table": summary.table,
        "errors": summary.errors,
        "n_alerts": summary.n_alerts,
        "n_scored": summary.n_scored,
        "n_real": summary.n_real,
    }


def _worker_threads_plugin(intra_op: int) -> Any:
    distributed = require("distributed")

    class TensorFlowThreads(distributed.WorkerPlugin):
        """Set TensorFlow's threads on each worker before any task loads a model."""

        name = "skrb-tensorflow-threads"

        def __init__(self, intra_op: int) -> None:
            self.intra_op = intra_op

        def setup(self, worker: Any) -> None:
            set_tf_threads(self.intra_op, 1)

    return TensorFlowThreads(intra_op)


@contextlib.contextmanager
def _client(
    client: Any, scheduler: str | None, n_workers: int | None, threads_per_worker: int
) -> Iterator[Any]:
    distributed = require("distributed")
    if client is not None:
        yield client
        return
    if scheduler is not None:
        with distributed.Client(scheduler) as remote:
            remote.register_plugin(_worker_threads_plugin(threads_per_worker))
            yield remote
        return
    n = n_workers or max(1, (os.cpu_count() or 1) // threads_per_worker)
    with (
        distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,  # one task at a time; TensorFlow gets the worker's cores
            processes=True,
            dashboard_address=":0",  # any free port: 8787 may be taken (another cluster)
            env=tf_thread_env(threads_per_worker),
        ) as cluster,
        distributed.Client(cluster) as local,
    ):
        yield local


@validate_params(
    {
        **{k: v for k, v in SCORE_FILES_CONSTRAINTS.items() if k != "estimator"},
        "model": "no_validation",  # ModelSource.from_estimator checks it
        "client": "no_validation",
        "scheduler": [str, None],
        "n_workers": [_POSITIVE, None],
        "threads_per_worker": [_POSITIVE],
        "files_per_task": [_POSITIVE],
        "partitioned": ["boolean"],
    },
    prefer_skip_nested_validation=True,  # **read_options: check_read_options, in the body
)
def score_files_dask(
    paths: Any,
    model: Any,
    output: str | os.PathLike[str] | None = None,
    *,
    client: Any = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    files_per_task: int = 64,
    partitioned: bool = False,
    batch_size: int = 1024,
    columns: Sequence[str] | None = None,
    threshold: float | None = None,
    progress: bool | None = None,
    **read_options: Any,
) -> Any:
    """Score a collection of alert files on a Dask cluster, like :func:`skrb.scoring.score_files`.

    The files are cut into groups of ``files_per_task``; each group is one task that streams
    its files through :func:`skrb.scoring.score_files` on a worker. The model goes to each
    worker once (a :class:`ModelSource` scattered with ``broadcast=True``) and is built once
    per worker process. Results come back in the files' order and are written to ``output``
    as they arrive, or each task writes its own Parquet partition (``partitioned=True``).

    Parameters
    ----------
    paths : path-like, glob pattern or list of them
        Alert files or folders (as for :func:`skrb.io.iter_alerts`); workers must see them at
        the same paths (a shared file system).
    model : fitted estimator or ModelSource
        The model: a fitted skrb pipeline (sent as a skrb model file, no pickle), any fitted
        classifier, or a :class:`ModelSource` (e.g. a checkpoint read by each worker).
    output : str or path-like, optional
        A ``.csv``/``.ecsv``/``.parquet`` file written by the client, or with
        ``partitioned=True`` a folder of ``part-NNNNN.parquet`` files written by the workers.
        Without it the scores are gathered into ``summary.table``.
    client : distributed.Client, optional
        A client of your own cluster (e.g. a ``dask_jobqueue.SLURMCluster``'s).
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``), when no client is given.
    n_workers : int, optional
        Workers of the local cluster made when neither ``client`` nor ``scheduler`` is given
        (default: cores / ``threads_per_worker``).
    threads_per_worker : int, default=1
        TensorFlow threads per worker (intra-op; one inter-op), so that the workers of a
        machine do not oversubscribe its cores.
    files_per_task : int, default=64
        Files per task.
    partitioned : bool, default=False
        Each task writes ``output/part-NNNNN.parquet`` itself.
    batch_size, columns, threshold, **read_options
        As for :func:`skrb.scoring.score_files`.
    progress : bool or None, default=None
        A tqdm bar counting alerts (None: only on a terminal).

    Returns
    -------
    summary : skrb.scoring.ScoringSummary
        Counts of alerts read, scored and called real, the errors, the wall time, and the
        scores themselves (``summary.table``) when no ``output`` was given.

    Raises
    ------
    ImportError
        If dask[distributed] is not installed (``pip install 'skrb[dask]'``).

    Examples
    --------
    >>> from skrb.distributed import score_files_dask
    >>> summary = score_files_dask("night/", model, "scores.parquet")  # doctest: +SKIP
    """
    from astropy.table import Table, vstack
    from tqdm.auto import tqdm

    from skrb.io import alert_sources, check_read_options
    from skrb.scoring import ScoringSummary, TableWriter

    check_read_options(read_options, "score_files_dask")  # here, not on every worker
    if partitioned and output is None:
        raise ValueError("partitioned=True needs an output folder.")
    require("distributed")
    start = time.perf_counter()
    files = [os.path.abspath(path) for _, path in alert_sources(paths)]
    groups = [files[i : i + files_per_task] for i in range(0, len(files), files_per_task)]
    source = ModelSource.from_estimator(model)
    options = {"batch_size": batch_size, "columns": columns, "threshold": threshold}
    options.update(read_options)
    partitions = None
    if partitioned:
        partitions = os.path.abspath(output)
        os.makedirs(partitions, exist_ok=True)
    totals = {"n_alerts": 0, "n_scored": 0, "n_real": 0}
    errors, tables = [], []
    disable = None if progress is None else not progress
    writer = TableWriter(output) if output is not None and not partitioned else None
    with (
        _client(client, scheduler, n_workers, threads_per_worker) as dask_client,
        writer if writer is not None else contextlib.nullcontext(),
        tqdm(desc="Scoring", unit=" alerts", disable=disable) as bar,
    ):
        shipped = dask_client.scatter(source, broadcast=True)
        futures = [
            dask_client.submit(
                _score_group, group, shipped, i, partitions, options, pure=False, priority=-i
            )
            for i, group in enumerate(groups)
        ]
        for future in futures:  # in order: the output keeps the files' order
            result = future.result()
            future.release()
            for key in totals:
                totals[key] += result[key]
            if len(result["errors"]):
                errors.append(result["errors"])
            if result["table"] is not None and len(result["table"]):
                if writer is not None:
                    writer.write(result["table"])
                else:
                    tables.append(result["table"])
            bar.update(result["n_alerts"])
    if not totals["n_alerts"]:
        from skrb.io import ReadError

        listed = "; ".join(f"{e['file']}: {e['error']}" for e in vstack(errors)[:3])
        raise ReadError(f"None of the {len(files)} alert file(s) held a readable alert: {listed}")
    return ScoringSummary(
        **totals,
        errors=vstack(errors) if errors else Table(names=_ERROR_COLUMNS, dtype=(str, int, str)),
        seconds=time.perf_counter() - start,
        output=None if output is None else os.fspath(output),
        table=vstack(tables) if writer is None and not partitioned and tables else None,
    )
