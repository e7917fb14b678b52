"""Decode chunks of alert files into stamps and metadata rows (the part run in worker processes).

Kept free of astropy and scikit-learn imports so that worker processes start quickly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from skrb._panels import PANELS
from skrb.io._avro import CUTOUT_FIELDS, RecordGap, iter_alert_records, walk_records
from skrb.io._cutouts import OK, decode_cutouts
from skrb.io._errors import one_line, record_error
from skrb.io._fitsio import SURVEY_MAX_SIDE
from skrb.io._row_buffer import RowBuffer

__all__ = [
    "PADS",
    "AlertRows",
    "alert_name",
    "iter_alert_files",
    "read_alert_files",
    "stamp_data",
    "ztf_value",
]

PADS = ("ztf", "center")
# Half the width (x) and height (y) of a ZTF CCD quadrant image (3072 x 3080 pixels): a cutout
# clipped by the quadrant's edge lost its pixels on the side of the nearer edge.
_HALF_QUADRANT = {"xpos": 1536.0, "ypos": 1540.0}
_MAX_SIDE = SURVEY_MAX_SIDE["ztf"]
# The candidate fields decoding needs besides the columns read (placing clipped cutouts).
_PLACEMENT_FIELDS = frozenset({"candid", *_HALF_QUADRANT})


def _pad_start(size: int, target: int, position: float | None, half: float, pad: str) -> int:
    """Where a cutout of ``size`` pixels starts inside the ``target``-pixel stamp, on one axis.

    Centred: pixel ``size // 2`` on pixel ``target // 2`` (as Rubin cutouts and
    StampResizer). ``pad="ztf"``: a cutout clipped by the CCD edge (under ZTF's full side) is
    put where it stood in the full cutout, on the side away from that edge, and the full
    cutout is centred; a cutout of the full side is simply centred.
    """
    if (
        pad == "ztf"
        and size < _MAX_SIDE
        and isinstance(position, int | float)
        and np.isfinite(position)
    ):
        within_full = _MAX_SIDE - size if position < half else 0
        start = target // 2 - _MAX_SIDE // 2 + within_full
        return min(max(start, 0), target - size)
    return target // 2 - size // 2


def _place(image: np.ndarray, stamp: np.ndarray, candidate: dict[str, Any], pad: str) -> None:
    """Copy ``image`` into the NaN-filled ``stamp`` (same or larger), padding as asked."""
    (ny, nx), (ty, tx) = image.shape, stamp.shape
    if ny > ty or nx > tx:
        raise ValueError(f"cutout of shape {image.shape} is larger than the {stamp.shape} stamp.")
    y0 = _pad_start(ny, ty, candidate.get("ypos"), _HALF_QUADRANT["ypos"], pad)
    x0 = _pad_start(nx, tx, candidate.get("xpos"), _HALF_QUADRANT["xpos"], pad)
    stamp[y0 : y0 + ny, x0 : x0 + nx] = image


def stamp_data(cutout: Any) -> Any:
    """Return the FITS bytes of a ZTF cutout record (``{fileName, stampData}``) or as given."""
    if isinstance(cutout, dict):
        return cutout.get("stampData")
    return cutout


def _decode_alert(
    record: dict[str, Any], stamps: np.ndarray, shapes: np.ndarray, pad: str
) -> tuple[dict[str, Any], str, int]:
    """Fill ``stamps`` (3, S, S) and ``shapes`` (3, 2) from one record.

    Returns its candidate, its status (``"ok"`` or why it gets no score) and the number of
    infinite pixels masked.
    """
    candidate = record.get("candidate")
    if not isinstance(candidate, dict):
        raise ValueError("the alert has no 'candidate' record.")
    decoded = decode_cutouts(
        [stamp_data(record.get(field)) for field in CUTOUT_FIELDS], max_side=_MAX_SIDE
    )
    problems = [] if decoded.status == OK else [decoded.status]
    for panel, image in enumerate(decoded.images):
        if image is None:  # missing or unreadable: the panel stays NaN, shape (0, 0)
            continue
        try:
            _place(image, stamps[panel], candidate, pad)
        except ValueError as exc:
            problems.append(f"{PANELS[panel]} {str(exc).rstrip('.')}")
            continue
        shapes[panel] = image.shape
    return candidate, "; ".join(problems) or OK, decoded.n_nonfinite


def alert_name(record: Any) -> str:
    """``"candid N: "`` for messages about an alert, where its candid is known."""
    candid = record.get("candid") if isinstance(record, dict) else None
    return "" if candid is None else f"candid {candid}: "


def ztf_value(record: dict[str, Any], candidate: dict[str, Any], column: str) -> Any:
    """Return ``column`` of a ZTF alert: ``candid``/``objectId`` the alert's, else its candidate's.

    Where the alert lacks one of those two (e.g. a flattened broker row), its candidate's.
    """
    value = record.get(column) if column in ("candid", "objectId") else None
    return candidate.get(column) if value is None else value


class AlertRows(RowBuffer):
    """Decoded ZTF alerts and failures, gathered until :meth:`take` hands them over as a chunk.

    A chunk is a dict: ``data`` (n, 3, S, S) float32, ``shapes`` (n, 3, 2) int16, ``rows``
    (column -> list of n values, with ``file``, ``record``, ``status`` and ``n_nonfinite``),
    ``errors`` (``(file, record, reason)`` triples met since the last chunk) and ``n_kept``
    (how many of those errors are about alerts that were kept).
    """

    per_alert = ("data", "shapes")

    def __init__(self, columns: Sequence[str], stamp_size: int) -> None:
        self.columns = tuple(columns)
        self.stamp_size = stamp_size
        super().__init__((*self.columns, "file", "record", "status", "n_nonfinite"))
        self.stamps: list[np.ndarray] = self.items["data"]
        self.shapes: list[np.ndarray] = self.items["shapes"]

    def _pack(self, key: str, values: list[Any]) -> np.ndarray:
        if values:
            return np.stack(values)
        side = self.stamp_size
        return np.empty((0, 3, side, side), "f4") if key == "data" else np.empty((0, 3, 2), "i2")


def iter_alert_files(
    sources: Iterable[tuple[str, str | bytes]],
    rows: AlertRows,
    *,
    pad: str,
    on_error: str,
    records: Callable[[Any], Iterable[dict[str, Any]]] | None = None,
) -> Iterator[None]:
    """Decode ``(name, path or bytes)`` Avro sources into ``rows``, one alert at a time.

    ``records(source)`` gives a source's alert records (default: those of an Avro file, whose
    ``candidate`` is decoded only for ``rows.columns`` and the cutout position; the identity
    for records already decoded, e.g. the rows of a broker's DataFrame).

    Yields after each alert added (or left out), so that a caller can hand ``rows`` over in
    batches while a multi-record file is still being read. Alerts whose cutouts are missing or
    unreadable are kept, with a status saying why, and listed in ``rows.errors`` as well
    (``rows.n_kept`` counts those entries, and those of alerts with masked infinite pixels);
    ``on_error="raise"`` raises a :class:`ReadError` for them and for any failure.
    """
    side = rows.stamp_size
    if records is None:
        needed = _PLACEMENT_FIELDS.union(rows.columns)

        def records(source: Any) -> Iterator[dict[str, Any] | RecordGap]:
            return iter_alert_records(source, needed)

    def fail(name: str, index: int, exc: BaseException | str) -> None:
        record_error(rows.errors, on_error, name, index, exc)

    for name, source in sources:
        for index, record in walk_records(records(source), partial(fail, name)):
            stamp = np.full((3, side, side), np.nan, dtype=np.float32)
            shape = np.zeros((3, 2), dtype=np.int16)
            try:
                candidate, status, n_nonfinite = _decode_alert(record, stamp, shape, pad)
            except Exception as exc:  # noqa: BLE001 - a damaged alert loses only itself
                fail(name, index, f"{alert_name(record)}{type(exc).__name__}: {one_line(exc)}")
                yield
                continue
            rows.note_kept(on_error, name, index, alert_name(record), status, n_nonfinite)
            rows.stamps.append(stamp)
            rows.shapes.append(shape)
            for column in rows.columns:
                rows.rows[column].append(ztf_value(record, candidate, column))
            rows.rows["file"].append(name)
            rows.rows["record"].append(index)
            rows.rows["status"].append(status)
            rows.rows["n_nonfinite"].append(n_nonfinite)
            yield


def read_alert_files(
    sources: Sequence[tuple[str, str | bytes]],
    *,
    stamp_size: int,
    pad: str,
    columns: Sequence[str],
    on_error: str,
) -> dict[str, Any]:
    """Read a chunk of ``(name, path or bytes)`` Avro sources whole (runs in worker processes).

    See :func:`iter_alert_files` for what is kept and what is listed in ``errors``.
    """
    rows = AlertRows(columns, stamp_size)
    for _ in iter_alert_files(sources, rows, pad=pad, on_error=on_error):
        pass
    return rows.take()
