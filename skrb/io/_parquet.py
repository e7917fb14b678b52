"""Fink's Parquet exports of Rubin alerts: one row per alert, the packets' fields as columns.

Read with pyarrow, in record batches, keeping only the columns skrb decodes; each row becomes
the same dict an Avro record gives.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

from skrb.io._rubin_schemas import RUBIN_FIELDS, record_signature

__all__ = ["PARQUET_MAGIC", "iter_parquet_records", "parquet_fields", "parquet_signature"]

PARQUET_MAGIC = b"PAR1"
_BATCH = 256


def _open(source: str | os.PathLike[str] | bytes) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise ValueError(f"not a readable Parquet file ({exc})") from exc


def _struct_fields(kind: Any) -> tuple[str, ...] | None:
    import pyarrow as pa

    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        kind = kind.value_type
    if pa.types.is_struct(kind):
        return tuple(kind.field(i).name for i in range(kind.num_fields))
    return None


def parquet_fields(source: str | os.PathLike[str] | bytes) -> list[str]:
    """Top-level column names of a Parquet file."""
    return list(_open(source).schema_arrow.names)


def parquet_signature(source: str | os.PathLike[str] | bytes) -> dict[str, Any]:
    """Return the file's record signature (see :func:`skrb.io._rubin_schemas.record_signature`)."""
    schema = _open(source).schema_arrow
    return record_signature((field.name, _struct_fields(field.type)) for field in schema)


def iter_parquet_records(
    source: str | os.PathLike[str] | bytes, keep: tuple[str, ...] = ()
) -> Iterator[dict[str, Any]]:
    """Yield the rows of a Parquet export as dicts of Rubin's fields (:data:`RUBIN_FIELDS`).

    The top-level columns ``keep`` are read as well.
    """
    handle = _open(source)
    wanted = {*RUBIN_FIELDS, *keep}
    columns = [name for name in handle.schema_arrow.names if name in wanted]
    for batch in handle.iter_batches(batch_size=_BATCH, columns=columns):
        yield from batch.to_pylist()
