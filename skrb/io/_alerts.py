"""Read ZTF alert packets (Avro) into stamp sets and a metadata table."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy.table import Column, MaskedColumn, Table
from sklearn.utils import Bunch

from skrb._panels import PANELS
from skrb.io._alert_decode import PADS, read_alert_files
from skrb.io._errors import ReadError, check_on_error, error_message, report_errors
from skrb.io._parallel import map_chunks
from skrb.io._paths import PathsLike, Skipped, expand_paths

__all__ = ["ALERT_COLUMNS", "read_alerts"]

ALERT_COLUMNS = (
    "candid",
    "objectId",
    "jd",
    "fid",
    "ra",
    "dec",
    "magpsf",
    "sigmapsf",
    "isdiffpos",
    "rb",
    "drb",
)
"""Metadata columns :func:`read_alerts` always returns (from the alert and its ``candidate``)."""

_OWN_COLUMNS = ("file", "record", "status", "n_nonfinite", "cutout_shape")
"""Columns :func:`read_alerts` adds to ``meta`` after the alert fields."""

_ALWAYS_MASKED = ("rb", "drb")
_REQUIRED_COLUMNS = tuple(name for name in ALERT_COLUMNS if name not in _ALWAYS_MASKED)
# ZTF marks masked template pixels with the float32 sentinel -3.4e38; no real pixel is below this.
_SENTINEL_BELOW = -1e30


# What ZTF's schema holds in each of ALERT_COLUMNS (other columns: what most alerts hold).
_STRING_COLUMNS = ("objectId", "isdiffpos")


def _kind(value: Any) -> str:
    """Return a metadata value's kind: 'number', 'str', 'bool', or its type's name."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def _expected_kind(name: str, kinds: list[str]) -> tuple[str, str]:
    """Return the kind a column should hold, and where that comes from (for messages)."""
    if name in ALERT_COLUMNS:
        return ("str" if name in _STRING_COLUMNS else "number"), "ZTF's alert schema has"
    return Counter(kinds).most_common(1)[0][0], "the other alerts have"


def _column(name: str, values: list[Any], always_masked: bool) -> tuple[Column, list[tuple]]:
    """Build a column, masked where a value is absent (None) or of the wrong kind.

    Returns the column and ``(row, reason)`` for each value masked for its kind (a ``jd``
    written as a string in one file must not turn the whole column into strings).
    """
    kinds = [_kind(value) for value in values if value is not None]
    wrong: list[tuple[int, str]] = []
    if kinds:
        expected, source = _expected_kind(name, kinds)
        for row, value in enumerate(values):
            if value is not None and _kind(value) != expected:
                shown = repr(value)
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                wrong.append(
                    (
                        row,
                        f"field {name!r} is a {_kind(value)} ({shown}) where {source} a "
                        f"{expected}; masked",
                    )
                )
        if wrong:
            values = list(values)
            for row, _ in wrong:
                values[row] = None
    mask = np.array([value is None for value in values], dtype=bool)
    if mask.all():
        return MaskedColumn(np.full(len(values), np.nan), name=name, mask=mask), wrong
    filler = next(value for value in values if value is not None)
    array = np.asarray([filler if value is None else value for value in values])
    if mask.any() or always_masked:
        return MaskedColumn(array, name=name, mask=mask), wrong
    return Column(array, name=name), wrong


def _sources(
    paths: PathsLike | bytes | Sequence[bytes],
    skipped: Skipped | None = None,
    on_error: str = "skip",
) -> list[tuple[str, str | bytes]]:
    """``(name, path or bytes)`` of each Avro file to read.

    Dangling links met in folders go to ``skipped`` (``on_error="raise"`` raises for them).
    """
    if isinstance(paths, bytes | bytearray | memoryview):
        paths = [paths]
    if isinstance(paths, list | tuple) and paths:
        if all(isinstance(item, bytes | bytearray | memoryview) for item in paths):
            return [(f"<bytes {i}>", bytes(item)) for i, item in enumerate(paths)]
    found: Skipped = [] if skipped is None else skipped
    files = expand_paths(paths, suffix=".avro", what="Avro alert", skipped=found)
    if found and on_error == "raise":
        raise ReadError(error_message(*found[0]))
    return [(os.fspath(path), os.fspath(path)) for path in files]


