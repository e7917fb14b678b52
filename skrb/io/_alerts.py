"""Read alert packets (ZTF's and Rubin's) into stamp sets and a metadata table.

The survey of each file is recognised from its packets (:mod:`skrb.io._formats`); ZTF packets go
to :mod:`skrb.io._alert_decode`, Rubin's to :mod:`skrb.io._rubin`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from numbers import Integral
from types import MappingProxyType
from typing import Any

import numpy as np
from astropy.table import Column, MaskedColumn, Table
from sklearn.utils import Bunch
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)

from skrb._panels import PANELS
from skrb.io._alert_decode import PADS, read_alert_files
from skrb.io._errors import (
    ON_ERROR,
    ReadError,
    error_message,
    record_error,
    report_errors,
)
from skrb.io._formats import SURVEY_NAMES, sniff
from skrb.io._parallel import map_chunks
from skrb.io._paths import PathsLike, Skipped, expand_paths
from skrb.io._rubin import LSST_COLUMNS, RUBIN_MAX_SIDE, assemble, read_rubin_files, shapes_of

__all__ = ["ALERT_COLUMNS", "LSST_COLUMNS", "SCORE_COLUMNS", "read_alerts"]

SURVEYS = ("auto", "ztf", "lsst")

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

_OWN_COLUMNS = (
    "file",
    "record",
    "status",
    "n_nonfinite",
    "cutout_shape",
    "schema",
    "variance_shape",
    "psf_shape",
)
"""Columns :func:`read_alerts` adds to ``meta`` after the alert fields."""

SCORE_COLUMNS = MappingProxyType(
    {
        "ztf": ("candid", "objectId", "jd", "fid", "ra", "dec", "rb", "drb"),
        "lsst": (
            "diaSourceId",
            "diaObjectId",
            "band",
            "midpointMjdTai",
            "ra",
            "dec",
            "reliability",
        ),
    }
)
"""Survey -> the ``meta`` columns that identify an alert and hold the survey's own score.

What a scoring table writes beside P(real), in this order: for ZTF the candidate and object
ids, time, filter, position and ZTF's ``rb``/``drb`` scores; for Rubin (``"lsst"``) the
``diaSource`` and ``diaObject`` ids, band, time, position and Rubin's ``reliability``.
:func:`read_alerts` says which survey it read in ``alerts.survey``.
"""

_ALWAYS_MASKED = ("rb", "drb")
_REQUIRED_COLUMNS = tuple(name for name in ALERT_COLUMNS if name not in _ALWAYS_MASKED)
# ZTF marks masked template pixels with the float32 sentinel -3.4e38; no real pixel is below this.
_SENTINEL_BELOW = -1e30


# What ZTF's schema holds in each of ALERT_COLUMNS (other columns: what most alerts hold).
_STRING_COLUMNS = ("objectId", "isdiffpos")
# The dtype of a column whose every value is absent (a batch of iter_alerts, say), where it is
# not float: ids stay int64 and strings str, so that batches stack (other columns: float NaN).
_ABSENT_DTYPES = {
    "candid": np.int64,
    "fid": np.int64,
    "objectId": np.str_,
    "isdiffpos": np.str_,
    "diaSourceId": np.int64,
    "diaObjectId": np.int64,
    "band": np.str_,
}

# Id columns: 64-bit integers that float64 would round (ids above 2**53), so a float in one row
# must not turn the column into floats. An integral float (pandas' int column with a gap) is
# taken as its integer, NaN as absent; any other float is masked with its reason.
_INTEGER_COLUMNS = tuple(name for name, dtype in _ABSENT_DTYPES.items() if dtype is np.int64)


def _as_integer(value: Any) -> Any:
    """Return an id column's value: integral floats as ints, NaN as None, others as given."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if float(value).is_integer():
            return int(value)
    return value


