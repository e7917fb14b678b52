"""Skip Avro values fast: a writer schema flattened into arrays, walked by a compiled loop.

ZTF alert packets carry ~30 previous candidates of ~60 fields each (``prv_candidates``) that
the readers do not use. fastavro skips a field it does not keep by walking the schema in
Python-level objects, which costs more than decoding everything else in the alert; here the
schema is flattened once into integer arrays (:func:`flatten_schema`) and a compiled loop
(:func:`skip_value`) moves past a value, checking every length and union index against the
bytes it has.
"""

from __future__ import annotations

import io
from typing import Any, NamedTuple

import fastavro
import numpy as np

__all__ = [
    "CORRUPT",
    "STACK",
    "TYPE_CODES",
    "Step",
    "flatten_schema",
    "read_planned",
    "skip_value",
]

(NULL, BOOLEAN, INT, LONG, FLOAT, DOUBLE, BYTES, STRING, FIXED, ENUM, ARRAY, MAP, RECORD, UNION) = (
    range(14)
)
_PRIMITIVES = {
    "null": NULL,
    "boolean": BOOLEAN,
    "int": INT,
    "long": LONG,
    "float": FLOAT,
    "double": DOUBLE,
    "bytes": BYTES,
    "string": STRING,
}
TYPE_CODES = dict(
    zip(
        ("NULL", "BOOLEAN", "INT", "LONG", "FLOAT", "DOUBLE", "BYTES", "STRING", "FIXED", "ENUM")
        + ("ARRAY", "MAP", "RECORD", "UNION"),
        range(14),
        strict=True,
    )
)
# Values (records in arrays in records...) the walk holds pending at most: beyond, corrupt.
STACK = 1024

CORRUPT = {
    -1: "the data end inside it",
    -2: "a malformed length field",
    -3: "a negative length",
    -4: "it nests deeper than any alert schema",
    -5: "a union branch index out of range",
}
"""Why :func:`skip_value` failed, by the negative position it returned."""


def flatten_schema(schema: Any) -> tuple[int, tuple[np.ndarray, ...]]:
    """Flatten an expanded schema (``fastavro.parse_schema(..., expand=True)``) into arrays.

    Returns the root node and ``(types, args, counts, children, empty)``: node ``i`` has type
    code ``types[i]``; a fixed its size in ``args[i]``; a record, union, array or map its
    ``counts[i]`` child nodes at ``children[args[i]:args[i] + counts[i]]``; ``empty[i]`` is 1
    where every value of the node takes no bytes (null, a fixed of size 0, records of those),
    so that an array of them is skipped without counting through its items.

    Raises
    ------
    ValueError
        For a type it does not know, a fixed of negative size, or a record that can hold no
        finite value (one that holds itself through records only): the walk could loop on
        these, so fastavro decodes instead.
    """
    types: list[int] = []
    args: list[int] = []
    counts: list[int] = []
    children: list[int] = []
    named: dict[str, int] = {}

    def node(code: int, arg: int = 0, count: int = 0) -> int:
        types.append(code)
        args.append(arg)
        counts.append(count)
        return len(types) - 1

    def with_children(index: int, kids: list[int]) -> int:
        args[index] = len(children)
        children.extend(kids)
        return index

    def add(item: Any) -> int:
        if isinstance(item, str):
            if item in _PRIMITIVES:
                return node(_PRIMITIVES[item])
            if item in named:  # a reference to a named type (recursive schemas)
                return named[item]
            raise ValueError(f"unknown Avro type {item!r}")
        if isinstance(item, list):
            index = node(UNION, count=len(item))
            return with_children(index, [add(branch) for branch in item])
        if not isinstance(item, dict):
            raise ValueError(f"unknown Avro type {item!r}")
        kind = item.get("type")
        if isinstance(kind, dict | list) or kind in _PRIMITIVES:
            return add(kind)
        name = item.get("name")
        if kind == "fixed":
            size = int(item["size"])
            if not 0 <= size < 2**31:
                raise ValueError(f"a fixed of negative or huge size ({size})")
            index = node(FIXED, arg=size)
        elif kind == "enum":
            index = node(ENUM, count=len(item["symbols"]))
        elif kind in ("array", "map"):
            index = node(ARRAY if kind == "array" else MAP, count=1)
            return with_children(index, [add(item["items" if kind == "array" else "values"])])
        elif kind in ("record", "error"):
            index = node(RECORD, count=len(item["fields"]))
            if name is not None:
                named[name] = index
            return with_children(index, [add(field["type"]) for field in item["fields"]])
        else:
            raise ValueError(f"unknown Avro type {kind!r}")
        if name is not None:
            named[name] = index
        return index

    root = add(schema)
    finite, empty = _finite_and_empty(types, args, counts, children)
    if not all(finite):
        raise ValueError("a record that holds no finite value (it holds itself through records)")
    arrays = (types, args, counts, children or [0], empty)
    return root, tuple(np.asarray(a, dtype=np.int64) for a in arrays)


