"""scikit-learn compatibility of every skrb estimator: THE place where the common checks run.

To add an estimator: append an instance to ``ESTIMATORS`` and, if some common checks cannot pass
for it, list them under its class name in ``EXPECTED_FAILURES`` with the reason. The checks then
run as expected failures, and the behaviour they test is covered by a stamp-set test below.
"""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from skrb.preprocessing import StampScaler, StampStacker

ESTIMATORS = [
    StampScaler(),
    StampStacker(),
    StampStacker("channels"),
]

# Stamp-set estimators accept (n, 3, H, W) or (n, 3 * H * W) with square stamps only. These
# common checks build 2-D data of 1, 2, 4, 5 or 10 features, which skrb rejects with a clear
# ValueError ("Flattened stamp sets must have n_panels * H * W = 3 * H * H features"); the
# behaviour each one tests is checked on stamp sets in this module (see the test named).
_NOT_STAMP_SETS = "the check's X has {} features, not 3 * H * H (stamp sets); covered by {}"
_TRANSFORMER_FAILURES = {
    "check_estimators_dtypes": _NOT_STAMP_SETS.format(5, "test_input_dtypes"),
    "check_dtype_object": _NOT_STAMP_SETS.format(10, "test_input_dtypes"),
    "check_estimators_fit_returns_self": _NOT_STAMP_SETS.format(2, "test_fit_returns_self"),
    "check_estimators_overwrite_params": _NOT_STAMP_SETS.format(
        2, "test_fit_leaves_parameters_alone"
    ),
    "check_readonly_memmap_input": _NOT_STAMP_SETS.format(2, "test_readonly_memmap_input"),
    "check_n_features_in_after_fitting": _NOT_STAMP_SETS.format(
        4, "test_n_features_in_and_shape_mismatch"
    ),
    "check_n_features_in": _NOT_STAMP_SETS.format(2, "test_n_features_in_and_shape_mismatch"),
    "check_positive_only_tag_during_fit": _NOT_STAMP_SETS.format(
        4, "test_negative_values_are_accepted"
    ),
    "check_transformers_unfitted_stateless": _NOT_STAMP_SETS.format(
        5, "test_stateless_transform_without_fit"
    ),
    "check_fit2d_1sample": _NOT_STAMP_SETS.format(10, "test_one_stamp_set"),
    "check_fit2d_1feature": _NOT_STAMP_SETS.format(1, "test_one_pixel_stamps"),
    "check_fit_idempotent": _NOT_STAMP_SETS.format(2, "test_fit_idempotent"),
    "check_fit_check_is_fitted": _NOT_STAMP_SETS.format(2, "test_stateless_transform_without_fit"),
    "check_fit2d_predict1d": _NOT_STAMP_SETS.format(2, "test_one_dimensional_input_is_rejected"),
}

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "StampScaler": _TRANSFORMER_FAILURES,
    "StampStacker": _TRANSFORMER_FAILURES,
}
"""Estimator class name -> {common check name: why it cannot pass}."""


