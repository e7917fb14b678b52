"""``skrb score``: P(real) for alert packets or stamp sets, as a CSV/ECSV table."""

from __future__ import annotations

import argparse
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
from skrb.cli._options import add_command, n_jobs, positive_int, probability
from skrb.cli._resize import add_resize_arguments, fit_model_to_alerts
from skrb.utils import check_output_path

if TYPE_CHECKING:
    from astropy.table import Table

__all__ = ["add_model_arguments", "add_parser", "predict_p_real", "run"]

DESCRIPTION = """\
Score candidates with a saved model (skrb train) or a published checkpoint and write one row per
alert (ZTF: candid, objectId, ..., rb/drb; Rubin: diaSourceId, diaObjectId, band, ...,
reliability; then P(real) and status) or per stamp set (index, P(real), and the label when the
file has one). Inputs are ZTF or Rubin (LSST) alert files (Avro containers, Confluent wire
packets, Fink Parquet) or folders of them, or stamp sets in .npz/.npy. Rubin alerts are read
centred in the model's side (--stamp-size to choose another); --resize lsst:des resamples them
for a model trained on another survey's pixels.

Alerts are read, scored and written in batches (--batch-size), so memory does not grow with their
number; the output appears under its name only once complete. An alert that cannot be scored (a
missing or unreadable cutout) gets P(real) NaN and its reason in 'status'. --engine dask or spark
runs the same scoring on a Dask cluster or Spark (see the user guide, "Scaling out").
"""

EPILOG = """\
examples:
  skrb score data/ztf_alerts --checkpoint data/checkpoints/braai_d6_m7 --model braai -o drb.csv
  skrb score stamps.npz --model-file dia.skrb -o scores.ecsv
  skrb score rubin_alerts/ --checkpoint dia_model.h5 --model dia --resize lsst:des -o p.csv
  skrb score night/ --checkpoint braai_d6_m7 --model braai --engine dask -o scores.parquet
"""

_STAMP_SUFFIXES = (".npz", ".npy")
ENGINES = ("local", "dask", "spark")
# Measured with benchmarks/bench_streaming.py on 2 cores (braai, ZTF alerts): see its docstring.
DEFAULT_N_JOBS = 1


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
        Finite probabilities.

    Raises
    ------
    skrb.models.NonFiniteError
        If the model returns NaN or infinity for any stamp set (its ``indices`` say which):
        ``skrb score`` then exits with status 2 and writes nothing.

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

    from skrb.models import NonFiniteError
    from skrb.utils import p_real

    starts = range(0, len(X), batch_size)
    bar = tqdm(starts, desc="score", unit="batch", disable=len(starts) < 4)
    scores = np.concatenate([p_real(estimator, X[s : s + batch_size]) for s in bar])
    bad = np.flatnonzero(~np.isfinite(scores))
    if bad.size:  # skrb's classifiers raise NonFiniteError themselves; other models land here
        raise NonFiniteError(
            f"the model returned NaN or infinite P(real) for {bad.size} of {len(scores)} stamp "
            f"set(s) (first at row {bad[0]}); no scores are written rather than wrong ones.",
            bad,
        )
    return scores


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
        help="the table to write: .csv, .ecsv or .parquet ('-' prints CSV)",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        default=0.5,
        help="P(real) at or above which the 'real' column is true (default 0.5)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=1024,
        metavar="N",
        help="alerts read, scored and written at a time (default 1024)",
    )
    add_resize_arguments(parser.add_argument_group("stamps", "Stamp side and pixel scale."))
    scale = parser.add_argument_group("scale", "Where the scoring runs (alert inputs only).")
    scale.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local: this process (default); dask: a Dask cluster; spark: Apache Spark",
    )
    scale.add_argument(
        "--n-jobs",
        type=n_jobs,
        metavar="N",
        help=(
            "--engine local: processes decoding the alert files while this one scores (-1: one "
            f"per core; default {DEFAULT_N_JOBS}: a thread reads the next batch while this one "
            "is scored)"
        ),
    )
    scale.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="--engine dask: the scheduler (default: a local cluster sized to this machine)",
    )
    scale.add_argument(
        "--master",
        metavar="URL",
        help="--engine spark: the Spark master (default local[*])",
    )
    scale.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="--engine dask/spark on this machine: workers (default: one per core)",
    )
    parser.set_defaults(run=run)
    return parser


def _read_stamp_files(paths: list[str]) -> tuple[np.ndarray, Table]:
    from astropy.table import Table, vstack

    arrays, tables = [], []
    for path in paths:
        X, y = read_stamp_file(path)
        table = Table({"file": [path] * len(X), "index": np.arange(len(X))})
        if y is not None:
            table["label"] = y
        arrays.append(X)
        tables.append(table)
    shapes = {a.shape[1:] for a in arrays}
    if len(shapes) > 1:
        raise CLIError(f"the stamp files hold stamp sets of different shapes: {shapes}.")
    X = np.concatenate(arrays)
    if len(X) == 0:
        raise CLIError("the inputs hold no stamp sets.")
    return X, vstack(tables)


