"""The error type the command line turns into a one-line message and a non-zero exit status."""

from __future__ import annotations

__all__ = ["CLIError"]


class CLIError(Exception):
    """A problem with the user's command or data, reported without a traceback.

    Examples
    --------
    >>> from skrb.cli import CLIError
    >>> str(CLIError("no such file: x.npz"))
    'no such file: x.npz'
    """
