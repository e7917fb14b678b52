"""``skrb train``: fit one model's pipeline on a data set and save it (joblib)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from skrb.cli._data import add_data_arguments, load_dataset
from skrb.cli._errors import CLIError
from skrb.cli._models import DISPLAY_NAMES, MODELS, build_pipeline, save_model
from skrb.cli._options import (
    add_command,
    add_training_arguments,
    keras_verbosity,
    training_overrides,
)
from skrb.cli._protocols import PROTOCOLS
from skrb.utils.validation import check_binary_target

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Fit a model's whole pipeline (its scaling, stacking and CNN) on labelled stamp sets and save it
with joblib as one .joblib file; 'skrb score --model-file' and 'skrb explain --model-file' load
it, and so does joblib.load in Python.
"""

EPILOG = """\
examples:
  skrb train --model dia -o dia.joblib
  skrb train --model nodia --stamps train.npz --epochs 30 -o nodia.joblib
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``skrb train``."""
    parser = add_command(
        subparsers,
        "train",
        help="fit a model pipeline and save it (.joblib)",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("--model", choices=MODELS, default="dia", help="model (default dia)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="where to save (.joblib)"
    )
    add_data_arguments(parser)
    add_training_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``skrb train``."""
    if not args.output.endswith(".joblib"):
        raise CLIError(f"--output must be a .joblib file; got {args.output!r}.")
    protocol = PROTOCOLS[args.protocol]
    overrides = training_overrides(args)
    data = load_dataset(args, default_n_samples=protocol.n_samples)
    counts = np.bincount(check_binary_target(data.y, zero_one=True), minlength=2)
    if counts.min() < 2:
        raise CLIError(
            f"too few samples per class to train: {counts[1]} real and {counts[0]} bogus."
        )
    if not args.quiet:
        print(f"data: {data.description}", file=sys.stderr)
        print(f"protocol: {protocol.summary}", file=sys.stderr)
    pipeline = build_pipeline(
        args.model,
        protocol,
        random_state=args.random_state,
        verbose=keras_verbosity(args),
        **overrides,
    )
    pipeline.fit(data.X, data.y)
    path = save_model(pipeline, args.output)
    history = getattr(pipeline[-1], "history_", None) or {}
    last = ", ".join(f"{k} {v[-1]:.4f}" for k, v in history.items() if v)
    print(
        f"trained {DISPLAY_NAMES[args.model]} on {len(data.X)} stamp sets "
        f"({counts[1]} real, {counts[0]} bogus); last epoch: {last or 'n/a'}"
    )
    print(f"saved: {path}")
    return 0
