"""Iterate over the alert records of an Avro container file, decoding only what skrb uses.

ZTF alert packets carry ~30 previous candidates (``prv_candidates``) that the readers do not
need. A reader schema that keeps only the alert identifiers, ``candidate`` and the three cutouts
(projected from each file's own writer schema, so broker re-serialisations such as Fink's
``topLevelRecord`` work as long as they keep those fields) lets fastavro skip the rest.

The container (header, blocks, sync markers) is parsed here, one block at a time (a bundle of
thousands of alerts is never held whole), and the parsed schemas are cached by the header's
schema text: fastavro would otherwise re-parse the ~200-field ZTF schema for every single-alert
file, which costs as much as decoding the alert. Every codec fastavro writes (null, deflate,
snappy, bzip2, xz, zstandard, lz4) is decompressed by :mod:`skrb.io._avro_codecs`, each block no
further than 16 MiB per record it announces: a decompression bomb is refused before it fills
memory, and loses only its block's records.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import lru_cache
from typing import Any, BinaryIO, NamedTuple

import fastavro
import numpy as np

from skrb.io import _avro_skip
from skrb.io._avro_codecs import MAX_RECORD_BYTES, CodecUnavailable, decompressor
from skrb.io._errors import ReadError

__all__ = [
    "ALERT_FIELDS",
    "CUTOUT_FIELDS",
    "RecordGap",
    "iter_alert_records",
    "iter_container_records",
    "check_item_sizes",
    "parse_record_schema",
    "project_schema",
    "read_header",
    "walk_records",
]

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


def parse_record_schema(schema_text: bytes, what: str = "an alert packet") -> dict[str, Any]:
    """Parse a container header's schema text, which must be a record (else: not ``what``)."""
    try:
        schema = json.loads(schema_text)
    except ValueError as exc:
        raise ValueError(f"corrupt Avro header: the schema is not valid JSON ({exc}).") from exc
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise ValueError(f"not {what}: the Avro schema is not a record.")
    check_item_sizes(schema, what)
    return schema


def check_item_sizes(schema: Any, what: str) -> None:
    """Refuse a schema with an array of values that take no bytes (null, records of nulls).

    A few bytes announce billions of such items, which a decoder (fastavro's, decoding or
    skipping) then counts through one by one, building each: no real alert schema has one.
    Schemas that do not parse are left to the decoder's own error.
    """
    try:
        expanded = fastavro.parse_schema(schema, expand=True, _write_hint=False)
        _, (types, args, _, children, empty) = _avro_skip.flatten_schema(expanded)
    except Exception:  # noqa: BLE001 - fastavro's parse, where the file is decoded, says why
        return
    arrays = types == _avro_skip.TYPE_CODES["ARRAY"]
    if np.any(empty[children[args[arrays]]]):
        raise ValueError(
            f"not {what}: the Avro schema has an array of values that take no bytes (null, "
            "records of nulls), which a few bytes could make billions long; refused."
        )


def _project_record(schema: Any, keep: Collection[str]) -> Any:
    """Keep only the ``keep`` fields of ``schema`` (a record, or a union holding records)."""
    if isinstance(schema, list):
        return [_project_record(branch, keep) for branch in schema]
    if isinstance(schema, dict) and schema.get("type") == "record":
        return dict(schema, fields=[f for f in schema["fields"] if f["name"] in keep])
    return schema


def project_schema(
    writer: dict[str, Any],
    keep: Collection[str],
    nested: dict[str, Collection[str]] | None = None,
) -> Any:
    """Return the parsed reader schema of ``writer`` that keeps only its top-level ``keep`` fields.

    ``nested`` maps a kept record field to the only fields of it to keep (those the writer
    has). Fields not kept are skipped by fastavro's schema resolution rather than decoded.
    """
    expanded = fastavro.parse_schema(writer, expand=True, _write_hint=False)
    kept = _kept_fields(expanded, keep, nested)
    return fastavro.parse_schema(_define_once(dict(expanded, fields=kept), set()))


def _kept_fields(
    expanded: dict[str, Any], keep: Collection[str], nested: dict[str, Collection[str]] | None
) -> list[dict[str, Any]]:
    """Return the ``keep`` fields of an expanded record schema, projected as ``nested`` says."""
    nested = nested or {}
    return [
        dict(field, type=_project_record(field["type"], nested[field["name"]]))
        if field["name"] in nested
        else field
        for field in expanded["fields"]
        if field["name"] in keep
    ]


