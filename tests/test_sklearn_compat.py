"""scikit-learn compatibility of every skrb estimator: THE place where the common checks run.

To add an estimator: append an instance to ``ESTIMATORS`` and, if some common checks cannot pass
for it, list them under its class name in ``EXPECTED_FAILURES`` with the reason. The checks then
run as expected failures, and the behaviour they test is covered by a stamp-set test below.
"""

import pickle
import re

import joblib
import numpy as np
import pytest
from _stamps import stamp_set
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skrb.models import (
    BraaiClassifier,
    DIAClassifier,
    NoDIAClassifier,
    NoDiffTransformerClassifier,
)
from skrb.preprocessing import StampResizer, StampScaler, StampStacker

_QUICK_CNN = dict(epochs=1, verbose=0, batch_size=16, validation_split=0.0)
ESTIMATORS = [
    # size 1: a centred crop of any stamp; ZTF -> Rubin pixels: 3 pixels of 0.2" inside any
    # ZTF pixel (the toy data of these checks include 1x1 stamps, whose padding would be NaN)
    StampResizer(size=1),
    StampResizer(size=3, pixel_scale="ztf", target_pixel_scale="lsst"),
    StampScaler(),
    StampStacker(),
    StampStacker("channels"),
    DIAClassifier(**_QUICK_CNN),
    NoDIAClassifier(**_QUICK_CNN),
    BraaiClassifier(**_QUICK_CNN),
    # One transformer (the triplet shares its code): two stages, the cheapest network to trace.
    NoDiffTransformerClassifier(
        preset="tiny", embed_dims=(8, 16), depths=(1, 1), num_heads=(1, 2), **_QUICK_CNN
    ),
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

# The CNN classifiers take StampStacker images or their flattened form, n_panels * H * H
# features with H large enough for the convolutions (>= 20 pixels): every check that fits on
# sklearn's toy data (1-30 features) fails on input validation with a clear ValueError. The
# behaviour each one tests is checked on images in tests/test_models.py (the test named).
_NOT_IMAGES = "the check's X is not CNN images (n_panels * H * H features, H >= 20); covered by {}"
_CNN_COVERED_BY = {
    "check_fit_score_takes_y": "test_fit_predict_and_model_contract",
    "check_estimators_overwrite_params": "test_fit_predict_and_model_contract",
    "check_dont_overwrite_parameters": "test_fit_predict_and_model_contract",
    "check_estimators_fit_returns_self": "the `fitted` fixture",
    "check_readonly_memmap_input": "test_input_forms_give_the_same_answer",
    "check_n_features_in_after_fitting": "test_errors_are_clear",
    "check_n_features_in": "test_input_shape_comes_from_the_data",
    "check_positive_only_tag_during_fit": "test_fit_predict_and_model_contract (normal noise)",
    "check_estimators_dtypes": "test_input_forms_give_the_same_answer",
    "check_dtype_object": "test_input_forms_give_the_same_answer",
    "check_sample_weights_pandas_series": "test_sample_weight_and_class_weight_are_used",
    "check_sample_weights_not_an_array": "test_sample_weight_and_class_weight_are_used",
    "check_sample_weights_list": "test_sample_weight_and_class_weight_are_used",
    "check_all_zero_sample_weights_error": "test_sample_weight_and_class_weight_are_used",
    "check_sample_weights_shape": "test_sample_weight_and_class_weight_are_used",
    "check_sample_weights_not_overwritten": "test_sample_weight_and_class_weight_are_used",
    "check_sample_weight_equivalence_on_dense_data": (
        "test_sample_weight_and_class_weight_are_used"
    ),
    "check_estimators_nan_inf": "test_errors_are_clear",
    "check_estimators_pickle": "test_pickle_and_keras_format_round_trip",
    "check_estimators_pickle(readonly_memmap=True)": "test_pickle_and_keras_format_round_trip",
    "check_f_contiguous_array_estimator": "test_input_forms_give_the_same_answer",
    "check_classifier_data_not_an_array": "test_input_forms_give_the_same_answer",
    "check_classifiers_one_label_sample_weights": "test_errors_are_clear",
    "check_classifiers_classes": "test_string_labels_and_column_order",
    "check_estimators_partial_fit_n_features": "test_errors_are_clear",
    "check_classifiers_train": "test_learns_the_blob",
    "check_classifiers_train(readonly_memmap=True)": "test_learns_the_blob",
    "check_classifiers_train(readonly_memmap=True,X_dtype=float32)": "test_learns_the_blob",
    "check_supervised_y_2d": "test_string_labels_and_column_order",
    "check_class_weight_classifiers": "test_sample_weight_and_class_weight_are_used",
    "check_dict_unchanged": "test_input_forms_give_the_same_answer",
    "check_fit_idempotent": "test_random_state_makes_fits_reproducible",
    "check_fit_check_is_fitted": "test_fit_predict_and_model_contract",
    "check_fit2d_predict1d": "test_errors_are_clear",
}
_CNN_FAILURES = {
    **{check: _NOT_IMAGES.format(test) for check, test in _CNN_COVERED_BY.items()},
    "check_estimator_tags_renamed": (
        "SciKeras 0.13's BaseWrapper defines the legacy _more_tags; skrb's subclass implements "
        "__sklearn_tags__, but the check inspects every class in the MRO"
    ),
    "check_mixin_order": (
        "SciKeras 0.13's KerasClassifier inherits (BaseWrapper, ClassifierMixin), i.e. the "
        "mixin after BaseEstimator; skrb's subclass sets the classifier tags itself"
    ),
}

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "StampResizer": _TRANSFORMER_FAILURES,
    "StampScaler": _TRANSFORMER_FAILURES,
    "StampStacker": _TRANSFORMER_FAILURES,
    "DIAClassifier": _CNN_FAILURES,
    "NoDIAClassifier": _CNN_FAILURES,
    "BraaiClassifier": _CNN_FAILURES,
    # The transformers take the same images through the same base class (StampKerasClassifier);
    # their behaviour on images is covered in tests/test_transformers.py and tests/test_models.py.
    "NoDiffTransformerClassifier": _CNN_FAILURES,
}
"""Estimator class name -> {common check name: why it cannot pass}."""


