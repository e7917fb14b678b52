"""
===============================================
Real/bogus without the difference image
===============================================

Inada et al. (2026) compare the search and the template directly with a siamese transformer,
with no difference image. This example trains a CPU-sized version of their network
(``preset="tiny"``, a few thousand times smaller than the paper's) beside the 2023 noDIA CNN on
the same simulated stamps, and shows where each model looks.

The stamps are few and the networks train for a few epochs, so that this runs in about a
minute on a laptop CPU: the numbers show the method, not the models' accuracy (see
:doc:`/user_guide/without_difference` for the study).
"""

# %%
# Simulated stamp sets, one split
# -------------------------------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

import skrb
from skrb.datasets import make_stamps
from skrb.explain import gradient_saliency

X, y = make_stamps(500, survey="des", random_state=0)
X_train, y_train, X_test, y_test = X[:400], y[:400], X[400:], y[400:]

# %%
# Two models without the difference image
# ---------------------------------------
# :func:`skrb.make_nodiff_pipeline` puts the paper's scaling and the ``"nodia"`` layout in
# front of :class:`~skrb.models.NoDiffTransformerClassifier`; its default is the paper's
# 66-million-weight network, ``preset="tiny"`` a CPU-sized one. ``augment=True`` trains on
# randomly flipped and rotated stamp sets.

settings = dict(epochs=3, batch_size=32, random_state=0, verbose=0, validation_split=0.0)
models = {
    "noDIA CNN (2023)": skrb.make_nodia_pipeline(optimizer="adam", learning_rate=1e-3, **settings),
    "noDiff transformer, tiny (2026)": skrb.make_nodiff_pipeline(
        preset="tiny", augment=True, **settings
    ),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    p_real = model.predict_proba(X_test)[:, 1]
    n_weights = model[-1].model_.count_params()
    print(f"{name}: ROC AUC {roc_auc_score(y_test, p_real):.3f}, {n_weights:,} weights")

# %%
# Where the transformer looks
# ---------------------------
# Gradient saliency of P(real) per panel (:func:`skrb.explain.gradient_saliency`). The pair
# model never sees the difference image, so that panel has no attribution (NaN, drawn blank).

transformer = models["noDiff transformer, tiny (2026)"]
real = np.flatnonzero(y_test == 1)[:3]
saliency = gradient_saliency(transformer, X_test[real])
fig, axes = plt.subplots(len(real), 3, figsize=(6, 2 * len(real)))
for row in range(len(real)):
    for col, panel in enumerate(skrb.PANELS):
        ax = axes[row, col]
        ax.imshow(saliency[row, col], cmap="magma")
        ax.set_xticks([])
        ax.set_yticks([])
        if row == 0:
            ax.set_title(panel)
fig.suptitle("|dP(real)/dpixel| of the tiny noDiff transformer, three real candidates")
fig.tight_layout()
