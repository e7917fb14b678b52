"""
=========================================================
Simulated stamp sets, family by family, next to real ZTF
=========================================================

:func:`skrb.datasets.make_stamps` simulates the search, template and difference stamps of
transient candidates the way a survey makes them (see :ref:`data_simulator`). This example
shows one simulated stamp set of each kind, a real transient and the seven bogus families,
for the DES and ZTF presets, and puts simulated ZTF stamps next to real ZTF alert cutouts read
with :func:`skrb.io.read_alerts` (where the alert packets in ``../shared/data`` are present;
the real row is left out otherwise).
"""

# %%
# Simulate
# --------
# ``return_meta=True`` adds a table that says what each stamp set is: its ``artifact`` family
# (``"none"`` for real transients), signal-to-noise, seeing and the DIA parameters applied.

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skrb import PANELS
from skrb.datasets import ARTIFACTS, make_stamps

X_des, y_des, meta_des = make_stamps(300, survey="des", random_state=0, return_meta=True)
X_ztf, y_ztf, meta_ztf = make_stamps(300, survey="ztf", random_state=0, return_meta=True)
print(meta_des["artifact", "snr", "seeing_search", "seeing_template", "host"][:6])


def show_columns(axes, stamps, titles):
    """Draw stamp sets as columns (rows: search, template, difference), each panel scaled
    from its median - 3 sigma to median + 10 sigma (robust sigma), NaN shown in blue."""
    cmap = plt.get_cmap("gray").with_extremes(bad="tab:blue")
    for col, (stamp, title) in enumerate(zip(stamps, titles, strict=True)):
        for row, panel in enumerate(stamp):
            med = np.nanmedian(panel)
            sigma = 1.4826 * np.nanmedian(np.abs(panel - med)) or 1.0
            ax = axes[row, col]
            low, high = med - 3 * sigma, med + 10 * sigma
            ax.imshow(np.clip(panel, low, high), cmap=cmap, vmin=low, vmax=high, origin="lower")
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(PANELS[row], fontsize=8)
        axes[0, col].set_title(title, fontsize=8)


def one_of_each(meta):
    """Index of one stamp set of each kind: a real one on a host, one without, then each family."""
    real = np.flatnonzero(meta["artifact"] == "none")
    picks = [real[meta["host"][real]][0], real[~meta["host"][real]][0]]
    picks += [int(np.flatnonzero(meta["artifact"] == family)[0]) for family in ARTIFACTS]
    titles = ["real, on host", "real"] + [family.replace("_", " ") for family in ARTIFACTS]
    return picks, titles


# %%
# One of each kind
# ----------------
# Real transients are point sources in the search exposure only. Misregistered and
# PSF-mismatched stars leave dipoles and rings in the difference; cosmic rays and hot pixels
# are sharper than the PSF and absent from the template; saturated stars bleed along columns;
# the part of a stamp off the chip is masked (NaN, blue).

for name, X, meta in (("DES", X_des, meta_des), ("ZTF", X_ztf, meta_ztf)):
    picks, titles = one_of_each(meta)
    fig, axes = plt.subplots(3, len(picks), figsize=(1.5 * len(picks), 5), squeeze=False)
    show_columns(axes, X[picks], titles)
    fig.suptitle(f"Simulated {name} stamp sets (make_stamps(survey={name.lower()!r}))")
    fig.tight_layout()

# %%
# Simulated next to real ZTF alerts
# ---------------------------------
# The real cutouts come from ZTF alert packets; their labels are unknown, so they are shown
# with braai's score stored in the alert (``drb``) or ZTF's older random-forest score
# (``rb``). The simulated ZTF sky, noise and template depth were calibrated on these cutouts.


def find_alerts() -> Path | None:
    """``$SKRB_SHARED_DATA/ztf_alerts``, else ``shared/data/ztf_alerts`` beside the repo."""
    here = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
    env = os.environ.get("SKRB_SHARED_DATA")
    beside_repo = [here.parent.parent, Path.cwd().parent, Path.cwd().parent.parent]
    roots = [Path(env)] if env else [folder / "shared" / "data" for folder in beside_repo]
    for root in roots:
        if (root / "ztf_alerts").is_dir():
            return (root / "ztf_alerts").resolve()
    return None


sim_real = np.flatnonzero(y_ztf == 1)[:4]
sim_bogus = np.flatnonzero(y_ztf == 0)[:4]
stamps = [X_ztf[i] for i in (*sim_real, *sim_bogus)]
titles = [f"sim real\nSNR {meta_ztf['snr'][i]:.0f}" for i in sim_real]
titles += [f"sim {meta_ztf['artifact'][i]}".replace("_", " ") for i in sim_bogus]

alerts_dir = find_alerts()
if alerts_dir is None:
    print("../shared/data/ztf_alerts is absent: showing simulated stamps only.")
else:
    from skrb.io import read_alerts

    alerts = read_alerts(alerts_dir / "kowalski")
    score = np.asarray(alerts.meta["drb"].filled(np.nan), dtype=float)
    order = np.argsort(score)
    for i in (*order[-3:], *order[:3]):
        stamps.append(alerts.data[i])
        titles.append(f"ZTF alert\ndrb {score[i]:.2f}")

fig, axes = plt.subplots(3, len(stamps), figsize=(1.5 * len(stamps), 5), squeeze=False)
show_columns(axes, stamps, titles)
fig.suptitle("Simulated ZTF stamp sets (left) and real ZTF alert cutouts (right)")
fig.tight_layout()
plt.show()
