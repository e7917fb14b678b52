"""Every Avro codec is read, each block within the readers' bound (skrb/io/_avro_codecs.py).

Containers of real ZTF and Rubin alerts (../shared/data) are written with each codec, one
block per alert, and read as the null-codec container reads; a decompression bomb in one block
of each codec is refused, with small peak memory, and loses only its block.
"""

from __future__ import annotations

import bz2
import io
import json
import lzma
import tracemalloc
import zlib
from functools import cache

import cramjam
import fastavro
import numpy as np
import pytest
from _alert_files import avro_long
from conftest import shared_path

from skrb.io import ReadWarning, read_alerts
from skrb.io._avro_codecs import CODECS, MAX_RECORD_BYTES, zstd_content_size

pytestmark = pytest.mark.shared_data

_SYNC = bytes(range(16))


def _deflate(raw: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(raw) + packer.flush()


def _snappy(raw: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(raw)) + zlib.crc32(raw).to_bytes(4, "big")


# How each codec's blocks are written: as fastavro writes them (lz4: lz4.block's stored size
# then the raw block; zstandard: one frame stating its size), with cramjam where fastavro would
# need a package this machine may not have (lz4, backports.zstd).
COMPRESS = {
    "null": bytes,
    "deflate": _deflate,
    "snappy": _snappy,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zstandard": lambda raw: bytes(cramjam.zstd.compress(raw)),
    "lz4": lambda raw: bytes(cramjam.lz4.compress_block(raw)),
}


def _bytes(value: bytes) -> bytes:
    return avro_long(len(value)) + value


def _container(schema: dict, codec: str, blocks: list[tuple[int, bytes]]) -> bytes:
    """An Avro container file holding ``(record count, compressed data)`` blocks."""
    meta = {b"avro.schema": json.dumps(schema).encode(), b"avro.codec": codec.encode()}
    header = b"".join(_bytes(key) + _bytes(value) for key, value in meta.items())
    body = b"".join(avro_long(count) + _bytes(data) + _SYNC for count, data in blocks)
    return b"Obj\x01" + avro_long(len(meta)) + header + avro_long(0) + _SYNC + body


def _encoded(schema: dict, record: dict) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), record)
    return buffer.getvalue()


def _written(schema: dict, records: list[dict], codec: str) -> bytes:
    """One block per record, compressed with ``codec``."""
    return _container(
        schema, codec, [(1, COMPRESS[codec](_encoded(schema, record))) for record in records]
    )


def fastavro_bytes(schema: dict, records: list[dict], codec: str) -> bytes:
    """The records as fastavro writes them with ``codec`` (its own blocks)."""
    buffer = io.BytesIO()
    fastavro.writer(buffer, schema, records, codec=codec)
    return buffer.getvalue()


@pytest.fixture(scope="module", params=["ztf", "lsst"])
def alerts(request) -> tuple[str, list[dict], dict]:
    """Three real alerts of one survey, and their writer schema."""
    if request.param == "ztf":
        folder = shared_path("ztf_alerts", "fink-alert-simulator")
    else:
        folder = shared_path("rubin_alerts", "fink-broker-lsst7.4")
    records, schema = [], None
    for path in sorted(folder.glob("*.avro"))[:3]:
        with open(path, "rb") as handle:
            reader = fastavro.reader(handle)
            records.append(next(reader))
            schema = reader.writer_schema
    return request.param, records, schema


def _same(alerts, expected) -> None:
    np.testing.assert_array_equal(alerts.data, expected.data)
    assert alerts.meta.colnames == expected.meta.colnames
    for name in alerts.meta.colnames:
        assert alerts.meta[name].tolist() == expected.meta[name].tolist(), name


def _fastavro_can_write(codec: str) -> bool:
    try:
        fastavro.writer(io.BytesIO(), {"type": "record", "name": "r", "fields": []}, [{}], codec)
    except ValueError:  # fastavro: "... you need to install ..." (lz4, backports.zstd)
        return False
    return True


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_every_codec_reads_as_the_null_codec(alerts, codec):
    survey, records, schema = alerts
    expected = read_alerts([fastavro_bytes(schema, records, "null")])
    assert len(expected.meta) == 3 and expected.survey == survey
    _same(read_alerts([_written(schema, records, codec)]), expected)
    if _fastavro_can_write(codec):  # the files other writers make: fastavro's own blocks
        _same(read_alerts([fastavro_bytes(schema, records, codec)]), expected)


