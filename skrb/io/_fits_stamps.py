"""Read stamp sets from FITS files a user names, one file per panel."""

from __future__ import annotations

import os
from collections.abc import Iterable
from numbers import Integral

import numpy as np
from astropy.table import Table
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from skrb._panels import PANELS
from skrb.io._errors import ON_ERROR, report_errors
from skrb.io._triplets import read_stamp_sets

__all__ = ["read_fits_stamps"]

PathList = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def _as_list(paths: PathList, panel: str) -> list[str]:
    if isinstance(paths, str | os.PathLike):
        listed = [os.fspath(paths)]
    elif isinstance(paths, Iterable):
        listed = [os.fspath(path) for path in paths]
    else:
        raise TypeError(f"{panel} must be a path or a list of paths; got {paths!r}.")
    for path in listed:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{panel} file not found: {path!r}.")
    return listed


@validate_params(
    {
        "search": "no_validation",  # _as_list checks each: a path or a list of paths
        "template": "no_validation",
        "difference": "no_validation",
        "hdu": [Integral, str, None],
        "on_error": [StrOptions(set(ON_ERROR))],
        "n_jobs": [Integral, None],
        "progress": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def read_fits_stamps(
    search: PathList,
    template: PathList,
    difference: PathList,
    *,
    hdu: int | str | None = None,
    on_error: str = "raise",
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> Bunch:
    """Read stamp sets from FITS files, one file per panel.

    Parameters
    ----------
    search, template, difference : path-like or list of path-like
        The search (science), template (reference) and difference image of each stamp set:
        three lists of the same length, element ``i`` of each forming stamp set ``i``. Plain
        or gzipped FITS.
    hdu : int, str or None, default=None
        The HDU holding the image (index or ``EXTNAME``); ``None`` takes the first HDU that
        holds a 2-D image.
    on_error : {"raise", "warn", "skip"}, default="raise"
        What to do with a stamp set whose files cannot be read, whose panels differ in shape,
        or whose shape differs from that of most stamp sets: raise
        :class:`~skrb.io.ReadError` naming the file, or leave it out (with one
        :class:`~skrb.io.ReadWarning`, or silently). The rows kept are in ``meta["index"]``.
    n_jobs : int or None, default=None
        Number of processes reading in parallel (``None`` means 1, ``-1`` all cores).
    progress : bool or None, default=None
        Show a tqdm progress bar; ``None`` shows it only on a terminal.

    Returns
    -------
    stamps : :class:`~sklearn.utils.Bunch`
        With ``data`` (n, 3, H, W) float32 in :data:`skrb.PANELS` order, NaN kept, +-inf
        (and values beyond float32) set to NaN; ``meta``, an :class:`~astropy.table.Table`
        with the ``index`` of each stamp set in the lists, its ``search``, ``template`` and
        ``difference`` files and ``n_nonfinite`` (its pixels that were +-inf); ``errors`` (the
        stamp sets left out, see ``on_error``) and ``panels``.

    Raises
    ------
    ReadError
        With ``on_error="raise"``, for the first unreadable stamp set, one whose panels differ
        in shape, or stamp sets that differ in shape from one another (naming the files);
        whatever ``on_error``, when none can be read.
    ValueError
        If the lists differ in length or are empty.
    FileNotFoundError
        If a file does not exist.

    See Also
    --------
    skrb.io.read_alerts : Stamp sets from ZTF alert packets.
    skrb.datasets.load_autoscan : The DES autoScan release.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for panel, value in [("srch", 1.0), ("temp", 2.0), ("diff", -1.0)]:
    ...     fits.PrimaryHDU(np.full((5, 5), value, dtype="f4")).writeto(folder / f"{panel}1.fits")
    >>> files = [folder / f"{panel}1.fits" for panel in ("srch", "temp", "diff")]
    >>> stamps = read_fits_stamps(*files)
    >>> stamps.data.shape, stamps.data[0, :, 2, 2]
    ((1, 3, 5, 5), array([ 1.,  2., -1.], dtype=float32))
    """
    lists = [
        _as_list(paths, panel)
        for paths, panel in zip((search, template, difference), PANELS, strict=True)
    ]
    lengths = {panel: len(paths) for panel, paths in zip(PANELS, lists, strict=True)}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"search, template and difference must list as many files; got {lengths}.")
    if not lists[0]:
        raise ValueError("No stamp set to read: the file lists are empty.")
    triplets = list(zip(*lists, strict=True))
    data, index, errors = read_stamp_sets(
        triplets, fmt="fits", hdu=hdu, on_error=on_error, n_jobs=n_jobs, progress=progress
    )
    infinite = np.isinf(data)
    data[infinite] = np.nan
    meta = Table(
        [
            index,
            *(np.array(paths, dtype=str)[index] for paths in lists),
            infinite.sum(axis=(1, 2, 3), dtype=np.int64),
        ],
        names=("index", *PANELS, "n_nonfinite"),
    )
    return Bunch(
        data=data,
        meta=meta,
        errors=report_errors(errors, on_error, what="stamp sets"),
        panels=PANELS,
    )
