"""
=====================================================
Rubin alerts: read, look, train on simulation, score
=====================================================

Since February 2026 the Vera C. Rubin Observatory streams about ten million alerts a night.
This reads real Rubin alert packets with :func:`skrb.io.read_alerts` (Avro container files as
the Fink broker writes them, and Confluent wire-format packets as they come off Kafka), looks
at their cutouts, trains the paper's DIA CNN on Rubin-like simulated stamps
(:func:`skrb.datasets.make_stamps` with ``survey="lsst"``), scores the real alerts and sets the
scores beside ``reliability``, the score of Rubin's own real/bogus CNN carried in each alert.

``reliability`` is a classifier's score, not a human label: agreement with it says how alike two
classifiers are, not how right either is.

The alerts are read from ``../shared/data/rubin_alerts`` next to the repository (or the folder
named by ``SKRB_SHARED_DATA``). Where they are absent, simulated stamp sets stand in for them so
that the script still runs, and the comparison with ``reliability`` is skipped.
"""

# %%
# Reading the alerts
# ------------------
# One call reads every form: the reader recognises the survey and the packet format of each
# file. Rubin's cutouts are 30 to 102 pixels on a side (most are 30); ``stamp_size`` is left
# at its default, the largest cutout read, so every cutout is centred in stamps of that side
# and padded with NaN. ``meta`` holds the ``diaSource`` fields, the schema version of each
# packet and the original cutout sizes.

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

import skrb
from skrb.datasets import make_stamps
from skrb.io import read_alerts
from skrb.preprocessing import StampResizer


def find_rubin_alerts() -> Path | None:
    """``$SKRB_SHARED_DATA/rubin_alerts``, else ``shared/data`` beside the checkout, if present."""
    default = Path(skrb.__file__).resolve().parents[2] / "shared" / "data"
    path = Path(os.environ.get("SKRB_SHARED_DATA", default)) / "rubin_alerts"
    return path if path.is_dir() else None


FOLDER = find_rubin_alerts()
if FOLDER is not None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a kept alert with a problem would be listed in errors
        alerts = read_alerts(FOLDER, variance=True)
    X, meta = alerts.data, alerts.meta
    reliability = np.ma.filled(np.ma.asarray(meta["reliability"], dtype=float), np.nan)
    print(f"{len(X)} Rubin alerts from {FOLDER}: stamps {X.shape}, nJy")
    schemas, counts = np.unique(meta["schema"], return_counts=True)
    print("schemas:", ", ".join(f"{s} x{c}" for s, c in zip(schemas, counts, strict=True)))
else:
    print("No real Rubin alerts found: simulated stamp sets stand in for them.")
    X, _, meta = make_stamps(60, survey="lsst", random_state=1, return_meta=True)
    reliability = np.full(len(X), np.nan)
sides = meta["cutout_shape"][:, 0, 0] if "cutout_shape" in meta.colnames else np.full(len(X), 30)
values, counts = np.unique(sides, return_counts=True)
print("cutout sides:", ", ".join(f"{v} px x{c}" for v, c in zip(values, counts, strict=True)))
shown = [c for c in skrb.io.SCORE_COLUMNS["lsst"] if c in meta.colnames] or meta.colnames[:6]
meta[shown][:5]

# %%
# Looking at them
# ---------------
# Each row: science, template and difference of one alert, in nJy (the template is a deep
# coadd, so it is much less noisy). NaN pixels (the padding around smaller cutouts, and pixels
# Rubin masked) are left blank. The title gives Rubin's ``reliability`` and the cutout size.

order = np.argsort(-np.nan_to_num(reliability, nan=-1.0))
picks = np.concatenate([order[:2], order[-2:]])
fig, axes = plt.subplots(len(picks), 3, figsize=(5.6, 1.9 * len(picks)))
for row, i in enumerate(picks):
    for col, panel in enumerate(skrb.PANELS):
        image = X[i, col]
        lo, hi = np.nanpercentile(image, [1, 99]) if np.isfinite(image).any() else (0, 1)
        axes[row, col].imshow(image, cmap="gray", vmin=lo, vmax=hi, origin="lower")
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
        if row == 0:
            axes[row, col].set_title(panel)
    axes[row, 0].set_ylabel(f"rel. {reliability[i]:.2f}\n{sides[i]} px", fontsize="small")
fig.suptitle("Highest (top) and lowest (bottom) Rubin reliability")
fig.tight_layout()

