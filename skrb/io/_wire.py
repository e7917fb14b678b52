"""Confluent wire-format packets: the values of Rubin's Kafka alert messages.

A packet is one magic byte 0, the schema id as a 4-byte big-endian integer (Rubin's ids are
``100 * major + minor``: 701 is schema ``lsst.v7_1``) and one Avro record with no header. The
schema comes from the ``lsst-alert-packet`` package.
"""

from __future__ import annotations

import io
from typing import Any

import fastavro

from skrb.io._rubin_schemas import wire_schemas

__all__ = ["WIRE_HEADER", "is_wire_packet", "read_wire_record"]

WIRE_HEADER = 5


# Schema ids that can be Rubin's (100 * major + minor, major 1-99): a file whose first byte was
# damaged to 0 (an Avro container's 'O', say) is not taken for a packet of schema 1,651,114,244.
_SCHEMA_IDS = range(100, 10_000)


def is_wire_packet(head: bytes) -> bool:
    """Whether ``head`` (a packet's first bytes) starts like a Confluent wire-format packet.

    Byte 0 must be 0 and the schema id one Rubin could use (``100 * major + minor``).
    """
    return (
        len(head) > WIRE_HEADER
        and head[0] == 0
        and int.from_bytes(head[1:WIRE_HEADER], "big") in _SCHEMA_IDS
    )


def read_wire_record(raw: bytes, keep: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    """Decode one wire-format packet; return its record and schema version.

    The record holds Rubin's fields that skrb decodes and the top-level fields ``keep``.

    Raises
    ------
    ValueError
        If the packet is not in the wire format, its schema id is unknown, it is truncated,
        it does not decode with its schema or bytes are left after the record (a damaged
        packet or a wrong schema id).
    """
    if not is_wire_packet(raw):
        raise ValueError(
            "not a Confluent wire-format packet (byte 0 is not 0, the schema id is not "
            "100 * major + minor, or it is too short)."
        )
    schema_id = int.from_bytes(raw[1:WIRE_HEADER], "big")
    writer, reader, version = wire_schemas(schema_id, keep)
    stream = io.BytesIO(raw)
    stream.seek(WIRE_HEADER)
    try:
        record = fastavro.schemaless_reader(stream, writer, reader)
    except (EOFError, StopIteration) as exc:
        raise ValueError(
            f"wire-format packet truncated: its {len(raw)} bytes end inside the {version} record."
        ) from exc
    except Exception as exc:  # fastavro fails on bytes of another schema in many ways
        raise ValueError(
            f"the packet does not decode as a {version} record (schema id {schema_id}; "
            f"{type(exc).__name__}: {exc}): the packet is damaged or its schema id is wrong."
        ) from exc
    left = len(raw) - stream.tell()
    if left:
        raise ValueError(
            f"{left} bytes are left after the {version} record (schema id {schema_id}): the "
            "packet is damaged or its schema id is wrong."
        )
    return record, version
