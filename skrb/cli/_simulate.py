"""``skrb simulate``: write simulated stamp sets (and labels) to an .npz file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from skrb.cli._errors import CLIError
from skrb.cli._options import add_command, probability

__all__ = ["add_parser", "run"]

DESCRIPTION = """\
Simulate labelled DIA stamp sets (skrb.datasets.make_stamps) and write them to an .npz file with
arrays X (n, 3, H, W: search, template, difference) and y (1 = real, 0 = bogus); the other
commands read it with --stamps FILE. The per-stamp metadata (injected magnitudes, artifact
kinds...) go to an ECSV table beside it, the .npz suffix replaced by .meta.ecsv
(ztf_sim.npz -> ztf_sim.meta.ecsv).
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``skrb simulate``."""
    parser = add_command(
        subparsers,
        "simulate",
        help="write simulated stamp sets to .npz",
        description=DESCRIPTION,
        epilog="example:\n  skrb simulate --n-samples 5000 --survey ztf -o ztf_sim.npz",
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the .npz to write")
    parser.add_argument(
        "--n-samples", type=int, default=1000, metavar="N", help="stamp sets (default 1000)"
    )
    parser.add_argument(
        "--survey", choices=("des", "ztf"), default="des", help="preset (default des)"
    )
    parser.add_argument(
        "--real-fraction", type=probability, default=0.5, metavar="F", help="default 0.5"
    )
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED", help="default 0")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``skrb simulate``."""
    out = Path(args.output)
    if out.suffix != ".npz":
        raise CLIError(f"--output must be an .npz file; got {out.name!r}.")
    if args.n_samples < 1:
        raise CLIError(f"--n-samples must be at least 1; got {args.n_samples}.")
    from skrb.datasets import make_stamps
    from skrb.utils import atomic_file, check_output_path

    check_output_path(out, what="--output")

    X, y, meta = make_stamps(
        args.n_samples,
        survey=args.survey,
        real_fraction=args.real_fraction,
        random_state=args.random_state,
        return_meta=True,
    )
    meta_path = out.with_suffix(".meta.ecsv")
    with atomic_file(out) as part:
        np.savez_compressed(part, X=np.asarray(X, dtype=np.float32), y=np.asarray(y))
    with atomic_file(meta_path) as part:
        meta.write(part, format="ascii.ecsv", overwrite=True)
    n_real = int(np.sum(y == 1))
    print(
        f"wrote {out}: {len(X)} {args.survey.upper()}-like stamp sets of shape "
        f"{tuple(X.shape[1:])} ({n_real} real, {len(X) - n_real} bogus); metadata: {meta_path}"
    )
    return 0
