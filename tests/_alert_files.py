"""Build alert-packet pieces for the reader tests: FITS cutouts, lying headers, bombs, Avro."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import fastavro
import numpy as np
from astropy.io import fits


def fits_bytes(image: np.ndarray, *, gz: bool = False, **header: float) -> bytes:
    """A one-image FITS file (gzipped if asked), with extra header ``KEY=value`` cards."""
    primary = fits.PrimaryHDU(image)
    for key, value in header.items():
        primary.header[key] = value
    buffer = io.BytesIO()
    primary.writeto(buffer)
    return gzip.compress(buffer.getvalue()) if gz else buffer.getvalue()


def set_cards(raw: bytes, **cards: int) -> bytes:
    """``raw`` (plain FITS) whose header cards claim ``cards``; the data are left as they are."""
    raw = bytearray(raw)
    for key, value in cards.items():
        pos = raw.find(key.ljust(8).encode() + b"= ")
        assert pos >= 0 and pos % 80 == 0, key
        raw[pos + 10 : pos + 30] = str(value).rjust(20).encode()
    return bytes(raw)


def gzip_bomb(inflated: int) -> bytes:
    """Gzip a 63 x 63 FITS header followed by ``inflated`` zero bytes, 1 MiB at a time."""
    header = fits_bytes(np.zeros((63, 63), ">f4"))[:2880]
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [deflater.compress(header)]
    chunk = bytes(2**20)
    for _ in range(inflated // len(chunk)):
        parts.append(deflater.compress(chunk))
    parts.append(deflater.flush())
    return b"".join(parts)


def avro_long(value: int) -> bytes:
    """Avro's zig-zag varint encoding of a long."""
    value = (value << 1) ^ (value >> 63)
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def avro_bytes(schema: dict, records: list[dict], codec: str = "null") -> bytes:
    """An Avro container file holding ``records``."""
    buffer = io.BytesIO()
    fastavro.writer(buffer, schema, records, codec=codec)
    return buffer.getvalue()


def write_avro(path: Path, schema: dict, records: list[dict]) -> Path:
    """Write ``records`` to the Avro container file ``path``; return it."""
    path.write_bytes(avro_bytes(schema, records))
    return path
