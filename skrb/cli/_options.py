"""Training options shared by ``compare`` and ``train``."""

from __future__ import annotations

import argparse
from typing import Any

from skrb.cli._protocols import PROTOCOLS

__all__ = [
    "add_command",
    "add_training_arguments",
    "keras_verbosity",
    "n_jobs",
    "positive_int",
    "probability",
    "training_overrides",
]


def probability(text: str) -> float:
    """Parse a command-line value that must lie in [0, 1] (an argparse ``type``).

    Parameters
    ----------
    text : str
        The value as typed.

    Returns
    -------
    value : float

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not a number in [0, 1].

    Examples
    --------
    >>> from skrb.cli._options import probability
    >>> probability("0.5")
    0.5
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1]; got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1]; got {value:g}")
    return value


def positive_int(text: str) -> int:
    """Parse a count typed on the command line that must be at least 1 (an argparse ``type``).

    ``text`` that is not an integer, or is below 1, raises :class:`argparse.ArgumentTypeError`
    (argparse then ends with a usage line, the message and exit status 2).

    Examples
    --------
    >>> from skrb.cli._options import positive_int
    >>> positive_int("8")
    8
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def n_jobs(text: str) -> int:
    """Parse a number of processes: at least 1, or -1 for one per core (an argparse ``type``).

    Examples
    --------
    >>> from skrb.cli._options import n_jobs
    >>> n_jobs("2"), n_jobs("-1")
    (2, -1)
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or -1; got {text!r}"
        ) from None
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or -1; got {value}")
    return value


def add_command(
    subparsers: Any, name: str, *, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """Register a sub-command whose description and examples keep their line breaks.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers()``.
    name : str
        The sub-command.
    help : str
        One line for ``skrb --help``.
    description, epilog : str
        Text above and below the options in ``skrb NAME --help``.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> import argparse
    >>> from skrb.cli._options import add_command
    >>> sub = argparse.ArgumentParser(prog="skrb").add_subparsers()
    >>> add_command(sub, "demo", help="h", description="d", epilog="e").prog
    'skrb demo'
    """
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--protocol``, ``--epochs``, ``--batch-size``, ``--random-state`` and ``--quiet``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The sub-command's parser.

    Examples
    --------
    >>> import argparse
    >>> from skrb.cli._options import add_training_arguments
    >>> parser = argparse.ArgumentParser()
    >>> add_training_arguments(parser)
    >>> parser.parse_args(["--epochs", "3"]).protocol
    'quick'
    """
    group = parser.add_argument_group("training")
    group.add_argument(
        "--protocol",
        choices=tuple(PROTOCOLS),
        default="quick",
        help="; ".join(p.summary for p in PROTOCOLS.values()),
    )
    group.add_argument("--epochs", type=int, metavar="N", help="override the protocol's epochs")
    group.add_argument(
        "--batch-size", type=int, metavar="N", help="override the protocol's batch size"
    )
    group.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of the data, the folds and the models (default 0)",
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", help="no progress output, only the results"
    )


def training_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Return the classifier parameters the user set explicitly.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    overrides : dict

    Examples
    --------
    >>> import argparse
    >>> from skrb.cli._options import training_overrides
    >>> training_overrides(argparse.Namespace(epochs=3, batch_size=None))
    {'epochs': 3}
    """
    from skrb.cli._errors import CLIError

    overrides = {"epochs": args.epochs, "batch_size": args.batch_size}
    for name, value in overrides.items():
        if value is not None and value < 1:
            raise CLIError(f"--{name.replace('_', '-')} must be at least 1; got {value}.")
    return {k: v for k, v in overrides.items() if v is not None}


def keras_verbosity(args: argparse.Namespace) -> int:
    """Return Keras' verbosity: one line per epoch, or silent with ``--quiet``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    verbose : int

    Examples
    --------
    >>> import argparse
    >>> from skrb.cli._options import keras_verbosity
    >>> keras_verbosity(argparse.Namespace(quiet=True))
    0
    """
    return 0 if args.quiet else 2