_BOMB = 64 * 2**20  # inflates to four times what one record's block may


@cache
def _bomb(codec: str) -> bytes:
    """64 MiB of zeros compressed with ``codec`` (made once: bzip2 and xz take a while)."""
    return COMPRESS[codec](bytes(_BOMB))


@pytest.mark.parametrize("codec", sorted(set(CODECS) - {"null"}))
def test_a_bomb_in_any_codec_loses_only_its_block(alerts, codec):
    survey, records, schema = alerts
    good = [COMPRESS[codec](_encoded(schema, record)) for record in records]
    bomb = _bomb(codec)
    raw = _container(schema, codec, [(1, good[0]), (1, bomb), (1, good[2])])
    assert len(raw) < 8 * 2**20
    tracemalloc.start()
    try:
        with pytest.warns(ReadWarning, match=r"\(record 1\): 1 record\(s\) skipped: .*bomb"):
            read = read_alerts([raw])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # At most one record's bound (16 MiB) is ever inflated (fastavro's reader inflated all 64
    # MiB for bzip2 and xz); snappy, lz4 and zstandard state the size first and are refused
    # before any (cramjam's own buffers are not traced: they are never allocated beyond the
    # stated size, itself under the bound). xz's decoder holds its dictionary besides (8 MiB
    # for the default preset, allocated through Python's allocator, hence traced).
    decoder = 16 * 2**20 if codec == "xz" else 0
    assert peak < MAX_RECORD_BYTES + 8 * 2**20 + decoder, peak
    assert list(read.meta["record"]) == [0, 2]
    expected = read_alerts([_written(schema, [records[0], records[2]], codec)])
    np.testing.assert_array_equal(read.data, expected.data)


@pytest.mark.parametrize("codec", ["lz4", "zstandard"])
def test_a_block_inflating_past_its_stated_size_is_refused(alerts, codec):
    """A lying size is no way round the bound: the buffer holds what is stated, no more."""
    _, records, schema = alerts
    good = [COMPRESS[codec](_encoded(schema, record)) for record in records]
    if codec == "lz4":  # states 1 KiB, holds 64 MiB
        liar = (1024).to_bytes(4, "little") + _bomb(codec)[4:]
    else:  # a first frame stating 1 KiB, then a second frame of 64 MiB
        liar = COMPRESS[codec](bytes(1024)) + _bomb(codec)
        assert zstd_content_size(liar) == 1024
    raw = _container(schema, codec, [(1, good[0]), (1, liar), (1, good[2])])
    with pytest.warns(ReadWarning, match=r"\(record 1\): 1 record\(s\) skipped"):
        read = read_alerts([raw])
    assert list(read.meta["record"]) == [0, 2]


def test_zstandard_frames_without_a_stated_size(alerts):
    """Read incrementally where backports.zstd is installed; else refused, naming it."""
    from skrb.io._avro_codecs import _zstd_module

    survey, records, schema = alerts

    def streamed(raw: bytes) -> bytes:  # a streaming compressor states no content size
        packer = cramjam.zstd.Compressor()
        packer.compress(raw)
        return bytes(packer.finish())

    blocks = [(1, streamed(_encoded(schema, record))) for record in records]
    assert zstd_content_size(blocks[0][1]) is None
    raw = _container(schema, "zstandard", blocks)
    if _zstd_module() is not None:
        _same(read_alerts([raw]), read_alerts([fastavro_bytes(schema, records, "null")]))
        return
    with pytest.raises(Exception, match=r"<bytes 0>: .*pip install backports\.zstd") as caught:
        read_alerts([raw])
    assert "\n" not in str(caught.value)


def test_an_unknown_codec_names_the_file(alerts):
    _, records, schema = alerts
    raw = _written(schema, records[:1], "null").replace(b"\x08null", b"\x0cbrotli", 1)
    with pytest.raises(Exception, match=r"<bytes 0>: .*unknown Avro codec 'brotli'"):
        read_alerts([raw])
