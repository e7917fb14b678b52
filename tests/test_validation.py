import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import BaseEstimator

import skrb
from skrb.utils import (
    check_binary_target,
    check_stamp_sets,
    infer_stamp_shape,
    stack_panels,
    validate_stamp_sets,
)


def test_panels_order():
    assert skrb.PANELS == ("search", "template", "difference")


@given(n=st.integers(1, 5), side=st.integers(1, 12))
def test_flattened_and_4d_forms_agree(n, side):
    X = np.arange(n * 3 * side * side, dtype=np.float32).reshape(n, 3, side, side)
    out = check_stamp_sets(X.reshape(n, -1))
    assert out.shape == (n, 3, side, side)
    np.testing.assert_array_equal(out, X)


@given(n_features=st.integers(1, 3000))
def test_infer_stamp_shape_only_accepts_three_squares(n_features):
    side = int(round((n_features / 3) ** 0.5))
    if 3 * side * side == n_features and side > 0:
        assert infer_stamp_shape(n_features) == (side, side)
    else:
        with pytest.raises(ValueError, match="square stamps"):
            infer_stamp_shape(n_features)


def test_no_copy_for_float32():
    X = np.zeros((2, 3, 4, 4), dtype=np.float32)
    assert np.shares_memory(check_stamp_sets(X), X)


@pytest.mark.parametrize(
    "shape, match",
    [((3, 4, 4), "3 dimension"), ((2, 2, 4, 4), "2 panels"), ((2, 10), "square stamps")],
)
def test_wrong_shapes(shape, match):
    with pytest.raises(ValueError, match=match):
        check_stamp_sets(np.zeros(shape))


def test_empty_input():
    with pytest.raises(ValueError, match="empty"):
        check_stamp_sets(np.zeros((0, 3, 4, 4)))


def test_nan_policy_and_inf():
    X = np.zeros((3, 3, 4, 4))
    X[1, 2, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN in 1 stamp set.*index 1"):
        check_stamp_sets(X)
    assert np.isnan(check_stamp_sets(X, allow_nan=True)).sum() == 1
    X[2, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        check_stamp_sets(X, allow_nan=True)


def test_sparse_rejected():
    with pytest.raises(TypeError, match="sparse"):
        check_stamp_sets(sp.csr_matrix(np.zeros((2, 12))))


def test_stamp_shape_mismatch():
    with pytest.raises(ValueError, match="63x63 stamps; expected 51x51"):
        check_stamp_sets(np.zeros((1, 3, 63, 63)), stamp_shape=(51, 51))


def test_validate_stamp_sets_records_and_checks_shape():
    est = BaseEstimator()
    validate_stamp_sets(est, np.zeros((2, 3, 5, 7)))
    assert est.stamp_shape_ == (5, 7)
    assert est.n_features_in_ == 105
    # non-square stamps unflatten through the fitted shape
    assert validate_stamp_sets(est, np.zeros((2, 105)), reset=False).shape == (2, 3, 5, 7)
    with pytest.raises(ValueError, match="fitted on 5x7"):
        validate_stamp_sets(est, np.zeros((2, 3, 7, 5)), reset=False)


def test_check_binary_target():
    np.testing.assert_array_equal(check_binary_target([1, 0, 1]), [1, 0, 1])
    with pytest.raises(ValueError, match="single class"):
        check_binary_target([1, 1, 1])
    with pytest.raises(ValueError, match="binary"):
        check_binary_target([0, 1, 2])
    with pytest.raises(ValueError, match="binary"):
        check_binary_target([0.1, 0.5, 0.7])
    with pytest.raises(ValueError, match="NaN"):
        check_binary_target([0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="2 labels but X has 3"):
        check_binary_target([0, 1], n_samples=3)
    with pytest.raises(ValueError, match="empty"):
        check_binary_target([])


def test_stack_panels():
    s = np.ones((2, 5, 5))
    X = stack_panels(s, 2 * s, 3 * s)
    assert X.shape == (2, 3, 5, 5) and X.dtype == np.float32
    np.testing.assert_array_equal(X[:, 2], 3)
    with pytest.raises(ValueError, match="Mismatched panels"):
        stack_panels(s, np.ones((2, 6, 6)), s)


def test_zero_one_labels_are_required_when_asked():
    assert check_binary_target(np.array([1.0, 0.0, 1.0]), zero_one=True).dtype.kind == "i"
    with pytest.raises(ValueError, match="1 = real, 0 = bogus; got 1, 2"):
        check_binary_target([1, 2, 1], zero_one=True)
    assert check_binary_target([1, 2, 1]).tolist() == [1, 2, 1]
