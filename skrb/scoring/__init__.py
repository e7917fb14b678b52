"""Scoring alerts at any scale: one engine-neutral core, streamed outputs.

:func:`score_alerts` turns alert rows (a Bunch of :func:`skrb.io.read_alerts` or
:func:`skrb.io.iter_alerts`, or a broker's DataFrame with the cutouts as bytes) into a table of
identifiers, P(real) and status. Every engine calls it: :func:`score_files` streams files
through it on one machine with bounded memory (``skrb score``), and :mod:`skrb.distributed`
runs it on Dask workers and Spark executors.
"""

from skrb.scoring._core import OK, default_columns, score_alerts
from skrb.scoring._stream import ScoringSummary, score_files
from skrb.scoring._writer import FORMATS, TableWriter

__all__ = [
    "FORMATS",
    "OK",
    "ScoringSummary",
    "TableWriter",
    "default_columns",
    "score_alerts",
    "score_files",
]

# Internal API for skrb's own packages (not in __all__, may change without notice): import these
# from ``skrb.scoring``, never from its private modules. The constraints of score_files' options,
# which the cluster engines (skrb.distributed) share.
from skrb.scoring._stream import SCORE_FILES_CONSTRAINTS as SCORE_FILES_CONSTRAINTS  # noqa: E402
