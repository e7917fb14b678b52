"""Plain values as JSON, exactly: parameters and fitted attributes of a model file.

JSON has no tuples, arrays, non-finite floats or dtypes, so those are written as tagged
objects (``{"__tuple__": [...]}``, ``{"__ndarray__": {...}}``...) and read back to the same
types and the same bits. Anything else (callables, classes, arbitrary objects) is refused:
a model file holds data only, nothing that could run code when read.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["UnstorableValue", "decode", "encode"]

_TAGS = ("__tuple__", "__ndarray__", "__float__", "__dtype__", "__dict__")
_DTYPE_KINDS = "biufcUS"  # no object, void or datetime dtypes


class UnstorableValue(TypeError):
    """A value that a model file cannot hold as plain data (the message names its type)."""


def _dtype(text: Any) -> np.dtype:
    if not isinstance(text, str):
        raise ValueError(f"a dtype must be written as text; got {type(text).__name__}.")
    try:
        dtype = np.dtype(text)
    except TypeError as exc:
        raise ValueError(f"unknown dtype {text!r}.") from exc
    if dtype.kind not in _DTYPE_KINDS or dtype.hasobject:
        raise ValueError(f"dtype {text!r} is not a plain numeric or text type.")
    return dtype


def encode(value: Any) -> Any:
    """Return ``value`` as JSON-compatible data that :func:`decode` turns back into it.

    Parameters
    ----------
    value : Any
        None, bool, int, float, str, tuples, lists, dicts with string keys, NumPy arrays of
        numbers or text, NumPy scalars and dtypes, nested in any way.

    Returns
    -------
    data : Any
        JSON-compatible.

    Raises
    ------
    UnstorableValue
        For any other type (its name is in the message).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.persistence._values import decode, encode
    >>> decode(encode({"filters": (16, 32), "classes": np.array([0, 1]), "lr": float("nan")}))
    {'filters': (16, 32), 'classes': array([0, 1]), 'lr': nan}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise UnstorableValue("a dict whose keys are not all strings")
        if any(k in _TAGS for k in value):
            return {"__dict__": {k: encode(v) for k, v in value.items()}}
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _DTYPE_KINDS or value.dtype.hasobject:
            raise UnstorableValue(f"an array of dtype {value.dtype}")
        data = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"), copy=False)
        return {
            "__ndarray__": {
                "dtype": data.dtype.str,
                "shape": list(value.shape),
                "data": base64.b64encode(data.tobytes()).decode("ascii"),
            }
        }
    if isinstance(value, np.dtype) and value.kind in _DTYPE_KINDS and not value.hasobject:
        return {"__dtype__": value.str}
    raise UnstorableValue(f"a {type(value).__module__}.{type(value).__qualname__}")


def decode(data: Any) -> Any:
    """Inverse of :func:`encode`; raise ``ValueError`` on anything it would not write.

    Parameters
    ----------
    data : Any
        Parsed JSON.

    Returns
    -------
    value : Any

    Examples
    --------
    >>> from skrb.persistence._values import decode
    >>> decode({"__tuple__": [1, {"__float__": "inf"}]})
    (1, inf)
    """
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        raise ValueError(f"unexpected JSON value of type {type(data).__name__}.")
    if len(data) == 1:
        ((tag, content),) = data.items()
        if tag == "__tuple__":
            if not isinstance(content, list):
                raise ValueError("a tuple must be written as a list.")
            return tuple(decode(v) for v in content)
        if tag == "__float__":
            if content not in ("nan", "inf", "-inf"):
                raise ValueError(f"a tagged float must be nan, inf or -inf; got {content!r}.")
            return float(content)
        if tag == "__dtype__":
            return _dtype(content)
        if tag == "__dict__":
            if not isinstance(content, dict):
                raise ValueError("a tagged dict must be an object.")
            return {k: decode(v) for k, v in content.items()}
        if tag == "__ndarray__":
            return _array(content)
    if any(k in _TAGS for k in data):
        raise ValueError(f"malformed tagged value with keys {sorted(data)}.")
    return {k: decode(v) for k, v in data.items()}


def _array(content: Any) -> np.ndarray:
    if not isinstance(content, dict) or set(content) != {"dtype", "shape", "data"}:
        raise ValueError("an array must have exactly dtype, shape and data.")
    dtype = _dtype(content["dtype"])
    shape = content["shape"]
    if not isinstance(shape, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise ValueError(f"an array shape must be a list of non-negative integers; got {shape!r}.")
    if not isinstance(content["data"], str):
        raise ValueError("array data must be base64 text.")
    raw = base64.b64decode(content["data"], validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise ValueError(
            f"array data holds {len(raw)} bytes, but shape {shape} of {dtype} needs "
            f"{math.prod(shape) * dtype.itemsize}."
        )
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