def _kind(value: Any) -> str:
    """Return a metadata value's kind: 'number', 'str', 'bool', or its type's name."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def _integer_kind(value: Any) -> str:
    """Return an id column's value kind: 'integer', 'float', or what :func:`_kind` says."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return "integer"
    if isinstance(value, float | np.floating):
        return "float"
    return _kind(value)


def _expected_kind(name: str, kinds: list[str]) -> tuple[str, str]:
    """Return the kind a column should hold, and where that comes from (for messages)."""
    if name in _INTEGER_COLUMNS:
        survey = "ZTF's" if name in ALERT_COLUMNS else "Rubin's"
        return "integer", f"{survey} alert schema has"
    if name in ALERT_COLUMNS:
        return ("str" if name in _STRING_COLUMNS else "number"), "ZTF's alert schema has"
    return Counter(kinds).most_common(1)[0][0], "the other alerts have"


def _column(name: str, values: list[Any], always_masked: bool) -> tuple[Column, list[tuple]]:
    """Build a column, masked where a value is absent (None) or of the wrong kind.

    Returns the column and ``(row, reason)`` for each value masked for its kind (a ``jd``
    written as a string in one file must not turn the whole column into strings).
    """
    if name in _INTEGER_COLUMNS:
        values = [_as_integer(value) for value in values]
        kinds = [None if value is None else _integer_kind(value) for value in values]
    else:
        kinds = [None if value is None else _kind(value) for value in values]
    present = [kind for kind in kinds if kind is not None]
    wrong: list[tuple[int, str]] = []
    if present:
        expected, source = _expected_kind(name, present)
        for row, kind in enumerate(kinds):
            if kind is not None and kind != expected:
                shown = repr(values[row])
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                wrong.append(
                    (
                        row,
                        f"field {name!r} is a {kind} ({shown}) where {source} "
                        f"{'an' if expected[0] in 'aeiou' else 'a'} {expected}; masked",
                    )
                )
        if wrong:
            values = list(values)
            for row, _ in wrong:
                values[row] = None
    mask = np.array([value is None for value in values], dtype=bool)
    if mask.all():
        dtype = _ABSENT_DTYPES.get(name)
        array = np.full(len(values), np.nan) if dtype is None else np.zeros(len(values), dtype)
        return MaskedColumn(array, name=name, mask=mask), wrong
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
    """``(name, path or bytes)`` of each alert file (Avro, wire packet, Parquet) to read.

    Dangling links met in folders go to ``skipped`` (``on_error="raise"`` raises for them).
    """
    if isinstance(paths, bytes | bytearray | memoryview):
        paths = [paths]
    if isinstance(paths, list | tuple) and paths:
        if all(isinstance(item, bytes | bytearray | memoryview) for item in paths):
            return [(f"<bytes {i}>", bytes(item)) for i, item in enumerate(paths)]
    found: Skipped = [] if skipped is None else skipped
    files = expand_paths(paths, suffix=(".avro", ".parquet"), what="alert", skipped=found)
    if found and on_error == "raise":
        raise ReadError(error_message(*found[0]))
    return [(os.fspath(path), os.fspath(path)) for path in files]


POSITIVE_INT = Interval(Integral, 1, None, closed="left")

RECORD_CONSTRAINTS = {
    "columns": "no_validation",  # a sequence of names but not a string: _check_columns
    "stamp_size": [POSITIVE_INT, None],
    "pad": [StrOptions(set(PADS))],
    "masked_sentinel": [StrOptions({"nan", "keep"})],
    "on_error": [StrOptions(set(ON_ERROR))],
}
"""Constraints (``validate_params``) of the options every alert reader takes."""

FILE_CONSTRAINTS = {
    "paths": "no_validation",  # expand_paths checks it: paths, patterns, bytes or lists of them
    **RECORD_CONSTRAINTS,
    "survey": [StrOptions(set(SURVEYS))],
    "variance": ["boolean"],
    "psf": ["boolean"],
    "n_jobs": [Integral, None],
    "progress": ["boolean", None],
}
"""Constraints of the options of :func:`read_alerts` (and :func:`skrb.io.iter_alerts`)."""


