"""Stream alert packets as Bunches of at most ``batch_size`` alerts (bounded memory)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from skrb.io._alert_decode import AlertRows, iter_alert_files, read_alert_files
from skrb.io._alerts import _bunch, _check_options, _nothing_read, _sources
from skrb.io._paths import PathsLike

__all__ = ["iter_alerts"]

# Files per chunk read by a worker process (n_jobs > 1): enough to amortise the dispatch, few
# enough that the chunks in flight stay small beside a batch.
_MIN_CHUNK = 8
_MAX_CHUNK = 256


def iter_alerts(
    paths: PathsLike | bytes | Sequence[bytes],
    *,
    batch_size: int = 1024,
    columns: Sequence[str] = (),
    stamp_size: int = 63,
    pad: str = "ztf",
    masked_sentinel: str = "nan",
    on_error: str = "warn",
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> Iterator[Bunch]:
    """Read alert packets as a stream of Bunches of at most ``batch_size`` alerts.

    The same alerts, in the same order and with the same ``data``, ``meta`` and ``errors`` as
    :func:`read_alerts`, but cut into batches and read lazily: files are opened only when the
    stream reaches them and multi-record files (a broker's bundle) are decoded one Avro block at
    a time, so memory holds about one batch whatever the number of alerts. Use it to score or
    convert more alerts than fit in memory.

    Parameters
    ----------
    paths : path-like, glob pattern, bytes or list of them
        As for :func:`read_alerts`. Paths are expanded (and missing ones reported) at the call;
        the files themselves are read as the stream advances.
    batch_size : int, default=1024
        Most alerts per Bunch; every Bunch but the last holds exactly this many.
    columns, stamp_size, pad, masked_sentinel : see :func:`read_alerts`
    on_error : {"warn", "raise", "skip"}, default="warn"
        As for :func:`read_alerts`, per batch: each Bunch's ``errors`` lists the files or
        alerts skipped since the previous one (the last Bunch also those after its alerts), and
        ``"warn"`` issues one :class:`~skrb.io.ReadWarning` per batch that has any; ``"raise"``
        raises when the stream reaches the bad file.
    n_jobs : int or None, default=None
        Processes reading files in parallel (``None`` means 1, ``-1`` all cores). With more
        than one, each worker reads a chunk of up to 256 files whole, so a single huge
        multi-record file is then held at once; the stream stays in order.
    progress : bool or None, default=None
        Show a tqdm progress bar counting files; ``None`` shows it only on a terminal.

    Yields
    ------
    alerts : :class:`~sklearn.utils.Bunch`
        ``data``, ``meta``, ``errors`` and ``panels`` as returned by :func:`read_alerts`, for
        at most ``batch_size`` alerts.

    Raises
    ------
    FileNotFoundError
        At the call, if a named file, folder or pattern does not exist or no Avro file is found.
    ValueError
        At the call, if a parameter is invalid.
    ReadError
        While iterating: with ``on_error="raise"`` at the first unreadable file or alert;
        whatever ``on_error``, at the end when no alert at all could be read.

    See Also
    --------
    skrb.io.read_alerts : All alerts at once.

    Examples
    --------
    Stream a folder of ZTF packets (here, three one-alert files written on the spot):

    >>> import gzip, io, tempfile, pathlib
    >>> import numpy as np, fastavro
    >>> from astropy.io import fits
    >>> from skrb.io import iter_alerts
    >>> def cutout(value):
    ...     buffer = io.BytesIO()
    ...     fits.PrimaryHDU(np.full((63, 63), value, dtype=">f4")).writeto(buffer)
    ...     return {"fileName": "c.fits.gz", "stampData": gzip.compress(buffer.getvalue())}
    >>> schema = {"name": "alert", "type": "record", "fields": [
    ...     {"name": "candid", "type": "long"},
    ...     {"name": "candidate", "type": {"name": "candidate", "type": "record", "fields": [
    ...         {"name": "jd", "type": "double"}]}},
    ...     {"name": "cutoutScience", "type": {"name": "cutout", "type": "record", "fields": [
    ...         {"name": "fileName", "type": "string"}, {"name": "stampData", "type": "bytes"}]}},
    ...     {"name": "cutoutTemplate", "type": "cutout"},
    ...     {"name": "cutoutDifference", "type": "cutout"}]}
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for candid in (1, 2, 3):
    ...     alert = {"candid": candid, "candidate": {"jd": 2459000.5},
    ...              **{f: cutout(float(candid)) for f in
    ...                 ("cutoutScience", "cutoutTemplate", "cutoutDifference")}}
    ...     with open(folder / f"{candid}.avro", "wb") as handle:
    ...         fastavro.writer(handle, schema, [alert])
    >>> for batch in iter_alerts(folder, batch_size=2):
    ...     print(batch.data.shape, batch.meta["candid"].tolist())
    (2, 3, 63, 63) [1, 2]
    (1, 3, 63, 63) [3]
    """
    names = _check_options(
        columns=columns,
        stamp_size=stamp_size,
        pad=pad,
        masked_sentinel=masked_sentinel,
        on_error=on_error,
    )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"batch_size must be a positive integer; got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
    skipped: list[tuple[str, int, str]] = []  # dangling links: listed with the first batch
    sources = _sources(paths, skipped, on_error)
    options = {"stamp_size": int(stamp_size), "pad": pad, "on_error": on_error}
    return _stream(
        sources,
        skipped=skipped,
        names=names,
        columns=columns,
        batch_size=int(batch_size),
        masked_sentinel=masked_sentinel,
        n_jobs=effective_n_jobs(n_jobs),
        progress=progress,
        options=options,
    )


def _fill_serial(
    sources: Sequence[tuple[str, str | bytes]], rows: AlertRows, bar: Any, options: dict
) -> Iterator[None]:
    def counted() -> Iterable[tuple[str, str | bytes]]:
        for source in sources:
            yield source
            bar.update()

    yield from iter_alert_files(counted(), rows, pad=options["pad"], on_error=options["on_error"])


def _fill_parallel(
    sources: Sequence[tuple[str, str | bytes]],
    rows: AlertRows,
    bar: Any,
    options: dict,
    n_jobs: int,
    batch_size: int,
) -> Iterator[None]:
    size = min(max(batch_size // n_jobs, _MIN_CHUNK), _MAX_CHUNK)
    chunks = [sources[i : i + size] for i in range(0, len(sources), size)]
    parallel = Parallel(n_jobs=min(n_jobs, len(chunks)), return_as="generator")
    outputs = parallel(
        delayed(read_alert_files)(chunk, columns=rows.columns, **options) for chunk in chunks
    )
    for chunk, output in zip(chunks, outputs, strict=True):
        rows.add(output)
        bar.update(len(chunk))
        yield


def _stream(
    sources: Sequence[tuple[str, str | bytes]],
    *,
    skipped: list[tuple[str, int, str]],
    names: Sequence[str],
    columns: Sequence[str],
    batch_size: int,
    masked_sentinel: str,
    n_jobs: int,
    progress: bool | None,
    options: dict,
) -> Iterator[Bunch]:
    rows = AlertRows(names, options["stamp_size"])
    rows.errors.extend(skipped)
    on_error = options["on_error"]
    n_yielded = 0
    disable = None if progress is None else not progress
    with tqdm(total=len(sources), desc="Reading alerts", unit="file", disable=disable) as bar:
        if n_jobs > 1 and len(sources) > _MIN_CHUNK:
            filled = _fill_parallel(sources, rows, bar, options, n_jobs, batch_size)
        else:
            filled = _fill_serial(sources, rows, bar, options)
        for _ in filled:
            # A full batch is handed over only once the next alert is in, so that errors met
            # after the last alert still reach the caller with the last batch.
            while len(rows) > batch_size:
                n_yielded += batch_size
                yield _bunch([rows.take(batch_size)], names, columns, masked_sentinel, on_error)
    if not n_yielded and not len(rows):
        raise _nothing_read(rows.errors, len(sources))
    if len(rows):  # always, once anything was read: the held-back last batch
        yield _bunch([rows.take()], names, columns, masked_sentinel, on_error)
