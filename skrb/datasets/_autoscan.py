"""Load the DES autoScan release (Goldstein et al. 2015) as it is downloaded."""

from __future__ import annotations

import os
import re
import warnings
from collections import defaultdict
from numbers import Integral
from pathlib import Path

import numpy as np
from astropy.table import Table
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skrb._panels import PANELS
from skrb.io import (
    IMAGE_FORMATS,
    ON_ERROR,
    ReadError,
    ReadWarning,
    read_stamp_sets,
    report_errors,
    walk_folders,
)
from skrb.io import LISTED as _LISTED

__all__ = ["load_autoscan"]

LABELS_FILE = "autoscan_features.3.csv"
_PREFIXES = {"srch": 0, "temp": 1, "diff": 2}
_PATTERNS = {
    "fits": re.compile(r"^(srch|temp|diff)(\d+)\.(?:fits|fit|fits\.gz)$", re.IGNORECASE),
    "gif": re.compile(r"^(srch|temp|diff)(\d+)\.gif$", re.IGNORECASE),
}

DESCR = """DES autoScan real/bogus stamps (Goldstein et al. 2015, AJ 150, 82).

Search, template and difference stamps (51 x 51 pixels, 0.263"/pixel) of DES-SN Year 1
difference-imaging detections, labelled by OBJECT_TYPE in autoscan_features.3.csv: 0 = real
(fake point sources injected into the search images), 1 = bogus (human-scanned artifacts).
skrb's target is 1 = real, 0 = bogus. The features are the 38 used by autoScan's random forest.
Acero-Cuellar et al. (2023) trained on a balanced subsample of 100,000 of the 898,963 sets.
"""


def _find_labels(root: Path, labels: str | os.PathLike[str] | None) -> Path:
    if labels is not None:
        path = Path(labels)
        if not path.is_file():
            raise FileNotFoundError(f"labels file not found: {os.fspath(path)!r}.")
        return path
    direct = root / LABELS_FILE
    if direct.is_file():
        return direct
    found = sorted(root.rglob(LABELS_FILE))
    if not found:
        raise FileNotFoundError(
            f"No {LABELS_FILE} under {os.fspath(root)!r}: download it with the stamps, or name "
            "the labels file with labels=PATH."
        )
    return found[0]


def _read_labels(path: Path) -> Table:
    try:
        table = Table.read(path, format="ascii.csv", comment="#")
    except Exception as exc:  # noqa: BLE001 - astropy raises many kinds for malformed CSV
        raise ValueError(f"{os.fspath(path)}: not a readable CSV file ({exc}).") from exc
    missing = [name for name in ("ID", "OBJECT_TYPE") if name not in table.colnames]
    if missing:
        raise ValueError(
            f"{os.fspath(path)} lacks the column(s) {', '.join(missing)}; its columns are "
            f"{table.colnames[:10]}."
        )
    object_type = np.asarray(table["OBJECT_TYPE"])
    bad = ~np.isin(object_type, (0, 1))
    if bad.any():
        raise ValueError(
            f"{os.fspath(path)}: OBJECT_TYPE must be 0 (real) or 1 (bogus); found "
            f"{sorted(set(object_type[bad].tolist()))[:5]} (e.g. ID {table['ID'][bad][0]})."
        )
    ids, counts = np.unique(np.asarray(table["ID"]), return_counts=True)
    if (counts > 1).any():
        raise ValueError(
            f"{os.fspath(path)}: IDs must be unique; {ids[counts > 1][:_LISTED].tolist()} repeat."
        )
    return table


def _find_stamps(root: Path, fmt: str) -> dict[int, list[str | None]]:
    """Map each stamp ID found under ``root`` to its [search, template, difference] files."""
    pattern = _PATTERNS[fmt]
    found: dict[int, list[str | None]] = defaultdict(lambda: [None, None, None])
    for folder, names in walk_folders(root):  # linked sub-folders too, each once
        for name in names:
            match = pattern.match(name)
            if match:
                panels = found[int(match.group(2))]
                panel = _PREFIXES[match.group(1).lower()]
                if panels[panel] is None:  # the first copy found wins
                    panels[panel] = os.path.join(folder, name)
    return dict(found)