def check_read_options(
    options: dict[str, Any], caller: str, allowed: Sequence[str] | None = None
) -> None:
    """Check options meant for :func:`read_alerts` / ``iter_alerts`` before they travel.

    For functions that pass ``**read_options`` on to workers (Dask, Spark): an unknown name or
    a bad value is refused at the call, naming ``caller``, instead of on every worker later.
    ``allowed`` narrows the names to those the caller carries (default: all the readers take).
    """
    if allowed is None:
        allowed = set(FILE_CONSTRAINTS) - {"paths", "progress"}
    allowed = sorted(allowed)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(
            f"{caller} got unknown read option(s) {unknown}; the alert readers take {allowed}."
        )
    constraints = {name: FILE_CONSTRAINTS[name] for name in options}
    validate_parameter_constraints(constraints, dict(options), caller_name=caller)
    if "columns" in options:
        _check_columns(options["columns"])


def _check_columns(columns: Sequence[str]) -> list[str]:
    """Return the ZTF columns to read: ALERT_COLUMNS then ``columns``.

    Not a ``validate_params`` constraint: a string is a sequence (of one-letter names) that
    no constraint tells apart from a list, and which names clash depends on skrb's own columns.
    """
    if isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of field names; got the string {columns!r}.")
    reserved = sorted(set(columns) & set(_OWN_COLUMNS))
    if reserved:
        raise ValueError(
            f"columns {reserved} clash with the columns read_alerts adds itself "
            f"({', '.join(_OWN_COLUMNS)}); alert fields of those names cannot be read."
        )
    return list(dict.fromkeys((*ALERT_COLUMNS, *columns)))


def _nothing_read(errors: Sequence[tuple[str, int, str]], n_sources: int) -> ReadError:
    listed = "; ".join(error_message(*error) for error in errors[:3]) or "they hold no record"
    return ReadError(f"None of the {n_sources} alert file(s) held a readable alert: {listed}")


def _bunch(
    chunks: Sequence[dict[str, Any]],
    names: Sequence[str],
    columns: Sequence[str],
    masked_sentinel: str,
    on_error: str,
    skipped: Skipped = (),
    *,
    id_column: str = "candid",
    masked: Sequence[str] | None = None,
) -> Bunch:
    """Assemble decoded chunks (see ``AlertRows``) into read_alerts' Bunch.

    ``skipped`` (dangling links met while listing the files) heads ``errors``; a metadata
    value of the wrong kind is masked and named there too, with the alert's ``id_column``.
    ``masked``: the columns always masked (default: ZTF's ``rb``, ``drb`` and ``columns``).
    """
    errors = [*skipped, *(error for chunk in chunks for error in chunk["errors"])]
    if masked is None:
        masked = list({*_ALWAYS_MASKED, *columns} - set(_REQUIRED_COLUMNS))

    def gathered(name: str) -> list[Any]:
        return [value for chunk in chunks for value in chunk["rows"][name]]

    files, records, ids = gathered("file"), gathered("record"), gathered(id_column)
    built, n_retyped = [], 0
    for name in (*names, "file", "record"):
        column, wrong = _column(name, gathered(name), name in masked)
        for row, reason in wrong:
            label = "" if ids[row] is None else f"{id_column} {ids[row]}: "
            if on_error == "raise":
                raise ReadError(error_message(files[row], records[row], label + reason))
            errors.append((files[row], records[row], label + reason))
            n_retyped += 1
        built.append(column)
    table = Table(built)
    table["status"] = np.array(gathered("status"), dtype=str)
    table["n_nonfinite"] = np.array(gathered("n_nonfinite"), dtype=np.int64)
    table["cutout_shape"] = np.concatenate([chunk["shapes"] for chunk in chunks])
    # one chunk (a serial read, a batch, Rubin's assembled stamps): its array, not a copy
    data = chunks[0]["data"] if len(chunks) == 1 else np.concatenate([c["data"] for c in chunks])
    if masked_sentinel == "nan":
        data[data < _SENTINEL_BELOW] = np.nan
    return Bunch(
        data=data,
        meta=table,
        errors=report_errors(
            errors,
            on_error,
            what="alert files or alerts",
            n_kept=n_retyped + sum(chunk["n_kept"] for chunk in chunks),
        ),
        panels=PANELS,
    )


