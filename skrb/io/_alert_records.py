"""Alerts already decoded from Avro (a broker's DataFrame rows, Kafka records) into stamp sets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from skrb.io._alert_decode import AlertRows, iter_alert_files
from skrb.io._alerts import (
    RECORD_CONSTRAINTS,
    SURVEYS,
    _bunch,
    _check_columns,
    _lsst_bunch,
    _nothing_read,
    _with_survey,
    lsst_plan,
)
from skrb.io._avro import CUTOUT_FIELDS
from skrb.io._rubin import RUBIN_MAX_SIDE, read_rubin_files

__all__ = ["alerts_from_records", "records_survey"]

_MARKERS = {"ztf": ("candid", "candidate"), "lsst": ("diaSourceId", "diaSource")}


def _rows(records: Any) -> tuple[list[Mapping[str, Any]], list[str] | None]:
    """Return the rows of a list of dicts, a pandas DataFrame or a pyarrow Table.

    And their column names where the records have a schema (None for a sequence of dicts).
    """
    if hasattr(records, "to_pylist") and hasattr(records, "column_names"):  # pyarrow
        return records.to_pylist(), list(records.column_names)
    if hasattr(records, "to_dict") and hasattr(records, "columns"):  # pandas
        return records.to_dict("records"), [str(name) for name in records.columns]
    if isinstance(records, Mapping):
        raise TypeError(
            "records must be a sequence of alert records (dicts), a pandas DataFrame or a "
            "pyarrow Table; got a single mapping."
        )
    rows = list(records)
    for row in rows:
        if not isinstance(row, Mapping):
            raise TypeError(f"an alert record must be a mapping; got {type(row).__name__}.")
    return rows, None


def records_survey(columns: Iterable[str], survey: str = "auto") -> str:
    """Return whose alerts rows with ``columns`` are (``"ztf"`` or ``"lsst"``), or raise.

    ZTF's rows have ``candid`` or a ``candidate`` record, Rubin's ``diaSourceId`` or a
    ``diaSource`` record; all need the three cutout columns (``cutoutScience``,
    ``cutoutTemplate``, ``cutoutDifference``, or Fink's flattened ``cutoutScience.stampData``
    ...). ``survey`` other than ``"auto"`` is taken as given.

    Raises
    ------
    ValueError
        If a cutout column is absent, or (``survey="auto"``) the columns are of neither
        survey or of both.

    Examples
    --------
    >>> from skrb.io._alert_records import records_survey
    >>> cutouts = ["cutoutScience", "cutoutTemplate", "cutoutDifference"]
    >>> records_survey(["diaSourceId", *cutouts]), records_survey(["candid", *cutouts])
    ('lsst', 'ztf')
    >>> records_survey(["objectId", *cutouts])
    Traceback (most recent call last):
    ...
    ValueError: alert rows of neither ZTF nor Rubin: ZTF's have 'candid' or 'candidate', ...
    """
    columns = list(dict.fromkeys(columns))
    missing = [f for f in CUTOUT_FIELDS if f not in columns and f"{f}.stampData" not in columns]
    if missing:
        raise ValueError(
            f"alert rows without the cutout column(s) {', '.join(missing)}: skrb scores the "
            f"three cutouts as bytes; the rows have {', '.join(columns[:20]) or 'no column'}."
        )
    if survey != "auto":
        return survey
    found = {name: [m for m in markers if m in columns] for name, markers in _MARKERS.items()}
    if found["ztf"] and found["lsst"]:
        raise ValueError(
            f"alert rows with both ZTF ({', '.join(found['ztf'])}) and Rubin "
            f"({', '.join(found['lsst'])}) columns: pass survey='ztf' or survey='lsst'."
        )
    if not (found["ztf"] or found["lsst"]):
        raise ValueError(
            "alert rows of neither ZTF nor Rubin: ZTF's have 'candid' or 'candidate', Rubin's "
            f"'diaSourceId' or 'diaSource'; these have {', '.join(columns[:20])} (or pass "
            "survey='ztf' or 'lsst')."
        )
    return "ztf" if found["ztf"] else "lsst"


def _normalised(rows: Iterable[Mapping[str, Any]], nested: str) -> Iterator[dict[str, Any]]:
    """Put rows in the packets' shape: cutouts under their names, a ``nested`` record.

    ``nested`` is ZTF's ``candidate`` or Rubin's ``diaSource``; a flat row (Fink's flattened
    columns) is its own.
    """
    for row in rows:
        record = dict(row)
        for field in CUTOUT_FIELDS:  # Fink's flattened column names
            dotted = f"{field}.stampData"
            if record.get(field) is None and dotted in record:
                record[field] = record[dotted]
        if not isinstance(record.get(nested), Mapping):  # flat rows: the row is the record
            record[nested] = record
        yield record


@validate_params(
    {
        "records": "no_validation",  # _rows checks it: records, a DataFrame or a pyarrow Table
        "survey": [StrOptions(set(SURVEYS))],
        "name": [str],
        **RECORD_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def alerts_from_records(
    records: Any,
    *,
    survey: str = "auto",
    name: str = "<records>",
    columns: Sequence[str] = (),
    stamp_size: int | None = None,
    pad: str = "ztf",
    masked_sentinel: str = "nan",
    on_error: str = "warn",
) -> Bunch:
    """Stamp sets and metadata from alert records already decoded (a broker's rows).

    What :func:`read_alerts` returns for packets in files, for alerts a program already holds
    as records: the rows of a broker's DataFrame (Fink's layout: one row per alert, the cutouts
    as columns holding the FITS bytes, or ZTF's ``{fileName, stampData}`` structs), records
    decoded from Kafka, or a pyarrow Table read from Parquet. ZTF and Rubin (LSST) alike: the
    columns say which (or ``survey``).

    Parameters
    ----------
    records : sequence of dict, pandas.DataFrame or pyarrow.Table
        One record per alert, with the three cutout fields ``cutoutScience``,
        ``cutoutTemplate`` and ``cutoutDifference`` (or Fink's flattened
        ``cutoutScience.stampData`` ...): ZTF's gzipped FITS files, Rubin's FITS files. ZTF:
        the metadata come from the record's ``candidate`` when it has one, else from the
        record itself (flattened rows, e.g. ``candid``, ``jd``, ``xpos``, ``ypos``); Rubin: from
        its ``diaSource`` when it has one, else from the record (``diaSourceId``, ``band``,
        ...). Absent ones are masked.
    survey : {"auto", "ztf", "lsst"}, default="auto"
        Whose alerts the records are. ``"auto"``: ZTF's if they have ``candid`` or
        ``candidate``, Rubin's if ``diaSourceId`` or ``diaSource``.
    name : str, default="<records>"
        What ``meta["file"]`` and ``errors`` call the source (``meta["record"]`` is the row).
    columns, stamp_size, pad, masked_sentinel, on_error
        As for :func:`read_alerts` (``stamp_size=None``: 63 for ZTF, the largest cutout for
        Rubin).

    Returns
    -------
    alerts : :class:`~sklearn.utils.Bunch`
        As :func:`read_alerts` returns, one row per readable record (a record whose cutouts
        are missing or unreadable is kept, with the reason in ``meta["status"]``), with
        ``survey``. No records give zero rows.

    Raises
    ------
    ReadError
        With ``on_error="raise"``, at the first unreadable record; whatever ``on_error``, when
        records were given and none could be read.
    TypeError
        If ``records`` is not one of the accepted forms.
    ValueError
        If a cutout column is absent, or ``survey="auto"`` and the columns are of neither
        survey (or of both).

    See Also
    --------
    skrb.io.read_alerts : The same from alert files or their bytes.

    Examples
    --------
    Rows of a DataFrame with the cutouts as bytes (here, one ZTF alert whose difference cutout
    is missing, so it gets a status rather than a score):

    >>> import gzip, io
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from skrb.io import alerts_from_records
    >>> def cutout(value, side=63):
    ...     buffer = io.BytesIO()
    ...     fits.PrimaryHDU(np.full((side, side), value, dtype=">f4")).writeto(buffer)
    ...     return buffer.getvalue()
    >>> rows = [{"candid": 7, "objectId": "ZTF18abc", "cutoutScience": gzip.compress(cutout(1.0)),
    ...          "cutoutTemplate": gzip.compress(cutout(2.0)), "cutoutDifference": None}]
    >>> alerts = alerts_from_records(rows, on_error="skip")
    >>> alerts.survey, alerts.data.shape
    ('ztf', (1, 3, 63, 63))
    >>> print(alerts.meta["candid", "objectId", "status"])
    candid objectId           status
    ------ -------- -------------------------
         7 ZTF18abc missing difference cutout

    Rubin rows (Fink's layout: ``diaSourceId`` and the cutouts as top-level columns), 30-pixel
    cutouts centred in 32-pixel stamps:

    >>> panels = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
    >>> rubin = [{"diaSourceId": 42, "band": "g", **dict.fromkeys(panels, cutout(3.0, side=30))}]
    >>> alerts = alerts_from_records(rubin, stamp_size=32)
    >>> alerts.survey, alerts.data.shape, alerts.data[0, :, 16, 16].tolist()
    ('lsst', (1, 3, 32, 32), [3.0, 3.0, 3.0])
    >>> print(alerts.meta["diaSourceId", "band", "status"])
    diaSourceId band status
    ----------- ---- ------
             42    g     ok
    """
    names = _check_columns(columns)
    rows, fields = _rows(records)
    if fields is None:  # dicts: the fields any of them has
        fields = list(dict.fromkeys(key for row in rows for key in row))
    if rows or fields:
        survey = records_survey(fields, survey)
    elif survey == "auto":  # nothing to read and nothing to tell the survey by
        survey = "ztf"
    if survey == "lsst":
        return _lsst_records(rows, name, columns, stamp_size, on_error)
    alerts = AlertRows(names, int(stamp_size or 63))
    normalised = list(_normalised(rows, "candidate"))
    for _ in iter_alert_files(
        [(name, normalised)], alerts, pad=pad, on_error=on_error, records=iter
    ):
        pass
    if normalised and not len(alerts):
        raise _nothing_read(alerts.errors, 1)
    return _with_survey(_bunch([alerts.take()], names, columns, masked_sentinel, on_error), "ztf")


def _lsst_records(
    rows: list[Mapping[str, Any]],
    name: str,
    columns: Sequence[str],
    stamp_size: int | None,
    on_error: str,
) -> Bunch:
    """Rubin rows: decoded as Rubin's packets are, every cutout centred in one stamp side."""
    names, _ = lsst_plan(columns, False, False)
    normalised = list(_normalised(rows, "diaSource"))
    chunk = read_rubin_files(
        [(name, normalised, "records")],
        columns=names,
        extensions=(),
        on_error=on_error,
        max_side=RUBIN_MAX_SIDE,
    )
    return _lsst_bunch(
        [chunk], [], 1, stamp_size, names, columns, False, False, on_error, empty_ok=not rows
    )
