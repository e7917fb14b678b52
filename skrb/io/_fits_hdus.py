"""Decode named image HDUs of a multi-extension FITS file held in memory (Rubin cutouts).

Rubin's alert cutouts are whole FITS files written from an astropy ``CCDData``: a PRIMARY image,
its variance in the ``UNCERT`` extension and the PSF model in ``PSFIMAGE``. Building astropy
header objects for three HDUs costs far more than reading their pixels, so the HDUs are walked
here directly: each header's 80-character cards are scanned for the keywords that size the data
(``BITPIX``, ``NAXISn``, ``PCOUNT``, ``GCOUNT``) and name the HDU (``EXTNAME``), the data of the
wanted HDUs are read with :func:`numpy.frombuffer` as big-endian values (``BSCALE``/``BZERO``
applied, ``BLANK`` pixels of integer images become NaN) and the others are skipped. Anything
unusual (random groups, tile-compressed images, a header that does not parse) is handed to
astropy. Image sides are checked against a bound before any pixel is allocated.

Kept free of astropy imports (astropy is imported only for the fallback) so that reader worker
processes start quickly.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

import numpy as np

from skrb.io._fitsio import _BITPIX_DTYPES, _GZIP_MAGIC, _check_side, _gunzip, _max_fits_bytes

__all__ = ["decode_fits_hdus"]

_BLOCK = 2880
_CARD = 80
_SIZING = {b"SIMPLE", b"XTENSION", b"BITPIX", b"NAXIS", b"PCOUNT", b"GCOUNT", b"EXTNAME"}
_SCALING = {b"BSCALE", b"BZERO", b"BLANK"}
# Keywords whose presence means the HDU is not a plain image array: astropy decides.
_UNUSUAL = {b"GROUPS", b"ZIMAGE", b"ZCMPTYPE"}


class _Unusual(Exception):
    """The file has a structure the fast walker leaves to astropy."""


def _value(card: bytes) -> bytes:
    """Return the value of a ``KEY = value / comment`` card, quotes and padding removed."""
    text = card[10:].strip()
    if text.startswith(b"'"):
        end = text.find(b"'", 1)
        return text[1:end].rstrip() if end > 0 else text[1:].rstrip()
    return text.split(b"/", 1)[0].strip()


def _header(raw: bytes, start: int) -> tuple[dict[bytes, bytes], int]:
    """Scan the header starting at ``start``; return its wanted cards and where its data start."""
    cards: dict[bytes, bytes] = {}
    for pos in range(start, len(raw) - _CARD + 1, _CARD):
        key = raw[pos : pos + 8].rstrip()
        if key == b"END":
            return cards, start + (-(-(pos + _CARD - start) // _BLOCK)) * _BLOCK
        if key in _UNUSUAL:
            raise _Unusual
        if raw[pos + 8 : pos + 10] == b"= " and (
            key in _SIZING or key in _SCALING or key.startswith(b"NAXIS")
        ):
            cards[key] = _value(raw[pos : pos + _CARD])
    raise ValueError(f"FITS header truncated: no END card after byte {start}.")


def _number(cards: dict[bytes, bytes], key: bytes, default: float | None = None) -> float:
    if key not in cards:
        if default is None:
            raise _Unusual
        return default
    try:
        return float(cards[key].replace(b"D", b"E"))
    except ValueError:
        raise _Unusual from None


def _shape(cards: dict[bytes, bytes]) -> tuple[int, ...]:
    naxis = int(_number(cards, b"NAXIS"))
    if not 0 <= naxis <= 999:
        raise _Unusual
    return tuple(int(_number(cards, b"NAXIS%d" % (i + 1))) for i in range(naxis))[::-1]


def _image(
    raw: bytes,
    cards: dict[bytes, bytes],
    offset: int,
    shape: tuple[int, ...],
    name: str,
    bound: int,
) -> np.ndarray:
    """Return the HDU's 2-D image as float32 (checked against ``bound`` before it is read)."""
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"HDU {name} holds no 2-D image (shape {shape}).")
    try:
        _check_side(shape, bound)
    except ValueError as exc:
        raise ValueError(f"HDU {name}: {exc}") from None
    bitpix = int(_number(cards, b"BITPIX"))
    if bitpix not in _BITPIX_DTYPES:
        raise ValueError(f"HDU {name} has an invalid BITPIX = {bitpix}.")
    dtype = np.dtype(_BITPIX_DTYPES[bitpix])
    count = shape[0] * shape[1]
    if len(raw) < offset + count * dtype.itemsize:
        raise ValueError(
            f"HDU {name} data are truncated: {shape[0]}x{shape[1]} pixels announced "
            f"({count * dtype.itemsize} bytes), {max(len(raw) - offset, 0)} bytes left."
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape)
    bscale, bzero = _number(cards, b"BSCALE", 1.0), _number(cards, b"BZERO", 0.0)
    if dtype.kind == "f":
        if bscale == 1.0 and bzero == 0.0:
            return data.astype(np.float32)
        return (data.astype(np.float64) * bscale + bzero).astype(np.float32)
    image = data.astype(np.float64) * bscale + bzero
    if b"BLANK" in cards:
        image[data == int(_number(cards, b"BLANK"))] = np.nan
    return image.astype(np.float32)