def _expected_failures(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda est: type(est).__name__)
def test_param_validation(estimator):
    """Every parameter has a constraint, checked (InvalidParameterError) before any work."""
    check_param_validation(type(estimator).__name__, clone(estimator))


# -- the expected failures' behaviour, on stamp sets ----------------------------------------------
TRANSFORMERS = [est for est in ESTIMATORS if hasattr(est, "transform")]


@pytest.fixture
def X(point_stamps):
    return point_stamps[0][:6] + np.float32(50.0)  # a new array: tests may write into it


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
def toy_stamp_sets():
    """A fresh copy of 24 7-pixel "point" stamp sets: only the difference tells real from bogus."""
    return stamp_set("point", n=24, size=7)


def test_scaler_then_stacker_pipeline():
    X, _ = toy_stamp_sets()
    pipe = Pipeline([("scaler", StampScaler()), ("stacker", StampStacker("dia"))])
    out = pipe.fit_transform(X)
    np.testing.assert_array_equal(out, StampStacker("dia").transform(StampScaler().transform(X)))
    assert out.shape == (len(X), 7, 21, 1)
    np.testing.assert_array_equal(pipe.transform(X.reshape(len(X), -1)), out)


def test_grid_search_tunes_scaling_and_layout():
    X, y = toy_stamp_sets()
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
    assert search.best_params_["stacker__layout"] == "dia"  # the source is only in the difference
    assert search.score(X.reshape(len(X), -1), y) == 1.0


def test_clone_and_joblib_round_trip(tmp_path):
    X, _ = toy_stamp_sets()
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


def test_every_expected_failure_names_a_test_that_exists():
    """Each "covered by X" of EXPECTED_FAILURES names a test function (or fixture) of tests/."""
    import ast
    from pathlib import Path

    defined = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        tree = ast.parse(path.read_text())
        defined |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    missing, uncovered = [], []
    for cls, failures in EXPECTED_FAILURES.items():
        for check, reason in failures.items():
            if "covered by" not in reason:
                continue
            covered = reason.split("covered by", 1)[1]
            names = re.findall(r"\btest_\w+", covered) + re.findall(r"`(\w+)` fixture", covered)
            if not names:
                uncovered.append(f"{cls}.{check}: {reason}")
            missing += [f"{cls}.{check} -> {n}" for n in names if n not in defined]
    assert not uncovered, "reasons naming no test:\n" + "\n".join(uncovered)
    assert not missing, "covered by tests that do not exist:\n" + "\n".join(missing)
