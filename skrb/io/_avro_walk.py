"""The compiled loop of :func:`skrb.io._avro_skip.skip_value` (imported on first use: numba)."""

from __future__ import annotations

import numpy as np
from numba import njit

from skrb.io._avro_skip import STACK, TYPE_CODES

__all__ = ["walk"]

BOOLEAN, INT, LONG, FLOAT, DOUBLE = (
    TYPE_CODES[name] for name in ("BOOLEAN", "INT", "LONG", "FLOAT", "DOUBLE")
)
BYTES, STRING, FIXED, ENUM = (TYPE_CODES[name] for name in ("BYTES", "STRING", "FIXED", "ENUM"))
ARRAY, MAP, RECORD, UNION = (TYPE_CODES[name] for name in ("ARRAY", "MAP", "RECORD", "UNION"))


@njit(nogil=True, cache=True)
def read_long(buf, pos, end):  # pragma: no cover - compiled
    """Decode a zig-zag varint at ``pos``: ``(value, next position)``, position < 0 if bad."""
    result = 0
    shift = 0
    while pos < end and shift < 64:
        byte = np.int64(buf[pos])
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
    return 0, (-1 if pos >= end else -2)


@njit(nogil=True, cache=True)
def walk(buf, pos, end, root, types, args, counts, children, empty):  # pragma: no cover
    """Return the position after the value of node ``root`` at ``pos`` (< 0: corrupt)."""
    nodes = np.empty(STACK, np.int64)
    kinds = np.empty(STACK, np.int64)  # 0: a value; 1: a block header; 2: block items
    left = np.empty(STACK, np.int64)
    nodes[0], kinds[0], left[0] = root, 0, 0
    top = 1
    while top > 0:
        top -= 1
        at, kind, remaining = nodes[top], kinds[top], left[top]
        code = types[at]
        if kind == 0:
            if code == BOOLEAN:
                pos += 1
            elif code == INT or code == LONG or code == ENUM:
                _, pos = read_long(buf, pos, end)
            elif code == FLOAT:
                pos += 4
            elif code == DOUBLE:
                pos += 8
            elif code == BYTES or code == STRING:
                size, pos = read_long(buf, pos, end)
                if pos >= 0:
                    if size < 0:
                        return -3
                    pos += size
            elif code == FIXED:
                pos += args[at]
            elif code == RECORD:
                if top + counts[at] > STACK:
                    return -4
                for j in range(counts[at] - 1, -1, -1):
                    nodes[top], kinds[top], left[top] = children[args[at] + j], 0, 0
                    top += 1
            elif code == UNION:
                branch, pos = read_long(buf, pos, end)
                if pos >= 0:
                    if branch < 0 or branch >= counts[at]:
                        return -5
                    if top + 1 > STACK:
                        return -4
                    nodes[top], kinds[top], left[top] = children[args[at] + branch], 0, 0
                    top += 1
            elif code == ARRAY or code == MAP:
                if top + 1 > STACK:
                    return -4
                nodes[top], kinds[top], left[top] = at, 1, 0
                top += 1
        elif kind == 1:  # the next block of an array or map: its item count
            count, pos = read_long(buf, pos, end)
            if pos >= 0 and count != 0:
                if top + 2 > STACK:
                    return -4
                nodes[top], kinds[top], left[top] = at, 1, 0  # then the block after it
                top += 1
                if count < 0:  # a negative count is followed by the block's byte size
                    size, pos = read_long(buf, pos, end)
                    if pos >= 0:
                        if size < 0:
                            return -3
                        pos += size
                elif code == MAP or empty[children[args[at]]] == 0:  # else no bytes to walk
                    if count > end - pos:  # each item takes a byte at least
                        return -1
                    nodes[top], kinds[top], left[top] = at, 2, count
                    top += 1
        elif remaining > 0:  # the items of a block, one at a time
            if top + 2 > STACK:
                return -4
            nodes[top], kinds[top], left[top] = at, 2, remaining - 1
            top += 1
            nodes[top], kinds[top], left[top] = children[args[at]], 0, 0
            top += 1
            if code == MAP:  # a map item's key (a string) comes before its value
                size, pos = read_long(buf, pos, end)
                if pos >= 0:
                    if size < 0:
                        return -3
                    pos += size
        if pos < 0:
            return pos
        if pos > end:
            return -1
    return pos
