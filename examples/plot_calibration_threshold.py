"""
==============================================================
Calibrating scores and choosing a threshold at a target FPR
==============================================================

A real/bogus score goes into a pipeline as a cut: candidates above the threshold go on to
follow-up or to the alert stream. Surveys choose that cut by the false positive rate they can
afford (bogus candidates let through, over all bogus) and quote the missed detection rate they
get at it. Two separate questions follow:

1. *Is the score a probability?* A CNN's softmax output need not be: calibration maps it to
   one (:class:`~sklearn.calibration.CalibratedClassifierCV`), fitted on data the network did
   not train on.
2. *Where to cut?* The threshold that meets a target FPR is read off the ROC curve of held-out
   scores, then frozen into a classifier
   (:class:`~sklearn.model_selection.FixedThresholdClassifier`) and checked on a test set.

The data are simulated and the network is trained briefly, so this runs in about a minute on a
laptop CPU.
"""

# %%
# Three disjoint sets
# -------------------
# One to train the network, one to calibrate it and choose the threshold, one to check both.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, roc_curve
from sklearn.model_selection import FixedThresholdClassifier, train_test_split

import skrb
from skrb.datasets import make_stamps
from skrb.metrics import false_positive_rate, mdr_at_fpr, missed_detection_rate

X, y = make_stamps(1000, survey="des", random_state=2)
X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
X_cal, X_test, y_cal, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
)
print(f"train {len(y_train)}, calibration {len(y_cal)}, test {len(y_test)} stamp sets")

# %%
# Train, then calibrate the frozen model
# --------------------------------------
# :class:`~sklearn.frozen.FrozenEstimator` keeps the trained pipeline as it is while
# :class:`~sklearn.calibration.CalibratedClassifierCV` fits a map from its scores to probabilities
# on the calibration set. The sigmoid (Platt) map has two parameters and suits a calibration set
# of a few hundred stamps; the isotonic one is more flexible but needs more data, and on a few
# hundred stamps turns the scores into a staircase of tied values.

model = skrb.make_dia_pipeline(
    optimizer="adam", learning_rate=1e-3, epochs=6, batch_size=32, random_state=0, verbose=0
)
model.fit(X_train, y_train)
calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid")
calibrated.fit(X_cal, y_cal)

p_raw = model.predict_proba(X_test)[:, 1]
p_cal = calibrated.predict_proba(X_test)[:, 1]
print(
    f"Brier score on the test set: raw {brier_score_loss(y_test, p_raw):.4f}, "
    f"calibrated {brier_score_loss(y_test, p_cal):.4f}"
)

# %%
# A reliability diagram shows how far each score is from the fraction of real candidates among
# the test stamps that got it (the diagonal is perfect calibration).

fig, ax = plt.subplots(figsize=(4.5, 4.2))
ax.plot([0, 1], [0, 1], ":", color="k", label="perfectly calibrated")
for name, p in [("raw CNN score", p_raw), ("sigmoid calibration", p_cal)]:
    frac_real, mean_score = calibration_curve(y_test, p, n_bins=8, strategy="quantile")
    ax.plot(mean_score, frac_real, "o-", label=name)
ax.set_xlabel("mean predicted P(real)")
ax.set_ylabel("fraction real")
ax.set_title("Reliability on the test set")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# The threshold at a target FPR
# -----------------------------
# On the calibration set, the ROC curve gives the FPR and MDR of every threshold. The cut is
# the lowest threshold whose FPR stays within the target: it lets through the most real
# candidates at the FPR we can afford. With a few hundred bogus stamps an FPR of 3 % rests on
# a handful of them: real data sets need thousands to pin down a 1 % FPR.

target_fpr = 0.03
s_cal = calibrated.predict_proba(X_cal)[:, 1]
fpr, tpr, thresholds = roc_curve(y_cal, s_cal)
ok = np.flatnonzero(fpr <= target_fpr)
threshold = float(thresholds[ok[-1]])
print(f"threshold for FPR <= {target_fpr:.0%} on the calibration set: {threshold:.3f}")

# %%
# Frozen into a classifier and checked on the test set
# ----------------------------------------------------
# :class:`~sklearn.model_selection.FixedThresholdClassifier` turns the calibrated model and the
# threshold into one estimator whose ``predict`` applies the cut.

cut = FixedThresholdClassifier(FrozenEstimator(calibrated), threshold=threshold)
cut.fit(X_cal, y_cal)  # nothing is refit: the estimator is frozen
y_pred = cut.predict(X_test)
print(
    f"test FPR {false_positive_rate(y_test, y_pred):.3f} (target {target_fpr}), "
    f"MDR {missed_detection_rate(y_test, y_pred):.3f}"
)
print(
    f"for comparison, MDR at {target_fpr:.0%} FPR read off the test set's own ROC curve: "
    f"{mdr_at_fpr(y_test, p_cal, fpr=target_fpr):.3f}"
)

# %%
# The trade-off around the chosen cut: FPR falls and MDR rises as the threshold goes up. The
# test set's curves (dashed) follow the calibration set's (solid) within the noise of a few
# hundred stamps.

grid = np.linspace(0, 1, 201)
fig, ax = plt.subplots(figsize=(6, 4.6))
for name, (yy, ss), style in [
    ("calibration", (y_cal, s_cal), "-"),
    ("test", (y_test, p_cal), "--"),
]:
    rates_fpr = [np.mean(ss[yy == 0] >= t) for t in grid]
    rates_mdr = [np.mean(ss[yy == 1] < t) for t in grid]
    ax.plot(grid, rates_fpr, style, color="tab:red", label=f"FPR ({name})")
    ax.plot(grid, rates_mdr, style, color="tab:blue", label=f"MDR ({name})")
ax.axhline(target_fpr, color="tab:red", lw=0.8, alpha=0.6)
ax.axvline(threshold, color="k", lw=1, label=f"chosen cut {threshold:.2f}")
ax.set_xlabel("threshold on calibrated P(real)")
ax.set_ylabel("rate")
ax.set_ylim(0, 0.3)
ax.legend(ncol=3, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18))
ax.set_title(f"Choosing the cut for FPR <= {target_fpr:.0%}")
fig.tight_layout()

# %%
# The sigmoid map is strictly increasing, so calibration changes what the scores *mean*, not
# their order: the ROC curve, and so the MDR at a given FPR, stay the same. Calibrate when the
# number itself is used (ranking alerts across models, combining scores, quoting P(real));
# choose the threshold by FPR in either case. A calibration set drawn with the class mix of the
# stream (mostly bogus) gives probabilities for that mix; a balanced one, like this, for a
# balanced one.
