"""Iterate over the alert records of an Avro container file, decoding only what skrb uses.

ZTF alert packets carry ~30 previous candidates (``prv_candidates``) that the readers do not
need. A reader schema that keeps only the alert identifiers, ``candidate`` and the three cutouts
(projected from each file's own writer schema, so broker re-serialisations such as Fink's
``topLevelRecord`` work as long as they keep those fields) lets fastavro skip the rest.

The container (header, blocks, sync markers) is parsed here, and the parsed schemas are cached by
the header's schema text: fastavro would otherwise re-parse the ~200-field ZTF schema for every
single-alert file, which costs as much as decoding the alert. Codecs: null, deflate and snappy
here; any other codec fastavro knows (zstandard, bzip2, xz, lz4) goes through ``fastavro.reader``.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import fastavro

__all__ = ["ALERT_FIELDS", "CUTOUT_FIELDS", "iter_alert_records"]

CUTOUT_FIELDS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
ALERT_FIELDS = ("objectId", "candid", "candidate", *CUTOUT_FIELDS)
_REQUIRED = ("candidate", *CUTOUT_FIELDS)
_NAMED = ("record", "enum", "fixed")
_MAGIC = b"Obj\x01"
_SYNC_SIZE = 16


# --- reader schema -------------------------------------------------------------------------


def _fullname(schema: dict[str, Any]) -> str:
    name = schema["name"]
    namespace = schema.get("namespace")
    return f"{namespace}.{name}" if namespace and "." not in name else name


def _define_once(schema: Any, seen: set[str]) -> Any:
    """Replace repeated definitions of a named type (from an expanded schema) by its name."""
    if isinstance(schema, list):
        return [_define_once(branch, seen) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind in _NAMED:
        fullname = _fullname(schema)
        if fullname in seen:
            return fullname
        seen.add(fullname)
        if kind == "record":
            fields = [dict(f, type=_define_once(f["type"], seen)) for f in schema["fields"]]
            return dict(schema, fields=fields)
        return schema
    if kind == "array":
        return dict(schema, items=_define_once(schema["items"], seen))
    if kind == "map":
        return dict(schema, values=_define_once(schema["values"], seen))
    if isinstance(kind, dict | list):
        return dict(schema, type=_define_once(kind, seen))
    return schema


@lru_cache(maxsize=32)
def _schemas(schema_text: bytes) -> tuple[Any, Any]:
    """Return the parsed writer schema and the reader schema keeping :data:`ALERT_FIELDS`."""
    try:
        writer = json.loads(schema_text)
    except ValueError as exc:
        raise ValueError(f"corrupt Avro header: the schema is not valid JSON ({exc}).") from exc
    if not isinstance(writer, dict) or writer.get("type") != "record":
        raise ValueError("not a ZTF alert packet: the Avro schema is not a record.")
    names = {field["name"] for field in writer.get("fields", [])}
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise ValueError(
            f"not a ZTF alert packet: the Avro schema {writer.get('name')!r} has no field(s) "
            f"{', '.join(missing)}."
        )
    expanded = fastavro.parse_schema(writer, expand=True, _write_hint=False)
    kept = [field for field in expanded["fields"] if field["name"] in ALERT_FIELDS]
    projected = _define_once(dict(expanded, fields=kept), set())
    return fastavro.parse_schema(writer), fastavro.parse_schema(projected)


# --- container -----------------------------------------------------------------------------


def _read_long(raw: bytes, pos: int) -> tuple[int, int]:
    """Decode one zig-zag varint long at ``pos``; return it and the next position."""
    result = shift = 0
    while True:
        if pos >= len(raw):
            raise EOFError(f"file truncated at byte {pos} (inside a length field).")
        byte = raw[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise ValueError(f"corrupt Avro data: malformed length field at byte {pos}.")


def _read_bytes(raw: bytes, pos: int, what: str) -> tuple[bytes, int]:
    size, pos = _read_long(raw, pos)
    if size < 0 or pos + size > len(raw):
        raise EOFError(
            f"file truncated: {what} of {size} bytes announced at byte {pos}, "
            f"{len(raw) - pos} bytes left."
        )
    return raw[pos : pos + size], pos + size


def _read_header(raw: bytes) -> tuple[dict[str, bytes], bytes, int]:
    """Return the header metadata, the sync marker and the position of the first block."""
    if not raw.startswith(_MAGIC):
        raise ValueError("not an Avro container file (no 'Obj\\x01' magic bytes).")
    meta: dict[str, bytes] = {}
    pos = len(_MAGIC)
    while True:
        count, pos = _read_long(raw, pos)
        if count == 0:
            break
        if count < 0:
            _, pos = _read_long(raw, pos)
            count = -count
        for _ in range(count):
            key, pos = _read_bytes(raw, pos, "a header key")
            value, pos = _read_bytes(raw, pos, "a header value")
            meta[key.decode("utf-8", "replace")] = value
    sync = raw[pos : pos + _SYNC_SIZE]
    if len(sync) < _SYNC_SIZE:
        raise EOFError("file truncated inside the Avro header.")
    if "avro.schema" not in meta:
        raise ValueError("corrupt Avro header: no 'avro.schema' entry.")
    return meta, sync, pos + _SYNC_SIZE


def _iter_blocks(raw: bytes, pos: int, sync: bytes) -> Iterator[tuple[int, bytes]]:
    while pos < len(raw):
        count, pos = _read_long(raw, pos)
        if count < 0:
            raise ValueError(f"corrupt Avro block at byte {pos}: negative record count.")
        block, pos = _read_bytes(raw, pos, "a data block")
        if raw[pos : pos + _SYNC_SIZE] != sync:
            if pos + _SYNC_SIZE > len(raw):
                raise EOFError(f"file truncated after the data block ending at byte {pos}.")
            raise ValueError(f"corrupt Avro data: sync marker mismatch at byte {pos}.")
        pos += _SYNC_SIZE
        yield count, block


def _inflate(block: bytes) -> bytes:
    return zlib.decompress(block, -15)


def _unsnappy(block: bytes) -> bytes:
    import cramjam

    data = bytes(cramjam.snappy.decompress_raw(block[:-4]))
    if zlib.crc32(data) != int.from_bytes(block[-4:], "big"):
        raise ValueError("corrupt snappy block: CRC mismatch.")
    return data


_CODECS: dict[str, Callable[[bytes], bytes]] = {
    "null": bytes,
    "deflate": _inflate,
    "snappy": _unsnappy,
}


def iter_alert_records(source: str | os.PathLike[str] | bytes) -> Iterator[dict[str, Any]]:
    """Yield the alert records of one Avro container file, with :data:`ALERT_FIELDS` only.

    ``source`` is the file's path or its bytes (e.g. a Kafka message's value). Records before
    a corrupt or truncated block are yielded before the error is raised.
    """
    if isinstance(source, bytes):
        raw = source
    else:
        with open(source, "rb") as handle:
            raw = handle.read()
    meta, sync, pos = _read_header(raw)
    writer, reader = _schemas(meta["avro.schema"])
    codec = meta.get("avro.codec", b"null").decode("ascii", "replace") or "null"
    decompress = _CODECS.get(codec)
    if decompress is None:  # a codec fastavro knows but we do not parse ourselves
        yield from fastavro.reader(io.BytesIO(raw), reader_schema=reader)
        return
    for count, block in _iter_blocks(raw, pos, sync):
        data = io.BytesIO(decompress(block))
        for _ in range(count):
            yield fastavro.schemaless_reader(data, writer, reader)
