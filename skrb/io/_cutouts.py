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
from skrb.io._fits_hdus import decode_fits_hdus
from skrb.io._fitsio import decode_fits_image, mask_nonfinite

__all__ = ["OK", "DecodedCutouts", "decode_cutouts", "missing_plane_note", "nonfinite_note"]

OK = "ok"
"""The ``status`` of an alert whose three cutouts decoded."""


class DecodedCutouts(NamedTuple):
    """The three decoded images (None where missing or unreadable), the status, the inf count.

    ``extensions`` holds, per panel, the extension images asked for (HDU name -> image).
    """

    images: list[np.ndarray | None]
    status: str
    n_nonfinite: int
    extensions: list[dict[str, np.ndarray]] | None = None


def _decode_with_extensions(
    raw: bytes, extensions: Sequence[str], max_side: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Return the PRIMARY image and the named extension images of one cutout (Rubin's)."""
    hdus = decode_fits_hdus(raw, ("PRIMARY", *extensions), bound=max_side)
    if "PRIMARY" not in hdus:
        raise ValueError("the FITS file has no PRIMARY image.")
    image = hdus.pop("PRIMARY")
    for name, plane in hdus.items():
        if name != "PSFIMAGE":  # a variance of inf is as unusable as a masked pixel
            mask_nonfinite(plane)
        if name == "UNCERT" and plane.shape != image.shape:
            raise ValueError(f"its UNCERT plane is {plane.shape}, its image {image.shape}.")
    return image, hdus


def decode_cutouts(
    cutouts: Sequence[Any], *, max_side: int, extensions: Sequence[str] = ()
) -> DecodedCutouts:
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
    extensions : sequence of str, default=()
        Extension HDUs to decode as well, by ``EXTNAME`` (Rubin's cutouts: ``"UNCERT"``, the
        variance, whose infinite values become NaN, and ``"PSFIMAGE"``); then every cutout is
        a multi-extension FITS file (not gzipped) whose PRIMARY HDU is the image.

    Returns
    -------
    decoded : DecodedCutouts
        ``images`` (float32, ±inf set to NaN; None for a missing or unreadable cutout),
        ``status`` (:data:`OK`, or one line naming each problem, e.g. ``"missing difference
        cutout"`` or ``"unreadable template cutout: <why>"``) and ``n_nonfinite`` (pixels that
        were ±inf and are now NaN); with ``extensions``, ``extensions`` lists for each panel
        the extension images found (HDU name -> float32 image; empty where the cutout is
        missing or unreadable).

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
    found: list[dict[str, np.ndarray]] = []
    problems: list[str] = []
    n_nonfinite = 0
    for panel, raw in zip(PANELS, cutouts, strict=True):
        image, planes = None, {}
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
                if extensions:
                    image, planes = _decode_with_extensions(bytes(raw), extensions, max_side)
                else:
                    # the primary HDU holds a survey's cutout: a damaged primary header must
                    # not let a later HDU (Rubin's variance, say) be taken for the image
                    image = decode_fits_image(bytes(raw), hdu=0, max_side=max_side)
            except ValueError as exc:
                problems.append(f"unreadable {panel} cutout: {one_line(exc)}")
            except Exception as exc:  # noqa: BLE001 - one damaged cutout loses only itself
                problems.append(f"unreadable {panel} cutout: {type(exc).__name__}: {one_line(exc)}")
            else:
                n_nonfinite += mask_nonfinite(image)
        images.append(image)
        found.append(planes)
    status = "; ".join(problems) or OK
    return DecodedCutouts(images, status, n_nonfinite, found if extensions else None)


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


def missing_plane_note(decoded: DecodedCutouts, hdu: str, what: str) -> str | None:
    """Return the ``errors`` entry of an alert whose decoded cutouts lack the extension ``hdu``.

    None where every cutout that decoded has it (a missing or unreadable cutout is already in
    the status). The alert keeps its status: its images are whole, only ``what`` is absent.

    Examples
    --------
    >>> image = np.zeros((2, 2), np.float32)
    >>> decoded = DecodedCutouts([image, image, None], "missing difference cutout", 0,
    ...                          [{"UNCERT": image}, {}, {}])
    >>> missing_plane_note(decoded, "UNCERT", "variance")
    'no UNCERT plane in the template cutout: its variance is NaN; the alert is kept'
    """
    found = decoded.extensions or [{} for _ in PANELS]
    panels = [
        panel
        for panel, image, planes in zip(PANELS, decoded.images, found, strict=True)
        if image is not None and hdu not in planes
    ]
    if not panels:
        return None
    return (
        f"no {hdu} plane in the {' and '.join(panels)} cutout{'s' if len(panels) > 1 else ''}: "
        f"{'their' if len(panels) > 1 else 'its'} {what} is NaN; the alert is kept"
    )
