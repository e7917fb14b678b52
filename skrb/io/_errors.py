"""How the readers report files (or records) they could not read."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = [
    "ON_ERROR",
    "ReadError",
    "ReadWarning",
    "error_message",
    "one_line",
    "record_error",
    "report_errors",
]

ON_ERROR = ("warn", "raise", "skip")
_LISTED = 5


class ReadError(ValueError):
    """A data file is corrupt, truncated or not in the expected format.

    Raised by the skrb readers when ``on_error="raise"``; the message starts with the file name
    (and the record index inside multi-record files).

    Examples
    --------
    >>> from skrb.io import ReadError
    >>> issubclass(ReadError, ValueError)
    True
    """


class ReadWarning(UserWarning):
    """Some files or records could not be read and were skipped (``on_error="warn"``).

    Examples
    --------
    >>> import warnings
    >>> from skrb.io import ReadWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("Skipped 1 unreadable Avro files: bad.avro", ReadWarning)
    >>> caught[0].category.__name__
    'ReadWarning'
    """


def one_line(exc: BaseException | str) -> str:
    """Return the text of ``exc`` on one line (astropy and numpy messages may span lines)."""
    return " ".join(str(exc).split())


def error_message(source: str, record: int, exc: BaseException | str) -> str:
    """Format ``source`` (and ``record`` when >= 0) with the reason ``exc``, on one line."""
    where = source if record < 0 else f"{source} (record {record})"
    reason = one_line(exc) if isinstance(exc, str) else f"{type(exc).__name__}: {one_line(exc)}"
    return f"{where}: {reason}"


def record_error(
    errors: list[tuple[str, int, str]],
    on_error: str,
    source: str,
    record: int,
    exc: BaseException | str,
) -> None:
    r"""Append ``(source, record, reason)`` to ``errors``, or raise it (``on_error="raise"``).

    The reason is ``exc`` itself where it is a string, else its type and text on one line;
    the :class:`ReadError` raised names ``source`` (and ``record`` when >= 0).

    Examples
    --------
    >>> errors = []
    >>> record_error(errors, "warn", "a.avro", 3, ValueError("bad\nheader"))
    >>> errors
    [('a.avro', 3, 'ValueError: bad header')]
    >>> record_error(errors, "raise", "a.avro", -1, "truncated")
    Traceback (most recent call last):
    ...
    skrb.io._errors.ReadError: a.avro: truncated
    """
    if on_error == "raise":
        raise ReadError(error_message(source, record, exc)) from (
            exc if isinstance(exc, BaseException) else None
        )
    reason = exc if isinstance(exc, str) else f"{type(exc).__name__}: {one_line(exc)}"
    errors.append((source, record, reason))


def report_errors(
    errors: Sequence[tuple[str, int, str]],
    on_error: str,
    *,
    what: str = "files",
    n_kept: int = 0,
) -> Table:
    """Turn collected ``(source, record, reason)`` triples into a Table, warning if asked.

    ``record`` is -1 where the whole source failed. ``n_kept`` of the entries are records that
    were kept (an alert without a score, or with masked pixels) rather than skipped. With
    ``on_error="warn"`` one :class:`ReadWarning` lists the first few; with ``"raise"`` the
    readers have raised at the first failure, and only kept records can be listed.
    """
    from astropy.table import Table

    table = Table(
        rows=list(errors) or None,
        names=("file", "record", "error"),
        dtype=(str, int, str),
    )
    if errors and on_error == "warn":
        listed = "; ".join(error_message(*err) for err in errors[:_LISTED])
        more = f"; and {len(errors) - _LISTED} more" if len(errors) > _LISTED else ""
        done = []
        if len(errors) > n_kept:
            done.append(f"Skipped {len(errors) - n_kept} unreadable {what}")
        if n_kept:
            done.append(
                f"{'kept' if done else 'Kept'} {n_kept} alert(s) with a problem (no score where "
                "meta['status'] is not 'ok'; masked pixels counted in meta['n_nonfinite'])"
            )
        warnings.warn(
            f"{' and '.join(done)} (see the returned Bunch's `errors`): {listed}{more}",
            ReadWarning,
            stacklevel=3,
        )
    return table
