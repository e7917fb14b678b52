"""Which examples the gallery runs, and in which order it shows them."""

from __future__ import annotations

import re

NEEDS_SHARED_DATA = ("plot_score_ztf_alerts.py",)
"""Examples that read ../shared/data (real ZTF alerts, published checkpoints)."""


def executed_pattern(shared_data_present: bool) -> str:
    """sphinx-gallery ``filename_pattern``: every ``plot_*.py``, less those needing absent data.

    Examples that do not match are still shown, with their code, but not run.
    """
    if shared_data_present:
        return r"/plot_"
    skipped = "|".join(re.escape(name) for name in NEEDS_SHARED_DATA)
    return rf"/(?!(?:{skipped})$)plot_"


ORDER = (
    "plot_simulated_stamps.py",
    "plot_dia_vs_nodia_cv.py",
    "plot_gridsearch_nodia.py",
    "plot_calibration_threshold.py",
    "plot_saliency_panels.py",
    "plot_nodiff_transformer.py",
    "plot_shap_vs_gradients.py",
    "plot_score_ztf_alerts.py",
    "plot_rubin_alerts.py",
)
"""Examples in reading order; any other example follows, by file name."""


class ReadingOrder:
    """sphinx-gallery ``within_subsection_order`` key: :data:`ORDER`, then file names."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        """Sort key of the example ``filename``."""
        rank = ORDER.index(filename) if filename in ORDER else len(ORDER)
        return rank, filename

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"
