"""``skrb train``: fit one model's pipeline on a data set and save it as a skrb model file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from skrb.cli._data import add_data_arguments, load_dataset
from skrb.cli._errors import CLIError
from skrb.cli._models import DISPLAY_NAMES, MODEL_SUFFIX, MODELS, build_pipeline, save_model
from skrb.cli._options import (
    add_command,
    add_training_arguments,
    keras_verbosity,
    training_overrides,
)
from skrb.cli._protocols import PROTOCOLS
from skrb.utils import check_output_path
from skrb.utils.validation import check_binary_target

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Fit a model's whole pipeline (its scaling, stacking and CNN) on labelled stamp sets and save it
as one skrb model file (.skrb: parameters as JSON, the network as .keras, no pickle, so it is
safe to share); 'skrb score --model-file' and 'skrb explain --model-file' load it, and so does
skrb.load_model in Python. The output path is checked before the data are read.
"""

EPILOG = """\
examples:
  skrb train --model dia -o dia.skrb
  skrb train --model nodia --stamps train.npz --epochs 30 -o nodia.skrb
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``skrb train``."""
    parser = add_command(
        subparsers,
        "train",
        help="fit a model pipeline and save it (.skrb)",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("--model", choices=MODELS, default="dia", help="model (default dia)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="where to save (.skrb)"
    )
    add_data_arguments(parser)
    add_training_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``skrb train``."""
    if not args.output.endswith(MODEL_SUFFIX):
        raise CLIError(f"--output must be a {MODEL_SUFFIX} file; got {args.output!r}.")
    check_output_path(args.output, what="--output")
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
        print(f"training: {protocol.training}", file=sys.stderr)
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
