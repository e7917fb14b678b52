r"""Explain real/bogus classifiers: saliency, SHAP and the per-panel analysis of the paper.

Every explainer takes a fitted skrb classifier (on its own stacked CNN images) or a Pipeline
ending in one (on stamp sets; attributions mapped back to the panels, NaN for panels the
classifier's layout does not use) and returns attributions of the shape of the ``X`` given:

- :func:`gradient_saliency`: the paper's vanilla gradient :math:`|\partial p / \partial x|`;
- :func:`smoothgrad`, :func:`integrated_gradients`: less noisy / saturation-free gradients;
- :func:`shap_values`: SHAP through shap's GradientExplainer or DeepExplainer.

:func:`panel_shares`, :func:`winning_panel` and :func:`outcome_table` reproduce the per-panel
analysis of Acero-Cuellar et al. (2023); :func:`plot_saliency`, :func:`plot_outcome_shares` and
:func:`plot_method_comparison` return matplotlib Figures; :func:`model_randomization_check`
tests that the maps depend on the trained weights.

Gradients saturate. Where the network is confident the softmax is flat, so the vanilla gradient
of a confidently classified stamp is small everywhere (its relative pattern, and so its panel
shares, stay meaningful; its absolute size does not compare across stamps). ReLU units that are
off, and max-pooling, pass no gradient to most pixels, which makes vanilla maps speckled.
SmoothGrad averages the speckle out; Integrated Gradients and SHAP integrate along paths from
reference inputs and add up to the change in probability (completeness), so they do not
saturate.
"""

from skrb.explain._gradients import gradient_saliency, integrated_gradients, smoothgrad
from skrb.explain._panels import OUTCOMES, outcome_table, panel_shares, winning_panel
from skrb.explain._plots import (
    plot_method_comparison,
    plot_outcome_shares,
    plot_saliency,
    plot_share_distributions,
)
from skrb.explain._sanity import model_randomization_check, randomized_copy
from skrb.explain._shap import shap_values

__all__ = [
    "OUTCOMES",
    "gradient_saliency",
    "integrated_gradients",
    "model_randomization_check",
    "outcome_table",
    "panel_shares",
    "plot_method_comparison",
    "plot_outcome_shares",
    "plot_saliency",
    "plot_share_distributions",
    "randomized_copy",
    "shap_values",
    "smoothgrad",
    "winning_panel",
]

# Internal API for skrb's own packages (not in __all__, may change without notice): other
# packages import these from ``skrb.explain``, never from its private modules.
from skrb.explain._gradients import saliency_and_p_real as saliency_and_p_real  # noqa: E402
