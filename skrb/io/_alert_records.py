"""Alerts already decoded from Avro (a broker's DataFrame rows, Kafka records) into stamp sets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from skrb.io._alert_decode import AlertRows, iter_alert_files
from skrb.io._alerts import (
    POSITIVE_INT,
    RECORD_CONSTRAINTS,
    _bunch,
    _check_columns,
    _nothing_read,
)
from skrb.io._avro import CUTOUT_FIELDS

__all__ = ["alerts_from_records"]


def _rows(records: Any) -> Iterable[Mapping[str, Any]]:
    """Return the rows of a list of dicts, a pandas DataFrame or a pyarrow Table."""
    if hasattr(records, "to_pylist"):  # pyarrow
        return records.to_pylist()
    if hasattr(records, "to_dict") and hasattr(records, "columns"):  # pandas
        return records.to_dict("records")
    if isinstance(records, Mapping):
        raise TypeError(
            "records must be a sequence of alert records (dicts), a pandas DataFrame or a "
            "pyarrow Table; got a single mapping."
        )
    return records


def _normalised(rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Put records in the packets' shape: cutouts under their names, a ``candidate`` dict."""
    for row in rows:
        if not isinstance(row, Mapping):
            raise TypeError(f"an alert record must be a mapping; got {type(row).__name__}.")
        record = dict(row)
        for field in CUTOUT_FIELDS:  # Fink's flattened column names
            dotted = f"{field}.stampData"
            if record.get(field) is None and dotted in record:
                record[field] = record[dotted]
        if not isinstance(record.get("candidate"), Mapping):  # flat rows: the row is the candidate
            record["candidate"] = record
        yield record


@validate_params(
    {
        "records": "no_validation",  # _rows checks it: records, a DataFrame or a pyarrow Table
        "name": [str],
        **RECORD_CONSTRAINTS,
        "stamp_size": [POSITIVE_INT],
    },
    prefer_skip_nested_validation=True,
)
def alerts_from_records(
    records: Any,
    *,
    name: str = "<records>",
    columns: Sequence[str] = (),
    stamp_size: int = 63,
    pad: str = "ztf",
    masked_sentinel: str = "nan",
    on_error: str = "warn",
) -> Bunch:
    """Stamp sets and metadata from alert records already decoded from Avro.

    What :func:`read_alerts` returns for packets in files, for packets a program already holds
    as records: the rows of a broker's DataFrame (Fink's layout: one row per alert, the cutouts
    as columns holding the gzipped FITS bytes or ``{fileName, stampData}`` structs), records
    decoded from Kafka, or a pyarrow Table read from Parquet.

    Parameters
    ----------
    records : sequence of dict, pandas.DataFrame or pyarrow.Table
        One record per alert, with the three cutout fields ``cutoutScience``,
        ``cutoutTemplate`` and ``cutoutDifference`` (or Fink's flattened
        ``cutoutScience.stampData`` ...). The metadata columns come from the record's
        ``candidate`` when it has one, else from the record itself (flattened rows); absent
        ones are masked.
    name : str, default="<records>"
        What ``meta["file"]`` and ``errors`` call the source (``meta["record"]`` is the row).
    columns, stamp_size, pad, masked_sentinel, on_error
        As for :func:`read_alerts`.

    Returns
    -------
    alerts : :class:`~sklearn.utils.Bunch`
        As :func:`read_alerts` returns, one row per readable record (a record whose cutouts
        are missing or unreadable is kept, with the reason in ``meta["status"]``). No records
        give zero rows.

    Raises
    ------
    ReadError
        With ``on_error="raise"``, at the first unreadable record; whatever ``on_error``, when
        records were given and none could be read.
    TypeError
        If ``records`` is not one of the accepted forms.

    See Also
    --------
    skrb.io.read_alerts : The same from Avro files or their bytes.

    Examples
    --------
    Rows of a DataFrame with the cutouts as bytes (here, one alert whose difference cutout is
    missing, so it gets a status rather than a score):

    >>> import gzip, io
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from skrb.io import alerts_from_records
    >>> def cutout(value):
    ...     buffer = io.BytesIO()
    ...     fits.PrimaryHDU(np.full((63, 63), value, dtype=">f4")).writeto(buffer)
    ...     return gzip.compress(buffer.getvalue())
    >>> rows = [{"candid": 7, "objectId": "ZTF18abc", "cutoutScience": cutout(1.0),
    ...          "cutoutTemplate": cutout(2.0), "cutoutDifference": None}]
    >>> alerts = alerts_from_records(rows, on_error="skip")
    >>> alerts.data.shape
    (1, 3, 63, 63)
    >>> print(alerts.meta["candid", "objectId", "status"])
    candid objectId           status
    ------ -------- -------------------------
         7 ZTF18abc missing difference cutout
    """
    names = _check_columns(columns)
    rows = AlertRows(names, int(stamp_size))
    records = list(_normalised(_rows(records)))
    for _ in iter_alert_files([(name, records)], rows, pad=pad, on_error=on_error, records=iter):
        pass
    if records and not len(rows):
        raise _nothing_read(rows.errors, 1)
    return _bunch([rows.take()], names, columns, masked_sentinel, on_error)
