"""Write a table batch by batch (CSV, ECSV or Parquet), complete only when closed.

Rows are appended as they are made, into a temporary file beside the destination; closing the
writer renames it onto the destination in one step, so the partial output of an interrupted run
is never mistaken for a complete one (it keeps a hidden ``.NAME.*.part`` name, or is removed
when the run fails with an exception).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from skrb.utils import atomic_file

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = ["FORMATS", "TableWriter"]

FORMATS = {".csv": "csv", ".ecsv": "ecsv", ".parquet": "parquet"}
"""Output formats, by file extension."""


def _text_rows(table: Table, fmt: str, *, header: bool) -> str:
    """Return the table as CSV or ECSV text; without ``header``, only the data lines."""
    buffer = io.StringIO()
    table.write(buffer, format=f"ascii.{fmt}")
    text = buffer.getvalue()
    if header:
        return text
    lines = text.splitlines(keepends=True)
    if fmt == "ecsv":
        lines = [line for line in lines if not line.startswith("#")]
    return "".join(lines[1:])  # the column names


def _arrow(table: Table) -> Any:
    """Convert an astropy Table to a pyarrow Table (masked values as nulls)."""
    import pyarrow as pa

    arrays = {}
    for name in table.colnames:
        column = table[name]
        if column.ndim > 1:
            raise ValueError(f"column {name!r} is not one value per row; Parquet needs one.")
        values = np.ma.getdata(column)
        mask = np.ma.getmaskarray(column)
        arrays[name] = pa.array(values, mask=mask if mask.any() else None)
    return pa.table(arrays)


class TableWriter:
    """Write an astropy Table batch by batch: CSV, ECSV or Parquet by the file's extension.

    Use it as a context manager: the file appears under its name only when the block ends
    without an error; until then rows go to a hidden temporary file beside it (removed if the
    block raises). ``"-"`` writes CSV to standard output as rows come.

    Parameters
    ----------
    path : str or path-like
        Destination ending in ``.csv``, ``.ecsv`` or ``.parquet``, or ``"-"``.

    Attributes
    ----------
    n_rows : int
        Rows written so far.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from astropy.table import Table
    >>> from skrb.scoring import TableWriter
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "scores.ecsv"
    ...     with TableWriter(path) as writer:
    ...         writer.write(Table({"candid": [1, 2], "p_real": [0.25, 0.5]}))
    ...         writer.write(Table({"candid": [3], "p_real": [0.75]}))
    ...     print(Table.read(path))
    candid p_real
    ------ ------
         1   0.25
         2    0.5
         3   0.75
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path if path == "-" else Path(path)
        if self.path == "-":
            self.format = "csv"
        else:
            suffix = self.path.suffix.lower()
            if suffix not in FORMATS:
                raise ValueError(
                    f"cannot tell the output format of {os.fspath(path)!r}: name it .csv, .ecsv "
                    "or .parquet (or '-' for CSV on standard output)."
                )
            self.format = FORMATS[suffix]
        self.n_rows = 0
        self._stack = contextlib.ExitStack()
        self._handle: TextIO | None = None
        self._parquet: Any = None
        self._schema: Any = None
        self._temporary: Path | None = None

    def __enter__(self) -> TableWriter:
        if self.path != "-":
            self._temporary = self._stack.enter_context(atomic_file(self.path))
        return self

    def write(self, table: Table) -> None:
        """Append the rows of ``table`` (the same columns as the first table written)."""
        if self.path != "-" and self._temporary is None:
            raise RuntimeError("use TableWriter as a context manager: `with TableWriter(p) as w`.")
        if self.format == "parquet":
            self._write_parquet(table)
        else:
            if self._handle is None:
                self._handle = (
                    sys.stdout
                    if self.path == "-"
                    else self._stack.enter_context(open(self._temporary, "w", newline=""))
                )
                self._columns = list(table.colnames)
                self._handle.write(_text_rows(table, self.format, header=True))
            else:
                self._check_columns(table.colnames)
                self._handle.write(_text_rows(table, self.format, header=False))
            self._handle.flush()
        self.n_rows += len(table)

    def _check_columns(self, names: list[str]) -> None:
        if list(names) != self._columns:
            raise ValueError(
                f"a batch has columns {list(names)}, the output {self._columns}; every batch "
                "must have the same columns."
            )

    def _write_parquet(self, table: Table) -> None:
        import pyarrow.parquet as pq

        batch = _arrow(table)
        if self._parquet is None:
            self._columns = list(table.colnames)
            self._schema = batch.schema
            self._parquet = pq.ParquetWriter(self._temporary, self._schema)
            self._stack.callback(self._parquet.close)
        else:
            self._check_columns(table.colnames)
            batch = batch.cast(self._schema)
        self._parquet.write_table(batch)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.__exit__(exc_type, exc, traceback)
