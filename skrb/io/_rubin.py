"""Decode Rubin (LSST) alerts into cutouts and metadata rows, and assemble stamp sets.

:func:`iter_rubin_files` reads sources (Avro container files, Confluent wire packets, Parquet
exports, a broker's rows) one alert at a time into :class:`RubinRows` (:func:`read_rubin_files`
reads a chunk of sources whole, in reader worker processes). Each alert's three cutouts
(PRIMARY image, and on request the ``UNCERT`` variance and the ``PSFIMAGE``) are decoded at their
own sizes with :func:`skrb.io._cutouts.decode_cutouts` (so statuses and masking are the ZTF
reader's), and the metadata collected. :func:`assemble` then places every cutout, centred, in
stamps of one side (NaN padding, or a centred crop of larger cutouts). Kept free of astropy
imports.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from skrb.io._avro import CUTOUT_FIELDS, RecordGap, iter_container_records, walk_records
from skrb.io._cutouts import decode_cutouts, missing_plane_note
from skrb.io._errors import record_error
from skrb.io._fitsio import SURVEY_MAX_SIDE
from skrb.io._parquet import iter_parquet_records, parquet_signature
from skrb.io._row_buffer import RowBuffer
from skrb.io._rubin_schemas import container_schemas, container_version, infer_version
from skrb.io._wire import read_wire_record

__all__ = [
    "LSST_COLUMNS",
    "RUBIN_MAX_SIDE",
    "RubinRows",
    "alert_name",
    "assemble",
    "iter_rubin_files",
    "iter_rubin_records",
    "read_rubin_files",
    "rubin_value",
    "shapes_of",
]

LSST_COLUMNS = (
    "diaSourceId",
    "diaObjectId",
    "midpointMjdTai",
    "ra",
    "dec",
    "band",
    "psfFlux",
    "psfFluxErr",
    "snr",
    "reliability",
)
"""Metadata columns read for every Rubin alert (from its ``diaSource``)."""

RUBIN_MAX_SIDE = SURVEY_MAX_SIDE["rubin"]
"""Rubin's cutouts are 30 to 102 pixels on a side; larger ones are refused before allocation."""


def iter_rubin_records(
    source: str | os.PathLike[str] | bytes | Sequence[dict[str, Any]],
    kind: str,
    keep: tuple[str, ...] = (),
) -> Iterator[tuple[dict[str, Any] | RecordGap, str]]:
    """Yield ``(record, schema version)`` for each alert of one source.

    ``kind`` is ``"container"``, ``"wire"``, ``"parquet"`` (a file's path or bytes) or
    ``"records"`` (alert records already decoded, e.g. a broker's rows; the version is their
    ``lsst_schema_version`` or ``""``). Records hold Rubin's fields that skrb decodes and the
    top-level fields ``keep``. A damaged block of an Avro container gives ``(RecordGap, "")``
    in place of its records.
    """
    if kind == "records":
        for record in source:
            yield record, str(record.get("lsst_schema_version") or "")
        return
    if kind == "wire":
        if not isinstance(source, bytes):
            with open(source, "rb") as handle:
                source = handle.read()
        yield read_wire_record(source, keep)
        return
    if kind == "parquet":
        records = iter_parquet_records(source, keep)
        inferred: str | None = None
        for record in records:
            version = record.get("lsst_schema_version")
            if not version:
                if inferred is None:
                    inferred = infer_version(parquet_signature(source))
                version = inferred
            yield record, version
        return
    header: dict[str, Any] = {}  # the file's schema text and version, found once per file

    def schemas(text: bytes) -> tuple[Any, Any]:
        writer, reader, header["version"] = container_schemas(text, keep)
        header["schema"] = text
        return writer, reader

    for record in iter_container_records(source, schemas):
        if isinstance(record, RecordGap):  # a damaged block, skipped by the caller
            yield record, ""
            continue
        version = record.get("lsst_schema_version")
        if not version:
            if not header["version"]:  # not in the schema's namespace: inferred, once
                header["version"] = container_version(header["schema"])
            version = header["version"]
        yield record, version


def rubin_value(record: dict[str, Any], source: dict[str, Any], column: str) -> Any:
    """Return ``column`` of an alert: its ``diaSource``'s (``source``), else the alert's."""
    if column in source:
        return source[column]
    if column == "diaSourceId":
        return record.get("diaSourceId", record.get("alertId"))
    return record.get(column)


def alert_name(record: dict[str, Any], source: Any) -> str:
    """``"diaSourceId N: "`` for messages about an alert, where its id is known."""
    known = rubin_value(record, source if isinstance(source, dict) else {}, "diaSourceId")
    return "" if known is None else f"diaSourceId {known}: "


class RubinRows(RowBuffer):
    """Decoded Rubin alerts and failures, gathered until :meth:`take` hands them over as a chunk.

    A chunk is a dict: ``cutouts`` (per alert, its three images at their own sizes, None where
    missing or unreadable), ``extensions`` (per alert, each panel's ``{HDU name: image}``),
    metadata ``rows`` (the ``columns``, ``schema``, ``file``, ``record``, ``status``,
    ``n_nonfinite``), ``errors`` (``(source, record, reason)`` met since the last chunk) and
    ``n_kept`` (how many of those errors are about alerts that were kept).
    """

    per_alert = ("cutouts", "extensions")

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self.names = (*self.columns, "schema", "file", "record", "status", "n_nonfinite")
        super().__init__(self.names)
        self.cutouts: list[list[np.ndarray | None]] = self.items["cutouts"]
        self.planes: list[list[dict[str, np.ndarray]]] = self.items["extensions"]


