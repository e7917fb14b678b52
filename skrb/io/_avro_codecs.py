"""Decompress the data blocks of an Avro container file, none beyond a stated bound.

Every codec that fastavro writes is read here: null, deflate, snappy, bzip2, xz, zstandard and
lz4. A block may inflate to at most :data:`MAX_RECORD_BYTES` per record it announces; a block
that would inflate further (a decompression bomb) is refused having produced at most that
much, so the readers' memory bound holds whatever the codec:

- deflate, bzip2, xz: incremental decompressors, their output taken 1 MiB at a time and
  refused past the bound (a bomb costs about the bound, whatever it would inflate to); xz's
  decoder is also held to :data:`XZ_MEMLIMIT` (a header may claim a huge dictionary);
- snappy and lz4 blocks state their inflated size first: checked before anything is
  allocated, then decompressed into a buffer of exactly that size (cramjam, which
  ``fastavro[snappy]`` installs);
- zstandard: incrementally with ``compression.zstd`` (Python 3.14) or ``backports.zstd``
  where installed; otherwise (cramjam) a frame must state its content size (fastavro's and
  most writers' frames do), which is checked and decompressed into a buffer of that size. A
  frame without it then raises :class:`CodecUnavailable`, naming the package to install.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = [
    "CODECS",
    "MAX_RECORD_BYTES",
    "XZ_MEMLIMIT",
    "CodecUnavailable",
    "decompressor",
    "zstd_content_size",
]

# No alert record comes near this once decompressed (a ZTF alert is ~0.1 MB, a Rubin one with
# its history and cutouts under 1 MB): a block may inflate to this much per record it holds.
MAX_RECORD_BYTES = 16 * 2**20
# The decoder of xz's largest preset (-9, a 64 MiB dictionary) needs 65 MiB.
XZ_MEMLIMIT = 96 * 2**20
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_STEP = 2**20  # output taken from an incremental decompressor at a time


class CodecUnavailable(ValueError):
    """A codec (or a variant of it) this installation cannot decompress within the bound.

    Raised for the whole file, not one block: every block of it would fail alike.
    """


def _too_large(max_bytes: int) -> ValueError:
    return ValueError(
        f"corrupt Avro block: it inflates beyond {max_bytes} bytes, more than "
        f"{MAX_RECORD_BYTES // 2**20} MiB per record it announces (a decompression bomb?)."
    )


def _incremental(
    decompressor: Any, block: bytes, max_bytes: int, codec: str, *, whole: bool = True
) -> bytes:
    """Run a ``decompress(data, max_length)`` decompressor over one block, within the bound.

    Output is taken :data:`_STEP` bytes at a time, so a bomb is stopped having inflated
    little more than ``max_bytes`` (one ``decompress(block, max_bytes + 1)`` call would hold
    it twice, as pieces and joined). ``whole``: the block must hold exactly one compressed
    stream, complete (not asked of deflate, which fastavro writes followed by 3 bytes of
    zlib's checksum).
    """
    out = bytearray()
    piece = decompressor.decompress(block, _STEP)
    while piece:
        out += piece
        if len(out) > max_bytes:
            raise _too_large(max_bytes)
        if decompressor.eof:
            break
        # zlib hands back the input it has not read yet; the others keep it themselves
        piece = decompressor.decompress(getattr(decompressor, "unconsumed_tail", b""), _STEP)
    if whole and not decompressor.eof:  # no more output, no end: the stream is cut
        raise ValueError(f"corrupt {codec} block: its compressed stream ends early.")
    if whole and decompressor.unused_data:  # a writer puts one stream per block
        raise ValueError(f"corrupt {codec} block: bytes follow its compressed stream.")
    return bytes(out)


def _into(decompress_into: Callable[[bytes, bytearray], int], block: bytes, size: int) -> bytes:
    """Decompress into a buffer of exactly the ``size`` the block states (cramjam)."""
    buffer = bytearray(size)
    written = decompress_into(block, buffer)
    if written != size:
        raise ValueError(f"corrupt Avro block: {written} bytes inflated, {size} announced.")
    return bytes(buffer)


def _no_codec(block: bytes, max_bytes: int) -> bytes:
    return bytes(block)


def _inflate(block: bytes, max_bytes: int) -> bytes:
    return _incremental(zlib.decompressobj(-15), block, max_bytes, "deflate", whole=False)


def _read_varint(raw: bytes) -> tuple[int, int]:
    """Decode an unsigned varint (snappy's preamble) at the start of ``raw``."""
    result = shift = pos = 0
    while pos < len(raw) and shift < 64:
        byte = raw[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    raise ValueError("corrupt snappy block: malformed length preamble.")


def _unsnappy(block: bytes, max_bytes: int) -> bytes:
    import cramjam

    size, _ = _read_varint(block)  # raw snappy starts with the uncompressed length
    if size > max_bytes:
        raise _too_large(max_bytes)
    data = bytes(cramjam.snappy.decompress_raw(block[:-4]))
    if zlib.crc32(data) != int.from_bytes(block[-4:], "big"):
        raise ValueError("corrupt snappy block: CRC mismatch.")
    return data


def _bunzip(block: bytes, max_bytes: int) -> bytes:
    return _incremental(bz2.BZ2Decompressor(), block, max_bytes, "bzip2")


def _unxz(block: bytes, max_bytes: int) -> bytes:
    decompressor = lzma.LZMADecompressor(lzma.FORMAT_AUTO, memlimit=XZ_MEMLIMIT)
    return _incremental(decompressor, block, max_bytes, "xz")


def _unlz4(block: bytes, max_bytes: int) -> bytes:
    import cramjam

    if len(block) < 4:
        raise ValueError("corrupt lz4 block: no size prefix.")
    size = int.from_bytes(block[:4], "little")  # lz4.block's stored size, as fastavro writes
    if size > max_bytes:
        raise _too_large(max_bytes)
    return _into(cramjam.lz4.decompress_block_into, block[4:], size)


@cache
def _zstd_module() -> Any:
    """``compression.zstd`` (Python 3.14) or ``backports.zstd``, or None where neither is."""
    try:
        from compression import zstd
    except ImportError:
        try:
            from backports import zstd
        except ImportError:
            return None
    return zstd


def zstd_content_size(block: bytes) -> int | None:
    """Return the content size a zstandard frame's header states (None where it states none)."""
    if len(block) < 6 or block[:4] != _ZSTD_MAGIC:
        raise ValueError("corrupt zstandard block: no zstandard frame header.")
    descriptor = block[4]
    single_segment = descriptor >> 5 & 1
    start = 5 + (1 - single_segment) + (0, 1, 2, 4)[descriptor & 3]  # window, dictionary id
    width = (single_segment, 2, 4, 8)[descriptor >> 6]
    if width == 0:
        return None
    field = block[start : start + width]
    if len(field) < width:
        raise ValueError("corrupt zstandard block: its frame header is truncated.")
    return int.from_bytes(field, "little") + (256 if width == 2 else 0)


def _unzstd(block: bytes, max_bytes: int) -> bytes:
    zstd = _zstd_module()
    if zstd is not None:
        return _incremental(zstd.ZstdDecompressor(), block, max_bytes, "zstandard")
    import cramjam

    size = zstd_content_size(block)
    if size is None:
        raise CodecUnavailable(
            "its zstandard frames do not state their size, which only an incremental "
            "decompressor reads within a bound: pip install backports.zstd (Python < 3.14)."
        )
    if size > max_bytes:
        raise _too_large(max_bytes)
    return _into(cramjam.zstd.decompress_into, block, size)


CODECS: dict[str, Callable[[bytes, int], bytes]] = {
    "null": _no_codec,
    "deflate": _inflate,
    "snappy": _unsnappy,
    "bzip2": _bunzip,
    "xz": _unxz,
    "zstandard": _unzstd,
    "lz4": _unlz4,
}
"""Avro codec name -> ``decompress(block, max_bytes)``, which raises beyond ``max_bytes``."""


def decompressor(codec: str) -> Callable[[bytes, int], bytes]:
    """Return the block decompressor of ``codec`` (a file's ``avro.codec``)."""
    try:
        return CODECS[codec]
    except KeyError:
        raise ValueError(
            f"unknown Avro codec {codec!r} (one of {', '.join(sorted(CODECS))})."
        ) from None