def _record_plan(
    writer_fields: list[dict[str, Any]], reader_fields: dict[str, dict[str, Any]], name: str
) -> list[_avro_skip.Step] | None:
    """Plan the decoding of a record: runs of kept fields by fastavro, the others skipped here.

    Parameters
    ----------
    writer_fields : list of dict
        The record's fields in the writer's (expanded) schema, in order.
    reader_fields : dict
        Field name -> the reader's (expanded) field, for the fields kept.
    name : str
        The record's name (the runs are decoded as records named after it).

    Returns
    -------
    plan : list of Step or None
        None where a field to skip has a type :func:`flatten_schema` does not know.
    """
    runs: list[tuple[bool, list[dict[str, Any]]]] = []
    for field in writer_fields:
        skip = field["name"] not in reader_fields
        if runs and runs[-1][0] == skip:
            runs[-1][1].append(field)
        else:
            runs.append((skip, [field]))
    plan = []
    for index, (skip, fields) in enumerate(runs):
        names = tuple(field["name"] for field in fields)
        part = _define_once(
            {"type": "record", "name": f"{name}_skrb_part{index}", "fields": fields}, set()
        )
        if skip:
            try:
                root, arrays = _avro_skip.flatten_schema(part)
            except (ValueError, KeyError, TypeError):
                return None
            plan.append(_avro_skip.Step(names, True, root, arrays))
            continue
        read = _define_once(dict(part, fields=[reader_fields[field] for field in names]), set())
        writer = fastavro.parse_schema(part)
        reader = None if read == part else fastavro.parse_schema(read)
        plan.append(_avro_skip.Step(names, False, writer, reader))
    return plan


@lru_cache(maxsize=32)
def _plan(
    schema_text: bytes, candidate_fields: frozenset[str] | None
) -> list[_avro_skip.Step] | None:
    """How to decode an alert of this schema: the fields not kept are skipped by compiled code."""
    writer = parse_record_schema(schema_text, "a ZTF alert packet")
    expanded = fastavro.parse_schema(writer, expand=True, _write_hint=False)
    nested = None if candidate_fields is None else {"candidate": candidate_fields}
    kept = {field["name"]: field for field in _kept_fields(expanded, ALERT_FIELDS, nested)}
    return _record_plan(expanded["fields"], kept, _fullname(expanded))


@lru_cache(maxsize=32)
def _schemas(schema_text: bytes, candidate_fields: frozenset[str] | None = None) -> tuple[Any, Any]:
    """Return the parsed writer schema and the reader schema keeping :data:`ALERT_FIELDS`.

    With ``candidate_fields``, only those fields of ``candidate`` are decoded (the others,
    ~100 of them, are skipped).
    """
    writer = parse_record_schema(schema_text, "a ZTF alert packet")
    names = {field["name"] for field in writer.get("fields", [])}
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise ValueError(
            f"not a ZTF alert packet: the Avro schema {writer.get('name')!r} has no field(s) "
            f"{', '.join(missing)}."
        )
    nested = None if candidate_fields is None else {"candidate": candidate_fields}
    return fastavro.parse_schema(writer), project_schema(writer, ALERT_FIELDS, nested)


# --- container -----------------------------------------------------------------------------
# Read from a binary stream block by block, so that a multi-record file (a broker's bundle of
# thousands of alerts) is never held whole in memory.


