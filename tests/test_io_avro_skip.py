"""The compiled Avro skip: lands where fastavro does on every type, refuses short or bad bytes."""

from __future__ import annotations

import io

import fastavro
import numpy as np
import pytest
from _alert_files import avro_long

from skrb.io import _avro
from skrb.io._avro_skip import CORRUPT, flatten_schema, skip_value

EVERY_TYPE = {
    "type": "record",
    "name": "everything",
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "fx", "type": {"type": "fixed", "name": "four", "size": 4}},
        {"name": "e", "type": {"type": "enum", "name": "colour", "symbols": ["R", "G", "B"]}},
        {"name": "a", "type": {"type": "array", "items": ["null", "double", "string"]}},
        {"name": "m", "type": {"type": "map", "values": "long"}},
        {
            "name": "r",
            "type": [
                "null",
                {
                    "type": "record",
                    "name": "inner",
                    "fields": [
                        {"name": "x", "type": "four"},
                        {"name": "ys", "type": {"type": "array", "items": "colour"}},
                    ],
                },
            ],
        },
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}


def _record(k: int) -> dict:
    return {
        "n": None,
        "b": bool(k % 2),
        "i": -(k**3),
        "l": 2**40 + k,
        "f": 1.5 * k,
        "d": -2.5 * k,
        "by": bytes(range(k % 200)),
        "s": "é" * k,
        "fx": b"abcd",
        "e": "RGB"[k % 3],
        "a": [None, 1.0 * k, "x" * k][: k % 4],
        "m": {f"k{j}": j for j in range(k % 5)},
        "r": None if k % 3 == 0 else {"x": b"wxyz", "ys": ["G"] * (k % 4)},
        "ts": 1_700_000_000_000 + k,
    }


def _encoded(schema: dict, records: list[dict]) -> tuple[bytes, list[int]]:
    """The records written one after the other, and where each ends."""
    parsed = fastavro.parse_schema(schema)
    buffer, ends = io.BytesIO(), []
    for record in records:
        fastavro.schemaless_writer(buffer, parsed, record)
        ends.append(buffer.tell())
    return buffer.getvalue(), ends


def test_skip_lands_at_the_end_of_each_record_of_every_type():
    raw, ends = _encoded(EVERY_TYPE, [_record(k) for k in range(40)])
    root, arrays = flatten_schema(fastavro.parse_schema(EVERY_TYPE, expand=True))
    buf, pos = np.frombuffer(raw, np.uint8), 0
    for end in ends:
        pos = skip_value(buf, pos, root, arrays)
        assert pos == end


def test_blocks_with_a_byte_size_are_skipped_whole():
    # an array of longs in one block written with a negative count and its byte size
    root, arrays = flatten_schema({"type": "array", "items": "long"})
    items = bytes([2, 4, 6])  # 1, 2, 3 (zig-zag)
    raw = bytes([5, 2 * len(items)]) + items + bytes([0])  # count -3, 3 bytes, end
    assert skip_value(np.frombuffer(raw, np.uint8), 0, root, arrays) == len(raw)


@pytest.mark.parametrize("cut", [1, 7, 20, 33])
def test_short_or_damaged_bytes_give_a_reason_not_a_crash(cut):
    raw, ends = _encoded(EVERY_TYPE, [_record(13)])
    root, arrays = flatten_schema(fastavro.parse_schema(EVERY_TYPE, expand=True))
    assert skip_value(np.frombuffer(raw[:cut], np.uint8), 0, root, arrays) in CORRUPT
    union = flatten_schema(["null", "long"])
    assert CORRUPT[skip_value(np.frombuffer(bytes([8]), np.uint8), 0, *union)] == (
        "a union branch index out of range"
    )
    text = flatten_schema("string")
    assert CORRUPT[skip_value(np.frombuffer(bytes([3, 0]), np.uint8), 0, *text)] == (
        "a negative length"
    )


