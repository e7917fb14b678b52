"""
=============================================
Scoring ZTF alerts with the braai checkpoint
=============================================

An alert broker receives ZTF alert packets and wants a real/bogus score for each. This reads
real packets with :func:`skrb.io.read_alerts`, scores them with braai's published ``d6_m7``
weights through :func:`skrb.make_braai_pipeline` (braai's own preprocessing: NaN to 0, each row
divided by its L2 norm, the three panels as channels), and checks the result against the
``drb`` score that ZTF stored in the alerts, which was computed by that same model.

It needs the alert packets and the checkpoint in ``../shared/data`` next to the repository (or
the folder named by ``SKRB_SHARED_DATA``). Where they are absent, the documentation shows this
script without running it, and running it by hand says what is missing.
"""

# %%
# Where the data are
# ------------------
# The alerts: 36 packets from 2020 and 2023 that carry braai's ``drb``, and 498 from one night
# of 2018 (before ``drb`` existed) that carry only ``rb``, ZTF's earlier random-forest score.
# Neither is a human label.

import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import skrb
from skrb.io import read_alerts


def find_shared_data() -> Path | None:
    """``$SKRB_SHARED_DATA``, else ``shared/data`` beside the skrb checkout, where present."""
    default = Path(skrb.__file__).resolve().parents[2] / "shared" / "data"
    path = Path(os.environ.get("SKRB_SHARED_DATA", default))
    if (path / "ztf_alerts").is_dir() and (path / "checkpoints" / "braai_d6_m7").is_dir():
        return path
    return None


DATA = find_shared_data()
if DATA is None:
    sys.exit("This example needs ../shared/data (ZTF alerts and the braai checkpoint); not found.")
ALERT_DIRS = [DATA / "ztf_alerts" / "kowalski", DATA / "ztf_alerts" / "fink-alert-simulator"]
CHECKPOINT = DATA / "checkpoints" / "braai_d6_m7"

# %%
# Reading the packets
# -------------------
# ``data`` holds the stamp sets, ``(n, 3, 63, 63)`` with NaN where ZTF masked pixels or a
# cutout near a CCD edge was smaller; ``meta`` one row per alert. ZTF marks some masked
# *template* pixels with the float32 sentinel -3.4e38 instead of NaN; by default the reader
# turns them into NaN too, which is what scaling needs. To reproduce ZTF's own ``drb`` exactly,
# ``masked_sentinel="keep"`` leaves them as ZTF's pipeline saw them.

alerts = read_alerts(ALERT_DIRS, masked_sentinel="keep")
X = alerts.data
print(
    f"{len(X)} alerts, stamp sets {X.shape}, {int(np.isnan(X).any(axis=(1, 2, 3)).sum())} with NaN"
)
alerts.meta["objectId", "candid", "fid", "magpsf", "rb", "drb"][:5]

# %%
# Scoring
# -------
# With ``checkpoint=`` the pipeline is ready to use without fitting. Column 1 of
# ``predict_proba`` is P(real), whatever the checkpoint's own class order.

braai = skrb.make_braai_pipeline(checkpoint=CHECKPOINT)
p_real = braai.predict_proba(X)[:, 1]
braai

# %%
# Against the alerts' own ``drb``
# -------------------------------
# The same weights, the same preprocessing and the same pixels should give back the score ZTF
# stored with each alert, up to float32 rounding.

drb = np.ma.filled(np.ma.asarray(alerts.meta["drb"], dtype=float), np.nan)
rb = np.ma.filled(np.ma.asarray(alerts.meta["rb"], dtype=float), np.nan)
has_drb = np.isfinite(drb)
diff = np.abs(p_real[has_drb] - drb[has_drb])
print(
    f"{has_drb.sum()} alerts with drb: |skrb - drb| median {np.median(diff):.2g}, "
    f"max {diff.max():.2g}; within 0.01 for {np.mean(diff < 0.01):.0%}"
)

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
axes[0].plot([0, 1], [0, 1], ":", color="k")
axes[0].scatter(drb[has_drb], p_real[has_drb], s=18)
axes[0].set_xlabel("drb stored in the alert")
axes[0].set_ylabel("skrb braai P(real)")
axes[0].set_title(f"Alerts with drb (n={has_drb.sum()})")
has_rb = np.isfinite(rb) & ~has_drb
axes[1].scatter(rb[has_rb], p_real[has_rb], s=8, alpha=0.6, color="tab:orange")
axes[1].set_xlabel("rb (ZTF random forest) stored in the alert")
axes[1].set_ylabel("skrb braai P(real)")
axes[1].set_title(f"2018 alerts, rb only (n={has_rb.sum()})")
for ax in axes:
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
fig.tight_layout()

# %%
# The two ends of the scale
# -------------------------
# The three panels of the alerts braai finds most and least real. Masked pixels are shown
# blank.

order = np.argsort(p_real)
picks = np.concatenate([order[-3:][::-1], order[:3]])
fig, axes = plt.subplots(len(picks), 3, figsize=(5.2, 1.8 * len(picks)))
for row, i in enumerate(picks):
    for col, panel in enumerate(skrb.PANELS):
        image = X[i, col]
        lo, hi = np.nanpercentile(image, [1, 99]) if np.isfinite(image).any() else (0, 1)
        axes[row, col].imshow(image, cmap="gray", vmin=lo, vmax=hi, origin="lower")
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
        if row == 0:
            axes[row, col].set_title(panel)
    axes[row, 0].set_ylabel(f"P(real)\n{p_real[i]:.3f}", fontsize="small")
fig.suptitle("Highest (top) and lowest (bottom) braai scores")
fig.tight_layout()

# %%
# For a stream, give ``predict_proba`` whole arrays of alerts: it runs a compiled TensorFlow
# function over them, batch by batch (see :doc:`/user_guide/performance`). ``skrb score`` does
# the same from the command line and writes a table of ``candid`` and P(real) (see
# :doc:`/user_guide/command_line`).