def _sniffed(
    sources: list[tuple[str, str | bytes]], survey: str, on_error: str, skipped: Skipped
) -> tuple[str | None, list[tuple[str, str | bytes, str]]]:
    """Recognise each source; return the survey read and ``(name, source, kind)`` of its files.

    Unrecognised files, and with a forced ``survey`` files of the other survey, go to
    ``skipped`` (``on_error="raise"`` raises for them).
    """
    found: dict[str, list[tuple[str, str | bytes, str]]] = {"ztf": [], "lsst": []}

    def fail(name: str, exc: BaseException) -> None:
        record_error(skipped, on_error, name, -1, exc)

    for name, source in sources:
        try:
            kind, of = sniff(source)
        except (OSError, ValueError, EOFError) as exc:
            fail(name, exc)
            continue
        if survey != "auto" and of != survey:
            fail(
                name,
                ValueError(
                    f"holds {SURVEY_NAMES[of]} alerts, not {SURVEY_NAMES[survey]} ones "
                    f"(survey={survey!r}); skipped."
                ),
            )
            continue
        found[of].append((name, source, kind))
    if found["ztf"] and found["lsst"]:
        ztf, lsst = found["ztf"][0][0], found["lsst"][0][0]
        raise ValueError(
            f"read_alerts reads one survey per call, but got ZTF alerts ({ztf}, ...) and Rubin "
            f"(LSST) alerts ({lsst}, ...): read them separately, or pass survey='ztf' or "
            "survey='lsst' to skip the other survey's files."
        )
    chosen = "lsst" if found["lsst"] else "ztf" if found["ztf"] else None
    return chosen, found[chosen] if chosen else []


