"""Explain real/bogus classifiers: saliency, SHAP and the per-panel analysis of the paper.

Every explainer takes a fitted skrb classifier (on its own stacked CNN images) or a Pipeline
ending in one (on stamp sets; attributions mapped back to the panels, NaN for panels the
classifier's layout does not use) and returns attributions of the shape of the ``X`` given.
:func:`panel_shares`, :func:`winning_panel` and :func:`outcome_table` reproduce the per-panel
analysis of Acero-Cuellar et al. (2023); the plot functions return matplotlib Figures.
"""

from skrb.explain._gradients import gradient_saliency, integrated_gradients, smoothgrad
from skrb.explain._panels import OUTCOMES, outcome_table, panel_shares, winning_panel

__all__ = [
    "OUTCOMES",
    "gradient_saliency",
    "integrated_gradients",
    "outcome_table",
    "panel_shares",
    "smoothgrad",
    "winning_panel",
]
