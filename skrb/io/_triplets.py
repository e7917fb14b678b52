"""Read stamp sets stored as one image file per panel (FITS or GIF), in parallel."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from skrb.io._errors import ReadError, error_message, one_line
from skrb.io._fitsio import read_fits_image
from skrb.io._parallel import map_chunks

__all__ = ["IMAGE_FORMATS", "read_image", "read_stamp_sets"]

IMAGE_FORMATS = ("fits", "gif")

Triplet = tuple[str, str, str]


def read_image(path: str | os.PathLike[str], *, fmt: str, hdu: int | str | None) -> np.ndarray:
    """Read one panel image (FITS via :func:`read_fits_image`, GIF via Pillow) as float32."""
    if fmt == "fits":
        return read_fits_image(path, hdu=hdu)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.mode not in ("L", "I", "F", "I;16"):
                image = image.convert("L")
            return np.asarray(image, dtype=np.float32)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{os.fspath(path)}: not a readable GIF image ({exc})") from exc


def _read_chunk(
    triplets: Sequence[tuple[int, Triplet]], *, fmt: str, hdu: int | str | None, on_error: str
) -> dict[str, Any]:
    """Read a chunk of ``(index, (search, template, difference))`` (runs in worker processes)."""
    kept: list[int] = []
    stamps: list[np.ndarray] = []
    errors: list[tuple[str, int, str]] = []
    for index, paths in triplets:
        panels = []
        try:
            for path in paths:
                failed = path
                panels.append(read_image(path, fmt=fmt, hdu=hdu))
            if len({panel.shape for panel in panels}) > 1:
                failed = paths[0]
                described = ", ".join(f"{p} {x.shape}" for p, x in zip(paths, panels, strict=True))
                raise ValueError(f"the panels of one stamp set differ in shape: {described}")
        except (ValueError, OSError) as exc:
            if on_error == "raise":
                raise ReadError(error_message(failed, -1, exc)) from exc
            errors.append((os.fspath(failed), index, f"{type(exc).__name__}: {one_line(exc)}"))
            continue
        kept.append(index)
        stamps.append(np.stack(panels))
    return {"index": kept, "stamps": stamps, "errors": errors}


def read_stamp_sets(
    triplets: Sequence[Triplet],
    *,
    fmt: str = "fits",
    hdu: int | str | None = None,
    on_error: str = "raise",
    n_jobs: int | None = None,
    progress: bool | None = None,
    desc: str = "Reading stamps",
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, int, str]]]:
    """Read ``(search, template, difference)`` file triplets into stamp sets.

    Returns
    -------
    data : ndarray of shape (n_read, 3, H, W), float32
    index : ndarray of shape (n_read,), int
        Position in ``triplets`` of each stamp set read.
    errors : list of (file, index, reason)
        The triplets skipped (``on_error`` "warn" or "skip"), with the file that failed
        (the search panel's where the panels differ in shape, or where the stamp set's shape
        differs from the most common one), in triplet order.

    Raises
    ------
    ReadError
        With ``on_error="raise"``, for the first unreadable triplet, or when the stamp sets
        differ in shape (naming one of the most common shape and one of another); whatever
        ``on_error``, when none could be read.
    """
    items = [(i, tuple(map(os.fspath, paths))) for i, paths in enumerate(triplets)]
    chunks = map_chunks(
        _read_chunk,
        items,
        n_jobs=n_jobs,
        progress=progress,
        desc=desc,
        unit="stamp set",
        fmt=fmt,
        hdu=hdu,
        on_error=on_error,
    )
    index = np.array([i for chunk in chunks for i in chunk["index"]], dtype=np.intp)
    stamps = [stamp for chunk in chunks for stamp in chunk["stamps"]]
    errors = [error for chunk in chunks for error in chunk["errors"]]
    if not stamps:
        if errors:
            raise ReadError(
                f"None of the {len(triplets)} stamp set(s) could be read: {errors[0][2]}"
            )
        return np.empty((0, 3, 0, 0), dtype=np.float32), index, errors
    shapes = Counter(stamp.shape for stamp in stamps)
    if len(shapes) > 1:
        # the most common shape wins (ties: the first stamp set's); the others are odd ones out
        common = max(shapes, key=lambda shape: (shapes[shape], shape == stamps[0].shape))
        odd = [position for position, stamp in enumerate(stamps) if stamp.shape != common]
        if on_error == "raise":
            first_odd = odd[0]
            first_common = next(p for p, stamp in enumerate(stamps) if stamp.shape == common)
            raise ReadError(
                f"Stamp sets differ in shape and cannot be stacked: "
                f"{triplets[index[first_common]][0]} is {common[1:]} but "
                f"{triplets[index[first_odd]][0]} is {stamps[first_odd].shape[1:]}."
            )
        for position in odd:
            errors.append(
                (
                    os.fspath(triplets[index[position]][0]),
                    int(index[position]),
                    f"ValueError: the stamp set is {stamps[position].shape[1:]}, unlike the "
                    f"{shapes[common]} others {common[1:]}; skipped",
                )
            )
        keep = np.array([stamp.shape == common for stamp in stamps])
        stamps = [stamp for stamp, kept in zip(stamps, keep, strict=True) if kept]
        index = index[keep]
        errors.sort(key=lambda error: error[1])
    return np.stack(stamps), index, errors
