"""The ``skrb`` command line: ``compare``, ``train``, ``score``, ``explain``, ``simulate``.

Run ``skrb --help`` (or ``python -m skrb --help``) for the sub-commands and ``skrb COMMAND
--help`` for their options. :func:`main` is also callable from Python with a list of arguments.
Problems with the command or the data end with a one-line message on stderr and exit status 2
(``--traceback`` shows the full traceback instead). Bare ``skrb`` prints the help.

The terminal stays calm: ``TF_CPP_MIN_LOG_LEVEL`` defaults to 2 (set before TensorFlow is
imported, unless the user set it) and TensorFlow's start-up lines are dropped (every other line
it writes is kept).
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import warnings
from collections.abc import Callable, Sequence

from skrb.cli import _compare, _explain, _score, _simulate, _train
from skrb.cli._errors import CLIError

# Internal API for skrb's own scripts (benchmarks): not in __all__, may change without notice.
from skrb.cli._models import build_pipeline as build_pipeline
from skrb.cli._protocols import PROTOCOLS as PROTOCOLS
from skrb.cli._quiet import import_tensorflow_quietly

__all__ = ["CLIError", "build_parser", "main"]

_COMMANDS = (_compare, _train, _score, _explain, _simulate)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``skrb`` and its sub-commands.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser of ``skrb`` and its sub-commands.

    Examples
    --------
    >>> from skrb.cli import build_parser
    >>> build_parser().parse_args(["simulate", "-o", "x.npz"]).n_samples
    1000
    """
    from skrb import __version__

    parser = argparse.ArgumentParser(
        prog="skrb",
        description="Real/bogus classification of transient candidates from image stamps: "
        "compare the DIA and noDIA CNNs (Acero-Cuellar et al. 2023), train, score and explain.",
        epilog="Start with 'skrb compare --protocol quick --report skrb_report' (make demo).",
    )
    parser.add_argument("--version", action="version", version=f"skrb {__version__}")
    parser.add_argument(
        "--traceback", action="store_true", help="show full tracebacks instead of one-line errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMANDS:
        command.add_parser(subparsers)
    return parser


_SKRB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _one_line_read_warnings(command: str, default: Callable[..., None]) -> Callable[..., None]:
    """Return a ``warnings.showwarning`` printing the readers' warnings as one ``skrb`` line.

    A :class:`~skrb.io.ReadWarning` (files or alerts skipped or kept without a score) reads
    ``skrb score: warning: <message>`` on stderr, not Python's two-line ``path:line:`` form
    pointing into skrb's code; other warnings raised inside skrb (e.g. stamps whose saliency is
    all zero) read ``skrb compare: note: <message>``; other packages' warnings are shown as usual.
    """
    from skrb.io import ReadWarning

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if issubclass(category, ReadWarning):
            print(f"skrb {command}: warning: {text}", file=sys.stderr if file is None else file)
        elif str(filename).startswith(_SKRB_DIR):
            print(f"skrb {command}: note: {text}", file=sys.stderr if file is None else file)
        else:
            default(message, category, filename, lineno, file, line)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skrb`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 2 on a usage or data error (after a one-line message on stderr).

    Examples
    --------
    >>> from skrb.cli import main
    >>> main(["simulate", "-o", "stamps.txt"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # tf.function retracing notices (one per model and fold) are noise to a command-line user
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["skrb", *argv])
    try:
        if args.command != "simulate":  # the others all run a network
            import_tensorflow_quietly()
        with warnings.catch_warnings():  # restores the default display afterwards
            warnings.showwarning = _one_line_read_warnings(args.command, warnings.showwarning)
            return int(args.run(args))
    except KeyboardInterrupt:
        print(f"skrb {args.command}: interrupted", file=sys.stderr)
        return 130
    except (CLIError, ValueError, OSError) as exc:
        if args.traceback:
            raise
        message = str(exc) or type(exc).__name__
        print(f"skrb {args.command}: error: {' '.join(message.split())}", file=sys.stderr)
        return 2