def _finite_and_empty(
    types: list[int], args: list[int], counts: list[int], children: list[int]
) -> tuple[list[bool], list[int]]:
    """Which nodes have a finite value at all, and which take no bytes (least fixed points)."""
    finite = [False] * len(types)
    empty = [0] * len(types)
    changed = True
    while changed:
        changed = False
        for i, code in enumerate(types):
            kids = children[args[i] : args[i] + counts[i]]
            if code == RECORD:
                now_finite = all(finite[k] for k in kids)
                now_empty = int(all(empty[k] for k in kids))
            elif code == UNION:
                now_finite, now_empty = any(finite[k] for k in kids), 0
            else:
                now_finite = True
                now_empty = int(code == NULL or (code == FIXED and args[i] == 0))
            if (now_finite, now_empty) != (finite[i], empty[i]):
                finite[i], empty[i], changed = now_finite, now_empty, True
    return finite, empty


def skip_value(buf: np.ndarray, pos: int, root: int, arrays: tuple[np.ndarray, ...]) -> int:
    """Return where the value of node ``root`` that starts at ``buf[pos]`` ends.

    Parameters
    ----------
    buf : ndarray of uint8
        The bytes (e.g. ``np.frombuffer`` of an Avro block).
    pos : int
        Where the value starts.
    root, arrays
        From :func:`flatten_schema`.

    Returns
    -------
    end : int
        The position after the value; negative if the bytes cannot hold it (see
        :data:`CORRUPT`).

    Examples
    --------
    >>> import numpy as np
    >>> root, arrays = flatten_schema({"type": "array", "items": ["null", "string"]})
    >>> data = np.frombuffer(bytes([4, 0, 2, 4]) + b"ab" + bytes([0, 9]), np.uint8)
    >>> skip_value(data, 0, root, arrays)  # 2 items: null, then "ab"; then the end block
    7
    """
    from skrb.io._avro_walk import walk  # numba is imported when an alert is first decoded

    return int(walk(buf, pos, len(buf), root, *arrays))


class Step(NamedTuple):
    """One step of a record's decoding: skip some fields here, or decode some with fastavro."""

    fields: tuple[str, ...]
    skip: bool
    writer: Any  # skip: the root node; decode: the parsed writer schema of these fields
    reader: Any  # skip: the flattened arrays; decode: the parsed reader schema (or None)


def read_planned(
    plan: list[Step], data: io.BytesIO, buf: np.ndarray, pos: int
) -> tuple[dict[str, Any], int]:
    """Decode the record at ``pos`` following ``plan``: its kept fields, and where it ends.

    ``data`` and ``buf`` hold the same bytes (a stream for fastavro, an array for the skips).

    Raises
    ------
    ValueError
        If a skipped field does not fit the bytes (fastavro raises its own errors for the rest).
    """
    record: dict[str, Any] = {}
    for step in plan:
        if step.skip:
            end = skip_value(buf, pos, step.writer, step.reader)
            if end < 0:
                raise ValueError(
                    f"corrupt Avro data in field(s) {', '.join(step.fields)}: {CORRUPT[end]}."
                )
            pos = end
        else:
            data.seek(pos)
            record.update(fastavro.schemaless_reader(data, step.writer, step.reader))
            pos = data.tell()
    return record, pos
