"""Decode the FITS images that hold stamps: a fast path for simple images, astropy otherwise.

Survey cutouts (ZTF alert ``stampData``, DES autoScan stamps) are tiny primary-HDU images.
``astropy.io.fits`` spends most of its time building header objects for them, so simple images
(``SIMPLE = T``, ``NAXIS = 2``, no random groups, no tile compression) are decoded here directly:
the 80-character header cards are scanned for the few keywords that matter, the data are read
with :func:`numpy.frombuffer` as big-endian values, scaled with ``BSCALE``/``BZERO`` and
``BLANK`` pixels of integer images become NaN. Anything else is handed to astropy.

Bounds: with ``max_side`` (a survey's largest cutout, :data:`SURVEY_MAX_SIDE`) a gzip stream is
inflated only up to what a FITS file of that size can hold, and an image whose header claims a
larger side is refused before its data are read, whichever path decodes it. A header that
claims more pixels than the bytes hold, an empty axis or an unknown ``BITPIX`` is refused with
the keyword's value in the message.
"""

from __future__ import annotations

import io
import os
import warnings
import zlib
from typing import TYPE_CHECKING

import numpy as np

try:  # ISA-L inflates gzip about twice as fast as zlib, with the same API and results
    from isal import isal_zlib as _inflate_lib

    _INFLATE_ERRORS: tuple[type[BaseException], ...] = (zlib.error, _inflate_lib.error)
except ImportError:  # pragma: no cover - a platform without isal's wheels
    _inflate_lib = zlib
    _INFLATE_ERRORS = (zlib.error,)

if TYPE_CHECKING:
    from astropy.io import fits

__all__ = ["SURVEY_MAX_SIDE", "decode_fits_image", "mask_nonfinite", "read_fits_image"]

SURVEY_MAX_SIDE = {"ztf": 63, "rubin": 102}
"""Largest cutout side (pixels) each survey sends; larger ones are refused before allocation."""

_BLOCK = 2880
_CARD = 80
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_BITPIX_DTYPES = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
# Keywords whose presence means the image is not a plain primary-HDU array.
_UNUSUAL = {b"GROUPS", b"ZIMAGE", b"XTENSION", b"ZCMPTYPE"}
_WANTED = {b"SIMPLE", b"BITPIX", b"NAXIS", b"NAXIS1", b"NAXIS2", b"BSCALE", b"BZERO", b"BLANK"}
# Header blocks allowed for in the gzip cap (1,152 cards), on top of three float64 images.
_MAX_HEADER_BLOCKS = 32
_MAX_HDUS_PER_CUTOUT = 3