def _check_options(
    *, columns: Sequence[str], stamp_size: int, pad: str, masked_sentinel: str, on_error: str
) -> list[str]:
    """Validate read_alerts' options; return the metadata columns to read."""
    check_on_error(on_error)
    if pad not in PADS:
        raise ValueError(f"pad must be one of {PADS}; got {pad!r}.")
    if masked_sentinel not in ("nan", "keep"):
        raise ValueError(f"masked_sentinel must be 'nan' or 'keep'; got {masked_sentinel!r}.")
    if isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of field names; got the string {columns!r}.")
    reserved = sorted(set(columns) & set(_OWN_COLUMNS))
    if reserved:
        raise ValueError(
            f"columns {reserved} clash with the columns read_alerts adds itself "
            f"({', '.join(_OWN_COLUMNS)}); candidate fields of those names cannot be read."
        )
    if not isinstance(stamp_size, int | np.integer) or stamp_size < 1:
        raise ValueError(f"stamp_size must be a positive integer; got {stamp_size!r}.")
    return list(dict.fromkeys((*ALERT_COLUMNS, *columns)))


def _nothing_read(errors: Sequence[tuple[str, int, str]], n_sources: int) -> ReadError:
    listed = "; ".join(error_message(*error) for error in errors[:3]) or "they hold no record"
    return ReadError(f"None of the {n_sources} Avro file(s) held a readable alert: {listed}")


def _bunch(
    chunks: Sequence[dict[str, Any]],
    names: Sequence[str],
    columns: Sequence[str],
    masked_sentinel: str,
    on_error: str,
    skipped: Skipped = (),
) -> Bunch:
    """Assemble decoded chunks (see ``AlertRows``) into read_alerts' Bunch.

    ``skipped`` (dangling links met while listing the files) heads ``errors``; a metadata
    value of the wrong kind is masked and named there too.
    """
    errors = [*skipped, *(error for chunk in chunks for error in chunk["errors"])]
    masked = {*_ALWAYS_MASKED, *columns} - set(_REQUIRED_COLUMNS)

    def gathered(name: str) -> list[Any]:
        return [value for chunk in chunks for value in chunk["rows"][name]]

    files, records, candids = gathered("file"), gathered("record"), gathered("candid")
    built, n_retyped = [], 0
    for name in (*names, "file", "record"):
        column, wrong = _column(name, gathered(name), name in masked)
        for row, reason in wrong:
            label = "" if candids[row] is None else f"candid {candids[row]}: "
            if on_error == "raise":
                raise ReadError(error_message(files[row], records[row], label + reason))
            errors.append((files[row], records[row], label + reason))
            n_retyped += 1
        built.append(column)
    table = Table(built)
    table["status"] = np.array(gathered("status"), dtype=str)
    table["n_nonfinite"] = np.array(gathered("n_nonfinite"), dtype=np.int64)
    table["cutout_shape"] = np.concatenate([chunk["shapes"] for chunk in chunks])
    data = np.concatenate([chunk["data"] for chunk in chunks])
    if masked_sentinel == "nan":
        data[data < _SENTINEL_BELOW] = np.nan
    return Bunch(
        data=data,
        meta=table,
        errors=report_errors(
            errors,
            on_error,
            what="Avro files or alerts",
            n_kept=n_retyped + sum(chunk["n_kept"] for chunk in chunks),
        ),
        panels=PANELS,
    )