def _balanced_subsample(
    ids: np.ndarray, target: np.ndarray, n_samples: int, random_state: object
) -> np.ndarray:
    """Return the positions of a seeded subsample with n_samples // 2 real, the rest bogus."""
    rng = check_random_state(random_state)
    wanted = {1: n_samples // 2, 0: n_samples - n_samples // 2}
    chosen = []
    for label, count in wanted.items():
        (pool,) = np.nonzero(target == label)
        if count > pool.size:
            name = "real" if label else "bogus"
            raise ValueError(
                f"n_samples={n_samples} needs {count} {name} stamp sets but only {pool.size} "
                f"complete, labelled ones are available (of {ids.size})."
            )
        chosen.append(rng.choice(pool, size=count, replace=False))
    return np.sort(np.concatenate(chosen))


def _report_incomplete(
    missing_panels: np.ndarray, missing_labels: np.ndarray, on_error: str
) -> None:
    problems = []
    if missing_panels.size:
        problems.append(
            f"{missing_panels.size} ID(s) lack a panel (e.g. {missing_panels[:_LISTED].tolist()})"
        )
    if missing_labels.size:
        problems.append(
            f"{missing_labels.size} ID(s) have stamps but no label "
            f"(e.g. {missing_labels[:_LISTED].tolist()})"
        )
    if not problems:
        return
    message = "; ".join(problems) + ". They are left out (see missing_panels, missing_labels)."
    if on_error == "raise":
        raise ReadError(message)
    if on_error == "warn":
        warnings.warn(message, ReadWarning, stacklevel=3)


@validate_params(
    {
        "root": [str, os.PathLike],
        "return_X_y": ["boolean"],
        "n_samples": [Interval(Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
        "format": [StrOptions(set(IMAGE_FORMATS))],
        "labels": [str, os.PathLike, None],
        "hdu": [Integral, str, None],
        "on_error": [StrOptions(set(ON_ERROR))],
        "n_jobs": [Integral, None],
        "progress": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def load_autoscan(
    root: str | os.PathLike[str],
    *,
    return_X_y: bool = False,
    n_samples: int | None = None,
    random_state: int | np.random.RandomState | None = None,
    format: str = "fits",
    labels: str | os.PathLike[str] | None = None,
    hdu: int | str | None = None,
    on_error: str = "warn",
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    r"""Load the DES autoScan real/bogus stamps as downloaded (FITS or GIF + labels CSV).

    Finds ``srch<ID>``, ``temp<ID>`` and ``diff<ID>`` stamps anywhere under ``root`` (the
    release's nested ``stamps*/.../<night>/<ccd>/`` folders), joins them on ``ID`` with
    ``autoscan_features.3.csv`` (``OBJECT_TYPE``: 0 real, 1 bogus) and reads them.

    Parameters
    ----------
    root : path-like
        Folder holding the release (searched recursively).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    n_samples : int or None, default=None
        Read only a balanced random subsample of this many stamp sets (``n_samples // 2``
        real, the rest bogus), drawn before any stamp is read. ``None`` reads all: the whole
        release (898,963 sets) takes about 28 GB as float32; the paper used 100,000.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample.
    format : {"fits", "gif"}, default="fits"
        Which stamps to read: ``.fits`` (also ``.fit``, ``.fits.gz``) or the 8-bit ``.gif``.
    labels : path-like or None, default=None
        The labels file; ``None`` looks for ``autoscan_features.3.csv`` under ``root``.
    hdu : int, str or None, default=None
        HDU of the FITS stamps; ``None`` takes the first holding a 2-D image.
    on_error : {"warn", "raise", "skip"}, default="warn"
        What to do with IDs that lack a panel or a label and with unreadable stamp files:
        leave them out with one :class:`~skrb.io.ReadWarning` per kind of problem, raise
        :class:`~skrb.io.ReadError`, or leave them out silently. They are always listed in the
        returned Bunch.
    n_jobs : int or None, default=None
        Number of processes reading stamps in parallel (``None`` means 1, ``-1`` all cores).
    progress : bool or None, default=None
        Show a tqdm progress bar; ``None`` shows it only on a terminal.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With ``data`` (n, 3, H, W) float32 in :data:`skrb.PANELS` order (51 x 51 for the
        release), ``target`` (n,) int, 1 = real, 0 = bogus; ``meta``, an
        :class:`~astropy.table.Table` with the labels file's row for each stamp set (``ID``,
        ``OBJECT_TYPE``, the features) and its ``search``, ``template``, ``difference`` files;
        ``ids``; ``feature_names`` (the CSV's feature columns); ``target_names``
        (``["bogus", "real"]``); ``missing_panels`` and ``missing_labels`` (IDs left out);
        ``n_unmatched_labels`` (labelled IDs without any stamp under ``root``); ``errors``
        (unreadable stamp files); ``panels``; ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a folder, or the labels file is not found.
    ValueError
        If the labels file lacks ``ID`` or ``OBJECT_TYPE``, holds other labels than 0 and 1 or
        repeats IDs; if no complete, labelled stamp set is found; if ``n_samples`` asks for
        more of a class than there is.

    See Also
    --------
    skrb.io.read_fits_stamps : Stamp sets from FITS files named one by one.

    Examples
    --------
    A two-stamp release written on the spot:

    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> night = root / "stamps0" / "Y1" / "20130901" / "01"
    >>> night.mkdir(parents=True)
    >>> for stamp_id in (11, 12):
    ...     for panel in ("srch", "temp", "diff"):
    ...         image = np.full((51, 51), stamp_id, dtype="f4")
    ...         fits.PrimaryHDU(image).writeto(night / f"{panel}{stamp_id}.fits")
    >>> lines = ["ID,OBJECT_TYPE,SNR", "11,0,9.5", "12,1,4.0"]
    >>> _ = (root / "autoscan_features.3.csv").write_text("\n".join(lines))
    >>> X, y = load_autoscan(root, return_X_y=True)
    >>> X.shape, y
    ((2, 3, 51, 51), array([1, 0]))
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"autoScan root folder not found: {os.fspath(root)!r}.")
    labels_path = _find_labels(root, labels)
    table = _read_labels(labels_path)
    stamps = _find_stamps(root, format)

    found_ids = np.array(sorted(stamps), dtype=np.int64)
    complete = np.array([all(stamps[i]) for i in found_ids.tolist()], dtype=bool)
    labelled = np.isin(found_ids, np.asarray(table["ID"]))
    missing_panels = found_ids[~complete]
    missing_labels = found_ids[complete & ~labelled]
    n_unmatched = int(np.count_nonzero(~np.isin(np.asarray(table["ID"]), found_ids)))
    _report_incomplete(missing_panels, missing_labels, on_error)

    usable = found_ids[complete & labelled]
    if not usable.size:
        raise ValueError(
            f"No complete, labelled {format.upper()} stamp set under {os.fspath(root)!r} "
            f"({found_ids.size} stamp ID(s) found, {len(table)} labels in {labels_path.name})."
        )
    rows = {int(i): n for n, i in enumerate(np.asarray(table["ID"]).tolist())}
    target = np.asarray(table["OBJECT_TYPE"])[[rows[i] for i in usable.tolist()]] == 0
    target = target.astype(np.int64)
    if n_samples is not None:
        keep = _balanced_subsample(usable, target, int(n_samples), random_state)
        usable, target = usable[keep], target[keep]

    triplets = [tuple(stamps[i]) for i in usable.tolist()]
    data, index, errors = read_stamp_sets(
        triplets,
        fmt=format,
        hdu=hdu,
        on_error=on_error,
        n_jobs=n_jobs,
        progress=progress,
        desc="Reading autoScan stamps",
    )
    usable, target = usable[index], target[index]
    if return_X_y:
        report_errors(errors, on_error, what="stamp sets")
        return data, target
    meta = table[[rows[i] for i in usable.tolist()]]
    for panel, files in zip(PANELS, zip(*(triplets[i] for i in index), strict=True), strict=True):
        meta[panel] = np.array(files, dtype=str)
    return Bunch(
        data=data,
        target=target,
        meta=meta,
        ids=usable,
        feature_names=[name for name in table.colnames if name not in ("ID", "OBJECT_TYPE")],
        target_names=np.array(["bogus", "real"]),
        missing_panels=missing_panels,
        missing_labels=missing_labels,
        n_unmatched_labels=n_unmatched,
        errors=report_errors(errors, on_error, what="stamp sets"),
        panels=PANELS,
        DESCR=DESCR,
    )
