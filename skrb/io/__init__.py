"""Readers for the data astronomers have: ZTF and Rubin (LSST) alert packets and FITS stamps.

All readers return scikit-learn :class:`~sklearn.utils.Bunch` objects whose ``data`` are stamp
sets of shape ``(n_samples, 3, H, W)`` (float32, panels in :data:`skrb.PANELS` order) and whose
``meta`` is an :class:`astropy.table.Table` with one row per stamp set.

Names are imported on first use, so that the reader processes spawned for parallel reads start
without loading astropy and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "ALERT_COLUMNS": "skrb.io._alerts",
    "LSST_COLUMNS": "skrb.io._alerts",
    "SCORE_COLUMNS": "skrb.io._alerts",
    "alerts_from_records": "skrb.io._alert_records",
    "iter_alerts": "skrb.io._alert_stream",
    "read_alerts": "skrb.io._alerts",
    "read_fits_stamps": "skrb.io._fits_stamps",
    "read_stamp_file": "skrb.io._stamp_files",
    "ReadError": "skrb.io._errors",
    "ReadWarning": "skrb.io._errors",
}

__all__ = sorted(_NAMES)

# Internal API for skrb's own packages (not in __all__, may change without notice): other
# packages import these from ``skrb.io``, never from its private modules. Name -> (module,
# attribute).
_INTERNAL = {
    "alert_survey": ("skrb.io._formats", "alert_survey"),  # the survey of some alert files
    "alert_file_rows": ("skrb.io._alert_rows", "alert_file_rows"),  # a file as a broker's rows
    "ROW_COLUMNS": ("skrb.io._alert_rows", "ROW_COLUMNS"),
    "records_survey": ("skrb.io._alert_records", "records_survey"),  # ZTF or Rubin rows
    "IMAGE_FORMATS": ("skrb.io._triplets", "IMAGE_FORMATS"),
    "alert_sources": ("skrb.io._alerts", "_sources"),  # (name, path or bytes) of alert files
    "LISTED": ("skrb.io._errors", "_LISTED"),  # how many bad items a message names
    "check_read_options": ("skrb.io._alerts", "check_read_options"),  # before they travel
    "ON_ERROR": ("skrb.io._errors", "ON_ERROR"),  # the readers' on_error choices
    "PADS": ("skrb.io._alert_decode", "PADS"),  # where a smaller cutout goes (pad=)
    "read_stamp_sets": ("skrb.io._triplets", "read_stamp_sets"),
    "report_errors": ("skrb.io._errors", "report_errors"),
    "walk_folders": ("skrb.io._paths", "walk_folders"),  # through symbolic links, no loops
}


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _INTERNAL:
        module, attribute = _INTERNAL[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'skrb.io' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