def test_unknown_types_are_refused_when_flattening():
    with pytest.raises(ValueError, match="unknown Avro type"):
        flatten_schema({"type": "decimal-ish"})


@pytest.mark.shared_data
def test_real_alerts_decode_as_fastavro_decodes_them(ztf_alert_dir):
    kept = frozenset({"candid", "objectId", "jd", "magpsf", "xpos", "ypos"})
    files = sorted(ztf_alert_dir.rglob("*.avro"))
    assert files
    for path in files:
        expected = list(_avro.iter_container_records(path, lambda text: _avro._schemas(text, kept)))
        assert list(_avro.iter_alert_records(path, kept)) == expected
        assert set(expected[0]["candidate"]) <= kept


@pytest.mark.parametrize(
    "items",
    ["null", {"type": "record", "name": "nothing", "fields": [{"name": "n", "type": "null"}]}],
)
def test_a_huge_count_of_empty_items_is_skipped_at_once(items):
    # 2**61 items of a type that takes no bytes: the walk stepped through them one at a time
    # (2**31 of them took 27 s; this many, forever): a few bytes must not buy a hang
    root, arrays = flatten_schema({"type": "array", "items": items})
    raw = avro_long(2**61) + avro_long(2**61) + bytes([0])
    assert skip_value(np.frombuffer(raw, np.uint8), 0, root, arrays) == len(raw)


def test_more_items_than_bytes_are_refused_before_walking_them():
    root, arrays = flatten_schema({"type": "array", "items": "long"})
    raw = avro_long(2**61) + bytes(8)
    assert CORRUPT[skip_value(np.frombuffer(raw, np.uint8), 0, root, arrays)] == (
        "the data end inside it"
    )


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "fixed", "name": "back", "size": -1}, "negative or huge size"),
        ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "R"}]}, "no finite"),
    ],
)
def test_schemas_the_walk_could_loop_on_are_refused_when_flattening(schema, reason):
    # a negative fixed size walks backwards; a record holding itself, never ends: both would
    # let an item of no net size loop (the file's writer schema is as untrusted as its bytes)
    with pytest.raises(ValueError, match=reason):
        flatten_schema(fastavro.parse_schema(schema, expand=True))


def test_a_map_of_empty_values_still_walks_its_keys():
    raw, ends = _encoded({"type": "map", "values": "null"}, [{"a": None, "bc": None}, {}])
    root, arrays = flatten_schema({"type": "map", "values": "null"})
    assert skip_value(np.frombuffer(raw, np.uint8), 0, root, arrays) == ends[0]


@pytest.mark.parametrize("survey", ["ztf", "lsst"])
def test_a_file_whose_schema_has_arrays_of_nothing_is_refused_by_name(survey):
    # objectId declared an array of nulls: a 4-byte count made fastavro build 2**22 Nones
    # (2 s and 128 MiB for 2**24; 2**40 exhausts memory), kept or skipped
    from skrb.io import ReadError, read_alerts

    empty_array = {"type": "array", "items": "null"}
    id_field = "candid" if survey == "ztf" else "diaSourceId"
    nested = "candidate" if survey == "ztf" else "diaSource"
    schema = {
        "type": "record",
        "name": "alert",
        "fields": [
            {"name": "objectId", "type": empty_array},
            {
                "name": nested,
                "type": {
                    "type": "record",
                    "name": nested,
                    "fields": [{"name": id_field, "type": "long"}],
                },
            },
            *({"name": field, "type": "null"} for field in _avro.CUTOUT_FIELDS),
        ],
    }
    header = io.BytesIO()
    fastavro.writer(header, schema, [])
    head = header.getvalue()
    record = avro_long(2**22) + bytes([0]) + avro_long(1)
    raw = head + avro_long(1) + avro_long(len(record)) + record + head[-16:]
    with pytest.raises(ReadError, match="<bytes 0>.*array of values that take no bytes"):
        read_alerts(raw, survey=survey, on_error="raise")