def _read_exact(stream: BinaryIO, size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise EOFError(f"file truncated: {what} of {size} bytes announced, {len(data)} bytes left.")
    return data


def _read_long(stream: BinaryIO) -> int | None:
    """Decode one zig-zag varint long; ``None`` at a clean end of the stream."""
    result = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift == 0:
                return None
            raise EOFError("file truncated inside a length field.")
        result |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return (result >> 1) ^ -(result & 1)
        shift += 7
        if shift > 63:
            raise ValueError("corrupt Avro data: malformed length field.")


def _read_count(stream: BinaryIO, what: str) -> int:
    value = _read_long(stream)
    if value is None:
        raise EOFError(f"file truncated before {what}.")
    return value


def _read_bytes(stream: BinaryIO, what: str) -> bytes:
    size = _read_count(stream, f"the length of {what}")
    if size < 0:
        raise ValueError(f"corrupt Avro data: negative length of {what}.")
    return _read_exact(stream, size, what)


def read_header(stream: BinaryIO) -> tuple[dict[str, bytes], bytes]:
    """Return the header metadata and the sync marker; the stream is left at the first block."""
    if stream.read(len(_MAGIC)) != _MAGIC:
        raise ValueError("not an Avro container file (no 'Obj\\x01' magic bytes).")
    meta: dict[str, bytes] = {}
    while True:
        count = _read_count(stream, "the end of the Avro header")
        if count == 0:
            break
        if count < 0:
            _read_count(stream, "a header block size")
            count = -count
        for _ in range(count):
            key = _read_bytes(stream, "a header key")
            meta[key.decode("utf-8", "replace")] = _read_bytes(stream, "a header value")
    sync = stream.read(_SYNC_SIZE)
    if len(sync) < _SYNC_SIZE:
        raise EOFError("file truncated inside the Avro header.")
    if "avro.schema" not in meta:
        raise ValueError("corrupt Avro header: no 'avro.schema' entry.")
    return meta, sync


def _iter_blocks(stream: BinaryIO, sync: bytes) -> Iterator[tuple[int, bytes]]:
    while (count := _read_long(stream)) is not None:
        if count < 0:
            raise ValueError(f"corrupt Avro block at byte {stream.tell()}: negative record count.")
        block = _read_bytes(stream, "a data block")
        end = stream.tell()
        marker = stream.read(_SYNC_SIZE)
        if marker != sync:
            if len(marker) < _SYNC_SIZE:
                raise EOFError(f"file truncated after the data block ending at byte {end}.")
            raise ValueError(f"corrupt Avro data: sync marker mismatch at byte {end}.")
        yield count, block


class RecordGap(NamedTuple):
    """Records of an Avro block that could not be decoded, yielded in their place.

    The block's framing (its length and sync marker) was intact, so reading goes on with the
    next block: a damaged block of a broker's bundle loses only its own alerts. ``count``
    records are skipped (those of the block from the first that failed); ``reason`` says why.
    """

    count: int
    reason: str


def iter_alert_records(
    source: str | os.PathLike[str] | bytes,
    candidate_fields: Collection[str] | None = None,
) -> Iterator[dict[str, Any] | RecordGap]:
    """Yield the ZTF alert records of one Avro container file, with :data:`ALERT_FIELDS` only.

    ``source`` is the file's path or its bytes (e.g. a Kafka message's value);
    ``candidate_fields`` the only fields of ``candidate`` to decode (default: all). The file is
    read one Avro block at a time, so memory holds one block, not the file. A block that cannot be
    decompressed or decoded gives a :class:`RecordGap` for its records and reading goes on;
    a file whose framing is damaged (truncated, a wrong sync marker) raises after the records
    before the damage.
    """
    fields = None if candidate_fields is None else frozenset(candidate_fields)
    yield from iter_container_records(
        source, lambda text: _schemas(text, fields), plans=lambda text: _plan(text, fields)
    )


def iter_container_records(
    source: str | os.PathLike[str] | bytes,
    schemas: Callable[[bytes], tuple[Any, Any]],
    plans: Callable[[bytes], list[_avro_skip.Step] | None] | None = None,
) -> Iterator[dict[str, Any] | RecordGap]:
    """Yield the records of one Avro container file, decoded with ``schemas(schema_text)``.

    ``schemas`` returns the parsed writer schema and the reader schema (e.g. a projection made
    with :func:`project_schema`) for the header's schema text; it should cache them.
    ``plans``, where given, returns the same decoding as a plan whose skipped fields are
    walked by compiled code (None: fastavro decodes). Read as :func:`iter_alert_records` reads.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        yield from _iter_stream(io.BytesIO(source), schemas, plans)
        return
    with open(source, "rb", buffering=1 << 16) as stream:
        yield from _iter_stream(stream, schemas, plans)


def _iter_stream(
    stream: BinaryIO,
    schemas: Callable[[bytes], tuple[Any, Any]],
    plans: Callable[[bytes], list[_avro_skip.Step] | None] | None,
) -> Iterator[dict[str, Any] | RecordGap]:
    meta, sync = read_header(stream)
    writer, reader = schemas(meta["avro.schema"])
    plan = None if plans is None else plans(meta["avro.schema"])
    codec = meta.get("avro.codec", b"null").decode("ascii", "replace") or "null"
    decompress = decompressor(codec)
    for count, block in _iter_blocks(stream, sync):
        try:
            raw = decompress(block, max(count, 1) * MAX_RECORD_BYTES)
        except CodecUnavailable:  # the same for every block: the file is refused
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged block loses only its records
            yield RecordGap(count, f"its Avro block could not be decompressed ({_reason(exc)})")
            continue
        if count > len(raw):  # every record takes a byte at least: the count itself is damaged
            raise ValueError(f"corrupt Avro block: {count} records announced in {len(raw)} bytes.")
        data = io.BytesIO(raw)
        buf, pos = (None, 0) if plan is None else (np.frombuffer(raw, np.uint8), 0)
        for done in range(count):
            try:
                if buf is None:
                    record = fastavro.schemaless_reader(data, writer, reader)
                else:
                    record, pos = _avro_skip.read_planned(plan, data, buf, pos)
            except Exception as exc:  # noqa: BLE001 - the rest of this block is lost, not more
                yield RecordGap(
                    count - done,
                    f"undecodable record ({_reason(exc)}); the rest of its Avro block skipped",
                )
                break
            yield record


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def walk_records(
    records: Iterable[Any], fail: Callable[[int, BaseException | str], None]
) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, record)`` for each alert record of one source; report what is lost.

    ``fail(index, reason)`` hears of each :class:`RecordGap` (a damaged block: its records
    are skipped but counted in the indices) and of a failure of the source itself (truncated,
    bad framing: at the record where it happened, -1 before any; the source ends there).
    A :class:`~skrb.io.ReadError` (``on_error="raise"``) goes through.
    """
    index = -1  # the last record read (or skipped) of this source
    try:
        for record in records:
            if isinstance(record, RecordGap):
                fail(index + 1, f"{record.count} record(s) skipped: {record.reason}")
                index += record.count
                continue
            index += 1
            yield index, record
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a corrupt file is reported
        fail(-1 if index < 0 else index + 1, exc)
