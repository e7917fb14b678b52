"""Expand what users pass as "paths": files, folders, glob patterns, or lists of them.

Folders are searched through symbolic links (a linked sub-folder is read like any other),
each real folder once, so a link back to a parent does not loop; links that point nowhere are
reported rather than dropped without a word.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["PathsLike", "Skipped", "expand_paths", "walk_folders"]

PathsLike = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
_GLOB_CHARS = frozenset("*?[")


Skipped = list[tuple[str, int, str]]


def _dangling(path: str | os.PathLike[str]) -> str:
    return f"dangling symbolic link to {os.readlink(path)!r} (no such file or folder); skipped"


def _suffixes(suffix: str | tuple[str, ...]) -> tuple[str, ...]:
    return (suffix,) if isinstance(suffix, str) else suffix


def walk_folders(root: str | os.PathLike[str]) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(folder, file names)`` under ``root``, sorted, through symbolic links.

    Each real folder is visited once (a link back to a parent does not loop, a second link to
    a folder already visited is skipped); names include links that point nowhere.
    """
    searched: set[str] = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in searched:
            subfolders[:] = []
            continue
        searched.add(real)
        subfolders.sort()
        yield folder, sorted(names)


def _search_folder(folder: Path, suffix: str, skipped: Skipped | None) -> list[Path]:
    """Files ending in ``suffix`` under ``folder``, following links, each real folder once."""
    found: list[Path] = []
    for root, names in walk_folders(folder):
        for name in names:
            path = Path(root, name)
            if path.is_file():
                if name.endswith(suffix):
                    found.append(path)
            elif path.is_symlink() and skipped is not None:
                skipped.append((os.fspath(path), -1, _dangling(path)))
    unique: dict[str, Path] = {}
    for path in sorted(found):  # one file reached through two links is read once
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def expand_paths(
    paths: PathsLike, *, suffix: str | tuple[str, ...], what: str, skipped: Skipped | None = None
) -> list[Path]:
    """Return the files named by ``paths``, in a stable order.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        Files (taken as given, whatever their name), folders (searched recursively for files
        ending in ``suffix``, through symbolic links, each real folder once; sorted) and glob
        patterns (``**`` allowed, sorted).
    suffix : str or tuple of str
        File name ending(s) looked for inside folders, e.g. ``".avro"``.
    what : str
        What the files are, for error messages (e.g. ``"Avro alert"``).
    skipped : list or None, default=None
        Where to append ``(path, -1, reason)`` for each dangling symbolic link met in a folder
        or matched by a pattern (the readers list them in their ``errors``).

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
            files.extend(_search_folder(path, suffix, skipped))
        elif path.is_file():
            files.append(path)
        elif path.is_symlink():
            raise FileNotFoundError(f"{os.fspath(path)}: {_dangling(path).split(';')[0]}.")
        elif _GLOB_CHARS & set(os.fspath(path)):
            matches = sorted(glob.glob(os.fspath(path), recursive=True))
            if not matches:
                raise FileNotFoundError(f"No file matches the pattern {os.fspath(path)!r}.")
            for match in map(Path, matches):
                if match.is_file():
                    files.append(match)
                elif match.is_symlink() and not match.exists() and skipped is not None:
                    skipped.append((os.fspath(match), -1, _dangling(match)))
        else:
            raise FileNotFoundError(f"No such file or folder: {os.fspath(path)!r}.")
    if not files:
        raise FileNotFoundError(
            f"No {what} files ({', '.join('*' + end for end in _suffixes(suffix))}) found in "
            f"{', '.join(map(os.fspath, entries))}."
        )
    return files
