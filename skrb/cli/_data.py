"""Data sources of the command line: simulated stamps, stamp files, DES autoScan, alerts."""

from __future__ import annotations

import argparse
import operator
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from skrb.cli._errors import CLIError

if TYPE_CHECKING:  # astropy and scikit-learn load on use, so that `skrb --help` is quick
    from astropy.table import Table

__all__ = [
    "Dataset",
    "add_data_arguments",
    "check_paths",
    "load_dataset",
    "note",
    "parse_label_rule",
    "read_stamp_file",
]

_OPERATORS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_RULE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*([^\s<>=!]+)\s*$")


@dataclass
class Dataset:
    """Stamp sets loaded by the command line.

    Attributes
    ----------
    X : ndarray of shape (n_samples, 3, H, W)
        Stamp sets (NaN allowed where pixels are masked).
    y : ndarray of shape (n_samples,) or None
        Labels, 1 = real, 0 = bogus, when the source has them.
    meta : astropy.table.Table or None
        Per-sample metadata (e.g. alert ``candid``), when the source has them.
    description : str
        Where the data came from, for reports.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.cli._data import Dataset
    >>> Dataset(np.zeros((2, 3, 5, 5)), np.array([0, 1]), None, "toy").description
    'toy'
    """

    X: np.ndarray
    y: np.ndarray | None
    meta: Table | None
    description: str


def parse_label_rule(rule: str, meta: Table) -> tuple[np.ndarray, np.ndarray]:
    """Turn a rule such as ``"drb>=0.5"`` into labels from an alert metadata table.

    Parameters
    ----------
    rule : str
        ``COLUMN OP VALUE`` with OP one of ``>=``, ``<=``, ``>``, ``<``, ``==``, ``!=``; rows
        where the rule holds are real (1), the others bogus (0).
    meta : astropy.table.Table
        The metadata holding ``COLUMN``.

    Returns
    -------
    y : ndarray of int
        Labels of the rows where ``COLUMN`` is known.
    keep : ndarray of bool
        Which rows have a known (unmasked, finite) ``COLUMN``.

    Raises
    ------
    CLIError
        On a malformed rule or an unknown column.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from skrb.cli._data import parse_label_rule
    >>> y, keep = parse_label_rule("drb>=0.5", Table({"drb": [0.9, 0.1, 0.5]}))
    >>> y.tolist(), keep.tolist()
    ([1, 0, 1], [True, True, True])
    """
    match = _RULE.match(rule)
    if match is None:
        raise CLIError(
            f"cannot read the label rule {rule!r}: write COLUMN OP VALUE, e.g. 'drb>=0.5' "
            f"(OP one of {', '.join(_OPERATORS)})."
        )
    column, op, raw = match.groups()
    if column not in meta.colnames:
        raise CLIError(
            f"label column {column!r} is not in the alert metadata; columns: "
            f"{', '.join(meta.colnames)}."
        )
    col = meta[column]
    values = np.ma.getdata(col)
    known = ~np.ma.getmaskarray(col)
    try:
        threshold: Any = float(raw)
        values = values.astype(np.float64)
        known &= np.isfinite(values)
    except ValueError:
        if values.dtype.kind in "biuf":
            raise CLIError(
                f"label rule {rule!r}: column {column!r} is numeric but {raw!r} is not a number."
            ) from None
        threshold = raw.strip("'\"")
    y = _OPERATORS[op](values, threshold).astype(int)
    return y[known], known