def iter_rubin_files(
    sources: Iterable[tuple[str, Any, str]],
    rows: RubinRows,
    *,
    extensions: Sequence[str],
    on_error: str,
    max_side: int = RUBIN_MAX_SIDE,
) -> Iterator[None]:
    """Decode ``(name, source, kind)`` Rubin sources into ``rows``, one alert at a time.

    Sources are as :func:`iter_rubin_records` takes them. Yields after each alert added (or
    left out), so that a caller can hand ``rows`` over in batches while a multi-record
    container is still being read: memory then holds one Avro block (or Parquet record batch)
    and the alerts not yet taken. As the ZTF reader does, an alert with a missing or
    unreadable cutout is kept with its status and listed in ``rows.errors`` (``rows.n_kept``
    counts those entries); ``on_error="raise"`` raises a :class:`ReadError` for it and for any
    failure.
    """
    keep = rows.columns  # top-level fields asked for, kept by the reader schemas
    names, errors = rows.names, rows.errors

    def fail(name: str, index: int, exc: BaseException | str) -> None:
        record_error(rows.errors, on_error, name, index, exc)

    for name, source, kind in sources:
        # walk_records counts a damaged block's records from the RecordGap itself
        records = (
            pair[0] if isinstance(pair[0], RecordGap) else pair
            for pair in iter_rubin_records(source, kind, keep)
        )
        for index, (record, version) in walk_records(records, partial(fail, name)):
            dia_source = record.get("diaSource")
            label = alert_name(record, dia_source)
            if not isinstance(dia_source, dict):
                fail(name, index, f"{label}the alert has no 'diaSource' record.")
                yield
                continue
            decoded = decode_cutouts(
                [record.get(field) for field in CUTOUT_FIELDS],
                max_side=max_side,
                extensions=extensions,
            )
            rows.note_kept(on_error, name, index, label, decoded.status, decoded.n_nonfinite)
            if "UNCERT" in extensions:  # asked for: say where it is absent (NaN variance)
                note = missing_plane_note(decoded, "UNCERT", "variance")
                if note is not None:
                    errors.append((name, index, f"{label}{note}"))
                    rows.n_kept += 1
            rows.cutouts.append(decoded.images)
            rows.planes.append(decoded.extensions or [{}, {}, {}])
            for column in keep:
                rows.rows[column].append(rubin_value(record, dia_source, column))
            values = (version, name, index, decoded.status, decoded.n_nonfinite)
            for column, value in zip(names[len(keep) :], values, strict=True):
                rows.rows[column].append(value)
            yield


def read_rubin_files(
    sources: Sequence[tuple[str, Any, str]],
    *,
    columns: Sequence[str],
    extensions: Sequence[str],
    on_error: str,
    max_side: int = RUBIN_MAX_SIDE,
) -> dict[str, Any]:
    """Read a chunk of ``(name, source, kind)`` Rubin sources whole (runs in worker processes).

    Returns the chunk of :class:`RubinRows`: see :func:`iter_rubin_files` for what is kept and
    what is listed in ``errors``.
    """
    rows = RubinRows(columns)
    for _ in iter_rubin_files(
        sources, rows, extensions=extensions, on_error=on_error, max_side=max_side
    ):
        pass
    return rows.take()


def _window(size: int, target: int) -> tuple[slice, slice]:
    """Source and destination slices that put pixel ``size // 2`` at ``target // 2``.

    The cutout is padded (``size <= target``) or cropped about that pixel.
    """
    if size <= target:
        start = target // 2 - size // 2
        return slice(0, size), slice(start, start + size)
    start = size // 2 - target // 2
    return slice(start, start + target), slice(0, target)


def assemble(
    cutouts: Sequence[Sequence[np.ndarray | None]], side: int, *, fill: float = np.nan
) -> np.ndarray:
    """Stamps ``(n, 3, side, side)`` float32 with each cutout centred (padded with ``fill``).

    Cutouts larger than ``side`` are cropped about their centre; ``None`` leaves a panel of
    ``fill``.
    """
    stamps = np.full((len(cutouts), 3, side, side), fill, dtype=np.float32)
    for i, panels in enumerate(cutouts):
        for panel, image in enumerate(panels):
            if image is None:
                continue
            (sy, dy), (sx, dx) = _window(image.shape[0], side), _window(image.shape[1], side)
            stamps[i, panel, dy, dx] = image[sy, sx]
    return stamps


def shapes_of(cutouts: Sequence[Sequence[np.ndarray | None]]) -> np.ndarray:
    """``(n, 3, 2)`` int16 original (ny, nx) of each cutout, (0, 0) where absent."""
    shapes = np.zeros((len(cutouts), 3, 2), dtype=np.int16)
    for i, panels in enumerate(cutouts):
        for panel, image in enumerate(panels):
            if image is not None:
                shapes[i, panel] = image.shape
    return shapes
