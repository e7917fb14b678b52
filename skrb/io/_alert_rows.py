"""Alert files as a broker's rows: identifiers and the three cutouts still encoded.

A broker's DataFrame holds one row per alert: the alert's fields and its cutouts as bytes
(Fink's layout; ZTF's are gzipped FITS, Rubin's plain FITS). :func:`alert_file_rows` turns one
alert file (an Avro container, a Rubin wire packet, a Fink Parquet export) into such rows
without decoding a single cutout, so that an engine can hand files and a broker's own
DataFrame to the same scoring (:func:`skrb.io.alerts_from_records`). Every alert that
:func:`skrb.io.read_alerts` would leave out (a damaged block, an alert without its
``candidate`` or ``diaSource``) and every unreadable file is listed in the errors, as the
readers list it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from skrb.io._alert_decode import alert_name, stamp_data, ztf_value
from skrb.io._alerts import ALERT_COLUMNS
from skrb.io._avro import CUTOUT_FIELDS, iter_alert_records, walk_records
from skrb.io._errors import record_error
from skrb.io._formats import SURVEY_NAMES, sniff
from skrb.io._rubin import LSST_COLUMNS, iter_rubin_records, rubin_value
from skrb.io._rubin import alert_name as rubin_alert_name

__all__ = ["ROW_COLUMNS", "alert_file_rows"]

ROW_COLUMNS = {
    # xpos, ypos: where a clipped ZTF cutout sits in its stamp (read_alerts' pad="ztf")
    "ztf": (*ALERT_COLUMNS, "xpos", "ypos"),
    "lsst": LSST_COLUMNS,
}
"""The fields :func:`alert_file_rows` puts in each row of a survey, before the cutouts."""


def _ztf_row(record: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any] | str:
    candidate = record.get("candidate")
    if not isinstance(candidate, dict):
        return f"{alert_name(record)}ValueError: the alert has no 'candidate' record."
    return {column: ztf_value(record, candidate, column) for column in columns}


def _rubin_row(record: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any] | str:
    dia_source = record.get("diaSource")
    if not isinstance(dia_source, dict):
        return f"{rubin_alert_name(record, dia_source)}the alert has no 'diaSource' record."
    return {column: rubin_value(record, dia_source, column) for column in columns}


def alert_file_rows(
    name: str,
    source: str | os.PathLike[str] | bytes,
    *,
    survey: str,
    columns: Iterable[str] = (),
) -> tuple[list[dict[str, Any]], list[tuple[str, int, str]]]:
    """Return the rows of one alert file in a broker's layout, and what could not be read.

    Each row holds ``record`` (the alert's index in the file), the fields
    :data:`ROW_COLUMNS` of ``survey`` and ``columns`` (ZTF: the alert's or its candidate's;
    Rubin: its ``diaSource``'s or the alert's), then the three cutouts as bytes (None where
    absent). ``errors`` holds ``(name, record, reason)`` for the file (record -1) or each
    alert left out, worded as the readers word them. A file of the other survey is an error.
    """
    columns = tuple(dict.fromkeys((*ROW_COLUMNS[survey], *columns)))
    rows: list[dict[str, Any]] = []
    errors: list[tuple[str, int, str]] = []

    def fail(index: int, exc: BaseException | str) -> None:
        record_error(errors, "skip", name, index, exc)

    try:
        kind, of = sniff(source)
    except (OSError, ValueError, EOFError) as exc:
        fail(-1, exc)
        return rows, errors
    if of != survey:
        fail(-1, f"ValueError: a {SURVEY_NAMES[of]} alert file among {SURVEY_NAMES[survey]} ones.")
        return rows, errors
    if survey == "ztf":
        if kind != "container":
            fail(-1, f"ValueError: ZTF alerts in a {kind} file are not read; write them as Avro.")
            return rows, errors
        records: Iterable[Any] = iter_alert_records(source, columns)  # those fields only
        make_row = _ztf_row
    else:
        records = (record for record, _ in iter_rubin_records(source, kind, columns))
        make_row = _rubin_row
    for index, record in walk_records(records, fail):
        row = make_row(record, columns)
        if isinstance(row, str):
            fail(index, row)
            continue
        row["record"] = index
        for field in CUTOUT_FIELDS:
            row[field] = stamp_data(record.get(field))
        rows.append(row)
    return rows, errors
