"""Stream alert packets as Bunches of at most ``batch_size`` alerts (bounded memory)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params
from tqdm.auto import tqdm

from skrb.io._alert_decode import AlertRows, iter_alert_files, read_alert_files
from skrb.io._alerts import (
    FILE_CONSTRAINTS,
    POSITIVE_INT,
    RUBIN_MAX_SIDE,
    _bunch,
    _check_columns,
    _lsst_bunch,
    _nothing_read,
    _sources,
    _with_survey,
    check_ztf_planes,
    lsst_plan,
)
from skrb.io._errors import record_error
from skrb.io._formats import sniff
from skrb.io._parallel import MAX_CHUNK, MIN_CHUNK
from skrb.io._paths import PathsLike
from skrb.io._rubin import RubinRows, iter_rubin_files, read_rubin_files

__all__ = ["iter_alerts"]

Source = tuple[str, Any]


@validate_params(
    {**FILE_CONSTRAINTS, "batch_size": [POSITIVE_INT]}, prefer_skip_nested_validation=True
)
def iter_alerts(
    paths: PathsLike | bytes | Sequence[bytes],
    *,
    batch_size: int = 1024,
    survey: str = "auto",
    columns: Sequence[str] = (),
    stamp_size: int | None = None,
    variance: bool = False,
    psf: bool = False,
    pad: str = "ztf",
    masked_sentinel: str = "nan",
    on_error: str = "warn",
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> Iterator[Bunch]:
    """Read alert packets as a stream of Bunches of at most ``batch_size`` alerts.

    The same alerts, in the same order and with the same ``data``, ``meta`` and ``errors`` as
    :func:`read_alerts`, but cut into batches and read lazily: files are opened only when the
    stream reaches them and multi-record files (a broker's bundle, a Rubin archive of thousands
    of alerts) are decoded one Avro block (Parquet exports: one record batch) at a time, alert
    by alert, so memory holds about one block and one batch whatever the number of alerts or
    the size of a file. Use it to score or convert more alerts than fit in memory.

    Parameters
    ----------
    paths : path-like, glob pattern, bytes or list of them
        As for :func:`read_alerts`. Paths are expanded (and missing ones reported) at the call;
        the files themselves are read as the stream advances.
    batch_size : int, default=1024
        Most alerts per Bunch; every Bunch but the last holds exactly this many.
    survey, columns, variance, psf, pad, masked_sentinel : see :func:`read_alerts`
        With ``survey="auto"`` the first readable file decides; files of the other survey
        are reported as errors when the stream reaches them.
    stamp_size : int or None, default=None
        As for :func:`read_alerts`, except that for Rubin ``None`` gives each batch the side
        of its own largest cutout: give a side for stamps of one size across batches. (With
        ``psf=True`` each batch's ``psf`` likewise has the side of its largest PSF.)
    on_error : {"warn", "raise", "skip"}, default="warn"
        As for :func:`read_alerts`, per batch: each Bunch's ``errors`` lists the files or
        alerts skipped since the previous one (the last Bunch also those after its alerts), and
        ``"warn"`` issues one :class:`~skrb.io.ReadWarning` per batch that has any; ``"raise"``
        raises when the stream reaches the bad file.
    n_jobs : int or None, default=None
        Processes reading files in parallel (``None`` means 1, ``-1`` all cores), for ZTF and
        Rubin alerts alike. With more than one, each worker reads a chunk of up to 256 files
        whole, so a single huge multi-record file is then held at once; the stream stays in
        order. Starting the workers costs about 2 CPU seconds: worth it for thousands of
        alerts, not for a few hundred.
    progress : bool or None, default=None
        Show a tqdm progress bar counting files; ``None`` shows it only on a terminal.

    Returns
    -------
    batches : iterator of :class:`~sklearn.utils.Bunch`
        One Bunch per batch: ``data``, ``meta``, ``errors`` and ``panels`` as returned by
        :func:`read_alerts`, for at most ``batch_size`` alerts. The paths are checked at the
        call; the files are read as the iterator is consumed.

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
    names = _check_columns(columns)
    skipped: list[tuple[str, int, str]] = []  # dangling links: listed with the first batch
    sources = _sources(paths, skipped, on_error)
    stream = _Stream(
        sources,
        skipped=skipped,
        survey=survey,
        names=names,
        columns=columns,
        batch_size=int(batch_size),
        stamp_size=None if stamp_size is None else int(stamp_size),
        variance=bool(variance),
        psf=bool(psf),
        pad=pad,
        masked_sentinel=masked_sentinel,
        on_error=on_error,
        n_jobs=effective_n_jobs(n_jobs),
        progress=progress,
    )
    return iter(stream)


class _Stream:
    """One pass over the sources: recognise each file as it is reached, decode, cut in batches."""

    def __init__(self, sources: Sequence[tuple[str, Any]], **options: Any) -> None:
        self.sources = sources
        self.__dict__.update(options)
        self.errors: list[tuple[str, int, str]] = list(self.skipped)
        self.chosen: str | None = None if self.survey == "auto" else self.survey

    def _fail(self, name: str, exc: BaseException) -> None:
        record_error(self.errors, self.on_error, name, -1, exc)

    def _typed(self, bar: Any) -> Iterator[tuple[str, Any, str]]:
        """``(name, source, kind)`` of the files of the survey read, as the stream reaches them."""
        for name, source in self.sources:
            try:
                kind, of = sniff(source)
            except (OSError, ValueError, EOFError) as exc:
                self._fail(name, exc)
                bar.update()
                continue
            if self.chosen is None:
                self.chosen = of
            if of != self.chosen:
                self._fail(
                    name,
                    ValueError(
                        f"a {'Rubin' if of == 'lsst' else 'ZTF'} alert file among "
                        f"{'Rubin' if self.chosen == 'lsst' else 'ZTF'} ones: read each "
                        "survey's alerts separately (or pass survey=)."
                    ),
                )
            elif self.chosen == "ztf" and kind != "container":
                self._fail(name, ValueError(f"ZTF alerts in a {kind} file are not read."))
            else:
                yield name, source, kind
            bar.update()

    def __iter__(self) -> Iterator[Bunch]:
        disable = None if self.progress is None else not self.progress
        with tqdm(
            total=len(self.sources), desc="Reading alerts", unit="file", disable=disable
        ) as bar:
            typed = self._typed(bar)
            first = next(typed, None)
            if first is None:
                raise _nothing_read(self.errors, len(self.sources))
            typed = itertools.chain([first], typed)
            if self.chosen == "lsst":
                yield from self._lsst(typed)
            else:
                yield from self._ztf(typed)

    # --- ZTF: alert by alert ----------------------------------------------------------------

    def _ztf(self, typed: Iterator[tuple[str, Any, str]]) -> Iterator[Bunch]:
        check_ztf_planes(self.variance, self.psf)
        rows = AlertRows(self.names, self.stamp_size or 63)
        sources = ((name, source) for name, source, _ in typed)
        if self._in_parallel():
            options = {"stamp_size": rows.stamp_size, "pad": self.pad, "columns": rows.columns}
            filled = self._parallel(read_alert_files, sources, rows, options)
        else:
            filled = iter_alert_files(sources, rows, pad=self.pad, on_error=self.on_error)
        yield from self._batches(filled, rows, self._ztf_bunch)

    # --- shared: worker processes, batches ------------------------------------------------------

    def _in_parallel(self) -> bool:
        return self.n_jobs > 1 and len(self.sources) > MIN_CHUNK

    def _parallel(
        self, read: Any, sources: Iterable[Any], rows: Any, options: dict[str, Any]
    ) -> Iterator[None]:
        """Read chunks of sources in worker processes, in order, into ``rows``.

        ``read(chunk, on_error=..., **options)`` returns the chunk that ``rows.add`` takes.
        """
        size = min(max(self.batch_size // self.n_jobs, MIN_CHUNK), MAX_CHUNK)
        chunks = iter(lambda: list(itertools.islice(sources, size)), [])
        # One chunk in flight per worker (joblib's default dispatches 2 * n_jobs ahead): the
        # chunks waiting to be collected are what memory holds beyond the batch.
        parallel = Parallel(n_jobs=self.n_jobs, return_as="generator", pre_dispatch="n_jobs")
        for output in parallel(
            delayed(read)(chunk, on_error=self.on_error, **options) for chunk in chunks
        ):
            rows.add(output)
            yield

    def _batches(self, filled: Iterator[None], rows: Any, bunch: Any) -> Iterator[Bunch]:
        """Hand ``rows`` over as Bunches of ``batch_size`` alerts as ``filled`` fills it."""
        n_yielded = 0
        for _ in filled:
            # A full batch is handed over only once the next alert is in, so that errors met
            # after the last alert still reach the caller with the last batch.
            while len(rows) > self.batch_size:
                n_yielded += self.batch_size
                yield bunch(rows.take(self.batch_size))
        if not n_yielded and not len(rows):
            raise _nothing_read([*self.errors, *rows.errors], len(self.sources))
        if len(rows):  # always, once anything was read: the held-back last batch
            yield bunch(rows.take())

    def _ztf_bunch(self, chunk: dict[str, Any]) -> Bunch:
        errors, self.errors = self.errors, []
        alerts = _bunch(
            [chunk], self.names, self.columns, self.masked_sentinel, self.on_error, errors
        )
        return _with_survey(alerts, "ztf")

    # --- Rubin: alert by alert -----------------------------------------------------------------

    def _lsst(self, typed: Iterator[tuple[str, Any, str]]) -> Iterator[Bunch]:
        names, extensions = lsst_plan(self.columns, self.variance, self.psf)
        rows = RubinRows(names)
        options = {"extensions": extensions, "max_side": RUBIN_MAX_SIDE}
        if self._in_parallel():
            filled = self._parallel(read_rubin_files, typed, rows, {"columns": names, **options})
        else:
            filled = iter_rubin_files(typed, rows, on_error=self.on_error, **options)
        yield from self._batches(filled, rows, lambda chunk: self._lsst_bunch(chunk, names))

    def _lsst_bunch(self, chunk: dict[str, Any], names: list[str]) -> Bunch:
        errors, self.errors = self.errors, []
        return _lsst_bunch(
            [chunk],
            errors,
            len(self.sources),
            self.stamp_size,
            names,
            self.columns,
            self.variance,
            self.psf,
            self.on_error,
        )