def _max_fits_bytes(max_side: int) -> int:
    """Return the most bytes a FITS cutout of at most ``max_side`` pixels a side can need."""
    data_blocks = -(-(max_side * max_side * 8) // _BLOCK)
    return _BLOCK * (_MAX_HEADER_BLOCKS + _MAX_HDUS_PER_CUTOUT * data_blocks)


def _check_side(shape: tuple[int, ...], max_side: int | None) -> None:
    if max_side is not None and any(side > max_side for side in shape):
        described = "x".join(map(str, shape))
        raise ValueError(
            f"the header claims a {described} pixel image, larger than the survey's largest "
            f"cutout ({max_side}x{max_side}), refused before reading it."
        )


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


def _header_int(cards: dict[bytes, bytes], key: bytes) -> int:
    """Return a mandatory keyword's integer value, or raise a ValueError quoting it."""
    if key not in cards:
        raise ValueError(f"invalid FITS header: no {key.decode()} keyword.")
    try:
        return int(cards[key])
    except ValueError:
        raise ValueError(
            f"invalid FITS header: {key.decode()} = {cards[key].decode('ascii', 'replace')!r} "
            "is not an integer."
        ) from None


def _decode_simple(raw: bytes, max_side: int | None = None) -> np.ndarray | None:
    parsed = _parse_simple_header(raw)
    if parsed is None:
        return None
    cards, offset = parsed
    if cards.get(b"SIMPLE") != b"T":
        return None
    try:
        if int(cards.get(b"NAXIS", b"0")) != 2:
            return None
    except ValueError:
        return None
    bitpix = _header_int(cards, b"BITPIX")
    if bitpix not in _BITPIX_DTYPES:
        raise ValueError(
            f"invalid FITS header: BITPIX = {bitpix} is not a FITS pixel type "
            f"(one of {', '.join(map(str, _BITPIX_DTYPES))})."
        )
    dtype = _BITPIX_DTYPES[bitpix]
    nx, ny = _header_int(cards, b"NAXIS1"), _header_int(cards, b"NAXIS2")
    for key, side in ((b"NAXIS1", nx), (b"NAXIS2", ny)):
        if side < 1:
            raise ValueError(
                f"invalid FITS header: {key.decode()} = {side} (an image axis needs at least "
                "1 pixel)."
            )
    _check_side((ny, nx), max_side)
    try:
        bscale = float(cards.get(b"BSCALE", b"1").replace(b"D", b"E"))
        bzero = float(cards.get(b"BZERO", b"0").replace(b"D", b"E"))
        blank = int(cards[b"BLANK"]) if b"BLANK" in cards else None
    except ValueError:
        return None
    n_bytes = nx * ny * np.dtype(dtype).itemsize
    if len(raw) < offset + n_bytes:
        raise ValueError(
            f"FITS image data are truncated: the header announces {ny}x{nx} pixels "
            f"({n_bytes} bytes) but only {max(len(raw) - offset, 0)} bytes follow it."
        )
    data = np.frombuffer(raw, dtype=dtype, count=nx * ny, offset=offset).reshape(ny, nx)
    if dtype == ">f4" and bscale == 1.0 and bzero == 0.0:  # ZTF's cutouts: nothing can overflow
        return data.astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf: see mask_nonfinite
        if dtype[1] == "f":
            if bscale == 1.0 and bzero == 0.0:
                return data.astype(np.float32)
            return (data.astype(np.float64) * bscale + bzero).astype(np.float32)
        image = data.astype(np.float64) * bscale + bzero
        if blank is not None:
            image[data == blank] = np.nan
        return image.astype(np.float32)


def _is_compressed_image(hdul: fits.HDUList, primary: fits.PrimaryHDU) -> bool:
    """Whether ``primary`` is empty and HDU 1 a tile-compressed image (a ``.fz`` file)."""
    from astropy.io import fits

    return (
        getattr(primary, "header", {}).get("NAXIS", 0) == 0
        and len(hdul) > 1
        and isinstance(hdul[1], fits.CompImageHDU)
    )


def _known_hdus() -> tuple[type, ...]:
    """Return the HDU types of a well-formed file (astropy gives others for damaged ones)."""
    from astropy.io import fits

    return (
        fits.PrimaryHDU,
        fits.ImageHDU,
        fits.CompImageHDU,
        fits.BinTableHDU,
        fits.TableHDU,
        fits.GroupsHDU,
    )


def _is_2d_image(candidate: fits.hdu.base.ExtensionHDU) -> bool:
    """Whether an HDU's header describes a 2-D image (its data are not read)."""
    return bool(getattr(candidate, "is_image", False)) and len(getattr(candidate, "shape", ())) == 2


def _select_hdu(
    hdul: fits.HDUList, hdu: int | str | None, size: int, max_side: int | None
) -> np.ndarray:
    if hdu is not None:
        chosen = hdul[hdu]
        if hdu == 0 and _is_compressed_image(hdul, chosen):  # a tile-compressed primary image
            chosen = hdul[1]
        if not _is_2d_image(chosen):
            shape = tuple(getattr(chosen, "shape", ()))
            raise ValueError(f"HDU {hdu!r} holds no 2-D image (data shape {shape}).")
    else:
        chosen = None
        for index, candidate in enumerate(hdul):
            if not isinstance(candidate, _known_hdus()):  # not an empty HDU: a damaged one
                raise ValueError(
                    f"HDU {index} has a header astropy cannot make sense of "
                    f"({type(candidate).__name__}); a later HDU is not taken in its place."
                )
            if _is_2d_image(candidate):
                chosen = candidate
                break
        if chosen is None:
            raise ValueError("the file holds no HDU with a 2-D image.")
    if min(chosen.shape) < 1:
        raise ValueError(
            f"invalid FITS header: the image is {'x'.join(map(str, chosen.shape))} pixels (an "
            "image axis needs at least 1 pixel)."
        )
    _check_side(tuple(chosen.shape), max_side)
    offset, n_bytes = getattr(chosen, "_data_offset", None), getattr(chosen, "_data_size", None)
    if isinstance(offset, int) and isinstance(n_bytes, int) and offset + n_bytes > size:
        raise ValueError(
            f"FITS image data are truncated: the header announces "
            f"{'x'.join(map(str, chosen.shape))} pixels ({n_bytes} bytes) but only "
            f"{max(size - offset, 0)} bytes follow it."
        )
    return chosen.data


def _gunzip(raw: bytes, max_bytes: int | None = None) -> bytes:
    """Decompress a gzip stream of one or more members (each member's CRC is checked).

    With ``max_bytes``, a stream that inflates beyond it is refused as soon as it does, having
    inflated at most ``max_bytes + 1`` bytes. ISA-L inflates where it is installed; any stream
    it refuses is handed to zlib, whose verdict and message stand, so that the results and the
    errors are zlib's.
    """
    if _inflate_lib is zlib:
        return _inflate(raw, max_bytes, fast=False)
    try:
        return _inflate(raw, max_bytes, fast=True)
    except ValueError:
        return _inflate(raw, max_bytes, fast=False)


def _inflate(raw: bytes, max_bytes: int | None, *, fast: bool) -> bytes:
    parts: list[bytes] = []
    total = 0
    try:
        while True:
            # ISA-L ignores the reserved bits of a member's FLG byte, which zlib refuses
            reserved = raw[3] & 0xE0 if len(raw) > 3 else 0
            lib = _inflate_lib if fast and not reserved else zlib
            inflater = lib.decompressobj(_GZIP_WBITS)
            part = inflater.decompress(raw, 0 if max_bytes is None else max_bytes - total + 1)
            total += len(part)
            if max_bytes is not None and total > max_bytes:
                raise ValueError(
                    f"the gzip stream inflates beyond {max_bytes} bytes, more than a FITS "
                    "cutout of the survey's largest size needs (a decompression bomb?), refused."
                )
            if not inflater.eof:
                raise EOFError("the gzip stream is truncated")
            parts.append(part)
            raw = inflater.unused_data.lstrip(b"\0")
            if not raw:
                return b"".join(parts)
    except (OSError, EOFError, *_INFLATE_ERRORS) as exc:
        raise ValueError(f"corrupt gzip stream ({exc})") from exc


def decode_fits_image(
    raw: bytes, *, hdu: int | str | None = None, max_side: int | None = None
) -> np.ndarray:
    """Decode a (possibly gzipped) FITS file held in memory into a float32 image.

    Parameters
    ----------
    raw : bytes
        The FITS file's bytes, optionally gzip-compressed (as in ZTF alert ``stampData``).
    hdu : int, str or None, default=None
        The HDU to read (index or ``EXTNAME``); ``None`` takes the first HDU holding a 2-D image.
    max_side : int or None, default=None
        The largest image side accepted (a survey's :data:`SURVEY_MAX_SIDE`): a gzip stream is
        inflated no further than a FITS file of three such images needs, and a header claiming
        a larger image is refused before its data are read. ``None``: no bound.

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
        data, an invalid ``BITPIX`` or ``NAXISn``, no 2-D image in the requested HDU), or the
        image or its inflated bytes exceed ``max_side``. Values that overflow float32 (e.g.
        ``BSCALE = 1e300``) come back as ``inf``; see :func:`mask_nonfinite`.

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
        raw = _gunzip(raw, None if max_side is None else _max_fits_bytes(max_side))
    if hdu in (None, 0):
        image = _decode_simple(raw, max_side)
        if image is not None:
            return image
    return _decode_with_astropy(raw, hdu, max_side)


def _decode_with_astropy(raw: bytes, hdu: int | str | None, max_side: int | None) -> np.ndarray:
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyUserWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fits.verify.VerifyWarning)
            warnings.simplefilter("ignore", AstropyUserWarning)  # truncation: checked here
            with fits.open(io.BytesIO(raw), memmap=False) as hdul:
                data = _select_hdu(hdul, hdu, len(raw), max_side)
                with np.errstate(over="ignore", invalid="ignore"):
                    return np.asarray(data, dtype=np.float32).copy()
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - astropy fails on damaged bytes in many ways
        raise ValueError(f"not a readable FITS image ({type(exc).__name__}: {exc})") from exc


def mask_nonfinite(image: np.ndarray) -> int:
    """Set the ``+inf``/``-inf`` pixels of ``image`` to NaN, in place; return how many there were.

    A reader's masked pixels are NaN; infinite ones (written as such, or float64 or scaled
    values beyond float32's range) would abort scaling or fill a whole panel with NaN, so they
    are masked too and counted (``meta["n_nonfinite"]`` of the readers).

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[1.0, np.inf], [np.nan, -np.inf]], dtype=np.float32)
    >>> mask_nonfinite(image), image
    (2, array([[ 1., nan],
           [nan, nan]], dtype=float32))
    """
    infinite = np.isinf(image)
    count = int(np.count_nonzero(infinite))
    if count:
        image[infinite] = np.nan
    return count


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