# %%
# A DIA model trained on simulated Rubin stamps
# ---------------------------------------------
# ``make_stamps(survey="lsst")`` draws 30 x 30 stamps at 0.2"/pixel, in nJy with the sky
# subtracted, with the noise and PSF width of the real alerts (see :ref:`data_rubin`). The
# paper's DIA CNN needs larger images than 30 pixels for its three pooling blocks, so a
# :class:`~skrb.preprocessing.StampResizer` pads every stamp to 51 pixels (the side of Rubin's
# own CNN) in front of the model's pipeline; the scaler then fills the padding. A small
# training set and a few epochs keep this example cheap.

X_sim, y_sim = make_stamps(2000, survey="lsst", random_state=0)
model = make_pipeline(
    StampResizer(size=51),
    skrb.make_dia_pipeline(epochs=5, batch_size=64, random_state=0, verbose=0),
)
model.fit(X_sim[:1600], y_sim[:1600])
p_sim = model.predict_proba(X_sim[1600:])[:, 1]
print(f"held-out simulated stamps: ROC AUC {roc_auc_score(y_sim[1600:], p_sim):.3f}")

# %%
# Scoring the real alerts
# -----------------------
# The real stamps are cropped to the model's 30-pixel input about their centre (as Rubin
# centres the source in each cutout), then padded to 51 by the model's own resizer, exactly
# as the training stamps were.

p_real = model.predict_proba(StampResizer(size=30).fit_transform(X))[:, 1]
print(f"P(real) finite for {np.isfinite(p_real).sum()} of {len(p_real)} alerts")

# %%
# Beside Rubin's ``reliability``
# ------------------------------
# ROC AUC of skrb's P(real) against ``reliability >= 0.5`` (Rubin's alert threshold), and the
# two scores against each other. Remember that ``reliability`` is not a label. Rubin's CNN and
# the paper's do not call the same things real: most alerts with a high ``reliability`` here are
# variable *stars*, a bright star in both science and template with a residual in the
# difference, often *negative* (the star fainter than in the template), whereas the paper's
# real candidates, and the simulator's, are new point sources, and a residual on a bright star
# is one of its bogus families (PSF mismatch, misregistration). The AUC is also given for the
# positive-flux alerts alone, and the brightness of the science image at the centre says which
# kind of source each group holds.

known = np.isfinite(reliability)
if known.sum() > 1 and 0 < (reliability[known] >= 0.5).sum() < known.sum():
    flux = np.asarray(meta["psfFlux"], dtype=float)
    label = reliability >= 0.5
    auc = roc_auc_score(label[known], p_real[known])
    positive = known & (flux > 0)
    auc_pos = roc_auc_score(label[positive], p_real[positive])
    print(
        f"ROC AUC against reliability >= 0.5: {auc:.2f} on all {known.sum()} alerts, "
        f"{auc_pos:.2f} on the {positive.sum()} with positive flux "
        f"({label[known].sum()} alerts at or above 0.5)"
    )
    c = X.shape[-1] // 2  # the cutouts' centre pixel
    centre = np.nansum(X[:, 0, c - 2 : c + 2, c - 2 : c + 2], axis=(1, 2))
    for name, group in (
        ("reliability >= 0.5", label & known),
        ("reliability < 0.5", ~label & known),
    ):
        print(
            f"{name}: {group.sum()} alerts, {np.mean(flux[group] < 0):.0%} negative, science "
            f"flux in the central 4x4 pixels {np.median(centre[group]):,.0f} nJy (median)"
        )
    fig, ax = plt.subplots(figsize=(5, 4.2))
    for mask, colour, name in (
        (flux > 0, "tab:blue", "psfFlux > 0"),
        (flux <= 0, "tab:red", "psfFlux <= 0"),
    ):
        ax.scatter(reliability[mask], p_real[mask], s=16, color=colour, label=name)
    ax.axvline(0.5, ls=":", color="k")
    ax.set_xlabel("Rubin reliability (a CNN's score, not a label)")
    ax.set_ylabel("skrb DIA P(real), trained on make_stamps(survey='lsst')")
    ax.set_title(f"{known.sum()} real Rubin alerts")
    ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
else:
    print("No reliability to compare with (simulated stand-ins).")

# %%
# What this shows: reading, resizing and scoring Rubin alerts take a few lines, and a model
# trained only on simulated Rubin stamps gives every alert a finite score. Its disagreement with
# ``reliability`` is one of definition: the authors' DES-trained DIA CNN, run on the same alerts
# with ``skrb score --resize lsst:des``, disagrees the same way (ROC AUC about 0.26), because
# what Rubin's CNN calls real here is mostly variable stars. A model meant for Rubin's stream
# needs Rubin training data with labels of the kind wanted. To score alerts from the command
# line, see ``skrb score`` in :doc:`/user_guide/command_line`.
