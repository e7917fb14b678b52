"""``skrb score``: P(real) for alert packets or stamp sets, as a CSV/ECSV table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from skrb.cli._data import check_paths, read_stamp_file
from skrb.cli._errors import CLIError
from skrb.cli._models import (
    CHECKPOINT_MODELS,
    MODEL_SUFFIX,
    PICKLE_WARNING,
    load_model,
)
from skrb.cli._options import add_command, probability

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = ["add_model_arguments", "add_parser", "predict_p_real", "run"]

DESCRIPTION = """\
Score candidates with a saved model (skrb train) or a published checkpoint and write one row per
alert (candid, objectId, P(real), and the alert's own rb/drb for comparison) or per stamp set
(index, P(real), and the label when the file has one). Inputs are ZTF alert Avro files or folders
of them, or stamp sets in .npz/.npy.
"""

EPILOG = """\
examples:
  skrb score data/ztf_alerts --checkpoint data/checkpoints/braai_d6_m7 --model braai -o drb.csv
  skrb score stamps.npz --model-file dia.skrb -o scores.ecsv
"""

#: Alert metadata columns copied into the output table, when present.
_ALERT_COLUMNS = ("candid", "objectId", "jd", "fid", "ra", "dec", "magpsf", "rb", "drb")
_STAMP_SUFFIXES = (".npz", ".npy")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--model-file`` or ``--checkpoint`` + ``--model`` (shared with ``skrb explain``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The sub-command's parser.

    Examples
    --------
    >>> import argparse
    >>> from skrb.cli._score import add_model_arguments
    >>> parser = argparse.ArgumentParser()
    >>> add_model_arguments(parser)
    >>> parser.parse_args(["--checkpoint", "ckpt", "--model", "braai"]).model
    'braai'
    """
    group = parser.add_argument_group("model", "A saved pipeline or a published checkpoint.")
    source = group.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model-file",
        metavar="FILE",
        help=f"a skrb model file ({MODEL_SUFFIX}) from 'skrb train' or skrb.save_model",
    )
    source.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="a published Keras checkpoint (the authors' .h5, braai's folder/weights)",
    )
    group.add_argument(
        "--model",
        choices=CHECKPOINT_MODELS,
        help=f"architecture of --checkpoint ({', '.join(CHECKPOINT_MODELS)})",
    )
    group.add_argument("--allow-pickle", action="store_true", help=PICKLE_WARNING)


def predict_p_real(estimator: Any, X: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
    """P(real) in batches, with a progress bar for large inputs.

    Parameters
    ----------
    estimator : fitted classifier
        With ``predict_proba`` and ``classes_`` containing 1 (real).
    X : ndarray of shape (n_samples, ...)
        Its input.
    batch_size : int, default=1024
        Stamp sets per batch.

    Returns
    -------
    p_real : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrb.cli._score import predict_p_real
    >>> clf = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> p_real = predict_p_real(clf, np.array([[0.0], [1.0]]))
    >>> p_real.shape, bool(p_real[1] > 0.5 > p_real[0])
    ((2,), True)
    """
    from tqdm.auto import tqdm

    from skrb.utils import p_real

    starts = range(0, len(X), batch_size)
    bar = tqdm(starts, desc="score", unit="batch", disable=len(starts) < 4)
    return np.concatenate([p_real(estimator, X[s : s + batch_size]) for s in bar])


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``skrb score``."""
    parser = add_command(
        subparsers,
        "score",
        help="P(real) for alerts or stamp sets, written as a table",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="PATH", help="alert files/folders, or .npz/.npy stamp sets"
    )
    add_model_arguments(parser)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="the table to write: .csv or .ecsv ('-' prints CSV)",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        default=0.5,
        help="P(real) at or above which the 'real' column is true (default 0.5)",
    )
    parser.set_defaults(run=run)
    return parser


def _read_inputs(paths: list[str]) -> tuple[np.ndarray, Table]:
    from astropy.table import Table, vstack

    check_paths(paths)
    stamp_files = [p for p in paths if Path(p).suffix in _STAMP_SUFFIXES]
    if stamp_files and len(stamp_files) != len(paths):
        raise CLIError("give either alert files/folders or .npz/.npy stamp sets, not both.")
    if stamp_files:
        arrays, tables = [], []
        for path in stamp_files:
            X, y = read_stamp_file(path)
            table = Table({"file": [path] * len(X), "index": np.arange(len(X))})
            if y is not None:
                table["label"] = y
            arrays.append(X)
            tables.append(table)
        shapes = {a.shape[1:] for a in arrays}
        if len(shapes) > 1:
            raise CLIError(f"the stamp files hold stamp sets of different shapes: {shapes}.")
        return np.concatenate(arrays), vstack(tables)
    from skrb.io import read_alerts

    bunch = read_alerts(paths)
    meta = bunch.meta
    columns = [c for c in _ALERT_COLUMNS if c in meta.colnames]
    return bunch.data, Table(meta[columns]) if columns else Table()


def run(args: argparse.Namespace) -> int:
    """Run ``skrb score``."""
    out = args.output
    if out != "-" and Path(out).suffix not in (".csv", ".ecsv"):
        raise CLIError(f"--output must end in .csv or .ecsv (or be '-'); got {out!r}.")
    estimator = load_model(
        model_file=args.model_file,
        checkpoint=args.checkpoint,
        model=args.model,
        allow_pickle=args.allow_pickle,
    )
    X, table = _read_inputs(args.inputs)
    if len(X) == 0:
        raise CLIError("the inputs hold no stamp sets.")
    p_real = predict_p_real(estimator, X)
    table["p_real"] = p_real.astype(np.float64)
    table["p_real"].format = ".6f"
    table["real"] = p_real >= args.threshold
    if out == "-":
        table.write(sys.stdout, format="ascii.csv")
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        fmt = "ascii.ecsv" if out.endswith(".ecsv") else "ascii.csv"
        table.write(out, format=fmt, overwrite=True)
        print(
            f"scored {len(table)} candidates ({int(table['real'].sum())} with P(real) >= "
            f"{args.threshold:g}): {out}"
        )
    return 0