def _expected_failures(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


# -- the expected failures' behaviour, on stamp sets ----------------------------------------------
TRANSFORMERS = [est for est in ESTIMATORS if hasattr(est, "transform")]


@pytest.fixture
def X(rng):
    return rng.normal(50.0, 3.0, size=(6, 3, 5, 5)).astype(np.float32)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_fit_returns_self(estimator, X):
    est = clone(estimator)
    assert est.fit(X) is est
    assert est.fit(X, np.arange(len(X)) % 2) is est  # y is accepted and ignored


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_fit_leaves_parameters_alone(estimator, X):
    est = clone(estimator)
    before = pickle.dumps(est.get_params())
    est.fit(X)
    est.transform(X)
    assert pickle.dumps(est.get_params()) == before


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_input_dtypes(estimator, X):
    expected = clone(estimator).fit_transform(X)
    for Xt in (X.astype(np.float64), X.astype(object)):
        np.testing.assert_allclose(clone(estimator).fit_transform(Xt), expected, rtol=1e-6)
    Xi = np.round(X).astype(np.int64)
    out = clone(estimator).fit_transform(Xi)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, clone(estimator).fit_transform(Xi.astype(np.float32)))


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_readonly_memmap_input(estimator, X, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X)
    Xm = np.load(path, mmap_mode="r")
    assert not Xm.flags.writeable
    np.testing.assert_array_equal(
        clone(estimator).fit_transform(Xm), clone(estimator).fit_transform(X)
    )


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_n_features_in_and_shape_mismatch(estimator, X, rng):
    est = clone(estimator).fit(X.reshape(len(X), -1))
    assert est.n_features_in_ == 75 and est.stamp_shape_ == (5, 5)
    with pytest.raises(ValueError, match="X has 108 features, but .* is expecting 75"):
        est.transform(rng.normal(size=(2, 108)))
    with pytest.raises(ValueError, match="fitted on 5x5 stamps"):
        est.transform(rng.normal(size=(2, 3, 6, 6)))


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_negative_values_are_accepted(estimator, X):
    out = clone(estimator).fit_transform(X - 1000.0)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_stateless_transform_without_fit(estimator, X):
    assert estimator.__sklearn_tags__().requires_fit is False
    unfitted = clone(estimator)
    out = unfitted.transform(X)
    assert not hasattr(unfitted, "n_features_in_")
    np.testing.assert_array_equal(out, clone(estimator).fit(X).transform(X))


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_one_stamp_set(estimator, X):
    np.testing.assert_array_equal(
        clone(estimator).fit_transform(X[:1]), clone(estimator).fit_transform(X)[:1]
    )


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_one_pixel_stamps(estimator, rng):
    X = rng.normal(size=(4, 3))  # flattened 1x1 stamps
    out = clone(estimator).fit_transform(X)
    assert out.shape[0] == 4 and np.isfinite(out).all()


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_fit_idempotent(estimator, X, rng):
    est = clone(estimator).fit(X)
    first = est.transform(X)
    est.fit(rng.normal(size=X.shape)).fit(X)
    np.testing.assert_array_equal(est.transform(X), first)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=repr)
def test_one_dimensional_input_is_rejected(estimator, X):
    est = clone(estimator).fit(X)
    with pytest.raises(ValueError, match="1 dimension"):
        est.transform(X.reshape(-1))


# -- composition: Pipeline, GridSearchCV, clone, joblib -------------------------------------------
def toy_stamp_sets(rng, n=24, side=7):
    """Real: a point source in the difference; bogus: a dipole. Only the difference differs."""
    X = rng.normal(100.0, 5.0, size=(n, 3, side, side)).astype(np.float32)
    X[:, 2] -= 100.0
    y = np.arange(n) % 2
    c = side // 2
    X[y == 1, 2, c, c] += 80.0
    X[y == 0, 2, c, c - 1] += 60.0
    X[y == 0, 2, c, c + 1] -= 60.0
    return X, y


def test_scaler_then_stacker_pipeline(rng):
    X, _ = toy_stamp_sets(rng)
    pipe = Pipeline([("scaler", StampScaler()), ("stacker", StampStacker("dia"))])
    out = pipe.fit_transform(X)
    np.testing.assert_array_equal(out, StampStacker("dia").transform(StampScaler().transform(X)))
    assert out.shape == (len(X), 7, 21, 1)
    np.testing.assert_array_equal(pipe.transform(X.reshape(len(X), -1)), out)


def test_grid_search_tunes_scaling_and_layout(rng):
    X, y = toy_stamp_sets(rng)
    pipe = Pipeline(
        [
            ("scaler", StampScaler()),
            ("stacker", StampStacker()),
            ("flatten", FunctionTransformer(lambda Z: Z.reshape(len(Z), -1))),
            ("classifier", LogisticRegression(max_iter=200)),
        ]
    )
    grid = {"scaler__method": ["acero2023", "l2"], "stacker__layout": ["dia", "nodia"]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X.reshape(len(X), -1), y)
    assert set(search.cv_results_["param_stacker__layout"]) == {"dia", "nodia"}
    assert search.best_params_["stacker__layout"] == "dia"  # the dipole is only in the difference
    assert search.score(X.reshape(len(X), -1), y) == 1.0


def test_clone_and_joblib_round_trip(rng, tmp_path):
    X, _ = toy_stamp_sets(rng)
    pipe = make_pipeline(
        StampScaler("autoscan", nan_policy="fill", fill_value=-1.0),
        StampStacker("horizontal", panels=("template", "difference")),
    ).fit(X)
    cloned = clone(pipe)
    assert cloned.get_params()["stampscaler__fill_value"] == -1.0
    assert not hasattr(cloned.steps[0][1], "n_features_in_")
    X[0, 0, 0, 0] = np.nan
    expected = pipe.transform(X)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    restored = joblib.load(tmp_path / "pipe.joblib")
    np.testing.assert_array_equal(restored.transform(X), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(pipe)).transform(X), expected)
    np.testing.assert_array_equal(cloned.fit_transform(X), expected)
