"""Decode the FITS images that hold stamps: a fast path for simple images, astropy otherwise.

Survey cutouts (ZTF alert ``stampData``, DES autoScan stamps) are tiny primary-HDU images.
``astropy.io.fits`` spends most of its time building header objects for them, so simple images
(``SIMPLE = T``, ``NAXIS = 2``, no random groups, no tile compression) are decoded here directly:
the 80-character header cards are scanned for the few keywords that matter, the data are read
with :func:`numpy.frombuffer` as big-endian values, scaled with ``BSCALE``/``BZERO`` and
``BLANK`` pixels of integer images become NaN. Anything else is handed to astropy.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
import zlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from astropy.io import fits

__all__ = ["decode_fits_image", "read_fits_image"]

_BLOCK = 2880
_CARD = 80
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_BITPIX_DTYPES = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
# Keywords whose presence means the image is not a plain primary-HDU array.
_UNUSUAL = {b"GROUPS", b"ZIMAGE", b"XTENSION", b"ZCMPTYPE"}
_WANTED = {b"SIMPLE", b"BITPIX", b"NAXIS", b"NAXIS1", b"NAXIS2", b"BSCALE", b"BZERO", b"BLANK"}


def _parse_simple_header(raw: bytes) -> tuple[dict[bytes, bytes], int] | None:
    """Return the wanted keyword values and the data offset, or None if astropy should decide."""
    if not raw.startswith(b"SIMPLE  =") or len(raw) < _BLOCK:
        return None
    cards: dict[bytes, bytes] = {}
    n_blocks = len(raw) // _BLOCK
    for block in range(n_blocks):
        start = block * _BLOCK
        for pos in range(start, start + _BLOCK, _CARD):
            key = raw[pos : pos + 8].rstrip()
            if key == b"END":
                return cards, start + _BLOCK
            if key in _UNUSUAL:
                return None
            if key in _WANTED and raw[pos + 8 : pos + 10] == b"= ":
                cards[key] = raw[pos + 10 : pos + _CARD].split(b"/", 1)[0].strip()
    return None


def _decode_simple(raw: bytes) -> np.ndarray | None:
    parsed = _parse_simple_header(raw)
    if parsed is None:
        return None
    cards, offset = parsed
    try:
        if cards.get(b"SIMPLE") != b"T" or int(cards.get(b"NAXIS", b"0")) != 2:
            return None
        dtype = _BITPIX_DTYPES[int(cards[b"BITPIX"])]
        nx, ny = int(cards[b"NAXIS1"]), int(cards[b"NAXIS2"])
        bscale = float(cards.get(b"BSCALE", b"1").replace(b"D", b"E"))
        bzero = float(cards.get(b"BZERO", b"0").replace(b"D", b"E"))
        blank = int(cards[b"BLANK"]) if b"BLANK" in cards else None
    except (KeyError, ValueError):
        return None
    n_bytes = nx * ny * np.dtype(dtype).itemsize
    if len(raw) < offset + n_bytes:
        raise ValueError(
            f"FITS image data are truncated: the header announces {ny}x{nx} pixels "
            f"({n_bytes} bytes) but only {max(len(raw) - offset, 0)} bytes follow it."
        )
    data = np.frombuffer(raw, dtype=dtype, count=nx * ny, offset=offset).reshape(ny, nx)
    if dtype[1] == "f":
        if bscale == 1.0 and bzero == 0.0:
            return data.astype(np.float32)
        return (data.astype(np.float64) * bscale + bzero).astype(np.float32)
    image = data.astype(np.float64) * bscale + bzero
    if blank is not None:
        image[data == blank] = np.nan
    return image.astype(np.float32)


def _select_hdu(hdul: fits.HDUList, hdu: int | str | None) -> np.ndarray:
    if hdu is not None:
        data = hdul[hdu].data
        if data is None or np.ndim(data) != 2:
            raise ValueError(f"HDU {hdu!r} holds no 2-D image (data shape {np.shape(data)}).")
        return data
    for candidate in hdul:
        if candidate.data is not None and np.ndim(candidate.data) == 2:
            return candidate.data
    raise ValueError("the file holds no HDU with a 2-D image.")


def _gunzip(raw: bytes) -> bytes:
    """Decompress a gzip stream (zlib checks the CRC; several members go through gzip)."""
    try:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        data = inflater.decompress(raw)
        if not inflater.eof:
            raise EOFError("the gzip stream is truncated")
        if inflater.unused_data:
            data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"corrupt gzip stream ({exc})") from exc
    return data


def decode_fits_image(raw: bytes, *, hdu: int | str | None = None) -> np.ndarray:
    """Decode a (possibly gzipped) FITS file held in memory into a float32 image.

    Parameters
    ----------
    raw : bytes
        The FITS file's bytes, optionally gzip-compressed (as in ZTF alert ``stampData``).
    hdu : int, str or None, default=None
        The HDU to read (index or ``EXTNAME``); ``None`` takes the first HDU holding a 2-D image.

    Returns
    -------
    image : ndarray of shape (ny, nx), float32
        Pixel values in FITS (row, column) = (y, x) order, native byte order. Integer images are
        scaled with ``BSCALE``/``BZERO`` and their ``BLANK`` pixels become NaN; NaN pixels of
        floating-point images are kept.

    Raises
    ------
    ValueError
        If the bytes are not a readable FITS image (corrupt or truncated gzip stream, truncated
        data, no 2-D image in the requested HDU).

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> buffer = io.BytesIO()
    >>> fits.PrimaryHDU(np.arange(6, dtype=">f4").reshape(2, 3)).writeto(buffer)
    >>> decode_fits_image(buffer.getvalue())
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    """
    if raw[:2] == _GZIP_MAGIC:
        raw = _gunzip(raw)
    if hdu in (None, 0):
        image = _decode_simple(raw)
        if image is not None:
            return image
    return _decode_with_astropy(raw, hdu)


def _decode_with_astropy(raw: bytes, hdu: int | str | None) -> np.ndarray:
    from astropy.io import fits

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)
            with fits.open(io.BytesIO(raw), memmap=False) as hdul:
                return np.asarray(_select_hdu(hdul, hdu), dtype=np.float32).copy()
    except (OSError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"not a readable FITS image ({exc})") from exc


def read_fits_image(path: str | os.PathLike[str], *, hdu: int | str | None = None) -> np.ndarray:
    """Read one 2-D image from a FITS file (plain or gzipped) as float32.

    Parameters
    ----------
    path : str or path-like
        The FITS file (``.fits``, ``.fits.gz``, ``.fz`` via astropy).
    hdu : int, str or None, default=None
        The HDU to read (index or ``EXTNAME``); ``None`` takes the first HDU holding a 2-D image.

    Returns
    -------
    image : ndarray of shape (ny, nx), float32
        See :func:`decode_fits_image`.

    Raises
    ------
    ValueError
        If the file is not a readable FITS image; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "srch1.fits"
    >>> fits.PrimaryHDU(np.full((2, 2), np.nan, dtype="f4")).writeto(path)
    >>> read_fits_image(path)
    array([[nan, nan],
           [nan, nan]], dtype=float32)
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        return decode_fits_image(raw, hdu=hdu)
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)}: {exc}") from exc
