"""The CNN classifiers are scikit-learn classifiers: tags, CV, scoring, calibration.

sklearn's common checks run over them in tests/test_sklearn_compat.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_validate

from skrb.models import BraaiClassifier, DIAClassifier, NoDIAClassifier
from skrb.preprocessing import StampStacker

QUICK = dict(epochs=1, verbose=0, batch_size=16, validation_split=0.0)


@pytest.fixture(scope="module")
def nodia_images(nodia_stamps):
    X, y = nodia_stamps
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
def test_cross_validate_with_roc_auc(nodia_images):
    X, y = nodia_images
    result = cross_validate(
        NoDIAClassifier(random_state=0, **QUICK),
        X,
        y,
        cv=3,
        scoring="roc_auc",
        return_estimator=True,
        return_indices=True,
    )
    # sklearn's scorer reads P(real) from the right column: each fold's AUC is that of the
    # fold's own model computed by hand (a swapped column would give 1 - AUC).
    folds = zip(result["estimator"], result["indices"]["test"], strict=True)
    expected = [roc_auc_score(y[test], est.predict_proba(X[test])[:, 1]) for est, test in folds]
    np.testing.assert_allclose(result["test_score"], expected, rtol=1e-12)


def test_calibrated_classifier_cv(nodia_images):
    X, y = nodia_images
    cal = CalibratedClassifierCV(NoDIAClassifier(random_state=0, **QUICK), cv=2).fit(X, y)
    proba = cal.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_array_equal(cal.classes_, [0, 1])


@pytest.mark.slow
def test_grid_search_over_architecture_knobs(nodia_images):
    X, y = nodia_images
    search = GridSearchCV(
        NoDIAClassifier(random_state=0, **QUICK),
        {"dense_units": [4, 8]},
        scoring="roc_auc",
        cv=2,
        error_score="raise",  # a failing fit fails the test (not a NaN score)
    ).fit(X, y)
    assert search.cv_results_["param_dense_units"].tolist() == [4, 8]
    assert (
        search.best_estimator_.model_.get_layer("dense").units == search.best_params_["dense_units"]
    )
