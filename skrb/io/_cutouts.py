"""Decode the three cutouts of one alert: a status for each alert, masked non-finite pixels.

Shared by the alert readers of every survey. An alert whose three cutouts do not all decode is
kept (nothing is lost) but marked: its ``status`` names each missing or unreadable cutout, and
the scoring code gives such an alert no score. Infinite pixels (written as such, or values
beyond float32's range) become NaN and are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from skrb._panels import PANELS
from skrb.io._errors import one_line
from skrb.io._fitsio import decode_fits_image, mask_nonfinite

__all__ = ["OK", "DecodedCutouts", "decode_cutouts", "nonfinite_note"]

OK = "ok"
"""The ``status`` of an alert whose three cutouts decoded."""


class DecodedCutouts(NamedTuple):
    """The three decoded images (None where missing or unreadable), the status, the inf count."""

    images: list[np.ndarray | None]
    status: str
    n_nonfinite: int


def decode_cutouts(cutouts: Sequence[Any], *, max_side: int) -> DecodedCutouts:
    """Decode the FITS bytes of an alert's search, template and difference cutouts.

    Parameters
    ----------
    cutouts : sequence of 3 (bytes or None)
        The FITS file (plain or gzipped) of each panel in :data:`skrb.PANELS` order; ``None``
        where the alert has none. Anything else is an unreadable cutout.
    max_side : int
        The survey's largest cutout side (:data:`~skrb.io._fitsio.SURVEY_MAX_SIDE`): larger
        images, and gzip streams inflating beyond what such an image needs, are refused before
        they are allocated.

    Returns
    -------
    decoded : DecodedCutouts
        ``images`` (float32, ±inf set to NaN; None for a missing or unreadable cutout),
        ``status`` (:data:`OK`, or one line naming each problem, e.g. ``"missing difference
        cutout"`` or ``"unreadable template cutout: <why>"``) and ``n_nonfinite`` (pixels that
        were ±inf and are now NaN).

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> buffer = io.BytesIO()
    >>> fits.PrimaryHDU(np.array([[1, np.inf]], dtype=">f4")).writeto(buffer)
    >>> decoded = decode_cutouts([buffer.getvalue(), b"junk", None], max_side=63)
    >>> decoded.images[0], decoded.n_nonfinite
    (array([[ 1., nan]], dtype=float32), 1)
    >>> decoded.status.split("; ")[1]
    'missing difference cutout'
    """
    images: list[np.ndarray | None] = []
    problems: list[str] = []
    n_nonfinite = 0
    for panel, raw in zip(PANELS, cutouts, strict=True):
        image = None
        if raw is None:
            problems.append(f"missing {panel} cutout")
        elif not isinstance(raw, bytes | bytearray | memoryview):
            problems.append(
                f"unreadable {panel} cutout: a {type(raw).__name__}, not the bytes of a FITS file"
            )
        elif len(raw) == 0:
            problems.append(f"missing {panel} cutout (0 bytes)")
        else:
            try:
                image = decode_fits_image(bytes(raw), max_side=max_side)
            except ValueError as exc:
                problems.append(f"unreadable {panel} cutout: {one_line(exc)}")
            else:
                n_nonfinite += mask_nonfinite(image)
        images.append(image)
    return DecodedCutouts(images, "; ".join(problems) or OK, n_nonfinite)


def nonfinite_note(n_nonfinite: int) -> str:
    """Return the ``errors`` entry of an alert kept with ``n_nonfinite`` masked inf pixels.

    Examples
    --------
    >>> nonfinite_note(2)
    '2 non-finite pixel(s) (+-inf, or beyond float32) set to NaN; the alert is kept'
    """
    return (
        f"{n_nonfinite} non-finite pixel(s) (+-inf, or beyond float32) set to NaN; the alert "
        "is kept"
    )
