"""Writing astropy tables as plain machine-readable CSV."""

from __future__ import annotations

from pathlib import Path

from astropy.table import Table

from skrb.utils import atomic_file

__all__ = ["write_csv"]


def write_csv(table: Table, path: str | Path) -> Path:
    """Write a table as CSV with full-precision numbers (display formats such as ``%`` dropped).

    Parameters
    ----------
    table : astropy.table.Table
        The table; it is not modified.
    path : str or Path
        Destination, replaced if it exists (written under a temporary name, then renamed).

    Returns
    -------
    path : Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from astropy.table import Table
    >>> from skrb.report import write_csv
    >>> t = Table({"share": [0.25]})
    >>> t["share"].format = "{:.0%}"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(write_csv(t, f"{tmp}/t.csv").read_text().split())
    ['share', '0.25']
    """
    plain = table.copy(copy_data=False)
    for column in plain.itercols():
        column.format = None
    path = Path(path)
    with atomic_file(path) as part:  # complete or untouched
        plain.write(part, format="ascii.csv", overwrite=True)
    return path
