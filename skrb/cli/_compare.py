"""``skrb compare``: DIA vs noDIA (optionally braai) on the same folds, with a report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from skrb.cli._data import add_data_arguments, load_dataset
from skrb.cli._errors import CLIError
from skrb.cli._models import DISPLAY_NAMES, MODELS, build_pipeline
from skrb.cli._options import (
    add_command,
    add_training_arguments,
    keras_verbosity,
    positive_int,
    probability,
    training_overrides,
)
from skrb.cli._protocols import PROTOCOLS, paper_gap, precision_text

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Compare real/bogus classifiers on one data set with the same folds: stratified k-fold
cross-validation (or one 80/20 hold-out split, the paper's protocol). Prints accuracy, ROC AUC,
MDR and FPR at P(real) >= 0.5 and MDR at FPR 1 % and 3 % per model (mean ± std across folds) and
a paired test of the difference (Nadeau-Bengio corrected resampled t-test across folds, McNemar's
test on the pooled predictions). --report DIR writes metrics (JSON, CSV), figures and a
Markdown + HTML page.
"""

EPILOG = """\
examples:
  skrb compare --protocol quick --report skrb_report
  skrb compare --models dia nodia braai --survey ztf --n-samples 3000
  skrb compare --alerts data/ztf_alerts --label 'rb>=0.5' --cv 3
  skrb compare --autoscan ~/autoscan --protocol paper --report paper_report
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``skrb compare``."""
    parser = add_command(
        subparsers,
        "compare",
        help="cross-validated DIA vs noDIA comparison and its report",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODELS,
        default=["dia", "nodia"],
        help="models to compare (default: dia nodia)",
    )
    add_data_arguments(parser)
    add_training_arguments(parser)
    split = parser.add_mutually_exclusive_group()
    split.add_argument(
        "--cv", type=int, metavar="K", help="folds of stratified CV (default: the protocol's)"
    )
    split.add_argument(
        "--holdout",
        type=float,
        metavar="FRACTION",
        help="one stratified hold-out split with this test fraction instead (paper: 0.2)",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        default=0.5,
        help="P(real) at or above which a candidate is called real (default 0.5)",
    )
    parser.add_argument(
        "--report", metavar="DIR", help="write the report (metrics, figures, page) to DIR"
    )
    parser.add_argument(
        "--n-examples",
        type=positive_int,
        default=2,
        metavar="N",
        help="example stamps per outcome in the report's saliency figures (default 2)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``skrb compare``."""
    from skrb.model_selection import compare_models

    protocol = PROTOCOLS[args.protocol]
    if len(set(args.models)) != len(args.models):
        raise CLIError(f"--models lists a model twice: {' '.join(args.models)}.")
    cv: int | float = protocol.cv
    if args.cv is not None:
        cv = args.cv
    elif args.holdout is not None:
        cv = args.holdout
    overrides = training_overrides(args)
    if args.report is not None:  # before minutes of training, not after
        from skrb.report import check_report_directory

        check_report_directory(args.report, what="--report")
    data = load_dataset(args, default_n_samples=protocol.n_samples)
    _log(args, f"data: {data.description}")
    _log(args, f"protocol: {protocol.summary}")
    precision = precision_text(protocol)
    _log(args, f"precision: {precision}")
    estimators = {
        DISPLAY_NAMES[m]: build_pipeline(
            m,
            protocol,
            random_state=args.random_state,
            verbose=keras_verbosity(args),
            **overrides,
        )
        for m in args.models
    }
    result = compare_models(
        estimators,
        data.X,
        data.y,
        cv=cv,
        threshold=args.threshold,
        random_state=args.random_state,
        return_estimators=args.report is not None,
        progress=not args.quiet,
    )
    from skrb.report import format_comparison

    print(format_comparison(result))
    if args.report is not None:
        from skrb.report import SaliencySection, write_report

        description = {
            "data": data.description,
            "protocol": protocol.summary,
            "overrides": ", ".join(f"{k}={v}" for k, v in overrides.items()) or "none",
            "precision": precision,
            "versus the paper": paper_gap(result, protocol, data.description, overrides),
            "random_state": args.random_state,
            "command": args.command_line,
        }
        ids = None
        for column in ("candid", "ID"):  # ZTF alerts, DES autoScan
            if data.meta is not None and column in data.meta.colnames:
                ids = [f"{column} {c}" for c in data.meta[column]]
                break
        sections = SaliencySection(result, data.X, n_examples=args.n_examples, ids=ids)
        page = write_report(result, args.report, description=description, sections=sections)
        print(f"report: {page} (and {page.with_suffix('.html').name})")
    return 0


def _log(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr)
