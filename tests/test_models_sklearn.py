"""The CNN classifiers are scikit-learn classifiers: tags, CV, scoring, calibration.

sklearn's common checks run over them in tests/test_sklearn_compat.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from _stamps import blob_stamps
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_val_score

from skrb.models import BraaiClassifier, DIAClassifier, NoDIAClassifier
from skrb.preprocessing import StampStacker

QUICK = dict(epochs=1, verbose=0, batch_size=16, validation_split=0.0)


def nodia_images(n=30, seed=0):
    X, y = blob_stamps(n, 26, seed=seed)
    return StampStacker("nodia").transform(X), y


@pytest.mark.parametrize("cls", [DIAClassifier, NoDIAClassifier, BraaiClassifier])
def test_recognised_as_binary_classifiers(cls):
    clf = cls()
    assert is_classifier(clf)
    tags = clf.__sklearn_tags__()
    assert tags.estimator_type == "classifier"
    assert tags.classifier_tags.multi_class is False
    assert isinstance(
        check_cv(3, np.arange(10) % 2, classifier=is_classifier(clf)), StratifiedKFold
    )


def test_clone_keeps_every_parameter():
    clf = NoDIAClassifier(filters=(2, 4, 8), dropout=0.1, epochs=3, optimizer__momentum=0.9)
    params = clone(clf).get_params()
    assert params == clf.get_params()
    assert params["filters"] == (2, 4, 8) and params["optimizer__momentum"] == 0.9


@pytest.mark.slow
def test_cross_val_score_with_roc_auc():
    X, y = nodia_images()
    scores = cross_val_score(
        NoDIAClassifier(random_state=0, **QUICK), X, y, cv=3, scoring="roc_auc"
    )
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert ((scores >= 0) & (scores <= 1)).all()


def test_calibrated_classifier_cv():
    X, y = nodia_images()
    cal = CalibratedClassifierCV(NoDIAClassifier(random_state=0, **QUICK), cv=2).fit(X, y)
    proba = cal.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_array_equal(cal.classes_, [0, 1])


@pytest.mark.slow
def test_grid_search_over_architecture_knobs():
    X, y = nodia_images()
    search = GridSearchCV(
        NoDIAClassifier(random_state=0, **QUICK),
        {"dense_units": [4, 8]},
        scoring="roc_auc",
        cv=2,
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert (
        search.best_estimator_.model_.get_layer("dense").units == search.best_params_["dense_units"]
    )