@validate_params(FILE_CONSTRAINTS, prefer_skip_nested_validation=True)
def read_alerts(
    paths: PathsLike | bytes | Sequence[bytes],
    *,
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
) -> Bunch:
    """Read alert packets of ZTF or Rubin (LSST) into stamp sets and a metadata table.

    ZTF: packets as ZTF publishes them (schema ``ztf.alert`` 3.x and 4.x, one alert per file)
    and as brokers re-serialise them (several alerts per file, snappy or deflate codec, other
    record names such as Fink's ``topLevelRecord``) as long as they keep the fields
    ``candidate`` and ``cutoutScience``/``cutoutTemplate``/``cutoutDifference``.

    Rubin: Avro container files with Rubin's schema (``lsst.v7_x`` ... ``lsst.v11_x``) or a
    broker's re-serialisation of it (Fink's ``topLevelRecord`` with its own fields added),
    single Confluent wire-format packets (Kafka message values: byte 0, a 4-byte schema id
    ``100 * major + minor``, one bare Avro record; the schema comes from the ``lsst-alert-packet``
    package) and Fink's Parquet exports (one row per alert). Each cutout is a FITS file whose
    PRIMARY image (nJy) gives ``data``, whose ``UNCERT`` extension (variance) gives ``variance``
    and whose ``PSFIMAGE`` gives ``psf``.

    Parameters
    ----------
    paths : path-like, glob pattern, bytes or list of them
        Alert files (any name), folders (searched recursively for ``*.avro`` and ``*.parquet``)
        or glob patterns (``**`` allowed); files found in folders and patterns are read in
        sorted order. Or the bytes of packets already in memory (e.g. the values of Kafka alert
        messages: ZTF's Avro files, Rubin's wire-format packets), named ``"<bytes i>"`` in
        ``meta["file"]`` and ``errors``.
    survey : {"auto", "ztf", "lsst"}, default="auto"
        Whose alerts to read. ``"auto"`` recognises the survey from the packets (ZTF's have a
        ``candidate`` record, Rubin's a ``diaSource``) and refuses a mix of both; ``"ztf"`` or
        ``"lsst"`` read that survey's files and report the others' as errors.
    columns : sequence of str, default=()
        Further fields to put in ``meta``, masked where an alert lacks them: ZTF ``candidate``
        fields (e.g. ``("xpos", "ypos", "ssdistnr")``); Rubin ``diaSource`` fields (e.g.
        ``("x", "y", "isDipole")``) or top-level ones (``"observation_reason"``).
    stamp_size : int or None, default=None
        Side of the output stamps. ``None``: 63 for ZTF (its cutouts are 63 x 63, smaller near
        CCD edges); for Rubin the largest cutout read (Rubin's are 30 to 102 pixels, most 30).
        Rubin cutouts larger than ``stamp_size`` are cropped about their centre; a ZTF cutout
        larger than it is an error.
    variance : bool, default=False
        Rubin only: also return the cutouts' variance planes (``UNCERT``, nJy^2) as
        ``variance``, placed exactly as ``data`` (NaN where a cutout has no ``UNCERT``). To
        resample them, use :meth:`skrb.preprocessing.StampResizer.transform_variance`.
    psf : bool, default=False
        Rubin only: also return the PSF images (``PSFIMAGE``; 41 x 41 for science and
        difference, 37 to 77 pixels for the template in the real alerts) as ``psf``, each
        centred in a square of the largest PSF side read, padded with zeros (a PSF is zero
        beyond its image).
    pad : {"ztf", "center"}, default="ztf"
        ZTF only: where a smaller cutout goes inside the stamp (the rest is NaN). ``"ztf"``: on
        the side away from the CCD edge that clipped it, found from the candidate's
        ``xpos``/``ypos``, so that the candidate stays at the stamp's centre pixel ``(31, 31)``
        as in full cutouts (centred where the position is unknown; with ``stamp_size`` ``S``
        the full 63-pixel frame is centred, the candidate at ``(S // 2, S // 2)``).
        ``"center"``: centred. Centred means that pixel ``n // 2`` of an ``n``-pixel cutout
        lands on pixel ``S // 2`` of the ``S``-pixel stamp, as for Rubin cutouts (always
        centred) and :class:`~skrb.preprocessing.StampResizer`.
    masked_sentinel : {"nan", "keep"}, default="nan"
        ZTF marks masked *template* pixels with the float32 sentinel -3.4e38 rather than NaN
        (about 1 % of alerts). ``"nan"`` turns every pixel below -1e30 into NaN, so that all
        masked pixels are NaN, as scaling needs (a sentinel would swamp a panel's mean and
        standard deviation). ``"keep"`` leaves the packets' values untouched, e.g. to reproduce
        ZTF's ``drb`` scores bit for bit: braai's float32 normalisation zeroed the template rows
        holding the sentinel (see :class:`~skrb.preprocessing.StampScaler`).
    on_error : {"warn", "raise", "skip"}, default="warn"
        What to do with a corrupt, truncated or unrecognised file (or one of the other survey
        where ``survey`` is forced), an alert that cannot be read, or an alert whose cutouts
        are missing or unreadable: ``"warn"`` carries on with one :class:`~skrb.io.ReadWarning`
        naming the files and alerts, ``"raise"`` raises :class:`~skrb.io.ReadError` naming the
        file and alert, ``"skip"`` carries on silently. Unreadable files and alerts without a
        ``candidate`` (ZTF) or ``diaSource`` (Rubin) are left out; an alert with a missing or
        unreadable cutout is kept with the reason in ``meta["status"]`` (and gets no score from
        skrb's scoring). All are listed in the returned ``errors``; the alerts of a truncated
        file that precede the damage are kept.
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

        - ``data``: ndarray of shape (n_alerts, 3, S, S), float32, panels in
          :data:`skrb.PANELS` order (science, template, difference), pixels in FITS (y, x)
          order (ZTF: counts; Rubin: nJy), NaN where the survey masked pixels, where the cutout
          was smaller or absent;
        - ``meta``: :class:`~astropy.table.Table`, one row per alert. ZTF: the columns of
          :data:`ALERT_COLUMNS` with the packets' values and types (``isdiffpos`` as the string
          ``"t"``/``"f"`` or ``"1"``/``"0"``; ``rb`` and ``drb`` always masked columns, masked
          where absent, e.g. ``drb`` before 2019). Rubin: the columns of :data:`LSST_COLUMNS`
          (from the ``diaSource``), ``schema`` (the schema version, e.g. ``"lsst.v7_4"``;
          versions that the fields cannot tell apart are joined by ``|``). Then ``columns``,
          ``file`` (the source file), ``record`` (the alert's index in that file), ``status``
          (``"ok"`` where the three cutouts decoded, else one line naming each missing or
          unreadable cutout, e.g. ``"missing difference cutout"``; that panel's pixels are NaN
          and the alert gets no score), ``n_nonfinite`` (pixels that were +-inf or beyond
          float32, now NaN) and ``cutout_shape`` (n_alerts, 3, 2): each cutout's original (ny,
          nx), (0, 0) where absent or unreadable (and for Rubin with ``variance=True``,
          ``variance_shape`` the same for the variance planes, with ``psf=True``
          ``psf_shape`` for the PSFs); ``meta.meta["survey"]`` is the survey;
        - ``variance`` (Rubin, ``variance=True``): like ``data``, the variance planes, NaN
          where a cutout has none: such an alert keeps its ``status`` (its images are whole
          and it is scored), its ``variance_shape`` is (0, 0) for that panel and ``errors``
          names it (``"no UNCERT plane in the template cutout: ..."``);
        - ``psf`` (Rubin, ``psf=True``): ndarray (n_alerts, 3, P, P), float32;
        - ``errors``: :class:`~astropy.table.Table` with ``file``, ``record`` (-1: the whole
          file) and ``error`` (starting with the alert's ``candid`` or ``diaSourceId`` where
          known) for every file or alert skipped, every alert kept with a status other than
          ``"ok"``, every alert with masked non-finite pixels and, with ``variance=True``,
          every alert with a cutout lacking its variance plane;
        - ``panels``: :data:`skrb.PANELS`;
        - ``survey``: ``"ztf"`` or ``"lsst"``; :data:`SCORE_COLUMNS` gives its identifier and
          score columns.

    Raises
    ------
    FileNotFoundError
        If a named file, folder or pattern does not exist or no alert file is found.
    ReadError
        With ``on_error="raise"``, at the first unreadable file or alert; whatever
        ``on_error``, when no alert at all could be read.
    ValueError
        If a parameter is invalid, or ``survey="auto"`` finds alerts of both surveys.

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
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with open(folder / "alert.avro", "wb") as handle:
    ...     fastavro.writer(handle, schema, [alert])
    >>> alerts = read_alerts(folder / "alert.avro")
    >>> alerts.survey, alerts.data.shape, alerts.data.dtype
    ('ztf', (1, 3, 63, 63), dtype('float32'))
    >>> alerts.data[0, :, 31, 31]
    array([ 1.,  2., nan], dtype=float32)
    >>> print(alerts.meta["objectId", "jd", "rb", "drb", "status"])
      objectId       jd      rb  drb status
    ------------ ---------- ---- --- ------
    ZTF18abcdefg 2458451.75 0.52  --     ok

    A Rubin alert (a reduced schema: a ``diaSource`` and three cutouts written from astropy
    ``CCDData``, image + variance + PSF), with a 30-pixel science and template but a missing
    difference:

    >>> from astropy.nddata import CCDData, VarianceUncertainty
    >>> def rubin_cutout(value, side=30):
    ...     ccd = CCDData(np.full((side, side), value, "f4"), unit="nJy",
    ...                   uncertainty=VarianceUncertainty(np.full((side, side), 4.0, "f4")))
    ...     hdul = ccd.to_hdu()
    ...     hdul.append(fits.ImageHDU(np.ones((41, 41)), name="PSFIMAGE"))
    ...     buffer = io.BytesIO()
    ...     hdul.writeto(buffer)
    ...     return buffer.getvalue()
    >>> rubin = {"name": "alert", "namespace": "lsst.v9_0", "type": "record", "fields": [
    ...     {"name": "diaSourceId", "type": "long"},
    ...     {"name": "diaSource", "type": {"name": "diaSource", "type": "record", "fields": [
    ...         {"name": "diaSourceId", "type": "long"}, {"name": "band", "type": "string"},
    ...         {"name": "reliability", "type": ["null", "float"]}]}},
    ...     *({"name": name, "type": ["null", "bytes"]}
    ...       for name in ("cutoutScience", "cutoutTemplate", "cutoutDifference"))]}
    >>> packet = {"diaSourceId": 7, "diaSource": {
    ...     "diaSourceId": 7, "band": "r", "reliability": 0.75},
    ...     "cutoutScience": rubin_cutout(10.0), "cutoutTemplate": rubin_cutout(9.0),
    ...     "cutoutDifference": None}
    >>> with open(folder / "rubin.avro", "wb") as handle:
    ...     fastavro.writer(handle, rubin, [packet])
    >>> alerts = read_alerts(folder / "rubin.avro", stamp_size=32, variance=True, on_error="skip")
    >>> alerts.survey, alerts.data.shape
    ('lsst', (1, 3, 32, 32))
    >>> alerts.data[0, :, 16, 16], alerts.variance[0, :, 16, 16]
    (array([10.,  9., nan], dtype=float32), array([ 4.,  4., nan], dtype=float32))
    >>> alerts.data[0, 0, 0, 0]  # a 30-pixel cutout centred in 32 pixels: NaN border
    np.float32(nan)
    >>> print(alerts.meta["diaSourceId", "band", "reliability", "schema", "status"])
    diaSourceId band reliability   schema            status
    ----------- ---- ----------- --------- -------------------------
              7    r        0.75 lsst.v9_0 missing difference cutout
    """
    names = _check_columns(columns)
    skipped: Skipped = []
    sources = _sources(paths, skipped, on_error)
    chosen, files = _sniffed(sources, survey, on_error, skipped)
    options = {"n_jobs": n_jobs, "progress": progress, "on_error": on_error}
    if chosen == "lsst":
        return _read_lsst(
            files, skipped, len(sources), stamp_size, columns, variance, psf, **options
        )
    check_ztf_planes(variance, psf)
    for name, _, kind in files:
        if kind != "container":
            reason = f"ValueError: ZTF alerts in a {kind} file are not read; write them as Avro."
            skipped.append((name, -1, reason))
    chunks = map_chunks(
        read_alert_files,
        [(name, source) for name, source, kind in files if kind == "container"],
        n_jobs=n_jobs,
        progress=progress,
        desc="Reading alerts",
        stamp_size=int(stamp_size or 63),
        pad=pad,
        columns=names,
        on_error=on_error,
    )
    if not any(len(chunk["rows"]["file"]) for chunk in chunks):
        raise _nothing_read(
            [*skipped, *(error for chunk in chunks for error in chunk["errors"])], len(sources)
        )
    return _with_survey(_bunch(chunks, names, columns, masked_sentinel, on_error, skipped), "ztf")


