"""make_dia_pipeline / make_nodia_pipeline / make_braai_pipeline on stamp sets."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skrb import make_braai_pipeline, make_dia_pipeline, make_nodia_pipeline
from skrb.models import BraaiClassifier, DIAClassifier, NoDIAClassifier
from skrb.preprocessing import StampScaler, StampStacker

QUICK = dict(epochs=1, verbose=0, batch_size=16)


@pytest.mark.parametrize(
    ("make", "cls", "layout", "method"),
    [
        (make_dia_pipeline, DIAClassifier, "dia", "acero2023"),
        (make_nodia_pipeline, NoDIAClassifier, "nodia", "acero2023"),
        (make_braai_pipeline, BraaiClassifier, "channels", "l2_rows"),
    ],
)
def test_pipeline_steps(make, cls, layout, method):
    pipe = make(epochs=3, dense_units=5)
    assert [name for name, _ in pipe.steps] == ["scaler", "stacker", "classifier"]
    scaler, stacker, clf = (step for _, step in pipe.steps)
    assert isinstance(scaler, StampScaler) and scaler.method == method
    assert isinstance(stacker, StampStacker) and stacker.layout == layout
    assert type(clf) is cls and clf.epochs == 3 and clf.dense_units == 5
    assert pipe.get_params()["classifier__dense_units"] == 5


def test_braai_pipeline_fills_nan_with_zero():
    scaler = make_braai_pipeline().named_steps["scaler"]
    assert scaler.nan_policy == "fill" and scaler.fill_value == 0.0


@pytest.mark.slow
def test_grid_search_on_simulated_stamps(simulated_stamps):
    X, y = simulated_stamps
    search = GridSearchCV(
        make_nodia_pipeline(random_state=0, validation_split=0.0, **QUICK),
        {"classifier__dense_units": [4, 8]},
        scoring="roc_auc",
        cv=3,
        error_score="raise",  # a failing fit fails the test (not a NaN score)
    ).fit(X, y)
    assert search.best_estimator_[-1].dense_units == search.best_params_["classifier__dense_units"]
    proba = search.predict_proba(X)
    assert proba.shape == (60, 2)
    # flattened stamp sets give the same answer
    np.testing.assert_array_equal(search.predict_proba(X.reshape(len(X), -1)), proba)


def test_checkpoint_pipeline_scores_without_fit(checkpoint_dir, simulated_stamps):
    X, y = (a[:20] for a in simulated_stamps)
    path = checkpoint_dir / "acero_cuellar_2023" / "model_checkpoint_AAD_3s3DH.h5"
    pipe = make_dia_pipeline(path, verbose=0)
    proba = pipe.predict_proba(X)
    assert proba.shape == (20, 2) and np.isfinite(proba).all()
    # Same as scaling and stacking by hand, then the classifier alone.
    images = StampStacker("dia").transform(StampScaler("acero2023").transform(X))
    np.testing.assert_allclose(proba, pipe.named_steps["classifier"].predict_proba(images))
    # A clone is an unfitted pipeline of the same design; warm_start fine-tunes the checkpoint.
    assert not hasattr(clone(pipe).named_steps["classifier"], "model_")
    tuned = make_dia_pipeline(path, warm_start=True, validation_split=0.0, **QUICK).fit(X, y)
    after = tuned.predict_proba(X)
    assert not np.array_equal(after, proba)
    assert np.abs(after - proba).max() < 0.5