def _score_stamp_files(args: argparse.Namespace, estimator: Any) -> tuple[int, int, int]:
    from skrb.scoring import TableWriter

    X, table = _read_stamp_files(args.inputs)
    p_real = predict_p_real(estimator, X, batch_size=args.batch_size)
    table["p_real"] = p_real.astype(np.float64)
    table["real"] = p_real >= args.threshold
    with TableWriter(args.output) as writer:
        writer.write(table)
    return len(table), len(table), int(table["real"].sum())


def _check_engine_options(args: argparse.Namespace, stamps: bool) -> None:
    if args.engine != "local" and stamps:
        raise CLIError(f"--engine {args.engine} scores alert files; stamp files run locally.")
    if args.scheduler is not None and args.engine != "dask":
        raise CLIError("--scheduler applies to --engine dask only.")
    if args.master is not None and args.engine != "spark":
        raise CLIError("--master applies to --engine spark only.")
    if args.n_jobs is not None and args.engine != "local":
        raise CLIError("--n-jobs applies to --engine local (dask/spark: --workers).")
    if args.workers is not None and args.engine == "local":
        raise CLIError("--workers applies to --engine dask or spark.")
    if args.workers is not None and args.scheduler is not None:
        raise CLIError("--workers sizes a local cluster; it cannot apply to --scheduler.")


def keeps_ztf_sentinel(estimator: Any) -> bool:
    """Whether ``estimator`` should see ZTF's -3.4e38 template mask values, as braai did.

    braai's pipeline (``StampScaler`` ``"l2_rows"`` or ``"l2"`` first) reproduces braai's float32
    row normalisation, which zeroed the template rows holding the sentinel: given the packets'
    own values it reproduces the alerts' ``drb``. Every other model reads masked pixels as NaN,
    skrb's convention.

    Parameters
    ----------
    estimator : estimator
        The loaded model.

    Returns
    -------
    keep : bool

    Examples
    --------
    >>> from skrb import make_braai_pipeline, make_dia_pipeline
    >>> from skrb.cli._score import keeps_ztf_sentinel
    >>> keeps_ztf_sentinel(make_braai_pipeline()), keeps_ztf_sentinel(make_dia_pipeline())
    (True, False)
    """
    steps = getattr(estimator, "steps", None)
    first = steps[0][1] if steps else None
    return getattr(first, "method", None) in ("l2", "l2_rows")


def _score_alert_files(args: argparse.Namespace, estimator: Any) -> tuple[int, int, int]:
    keep_sentinel = keeps_ztf_sentinel(estimator)  # before a resizer is put in front of it
    estimator, read_options = fit_model_to_alerts(
        estimator, args.inputs, stamp_size=args.stamp_size, resize=args.resize
    )
    if keep_sentinel:  # braai saw ZTF's mask sentinel, not NaN: its drb is then reproduced
        read_options = {**read_options, "masked_sentinel": "keep"}
    options = {"batch_size": args.batch_size, "threshold": args.threshold, **read_options}
    if args.engine == "local":
        from skrb.scoring import score_files

        n_jobs = DEFAULT_N_JOBS if args.n_jobs is None else args.n_jobs
        summary = score_files(args.inputs, estimator, args.output, n_jobs=n_jobs, **options)
        return summary.n_alerts, summary.n_scored, summary.n_real
    try:
        import skrb.distributed as engines

        if args.engine == "dask":
            summary = engines.score_files_dask(
                args.inputs,
                estimator,
                args.output,
                scheduler=args.scheduler,
                n_workers=args.workers,
                **options,
            )
        else:
            summary = engines.score_files_spark(
                args.inputs,
                estimator,
                args.output,
                master=args.master,
                n_workers=args.workers,
                **options,
            )
    except ImportError as exc:  # the engine is an optional extra
        raise CLIError(str(exc)) from exc
    return summary.n_alerts, summary.n_scored, summary.n_real


def run(args: argparse.Namespace) -> int:
    """Run ``skrb score``."""
    from skrb.scoring import FORMATS

    out = args.output
    if out != "-" and Path(out).suffix.lower() not in FORMATS:
        raise CLIError(f"--output must end in {', '.join(FORMATS)} (or be '-'); got {out!r}.")
    stamp_files = [p for p in args.inputs if Path(p).suffix in _STAMP_SUFFIXES]
    if stamp_files and len(stamp_files) != len(args.inputs):
        raise CLIError("give either alert files/folders or .npz/.npy stamp sets, not both.")
    _check_engine_options(args, bool(stamp_files))
    if out != "-":
        check_output_path(out, what="--output")
    estimator = load_model(
        model_file=args.model_file,
        checkpoint=args.checkpoint,
        model=args.model,
        allow_pickle=args.allow_pickle,
    )
    check_paths(args.inputs)
    if stamp_files:
        if args.stamp_size is not None or args.resize is not None:
            raise CLIError("--stamp-size and --resize apply to alert inputs, not stamp files.")
        n, n_scored, n_real = _score_stamp_files(args, estimator)
    else:
        n, n_scored, n_real = _score_alert_files(args, estimator)
    if out != "-":
        unscored = f"; {n - n_scored} without a score, see 'status'" if n_scored < n else ""
        print(
            f"scored {n} candidates ({n_real} with P(real) >= {args.threshold:g}{unscored}): {out}"
        )
    return 0