def read_alerts(
    paths: PathsLike | bytes | Sequence[bytes],
    *,
    columns: Sequence[str] = (),
    stamp_size: int = 63,
    pad: str = "ztf",
    masked_sentinel: str = "nan",
    on_error: str = "warn",
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> Bunch:
    """Read ZTF alert packets (Avro) into stamp sets and a metadata table.

    Reads alert packets as ZTF publishes them (schema ``ztf.alert`` 3.x and 4.x, one alert per
    file) and as brokers re-serialise them (several alerts per file, snappy or deflate codec,
    other record names such as Fink's ``topLevelRecord``) as long as they keep the fields
    ``candidate`` and ``cutoutScience``/``cutoutTemplate``/``cutoutDifference``.

    Parameters
    ----------
    paths : path-like, glob pattern, bytes or list of them
        Avro files (any name), folders (searched recursively for ``*.avro``) or glob patterns
        (``**`` allowed); files found in folders and patterns are read in sorted order (folders
        are searched through symbolic links, each real folder once; dangling links are listed
        in ``errors``). Or the
        bytes of Avro files already in memory (e.g. the values of Kafka alert messages), named
        ``"<bytes i>"`` in ``meta["file"]`` and ``errors``.
    columns : sequence of str, default=()
        Further ``candidate`` fields to put in ``meta`` (e.g. ``("xpos", "ypos", "ssdistnr")``),
        masked where an alert lacks them.
    stamp_size : int, default=63
        Side of the output stamps; ZTF cutouts are 63 x 63 pixels, smaller near CCD edges.
    pad : {"ztf", "center"}, default="ztf"
        Where a smaller cutout goes inside the stamp (the rest is NaN). ``"ztf"``: on the side
        away from the CCD edge that clipped it, found from the candidate's ``xpos``/``ypos``,
        so that the candidate stays at the stamp's centre pixel ``(31, 31)`` as in full
        cutouts (centred where the position is unknown). ``"center"``: centred.
    masked_sentinel : {"nan", "keep"}, default="nan"
        ZTF marks masked *template* pixels with the float32 sentinel -3.4e38 rather than NaN
        (about 1 % of alerts). ``"nan"`` turns every pixel below -1e30 into NaN, so that all
        masked pixels are NaN, as scaling needs (a sentinel would swamp a panel's mean and
        standard deviation). ``"keep"`` leaves the packets' values untouched, e.g. to reproduce
        ZTF's ``drb`` scores bit for bit: braai's float32 normalisation zeroed the template rows
        holding the sentinel (see :class:`~skrb.preprocessing.StampScaler`).
    on_error : {"warn", "raise", "skip"}, default="warn"
        What to do with a corrupt or truncated file, an alert that cannot be read, or an alert
        whose cutouts are missing or unreadable: ``"warn"`` carries on with one
        :class:`~skrb.io.ReadWarning` naming the files and alerts, ``"raise"`` raises
        :class:`~skrb.io.ReadError` naming the file and alert, ``"skip"`` carries on silently.
        Unreadable files and alerts without a ``candidate`` are left out; an alert with a
        missing or unreadable cutout is kept with the reason in ``meta["status"]`` (and gets
        no score from skrb's scoring). All are listed in the returned ``errors``; the alerts
        of a truncated file that precede the damage are kept.
    n_jobs : int or None, default=None
        Number of processes reading files in parallel (joblib's loky backend, or the one set
        with :func:`joblib.parallel_config`; ``None`` means 1, ``-1`` all cores). Starting the
        processes takes about a second, so this pays off only for large reads on idle cores.
    progress : bool or None, default=None
        Show a tqdm progress bar; ``None`` shows it only on a terminal.

    Returns
    -------
    alerts : :class:`~sklearn.utils.Bunch`
        With attributes:

        - ``data``: ndarray of shape (n_alerts, 3, stamp_size, stamp_size), float32, panels in
          :data:`skrb.PANELS` order (science, template, difference), pixels in FITS (y, x)
          order, NaN where the survey masked pixels, where the cutout was smaller or absent;
        - ``meta``: :class:`~astropy.table.Table`, one row per alert: the columns of
          :data:`ALERT_COLUMNS` with the packets' values and types (``isdiffpos`` as the
          string ``"t"``/``"f"`` or ``"1"``/``"0"``; ``rb`` and ``drb`` always masked columns,
          masked where absent, e.g. ``drb`` before 2019), then ``columns``, ``file`` (the
          source file), ``record`` (the alert's index in that file), ``status`` (``"ok"``
          where the three cutouts decoded, else one line naming each missing or unreadable
          cutout, e.g. ``"missing difference cutout"``; that panel's pixels are NaN and the
          alert gets no score), ``n_nonfinite`` (pixels that were +-inf or beyond float32,
          now NaN) and ``cutout_shape`` (n_alerts, 3, 2): each cutout's original (ny, nx),
          (0, 0) where absent or unreadable;
        - ``errors``: :class:`~astropy.table.Table` with ``file``, ``record`` (-1: the whole
          file) and ``error`` (starting with the alert's ``candid`` where known) for every
          file or alert skipped, every alert kept with a status other than ``"ok"`` and every
          alert with masked non-finite pixels;
        - ``panels``: :data:`skrb.PANELS`.

    Raises
    ------
    FileNotFoundError
        If a named file, folder or pattern does not exist or no Avro file is found.
    ReadError
        With ``on_error="raise"``, at the first unreadable file or alert; whatever
        ``on_error``, when no alert at all could be read.
    ValueError
        If a parameter is invalid.

    See Also
    --------
    skrb.io.read_fits_stamps : Stamp sets from FITS files.

    Examples
    --------
    Write one alert the way ZTF does and read it back:

    >>> import gzip, io, tempfile, pathlib
    >>> import numpy as np, fastavro
    >>> from astropy.io import fits
    >>> def cutout(value):
    ...     buffer = io.BytesIO()
    ...     fits.PrimaryHDU(np.full((63, 63), value, dtype=">f4")).writeto(buffer)
    ...     return {"fileName": "cutout.fits.gz", "stampData": gzip.compress(buffer.getvalue())}
    >>> schema = {"name": "alert", "type": "record", "fields": [
    ...     {"name": "objectId", "type": "string"}, {"name": "candid", "type": "long"},
    ...     {"name": "candidate", "type": {"name": "candidate", "type": "record", "fields": [
    ...         {"name": name, "type": "double"} for name in ("jd", "ra", "dec", "rb")]}},
    ...     *({"name": name, "type": {"name": "cutout", "type": "record", "fields": [
    ...         {"name": "fileName", "type": "string"}, {"name": "stampData", "type": "bytes"}]}
    ...       } if name == "cutoutScience" else {"name": name, "type": "cutout"}
    ...       for name in ("cutoutScience", "cutoutTemplate", "cutoutDifference"))]}
    >>> alert = {"objectId": "ZTF18abcdefg", "candid": 1, "candidate": {
    ...     "jd": 2458451.75, "ra": 9.46, "dec": -7.07, "rb": 0.52},
    ...     "cutoutScience": cutout(1.0), "cutoutTemplate": cutout(2.0),
    ...     "cutoutDifference": cutout(np.nan)}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "alert.avro"
    >>> with open(path, "wb") as handle:
    ...     fastavro.writer(handle, schema, [alert])
    >>> alerts = read_alerts(path)
    >>> alerts.data.shape, alerts.data.dtype
    ((1, 3, 63, 63), dtype('float32'))
    >>> alerts.data[0, :, 31, 31]
    array([ 1.,  2., nan], dtype=float32)
    >>> print(alerts.meta["objectId", "jd", "rb", "drb", "status"])
      objectId       jd      rb  drb status
    ------------ ---------- ---- --- ------
    ZTF18abcdefg 2458451.75 0.52  --     ok

    Cutouts are bounded: one larger than ZTF's 63 x 63 pixels, or a gzip stream inflating
    beyond what such a cutout needs, is refused before it is allocated.
    """
    names = _check_options(
        columns=columns,
        stamp_size=stamp_size,
        pad=pad,
        masked_sentinel=masked_sentinel,
        on_error=on_error,
    )
    skipped: Skipped = []
    sources = _sources(paths, skipped, on_error)
    chunks = map_chunks(
        read_alert_files,
        sources,
        n_jobs=n_jobs,
        progress=progress,
        desc="Reading alerts",
        stamp_size=int(stamp_size),
        pad=pad,
        columns=names,
        on_error=on_error,
    )
    if not any(len(chunk["rows"]["file"]) for chunk in chunks):
        raise _nothing_read(
            [*skipped, *(error for chunk in chunks for error in chunk["errors"])], len(sources)
        )
    return _bunch(chunks, names, columns, masked_sentinel, on_error, skipped)
