"""
=============================================
Which panel does each network read? Saliency
=============================================

The paper's explanation in a few lines: train the DIA-based CNN (difference | search |
template) and the noDIA CNN (search | template) on simulated DES stamps, take the vanilla
gradient saliency of each prediction, and count which panel holds the largest share of it,
split by outcome (true > predicted class), as in Acero-Cuellar et al. (2023):

====================  =======================  ==================
outcome               DIA: diff / srch / tmpl  noDIA: srch / tmpl
====================  =======================  ==================
real > real           90 / 9 / 1 %             32 / 68 %
real > bogus          86 / 7 / 7 %             24 / 76 %
bogus > real          95 / 3 / 2 %             34 / 66 %
bogus > bogus         61 / 12 / 27 %           24 / 76 %
====================  =======================  ==================

The networks here are trained for a few epochs on about a thousand stamps so that the example
runs in about a minute on a laptop CPU; the tables show the method, on simulated data.
"""

# %%
# Simulated stamps and two pipelines
# ----------------------------------
# :func:`skrb.datasets.make_stamps` draws DES-like 51 x 51 stamp sets, half of them real.
# :func:`skrb.make_dia_pipeline` and :func:`skrb.make_nodia_pipeline` put each network's
# scaling and layout in front of it; for a quick run both train with Adam for a few epochs.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

import skrb
from skrb.datasets import make_stamps
from skrb.explain import (
    gradient_saliency,
    outcome_table,
    panel_shares,
    plot_outcome_shares,
    plot_saliency,
    winning_panel,
)

X, y = make_stamps(1400, survey="des", random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=400, stratify=y, random_state=0)
settings = dict(optimizer="adam", learning_rate=1e-3, epochs=4, batch_size=32, random_state=0)
models = {
    "DIA": skrb.make_dia_pipeline(**settings).set_params(classifier__verbose=0),
    "noDIA": skrb.make_nodia_pipeline(**settings).set_params(classifier__verbose=0),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name:5s} test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# Saliency, panel shares and the winning panel
# --------------------------------------------
# :func:`~skrb.explain.gradient_saliency` on a pipeline returns maps shaped like the stamp
# sets, ``(n, 3, 51, 51)``: the gradient of the predicted class probability with respect to
# the scaled input the network sees, mapped back to the search, template and difference
# panels. The noDIA network does not read the difference, so its difference map is NaN and
# :func:`~skrb.explain.panel_shares` reports only the search and template columns.

tables, saliency, predictions = {}, {}, {}
for name, model in models.items():
    saliency[name] = gradient_saliency(model, X_test)
    predictions[name] = model.predict(X_test)
    shares, panels = panel_shares(saliency[name], return_panels=True)
    order = [p for p in ("difference", "search", "template") if p in panels]  # paper's order
    tables[name] = outcome_table(shares, y_test, predictions[name], panels=panels)[
        ["outcome", "n", *order]
    ]
    winners = winning_panel(shares, panels)
    print(f"\n{name}: share of stamps won by each panel, by outcome (true > predicted)")
    tables[name].pprint()
    print(
        f"{name}: share of all {len(winners)} test stamps won by each panel: "
        + ", ".join(f"{p} {np.mean(winners == p):.0%}" for p in order)
    )

# %%
# As in the paper, the DIA network's saliency is won by the difference panel for most
# stamps, while the noDIA network must find the transient by comparing search and template.

dia_winners = winning_panel(panel_shares(saliency["DIA"]))
print(f"DIA: the difference panel wins for {np.mean(dia_winners == 'difference'):.0%} of stamps")

# %%
# Stamps beside their saliency
# ----------------------------
# :func:`~skrb.explain.plot_saliency` shows the panels a network reads next to the magnitude
# of its saliency on each, on one colour scale per stamp; titles give the panel shares.

real, bogus = np.flatnonzero(y_test == 1)[:2], np.flatnonzero(y_test == 0)[:2]
rows = np.concatenate([real, bogus])
for name in models:
    fig = plot_saliency(
        X_test, saliency[name], indices=rows, y_true=y_test, y_pred=predictions[name]
    )
    fig.suptitle(f"{name} network: stamps and |saliency|")
    plt.figure(fig)  # hand the Figure to pyplot so that the gallery shows it

# %%
# The outcome tables as bars
# --------------------------

fig = plot_outcome_shares(tables)
plt.figure(fig)

# %%
# The authors' trained networks
# -----------------------------
# With the authors' published checkpoints (in the project's shared data folder, where
# present, or named by the ``SKRB_SHARED_DATA`` environment variable),
# :func:`skrb.make_dia_pipeline` and :func:`skrb.make_nodia_pipeline` predict without fitting,
# and the same three calls give their tables on the same simulated stamps.

import os
from pathlib import Path

shared = Path(skrb.__file__).resolve().parents[2] / "shared" / "data"
folder = Path(os.environ.get("SKRB_SHARED_DATA", shared)) / "checkpoints" / "acero_cuellar_2023"
checkpoints = {
    "DIA": (skrb.make_dia_pipeline, folder / "model_checkpoint_AAD_3s3DH.h5"),
    "noDIA": (skrb.make_nodia_pipeline, folder / "model_checkpoint_CCC_3s2DH.h5"),
}
for name, (make, path) in checkpoints.items():
    if not path.exists():
        print(f"{path} is absent: skipping the authors' {name} network")
        continue
    authors = make(checkpoint=path)
    shares, panels = panel_shares(gradient_saliency(authors, X_test), return_panels=True)
    order = [p for p in ("difference", "search", "template") if p in panels]
    print(f"\nThe authors' {name} network (accuracy {authors.score(X_test, y_test):.3f})")
    outcome_table(shares, y_test, authors.predict(X_test), panels=panels)[
        ["outcome", "n", *order]
    ].pprint()
