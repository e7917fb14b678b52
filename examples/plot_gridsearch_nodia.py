"""
==========================================
Searching the noDIA architecture
==========================================

Acero-Cuellar et al. (2023) note that their noDIA network "is not optimized for this input".
Its architecture is a set of constructor parameters of
:class:`~skrb.models.NoDIAClassifier`, so :class:`~sklearn.model_selection.GridSearchCV`
searches it like any other hyper-parameter, through the pipeline's ``classifier__`` prefix.

A small grid on simulated stamps keeps this to about a minute on a laptop CPU; the same code
searches a larger grid on real data.
"""

# %%
# Data and the pipeline
# ---------------------

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

import skrb
from skrb.datasets import make_stamps

X, y = make_stamps(600, survey="des", random_state=1)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
pipe = skrb.make_nodia_pipeline(
    optimizer="adam", learning_rate=1e-3, epochs=5, batch_size=32, random_state=0, verbose=0
)

# %%
# The knobs
# ---------
# ``get_params`` lists every parameter the search can reach; these are the architecture's.

architecture = ["filters", "kernel_size", "dropout", "dense_units"]
{name: pipe.get_params()[f"classifier__{name}"] for name in architecture}

# %%
# The search
# ----------
# Two choices for the convolution widths and two for the dense layer: four candidates, each
# cross-validated on the same three stratified folds and scored by ROC AUC. The best is refit
# on the whole training set.

param_grid = {
    "classifier__filters": [(1, 16, 32), (4, 16, 32)],
    "classifier__dense_units": [16, 64],
}
search = GridSearchCV(
    pipe,
    param_grid,
    scoring="roc_auc",
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
)
search.fit(X_train, y_train)

results = pd.DataFrame(search.cv_results_)
columns = ["param_classifier__filters", "param_classifier__dense_units"]
results[[*columns, "mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time"]]

# %%
# Scores of the grid
# ------------------
# The spread across folds (error bars) is as large as most differences between candidates:
# on a few hundred stamps, a grid search picks among near-ties, which is worth knowing before
# quoting the winner.

labels = [
    f"filters={f}\ndense={d}" for f, d in zip(results[columns[0]], results[columns[1]], strict=True)
]
order = np.argsort(results["mean_test_score"].to_numpy())
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.barh(
    np.arange(len(order)),
    results["mean_test_score"].to_numpy()[order],
    xerr=results["std_test_score"].to_numpy()[order],
    color="tab:blue",
    capsize=4,
)
ax.set_yticks(np.arange(len(order)), [labels[i] for i in order])
ax.set_xlabel("mean ROC AUC over 3 folds")
ax.set_xlim(max(0.0, results["mean_test_score"].min() - 0.1), 1.0)
ax.set_title("GridSearchCV over the noDIA architecture")
fig.tight_layout()

# %%
# The refit model on held-out data
# --------------------------------

print("best parameters:", search.best_params_)
print(f"held-out ROC AUC: {search.score(X_test, y_test):.3f}")
