"""The order of the examples gallery: from the data to the models, their use and their reading."""

from __future__ import annotations

ORDER = (
    "plot_simulated_stamps.py",
    "plot_dia_vs_nodia_cv.py",
    "plot_gridsearch_nodia.py",
    "plot_calibration_threshold.py",
    "plot_saliency_panels.py",
    "plot_shap_vs_gradients.py",
    "plot_score_ztf_alerts.py",
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
