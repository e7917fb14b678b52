"""Expand what users pass as "paths": files, folders, glob patterns, or lists of them."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PathsLike", "expand_paths"]

PathsLike = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
_GLOB_CHARS = frozenset("*?[")


def expand_paths(paths: PathsLike, *, suffix: str, what: str) -> list[Path]:
    """Return the files named by ``paths``, in a stable order.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        Files (taken as given, whatever their name), folders (searched recursively for files
        ending in ``suffix``, sorted) and glob patterns (``**`` allowed, sorted).
    suffix : str
        File name ending looked for inside folders, e.g. ``".avro"``.
    what : str
        What the files are, for error messages (e.g. ``"Avro alert"``).

    Returns
    -------
    files : list of Path

    Raises
    ------
    FileNotFoundError
        If a named file or folder does not exist, a pattern matches nothing, or no file at all
        is found.
    TypeError
        If an entry is not a path.
    """
    if isinstance(paths, str | os.PathLike):
        entries = [paths]
    elif isinstance(paths, Iterable):
        entries = list(paths)
    else:
        raise TypeError(f"paths must be a path, a glob pattern or a list of them; got {paths!r}.")
    if not entries:
        raise ValueError("paths is empty: name at least one file, folder or glob pattern.")
    files: list[Path] = []
    for entry in entries:
        if not isinstance(entry, str | os.PathLike):
            raise TypeError(f"paths must hold file names, folders or patterns; got {entry!r}.")
        path = Path(entry).expanduser()
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(f"*{suffix}") if p.is_file()))
        elif path.is_file():
            files.append(path)
        elif _GLOB_CHARS & set(os.fspath(path)):
            matches = sorted(glob.glob(os.fspath(path), recursive=True))
            if not matches:
                raise FileNotFoundError(f"No file matches the pattern {os.fspath(path)!r}.")
            files.extend(Path(m) for m in matches if Path(m).is_file())
        else:
            raise FileNotFoundError(f"No such file or folder: {os.fspath(path)!r}.")
    if not files:
        raise FileNotFoundError(
            f"No {what} files (*{suffix}) found in {', '.join(map(os.fspath, entries))}."
        )
    return files
