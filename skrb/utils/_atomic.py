"""Outputs that are complete or untouched: atomic files and folders, and early path checks.

Every output skrb writes (model files, tables, report folders) is first written under a
temporary name in the destination's own folder, then renamed onto the destination: a rename
within one file system is atomic, so an interrupted run (Ctrl-C, a killed job, a full disk)
leaves the previous output or the new one, never a mix or a truncated file. A folder replaces
the old one with Linux's ``renameat2(RENAME_EXCHANGE)`` (one atomic swap) where available, else
with two renames (between which the old folder waits under a hidden sibling name).

:func:`check_output_path` checks a destination before any work starts, so that a path in a
read-only folder or a file where a folder is needed is reported before minutes of training.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["atomic_directory", "atomic_file", "check_output_path"]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> Callable[..., int] | None:
    """Return libc's ``renameat2`` (Linux, glibc >= 2.28), or None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _default_mode(bits: int) -> int:
    """Return the mode ``open``/``mkdir`` give a new entry: ``bits`` less the umask."""
    mask = os.umask(0)  # the umask can only be read by setting it
    os.umask(mask)
    return bits & ~mask


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the entries ``a`` and ``b``; False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    status = function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return status == 0


def check_output_path(
    path: str | os.PathLike[str],
    *,
    kind: str = "file",
    replaceable: Callable[[Path], bool] | None = None,
    what: str = "output",
) -> Path:
    """Check that ``path`` can be written, before any work: raise a one-line error if not.

    Parameters
    ----------
    path : str or path-like
        The destination.
    kind : {"file", "directory"}, default="file"
        What will be written there.
    replaceable : callable, optional
        For ``kind="directory"``: ``replaceable(path)`` tells whether an existing, non-empty
        folder may be replaced as a whole (e.g. it holds a previous report). A non-empty
        folder it refuses is an error, so that a mistyped path never replaces the user's
        files. Without it, any existing folder may be replaced.
    what : str, default="output"
        How the error names the destination (e.g. ``"--report"``).

    Returns
    -------
    path : Path
        The checked path.

    Raises
    ------
    ValueError
        If the path is of the wrong kind, its parent is not a folder, or the folder that
        would receive it is not writable.

    Examples
    --------
    >>> import tempfile
    >>> from skrb.utils import check_output_path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_output_path(f"{tmp}/scores.csv").name
    'scores.csv'
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_output_path(tmp, kind="file")
    Traceback (most recent call last):
    ...
    ValueError: output ... is a folder; a file is needed.
    """
    if kind not in ("file", "directory"):
        raise ValueError(f"kind must be 'file' or 'directory'; got {kind!r}.")
    path = Path(path)
    if kind == "file" and path.is_dir():
        raise ValueError(f"{what} {path} is a folder; a file is needed.")
    if kind == "directory" and path.exists():
        if not path.is_dir():
            raise ValueError(f"{what} {path} exists and is not a folder; a folder is needed.")
        if replaceable is not None and any(path.iterdir()) and not replaceable(path):
            raise ValueError(
                f"{what} {path} is a non-empty folder that skrb did not write; it would be "
                "replaced as a whole. Choose a new or empty folder."
            )
    parent = path.absolute().parent
    ancestor = parent
    while not ancestor.exists():  # the folders skrb would create
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"cannot write {what} {path}: {ancestor} is not a folder.")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {what} {path}: folder {ancestor} is not writable.")
    return path


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Write a file under a temporary name beside ``path``, then rename it onto ``path``.

    Parameters
    ----------
    path : str or path-like
        The destination; its folder is created if missing.
    suffix : str, optional
        Suffix of the temporary name (default: that of ``path``, for writers that choose
        the format by suffix).

    Yields
    ------
    temporary : Path
        Where to write. On success it replaces ``path`` in one atomic rename; on any error or
        interruption it is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skrb.utils import atomic_file
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with atomic_file(Path(tmp) / "out.txt") as part:
    ...         _ = part.write_text("done")
    ...     sorted(p.name for p in Path(tmp).iterdir())
    ['out.txt']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.",
        suffix=f".part{path.suffix if suffix is None else suffix}",
        dir=path.parent,
    )
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        if path.exists():  # keep the old file's permissions, not mkstemp's 0600
            mode = path.stat().st_mode & 0o7777
        else:
            mode = _default_mode(0o666)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Fill a new folder beside ``path``, then swap it in place of ``path`` as a whole.

    Parameters
    ----------
    path : str or path-like
        The destination folder; a previous folder there is replaced entirely (check it with
        :func:`check_output_path` first).

    Yields
    ------
    temporary : Path
        An empty folder to write into. On success it becomes ``path`` (an atomic exchange on
        Linux) and the previous folder is deleted; on any error or interruption it is deleted
        and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skrb.utils import atomic_directory
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with atomic_directory(Path(tmp) / "report") as part:
    ...         _ = (part / "report.md").write_text("# done")
    ...     sorted(p.name for p in (Path(tmp) / "report").iterdir())
    ['report.md']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
    try:
        yield temporary
        os.chmod(temporary, _default_mode(0o777))  # not mkdtemp's 0700
        if not path.exists():
            os.rename(temporary, path)
            return
        if not _exchange(temporary, path):
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.rename(path, old / path.name)
            try:
                os.rename(temporary, path)
            except BaseException:  # put the previous folder back where it was
                os.rename(old / path.name, path)
                old.rmdir()
                raise
            temporary = old
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    _remove(temporary)  # the previous folder (or the link that stood for it)


def _remove(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)