def check_ztf_planes(variance: bool, psf: bool) -> None:
    """Refuse ``variance=True`` or ``psf=True`` for ZTF alerts, which carry neither."""
    if variance or psf:
        raise ValueError(
            "variance=True and psf=True need Rubin alerts: ZTF cutouts carry no variance plane "
            "or PSF image."
        )


def _with_survey(alerts: Bunch, survey: str) -> Bunch:
    alerts.survey = alerts.meta.meta["survey"] = survey
    return alerts


def lsst_plan(columns: Sequence[str], variance: bool, psf: bool) -> tuple[list[str], list[str]]:
    """Return the metadata columns and the extension HDUs to read from Rubin alerts."""
    names = list(dict.fromkeys((*LSST_COLUMNS, *columns)))
    return names, [*(["UNCERT"] if variance else []), *(["PSFIMAGE"] if psf else [])]


def _read_lsst(
    files: list[tuple[str, str | bytes, str]],
    skipped: Skipped,
    n_sources: int,
    stamp_size: int | None,
    columns: Sequence[str],
    variance: bool,
    psf: bool,
    *,
    n_jobs: int | None,
    progress: bool | None,
    on_error: str,
) -> Bunch:
    """Read Rubin sources: decode in chunks, then centre every cutout in stamps of one side."""
    names, extensions = lsst_plan(columns, variance, psf)
    chunks = map_chunks(
        read_rubin_files,
        files,
        n_jobs=n_jobs,
        progress=progress,
        desc="Reading alerts",
        columns=names,
        extensions=extensions,
        on_error=on_error,
        max_side=RUBIN_MAX_SIDE,
    )
    return _lsst_bunch(
        chunks, skipped, n_sources, stamp_size, names, columns, variance, psf, on_error
    )