def read_stamp_file(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Read stamp sets (and labels, if stored) with :func:`skrb.io.read_stamp_file`.

    Parameters
    ----------
    path : str or Path
        ``.npz`` with arrays ``X`` (and optionally ``y``), as written by ``skrb simulate``, or a
        ``.npy`` holding only the stamp sets.

    Returns
    -------
    X : ndarray of shape (n_samples, 3, H, W)
    y : ndarray or None

    Raises
    ------
    CLIError
        If the file is missing, unreadable or lacks the stamp sets (one line naming it).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from skrb.cli._data import read_stamp_file
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     np.savez(f"{tmp}/s.npz", X=np.zeros((2, 3, 4, 4)), y=[0, 1])
    ...     X, y = read_stamp_file(f"{tmp}/s.npz")
    >>> X.shape, y.tolist()
    ((2, 3, 4, 4), [0, 1])
    """
    from skrb.io import read_stamp_file as read

    try:
        stamps = read(path)
    except FileNotFoundError:
        raise CLIError(f"no such stamp file: {path}") from None
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    n_masked = int((stamps.meta["n_nonfinite"] > 0).sum())
    if n_masked:
        note(f"{n_masked} stamp set(s) in {path} held +-inf pixels; they are masked (NaN).")
    return stamps.data, stamps.target


def note(message: str) -> None:
    """Print a one-line note for the user on stderr (a request capped, data masked).

    Examples
    --------
    >>> import contextlib, io
    >>> from skrb.cli._data import note
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     note("using all 40 stamp sets")
    >>> print(err.getvalue().strip())
    skrb: note: using all 40 stamp sets
    """
    print(f"skrb: note: {message}", file=sys.stderr)


def add_data_arguments(
    parser: argparse.ArgumentParser, *, n_samples_default: str = "the protocol's"
) -> None:
    """Add the data-source options shared by ``compare``, ``train`` and ``explain``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The sub-command's parser.
    n_samples_default : str, default="the protocol's"
        How ``--n-samples`` defaults, for its help (``explain`` has no protocol).

    Examples
    --------
    >>> import argparse
    >>> from skrb.cli._data import add_data_arguments
    >>> parser = argparse.ArgumentParser()
    >>> add_data_arguments(parser)
    >>> parser.parse_args(["--alerts", "a.avro", "--label", "drb>=0.5"]).label
    'drb>=0.5'
    """
    group = parser.add_argument_group(
        "data", "Where the stamp sets come from (default: the simulator, DES preset)."
    )
    source = group.add_mutually_exclusive_group()
    source.add_argument(
        "--stamps", metavar="FILE", help="stamp sets in .npz (X, y; see 'skrb simulate') or .npy"
    )
    source.add_argument(
        "--autoscan", metavar="ROOT", help="the DES autoScan release as downloaded (FITS/GIF)"
    )
    source.add_argument(
        "--alerts",
        nargs="+",
        metavar="PATH",
        help="ZTF or Rubin (LSST) alert files (Avro, wire packets, Fink Parquet) or folders",
    )
    group.add_argument(
        "--label",
        metavar="RULE",
        help="labels for --alerts from a metadata column, e.g. 'drb>=0.5' (ZTF) or "
        "'reliability>=0.5' (Rubin); alerts carry no human labels: these are the survey's own "
        "classifier scores; rows where the rule holds are real",
    )
    group.add_argument(
        "--n-samples",
        type=int,
        metavar="N",
        help=f"stamp sets to simulate or to draw from --autoscan (default: {n_samples_default}), "
        "or a random stratified subset of N from --stamps/--alerts",
    )
    group.add_argument(
        "--survey",
        choices=("des", "ztf", "lsst"),
        default="des",
        help="simulator preset (default des)",
    )
    group.add_argument(
        "--stamp-size",
        type=int,
        metavar="N",
        help="side of the stamp sets: simulated ones (default the preset's), and --alerts "
        "(Rubin cutouts centred, cropped or padded; default: a model's own side, else the "
        "largest read)",
    )
    group.add_argument(
        "--real-fraction",
        type=float,
        default=0.5,
        metavar="F",
        help="fraction of real candidates in simulated data (default 0.5)",
    )


def _subsample(data: Dataset, n: int | None, random_state: int | None) -> Dataset:
    if n is not None and n > len(data.X):
        note(f"--n-samples {n} is more than the {len(data.X)} stamp sets read; using all of them.")
    if n is None or n >= len(data.X):
        return data
    rng = np.random.default_rng(random_state)
    if data.y is None:
        idx = np.sort(rng.choice(len(data.X), n, replace=False))
    else:
        from sklearn.model_selection import train_test_split

        idx, _ = train_test_split(
            np.arange(len(data.X)), train_size=n, stratify=data.y, random_state=random_state
        )
        idx = np.sort(idx)
    meta = None if data.meta is None else data.meta[idx]
    y = None if data.y is None else data.y[idx]
    return Dataset(data.X[idx], y, meta, f"{data.description}, random subset of {n}")


def check_paths(paths: list[str]) -> None:
    """Raise :class:`CLIError` naming the first path that does not exist."""
    for p in paths:
        if not Path(p).exists():
            raise CLIError(f"no such file or directory: {p}")


def _load_alerts(
    paths: list[str], rule: str | None, need_labels: bool, stamp_size: int | None
) -> Dataset:
    from skrb.io import read_alerts

    check_paths(paths)
    bunch = read_alerts(paths, stamp_size=stamp_size)
    X, meta = bunch.data, bunch.meta
    survey = "Rubin (LSST)" if bunch.survey == "lsst" else "ZTF"
    description = f"{len(X)} {survey} alerts from {', '.join(paths)}"
    if rule is None:
        if need_labels:
            example = "reliability>=0.5" if bunch.survey == "lsst" else "drb>=0.5"
            raise CLIError(
                f"alerts carry no human labels: give a rule with --label, e.g. --label '{example}'."
            )
        return Dataset(X, None, meta, description)
    y, keep = parse_label_rule(rule, meta)
    dropped = int((~keep).sum())
    description += f", labelled real where {rule.strip()}"
    if dropped:
        description += f" ({dropped} alerts without that column dropped)"
    return Dataset(X[keep], y, meta[keep], description)


def load_dataset(
    args: argparse.Namespace,
    *,
    default_n_samples: int,
    need_labels: bool = True,
    stamp_size: int | None = None,
) -> Dataset:
    """Load the stamp sets chosen by the data options of a sub-command.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (see :func:`add_data_arguments`), plus ``random_state``.
    default_n_samples : int
        Simulated stamp sets when ``--n-samples`` is not given.
    need_labels : bool, default=True
        Whether the command needs labels (``compare``, ``train``).
    stamp_size : int, optional
        Side to read ``--alerts`` into when ``--stamp-size`` is not given (e.g. a model's).

    Returns
    -------
    data : Dataset

    Raises
    ------
    CLIError
        On missing paths, unreadable data or missing labels.

    Examples
    --------
    >>> import argparse
    >>> from skrb.cli._data import load_dataset
    >>> args = argparse.Namespace(stamps=None, autoscan=None, alerts=None, label=None,
    ...                           n_samples=6, survey="des", real_fraction=0.5, random_state=0)
    >>> load_dataset(args, default_n_samples=10).X.shape
    (6, 3, 51, 51)
    """
    seed = getattr(args, "random_state", None)
    if args.n_samples is not None and args.n_samples < 2:
        raise CLIError(f"--n-samples must be at least 2; got {args.n_samples}.")
    if args.label is not None and args.alerts is None:
        raise CLIError("--label only applies to --alerts.")
    side = getattr(args, "stamp_size", None)
    if side is not None and side < 8:
        raise CLIError(f"--stamp-size must be at least 8; got {side}.")
    if args.alerts is not None:
        data = _load_alerts(args.alerts, args.label, need_labels, side or stamp_size)
        return _subsample(data, args.n_samples, seed)
    if args.stamps is not None:
        X, y = read_stamp_file(args.stamps)
        if y is None and need_labels:
            raise CLIError(
                f"{args.stamps} holds no labels (an array 'y'); this command needs them."
            )
        data = Dataset(X, y, None, f"{len(X)} stamp sets from {args.stamps}")
        return _subsample(data, args.n_samples, seed)
    n = default_n_samples if args.n_samples is None else args.n_samples
    if args.autoscan is not None:
        from skrb.datasets import load_autoscan

        check_paths([args.autoscan])
        bunch = load_autoscan(args.autoscan, n_samples=n, random_state=seed)
        return Dataset(
            bunch.data,
            np.asarray(bunch.target),
            bunch.get("meta"),
            f"{len(bunch.data)} DES autoScan stamp sets (balanced random subset) from "
            f"{args.autoscan}",
        )
    from skrb.datasets import make_stamps

    if not 0.0 < args.real_fraction < 1.0:
        raise CLIError(f"--real-fraction must be in (0, 1); got {args.real_fraction}.")
    X, y = make_stamps(
        n,
        survey=args.survey,
        real_fraction=args.real_fraction,
        random_state=seed,
        stamp_size=side,
    )
    description = (
        f"{n} simulated {args.survey.upper()}-like stamp sets (skrb.datasets.make_stamps, "
        f"real fraction {args.real_fraction:g}, random_state {seed})"
    )
    return Dataset(X, np.asarray(y), None, description)