def _walk(raw: bytes, wanted: Sequence[str], bound: int) -> dict[str, np.ndarray]:
    if not raw.startswith(b"SIMPLE  ="):
        raise _Unusual
    images: dict[str, np.ndarray] = {}
    start, index = 0, 0
    while start < len(raw) and len(images) < len(wanted):
        if index and not raw.startswith(b"XTENSION", start):
            break  # trailing bytes after the last HDU (FITS allows special records)
        cards, offset = _header(raw, start)
        name = cards.get(b"EXTNAME", b"PRIMARY" if index == 0 else b"").decode("ascii", "replace")
        shape = _shape(cards)
        if name.upper() in wanted and name.upper() not in images:
            images[name.upper()] = _image(raw, cards, offset, shape, name, bound)
        bitpix = int(_number(cards, b"BITPIX"))
        n_values = int(np.prod(shape, dtype=np.int64)) if shape else 0
        if index:
            pcount = int(_number(cards, b"PCOUNT", 0.0))
            n_values = int(_number(cards, b"GCOUNT", 1.0)) * (pcount + n_values)
        size = abs(bitpix) // 8 * n_values
        start = offset + (-(-size // _BLOCK)) * _BLOCK
        index += 1
    return images


def _with_astropy(raw: bytes, wanted: Sequence[str], bound: int) -> dict[str, np.ndarray]:
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyUserWarning

    images: dict[str, np.ndarray] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)
            # astropy's doubts (a truncated file, say) make the cutout unreadable, not a warning
            warnings.simplefilter("error", AstropyUserWarning)
            with fits.open(io.BytesIO(raw), memmap=False) as hdul:
                for index, hdu in enumerate(hdul):
                    name = (hdu.name or ("PRIMARY" if index == 0 else "")).upper()
                    if name == "COMPRESSED_IMAGE" and index == 1:
                        name = "PRIMARY"
                    if name not in wanted or name in images:
                        continue
                    shape = tuple(hdu.shape) if hdu.is_image else ()
                    if len(shape) != 2 or min(shape) < 1:
                        raise ValueError(f"HDU {name} holds no 2-D image (shape {shape}).")
                    _check_side(shape, bound)
                    images[name] = np.array(hdu.data, dtype=np.float32)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - astropy fails on damaged bytes in many ways
        raise ValueError(f"not a readable FITS file ({type(exc).__name__}: {exc})") from exc
    return images


def decode_fits_hdus(
    raw: bytes, wanted: Sequence[str] = ("PRIMARY",), *, bound: int = 102
) -> dict[str, np.ndarray]:
    """Decode the named 2-D image HDUs of a FITS file held in memory, as float32.

    Parameters
    ----------
    raw : bytes
        The FITS file's bytes, plain or gzipped (inflated no further than a FITS file of
        three ``bound``-sided float64 images needs: a decompression bomb is refused).
    wanted : sequence of str, default=("PRIMARY",)
        Upper-case HDU names: ``"PRIMARY"`` for the first HDU, ``EXTNAME`` for extensions.
    bound : int, default=102
        Largest side accepted, checked before any pixel is allocated.

    Returns
    -------
    images : dict
        HDU name -> ndarray of shape (ny, nx), float32, native byte order, for each wanted HDU
        present (absent ones are left out).

    Raises
    ------
    ValueError
        If the bytes are not a readable FITS file, a wanted HDU holds no 2-D image, is larger
        than ``bound`` or is truncated.
    """
    wanted = tuple(name.upper() for name in wanted)
    if raw[:2] == _GZIP_MAGIC:  # inflated here, within what a cutout of ``bound`` needs
        raw = _gunzip(raw, _max_fits_bytes(bound))
    try:
        return _walk(raw, wanted, bound)
    except _Unusual:
        return _with_astropy(raw, wanted, bound)
