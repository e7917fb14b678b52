"""Gather decoded alerts until a reader hands them over in chunks (a batch, a worker's output)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from skrb.io._cutouts import OK, nonfinite_note
from skrb.io._errors import record_error

__all__ = ["RowBuffer"]


class RowBuffer:
    """Decoded alerts, their metadata rows and the failures met, until :meth:`take`.

    A chunk is a dict: one list (or what :meth:`_pack` makes of it) per key of
    :attr:`per_alert`, one entry per alert; ``rows`` (metadata column -> list of values);
    ``errors`` (``(file, record, reason)`` met since the last chunk) and ``n_kept`` (how many
    of those errors are about alerts that were kept). Subclasses name :attr:`per_alert`.
    """

    per_alert: tuple[str, ...] = ()

    def __init__(self, names: Sequence[str]) -> None:
        self.items: dict[str, list[Any]] = {key: [] for key in self.per_alert}
        self.rows: dict[str, list[Any]] = {name: [] for name in names}
        self.errors: list[tuple[str, int, str]] = []
        self.n_kept = 0

    def __len__(self) -> int:
        return len(self.items[self.per_alert[0]])

    def add(self, chunk: dict[str, Any]) -> None:
        """Append the alerts and errors of a chunk (e.g. one read by a worker process)."""
        for key, values in self.items.items():
            values.extend(chunk[key])
        for name, values in chunk["rows"].items():
            self.rows[name].extend(values)
        self.errors.extend(chunk["errors"])
        self.n_kept += chunk["n_kept"]

    def note_kept(
        self, on_error: str, name: str, index: int, label: str, status: str, n_nonfinite: int
    ) -> None:
        """List what is wrong with an alert that is kept: its ``status``, its masked pixels.

        A status other than :data:`~skrb.io._cutouts.OK` (no score) is an error as
        ``on_error`` says; masked infinite pixels are a note. ``label`` names the alert.
        """
        if status != OK:
            record_error(self.errors, on_error, name, index, f"{label}{status}")
            self.n_kept += 1
        if n_nonfinite:
            self.errors.append((name, index, f"{label}{nonfinite_note(n_nonfinite)}"))
            self.n_kept += 1

    def take(self, n: int | None = None) -> dict[str, Any]:
        """Remove and return the first ``n`` alerts (all if ``None``) and every error so far."""
        n = len(self) if n is None else min(n, len(self))
        chunk = {key: self._pack(key, values[:n]) for key, values in self.items.items()}
        chunk["rows"] = {name: values[:n] for name, values in self.rows.items()}
        chunk.update(errors=self.errors, n_kept=self.n_kept)
        for values in (*self.items.values(), *self.rows.values()):
            del values[:n]
        self.errors = []
        self.n_kept = 0
        return chunk

    def _pack(self, key: str, values: list[Any]) -> Any:
        """Return what a chunk holds for ``key``: the list itself, unless a subclass packs it."""
        return values
