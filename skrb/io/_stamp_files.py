"""Read stamp sets saved with NumPy (``.npz`` archives and ``.npy`` arrays), safely."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from astropy.table import Table
from sklearn.utils import Bunch

from skrb._panels import PANELS
from skrb.io._errors import ReadError, one_line

__all__ = ["STAMP_FILE_SUFFIXES", "read_stamp_file"]

STAMP_FILE_SUFFIXES = (".npz", ".npy")
"""File name endings :func:`read_stamp_file` reads."""

_STAMP_KEYS = ("X", "data")
_LABEL_KEYS = ("y", "target")


def _load(path: str) -> tuple[Any, Any]:
    """Return the stamp sets and the labels (or None) held by ``path``; never unpickles."""
    with open(path, "rb") as handle:
        contents = np.load(handle, allow_pickle=False)  # an array (.npy) or an archive (.npz)
        if isinstance(contents, np.ndarray):
            return contents, None
        with contents:
            key = next((k for k in _STAMP_KEYS if k in contents.files), None)
            if key is None:
                raise ReadError(
                    f"{path}: holds arrays {contents.files}; expected stamp sets named "
                    f"{' or '.join(map(repr, _STAMP_KEYS))}."
                )
            labels = next((contents[k] for k in _LABEL_KEYS if k in contents.files), None)
            return contents[key], labels


def read_stamp_file(path: str | os.PathLike[str]) -> Bunch:
    """Read stamp sets (and labels, if stored) from a ``.npz`` or ``.npy`` file.

    Nothing in the file can run code: arrays are loaded with ``allow_pickle=False``, so an
    archive holding Python objects is refused rather than unpickled.

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` archive with the stamp sets as ``X`` (or ``data``) and optionally labels as
        ``y`` (or ``target``), as ``skrb simulate`` writes, or a ``.npy`` file holding only
        the stamp sets. Stamp sets are ``(n, 3, H, W)`` or flattened ``(n, 3 * H * W)``
        (square stamps), of any real numeric dtype.

    Returns
    -------
    stamps : :class:`~sklearn.utils.Bunch`
        With ``data`` (n, 3, H, W) float32 in :data:`skrb.PANELS` order (NaN kept; +-inf and
        values beyond float32 set to NaN), ``target`` (the labels, shape (n,), or ``None``),
        ``meta`` (an :class:`~astropy.table.Table` with each stamp set's ``index`` in the file
        and ``n_nonfinite``, its pixels that were +-inf) and ``panels``.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ReadError
        In one line naming the file: if it is not a readable NumPy file (truncated or
        corrupt archive, an object array), lacks the stamp sets, or holds arrays of the wrong
        shape or dtype.

    See Also
    --------
    skrb.io.read_fits_stamps : Stamp sets from FITS files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stamps.npz"
    >>> X = np.zeros((2, 3, 4, 4))
    >>> X[1, 2, 0, 0] = np.inf
    >>> np.savez(path, X=X, y=[0, 1])
    >>> stamps = read_stamp_file(path)
    >>> stamps.data.shape, stamps.target.tolist(), stamps.meta["n_nonfinite"].tolist()
    ((2, 3, 4, 4), [0, 1], [0, 1])
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FileNotFoundError(f"No such stamp file: {name!r}.")
    try:
        X, y = _load(name)
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - damage fails in many ways (SyntaxError, zlib)
        if "allow_pickle" in str(exc):
            reason = "it holds Python objects, which are never unpickled (only numeric arrays)"
        else:
            reason = f"{type(exc).__name__}: {one_line(exc)}"
        raise ReadError(f"{name}: not a readable .npz/.npy stamp file ({reason}).") from exc
    data = _stamp_sets(np.asarray(X), name)
    infinite = np.isinf(data)
    data[infinite] = np.nan
    target = None if y is None else _labels(np.asarray(y), len(data), name)
    meta = Table(
        {
            "index": np.arange(len(data)),
            "n_nonfinite": infinite.sum(axis=(1, 2, 3), dtype=np.int64),
        }
    )
    return Bunch(data=data, target=target, meta=meta, panels=PANELS)


def _stamp_sets(X: np.ndarray, name: str) -> np.ndarray:
    if X.dtype.kind not in "biuf":
        raise ReadError(f"{name}: the stamp sets are of dtype {X.dtype}; expected real numbers.")
    if X.ndim == 2 and X.shape[0] > 0:
        side = int(round((X.shape[1] / len(PANELS)) ** 0.5))
        if side < 1 or len(PANELS) * side * side != X.shape[1]:
            raise ReadError(
                f"{name}: flattened stamp sets of {X.shape[1]} values are not "
                f"{len(PANELS)} square stamps."
            )
        X = X.reshape(len(X), len(PANELS), side, side)
    if X.ndim != 4 or X.shape[1] != len(PANELS) or 0 in X.shape:
        raise ReadError(
            f"{name}: the stamp sets have shape {X.shape}; expected (n_samples, "
            f"{len(PANELS)}, H, W) or (n_samples, {len(PANELS)} * H * W) with n_samples >= 1."
        )
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: inf, then NaN
        return np.array(X, dtype=np.float32)


def _labels(y: np.ndarray, n: int, name: str) -> np.ndarray:
    if y.dtype.kind not in "biufUS" or y.ndim != 1 or len(y) != n:
        raise ReadError(
            f"{name}: the labels are of shape {y.shape} and dtype {y.dtype}; expected one "
            f"label per stamp set, shape ({n},)."
        )
    return y