def _lsst_bunch(
    chunks: Sequence[dict[str, Any]],
    skipped: Skipped,
    n_sources: int,
    stamp_size: int | None,
    names: Sequence[str],
    columns: Sequence[str],
    variance: bool,
    psf: bool,
    on_error: str,
    *,
    empty_ok: bool = False,
) -> Bunch:
    """Assemble decoded Rubin chunks: every cutout centred in stamps of one side.

    No alert at all is a ReadError, unless ``empty_ok`` (no records were given).
    """
    cutouts = [alert for chunk in chunks for alert in chunk["cutouts"]]
    if not cutouts and not empty_ok:
        raise _nothing_read(
            [*skipped, *(error for chunk in chunks for error in chunk["errors"])], n_sources
        )
    shapes = shapes_of(cutouts)
    side = stamp_size or int(shapes.max(initial=0)) or 30
    merged = {
        "data": assemble(cutouts, side),
        "shapes": shapes,
        "rows": {
            name: [value for chunk in chunks for value in chunk["rows"][name]]
            for name in chunks[0]["rows"]
        },
        "errors": [error for chunk in chunks for error in chunk["errors"]],
        "n_kept": sum(chunk["n_kept"] for chunk in chunks),
    }
    alerts = _bunch(
        [merged],
        [*names, "schema"],
        columns,
        "keep",
        on_error,
        skipped,
        id_column="diaSourceId",
        masked=names,
    )
    planes = [alert_planes for chunk in chunks for alert_planes in chunk["extensions"]]

    def extension(hdu: str) -> list[list[np.ndarray | None]]:
        return [[panel.get(hdu) for panel in alert] for alert in planes]

    if variance:
        variances = extension("UNCERT")
        alerts.variance = assemble(variances, side)
        alerts.meta["variance_shape"] = shapes_of(variances)  # (0, 0): no UNCERT plane
    if psf:
        psfs = extension("PSFIMAGE")
        psf_shapes = shapes_of(psfs)
        alerts.psf = assemble(psfs, int(psf_shapes.max(initial=1)), fill=0.0)
        alerts.meta["psf_shape"] = psf_shapes
    return _with_survey(alerts, "lsst")
