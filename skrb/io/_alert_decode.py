"""Decode chunks of alert files into stamps and metadata rows (the part run in worker processes).

Kept free of astropy and scikit-learn imports so that worker processes start quickly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from skrb.io._avro import CUTOUT_FIELDS, iter_alert_records
from skrb.io._errors import ReadError, error_message
from skrb.io._fitsio import decode_fits_image

__all__ = ["PADS", "read_alert_files"]

PADS = ("ztf", "center")
# Half the width (x) and height (y) of a ZTF CCD quadrant image (3072 x 3080 pixels): a cutout
# clipped by the quadrant's edge lost its pixels on the side of the nearer edge.
_HALF_QUADRANT = {"xpos": 1536.0, "ypos": 1540.0}


def _pad_start(size: int, target: int, position: float | None, half: float, pad: str) -> int:
    """Where a cutout of ``size`` pixels starts inside the ``target``-pixel stamp, on one axis."""
    missing = target - size
    if pad == "ztf" and position is not None and np.isfinite(position):
        return missing if position < half else 0
    return missing // 2


def _place(image: np.ndarray, stamp: np.ndarray, candidate: dict[str, Any], pad: str) -> None:
    """Copy ``image`` into the NaN-filled ``stamp`` (same or larger), padding as asked."""
    (ny, nx), (ty, tx) = image.shape, stamp.shape
    if ny > ty or nx > tx:
        raise ValueError(f"cutout of shape {image.shape} is larger than the {stamp.shape} stamp.")
    y0 = _pad_start(ny, ty, candidate.get("ypos"), _HALF_QUADRANT["ypos"], pad)
    x0 = _pad_start(nx, tx, candidate.get("xpos"), _HALF_QUADRANT["xpos"], pad)
    stamp[y0 : y0 + ny, x0 : x0 + nx] = image


def _decode_alert(
    record: dict[str, Any], stamps: np.ndarray, shapes: np.ndarray, pad: str
) -> dict[str, Any]:
    """Fill ``stamps`` (3, S, S) and ``shapes`` (3, 2) from one record; return its candidate."""
    candidate = record.get("candidate")
    if not isinstance(candidate, dict):
        raise ValueError("the alert has no 'candidate' record.")
    for panel, field in enumerate(CUTOUT_FIELDS):
        cutout = record.get(field)
        data = cutout.get("stampData") if isinstance(cutout, dict) else None
        if data is None:  # absent cutout: the panel stays NaN, shape (0, 0)
            continue
        try:
            image = decode_fits_image(data)
        except ValueError as exc:
            raise ValueError(f"{field}: {exc}") from exc
        _place(image, stamps[panel], candidate, pad)
        shapes[panel] = image.shape
    return candidate


def read_alert_files(
    sources: Sequence[tuple[str, str | bytes]],
    *,
    stamp_size: int,
    pad: str,
    columns: Sequence[str],
    on_error: str,
) -> dict[str, Any]:
    """Read a chunk of ``(name, path or bytes)`` Avro sources (runs in worker processes)."""
    stamps: list[np.ndarray] = []
    shapes: list[np.ndarray] = []
    rows: dict[str, list[Any]] = {name: [] for name in (*columns, "file", "record")}
    errors: list[tuple[str, int, str]] = []

    def fail(name: str, index: int, exc: BaseException) -> None:
        if on_error == "raise":
            raise ReadError(error_message(name, index, exc)) from exc
        errors.append((name, index, f"{type(exc).__name__}: {exc}"))

    for name, source in sources:
        index = -1
        try:
            for index, record in enumerate(iter_alert_records(source)):
                stamp = np.full((3, stamp_size, stamp_size), np.nan, dtype=np.float32)
                shape = np.zeros((3, 2), dtype=np.int16)
                try:
                    candidate = _decode_alert(record, stamp, shape, pad)
                except (ValueError, TypeError, KeyError) as exc:
                    fail(name, index, exc)
                    continue
                stamps.append(stamp)
                shapes.append(shape)
                for column in columns:
                    value = record.get(column) if column in ("candid", "objectId") else None
                    rows[column].append(candidate.get(column) if value is None else value)
                rows["file"].append(name)
                rows["record"].append(index)
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a corrupt file is reported
            fail(name, -1 if index < 0 else index + 1, exc)
    return {
        "data": np.stack(stamps) if stamps else np.empty((0, 3, stamp_size, stamp_size), "f4"),
        "shapes": np.stack(shapes) if shapes else np.empty((0, 3, 2), np.int16),
        "rows": rows,
        "errors": errors,
    }
