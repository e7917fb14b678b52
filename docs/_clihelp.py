"""The ``skrb-help`` directive: the ``--help`` text of a ``skrb`` command, taken at build time.

``.. skrb-help::`` shows ``skrb --help``; ``.. skrb-help:: compare`` shows
``skrb compare --help``. The text comes from :func:`skrb.cli.main` itself, so the page never
drifts from the options the command really has.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

HELP_WIDTH = "80"
"""Terminal width argparse formats the help for (it reads ``COLUMNS``)."""


def command_help(*command: str) -> str:
    """Return what ``skrb COMMAND... --help`` prints."""
    from skrb.cli import main

    out = io.StringIO()
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main([*command, "--help"])
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    text = out.getvalue().strip()
    if not text:
        raise RuntimeError(f"`skrb {' '.join(command)} --help` printed nothing")
    return text


class SkrbHelp(SphinxDirective):
    """Insert the ``--help`` text of ``skrb`` or one of its sub-commands as a literal block."""

    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        """Build the literal block (a warning, which fails a ``-W`` build, if it cannot)."""
        command = self.arguments
        try:
            text = command_help(*command)
        except Exception as exc:  # an import error or a broken parser: say which command
            name = " ".join(["skrb", *command, "--help"])
            raise self.error(f"cannot get the text of `{name}`: {exc}") from exc
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app: Any) -> None:
    """Register the directive."""
    app.add_directive("skrb-help", SkrbHelp)
