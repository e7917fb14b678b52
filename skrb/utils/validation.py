"""Validation of stamp sets, CNN images and real/bogus labels, used by every skrb estimator.

A stamp set array has shape ``(n_samples, n_panels, H, W)``; the flattened form
``(n_samples, n_panels * H * W)`` (square stamps, ``H == W``) is accepted everywhere so that
plain scikit-learn tooling, which works on 2-D arrays, can pass stamp sets around.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from skrb._panels import PANELS

__all__ = [
    "check_binary_target",
    "check_finite",
    "check_images",
    "check_rates",
    "check_stamp_sets",
    "infer_stamp_shape",
    "stack_panels",
    "validate_stamp_sets",
]

_NAN_HINT = (
    "Masked pixels (NaN) must be filled before they reach a model: use "
    "skrb.preprocessing.StampScaler(nan_policy=...) first."
)


def infer_stamp_shape(n_features: int, n_panels: int = 3) -> tuple[int, int]:
    """Infer the square stamp size of flattened stamp sets.

    Parameters
    ----------
    n_features : int
        Number of columns of the flattened array, ``n_panels * H * W``.
    n_panels : int, default=3
        Number of panels per stamp set.

    Returns
    -------
    stamp_shape : tuple of int
        ``(H, W)`` with ``H == W``.

    Raises
    ------
    ValueError
        If ``n_features`` is not ``n_panels`` times a perfect square.

    Examples
    --------
    >>> from skrb.utils import infer_stamp_shape
    >>> infer_stamp_shape(3 * 51 * 51)
    (51, 51)
    """
    side = math.isqrt(n_features // n_panels) if n_features >= n_panels else 0
    if side == 0 or n_panels * side * side != n_features:
        raise ValueError(
            f"Flattened stamp sets must have n_panels * H * W = {n_panels} * H * H features "
            f"(square stamps); got {n_features} features. Pass the 4-D form "
            f"(n_samples, {n_panels}, H, W) for non-square stamps."
        )
    return side, side


def _reject_sparse(X: Any, name: str) -> None:
    if sp.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; skrb works on dense stamp arrays. "
            "Convert it with X.toarray() first."
        )


def check_finite(X: np.ndarray, *, allow_nan: bool, name: str, what: str = "stamp set") -> None:
    """Raise a ValueError naming the first offending sample (``what``) if ``X`` is not finite.

    Sums are a cheap filter (NaN and infinity propagate through them, and no full-size
    temporary is made); only the samples whose sum is not finite are checked exactly.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
        Samples of numbers.
    allow_nan : bool
        Whether NaN (a masked pixel) is accepted; infinity never is.
    name : str
        Name of ``X`` in the message.
    what : str, default="stamp set"
        What one sample is, in the message.

    Raises
    ------
    ValueError
        With the count of bad samples and the index of the first.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.utils.validation import check_finite
    >>> X = np.zeros((3, 2))
    >>> X[1, 0] = np.nan
    >>> check_finite(X, allow_nan=True, name="X")
    >>> check_finite(X, allow_nan=False, name="X")
    Traceback (most recent call last):
    ...
    ValueError: Input X contains NaN in 1 stamp set(s) (first at index 1). ...
    """
    flat = X.reshape(X.shape[0], -1)
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(flat.sum()):
            return
        suspect = np.flatnonzero(~np.isfinite(flat.sum(axis=1)))
    rows = flat[suspect]
    bad = suspect[np.isinf(rows).any(axis=1) if allow_nan else ~np.isfinite(rows).all(axis=1)]
    if bad.size == 0:  # only NaN where allowed, or finite sums that overflowed
        return
    if allow_nan:
        raise ValueError(
            f"{name} contains infinity in {bad.size} {what}(s) (first at index {bad[0]}); "
            "only NaN is accepted for masked pixels."
        )
    kind = "NaN" if np.isnan(flat[bad[0]]).any() else "infinity"
    raise ValueError(
        f"Input {name} contains {kind} in {bad.size} {what}(s) (first at index {bad[0]}). "
        + _NAN_HINT
    )


def check_images(
    X: Any, image_shape: Sequence[int], *, name: str = "X", hint: str = ""
) -> np.ndarray:
    """Validate a network's input images (or their flattened form) and return them as 4-D.

    The one check of the images a classifier (:mod:`skrb.models`) or an explainer
    (:mod:`skrb.explain`) is given: real numbers, at least one image, of the shape the network
    takes, finite (masked pixels must be filled before a network sees them).

    Parameters
    ----------
    X : array-like of shape (n_samples, H, W, C) or (n_samples, H * W * C)
        Images in the network's input layout (e.g. a :class:`~skrb.preprocessing.StampStacker`'s
        output), or flattened.
    image_shape : tuple of int
        ``(H, W, C)``, the shape of one image the network takes.
    name : str, default="X"
        Name of ``X`` in error messages.
    hint : str, default=""
        What to do about a wrong shape, appended to that message.

    Returns
    -------
    images : ndarray of shape (n_samples, H, W, C)
        C-contiguous float32 images (no copy when ``X`` is already one).

    Raises
    ------
    ValueError
        On values that are not real numbers, a shape other than ``image_shape`` (naming both),
        no image, or NaN or infinity (naming the first image holding one).
    TypeError
        On sparse input.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.utils.validation import check_images
    >>> check_images(np.zeros((2, 4 * 12 * 1)), (4, 12, 1)).shape
    (2, 4, 12, 1)
    >>> check_images(np.zeros((2, 4, 4, 3)), (4, 12, 1))
    Traceback (most recent call last):
    ...
    ValueError: X must be the classifier's input images of shape (n_samples, 4, 12, 1) or their \
flattened form (n_samples, 48); got shape (2, 4, 4, 3).
    """
    _reject_sparse(X, name)
    arr = np.asarray(X)
    if arr.dtype.kind == "O":  # numbers held as Python objects, as scikit-learn accepts them
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold real numbers; got dtype object.") from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers; got dtype {arr.dtype}.")
    image_shape = tuple(int(s) for s in image_shape)
    size = math.prod(image_shape)
    if arr.ndim == 2 and arr.shape[1] == size:
        arr = arr.reshape((arr.shape[0], *image_shape))
    elif arr.ndim != 4 or tuple(arr.shape[1:]) != image_shape:
        shown = ", ".join(map(str, image_shape))
        raise ValueError(
            f"{name} must be the classifier's input images of shape (n_samples, {shown}) or "
            f"their flattened form (n_samples, {size}); got shape {arr.shape}."
            + (f" {hint}" if hint else "")
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: found 0 images (shape {arr.shape}).")
    arr = arr.astype(np.float32, copy=False)
    check_finite(arr, allow_nan=False, name=name, what="image")
    return np.ascontiguousarray(arr)


def _as_4d_shape(
    X: Any, n_panels: int, stamp_shape: tuple[int, int] | None, name: str
) -> tuple[np.ndarray | Any, tuple[int, int, int] | None]:
    """Return a 2-D view (or the original 2-D object) and the per-sample panel shape."""
    _reject_sparse(X, name)
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        X = np.asarray(X)
        ndim = X.ndim
    if ndim == 4:
        X = np.asarray(X)
        if X.shape[1] != n_panels:
            raise ValueError(
                f"{name} must have shape (n_samples, {n_panels}, H, W) with panels "
                f"{PANELS[:n_panels] if n_panels <= 3 else n_panels}; got shape {X.shape} "
                f"({X.shape[1]} panels)."
            )
        return X.reshape(X.shape[0], int(np.prod(X.shape[1:]))), (n_panels, X.shape[2], X.shape[3])
    if ndim == 2:
        n_features = X.shape[1]
        if stamp_shape is not None and n_panels * stamp_shape[0] * stamp_shape[1] == n_features:
            return X, (n_panels, *stamp_shape)
        return X, None
    raise ValueError(
        f"{name} must be stamp sets of shape (n_samples, {n_panels}, H, W) or their flattened "
        f"form (n_samples, {n_panels} * H * W); got an array of shape {np.shape(X)} "
        f"({ndim} dimension(s))."
    )


def check_stamp_sets(
    X: Any,
    *,
    allow_nan: bool = False,
    n_panels: int = 3,
    stamp_shape: tuple[int, int] | None = None,
    dtype: Any = np.float32,
    name: str = "X",
) -> np.ndarray:
    """Validate stamp sets and return them as a 4-D array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_panels, H, W) or (n_samples, n_panels * H * W)
        Stamp sets, panels in the order of :data:`skrb.PANELS`. The flattened form must hold
        square stamps unless ``stamp_shape`` is given.
    allow_nan : bool, default=False
        Whether NaN (masked pixels) is accepted. Infinity never is.
    n_panels : int, default=3
        Number of panels per stamp set.
    stamp_shape : tuple of int, optional
        Expected ``(H, W)``; also used to unflatten non-square stamps.
    dtype : numpy dtype, default=np.float32
        Output dtype. No copy is made when ``X`` already has it.
    name : str, default="X"
        Name of the argument, used in error messages.

    Returns
    -------
    X : ndarray of shape (n_samples, n_panels, H, W)
        The validated stamp sets.

    Raises
    ------
    ValueError
        On a wrong number of dimensions or panels, an empty array, a stamp size other than
        ``stamp_shape``, or non-finite values where they are not allowed.
    TypeError
        On sparse input.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.utils import check_stamp_sets
    >>> check_stamp_sets(np.zeros((2, 3 * 5 * 5))).shape
    (2, 3, 5, 5)
    """
    X2, shape = _as_4d_shape(X, n_panels, stamp_shape, name)
    X2 = np.asarray(X2)
    if X2.dtype.kind not in "biuf":
        try:
            X2 = X2.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold numbers; got dtype {X2.dtype}.") from exc
    if X2.shape[0] == 0:
        raise ValueError(f"{name} is empty: found 0 stamp sets (shape {np.shape(X)}).")
    if shape is None:
        shape = (n_panels, *infer_stamp_shape(X2.shape[1], n_panels))
    if stamp_shape is not None and tuple(shape[1:]) != tuple(stamp_shape):
        raise ValueError(
            f"{name} holds {shape[1]}x{shape[2]} stamps; expected "
            f"{stamp_shape[0]}x{stamp_shape[1]}."
        )
    X2 = np.asarray(X2, dtype=dtype)
    check_finite(X2, allow_nan=allow_nan, name=name)
    return X2.reshape((X2.shape[0], *shape))


def validate_stamp_sets(
    estimator: Any,
    X: Any,
    *,
    reset: bool = True,
    allow_nan: bool = False,
    n_panels: int = 3,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Validate stamp sets for an estimator's ``fit``/``transform``/``predict``.

    Wraps :func:`sklearn.utils.validation.validate_data` (which records or checks
    ``n_features_in_`` and ``feature_names_in_`` on the flattened form) and additionally records
    or checks ``stamp_shape_``.

    Parameters
    ----------
    estimator : estimator instance
        The estimator validating its input.
    X : array-like of shape (n_samples, n_panels, H, W) or (n_samples, n_panels * H * W)
        Stamp sets.
    reset : bool, default=True
        Whether to record the input's shape (in ``fit``) rather than check it.
    allow_nan : bool, default=False
        Whether NaN pixels are accepted.
    n_panels : int, default=3
        Number of panels per stamp set.
    dtype : numpy dtype, default=np.float32
        Output dtype.

    Returns
    -------
    X : ndarray of shape (n_samples, n_panels, H, W)
        The validated stamp sets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from skrb.utils import validate_stamp_sets
    >>> est = BaseEstimator()
    >>> validate_stamp_sets(est, np.zeros((4, 3, 7, 7))).shape
    (4, 3, 7, 7)
    >>> est.stamp_shape_, est.n_features_in_
    ((7, 7), 147)
    """
    fitted_shape = None if reset else getattr(estimator, "stamp_shape_", None)
    X2, shape = _as_4d_shape(X, n_panels, fitted_shape, "X")
    name = type(estimator).__name__
    if shape is not None and fitted_shape is not None and tuple(shape[1:]) != fitted_shape:
        raise ValueError(
            f"X holds {shape[1]}x{shape[2]} stamps, but {name} was fitted on "
            f"{fitted_shape[0]}x{fitted_shape[1]} stamps."
        )
    X2 = validate_data(
        estimator,
        X2,
        reset=reset,
        dtype=[dtype, np.float64] if dtype is np.float32 else dtype,
        ensure_all_finite=False,
    )
    X2 = np.asarray(X2, dtype=dtype)
    if shape is None:
        shape = (n_panels, *infer_stamp_shape(X2.shape[1], n_panels))
    check_finite(X2, allow_nan=allow_nan, name="X")
    if reset:
        estimator.stamp_shape_ = (int(shape[1]), int(shape[2]))
    return X2.reshape((X2.shape[0], *shape))


def check_binary_target(
    y: Any, *, n_samples: int | None = None, zero_one: bool = False
) -> np.ndarray:
    """Validate real/bogus labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels: two distinct values (skrb's convention: ``1`` real, ``0`` bogus).
    n_samples : int, optional
        Number of stamp sets the labels must match.
    zero_one : bool, default=False
        Require the labels to be exactly ``0`` (bogus) and ``1`` (real), as the survey
        metrics do (they must know which class is real); the result is then an int array.

    Returns
    -------
    y : ndarray of shape (n_samples,)
        The labels as a 1-D array.

    Raises
    ------
    ValueError
        If ``y`` is empty, has missing values, continuous values, more than two classes, a
        single class, a length other than ``n_samples``, or (with ``zero_one``) labels other
        than 0 and 1.

    Examples
    --------
    >>> from skrb.utils import check_binary_target
    >>> check_binary_target([0, 1, 1, 0])
    array([0, 1, 1, 0])
    >>> check_binary_target([1.0, 0.0], zero_one=True)
    array([1, 0])
    """
    y = column_or_1d(y, warn=True)
    if y.size == 0:
        raise ValueError("y is empty: found 0 labels.")
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} labels but X has {n_samples} stamp sets.")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"y contains NaN ({int(np.isnan(y).sum())} labels missing).")
    kind = type_of_target(y, input_name="y")
    classes = np.unique(y)
    if kind not in ("binary", "multiclass") or classes.size > 2:
        shown = ", ".join(map(str, classes[:5])) + (" ..." if classes.size > 5 else "")
        raise ValueError(
            "Only binary classification is supported: real/bogus labels must be binary "
            "(1 = real, 0 = bogus); got target type "
            f"{kind!r} with {classes.size} distinct values: {shown}."
        )
    if classes.size < 2:
        raise ValueError(
            f"y holds a single class ({classes[0]!r}): with one class there is nothing to tell "
            "apart; a real/bogus classifier needs examples of both classes."
        )
    if zero_one:
        if not set(classes.tolist()) <= {0, 1}:
            raise ValueError(
                f"Labels must be 1 = real, 0 = bogus; got {', '.join(map(str, classes))}."
            )
        y = y.astype(int)
    return y


def stack_panels(
    search: Any, template: Any, difference: Any, *, dtype: Any = np.float32
) -> np.ndarray:
    """Stack separate search, template and difference cutouts into stamp sets.

    Parameters
    ----------
    search, template, difference : array-like of shape (n_samples, H, W) or (H, W)
        The three panels of each candidate.
    dtype : numpy dtype, default=np.float32
        Output dtype.

    Returns
    -------
    X : ndarray of shape (n_samples, 3, H, W)
        Stamp sets in the order of :data:`skrb.PANELS`.

    Raises
    ------
    ValueError
        If the panels' shapes differ ("mismatched panels") or are not 2-D/3-D.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.utils import stack_panels
    >>> stack_panels(np.ones((5, 5)), np.zeros((5, 5)), np.zeros((5, 5))).shape
    (1, 3, 5, 5)
    """
    arrays: Sequence[np.ndarray] = [
        np.asarray(a, dtype=dtype) for a in (search, template, difference)
    ]
    shapes = [a.shape for a in arrays]
    if len(set(shapes)) != 1:
        desc = ", ".join(f"{p} {s}" for p, s in zip(PANELS, shapes, strict=True))
        raise ValueError(f"Mismatched panels: every panel must have the same shape; got {desc}.")
    if arrays[0].ndim == 2:
        arrays = [a[np.newaxis] for a in arrays]
    elif arrays[0].ndim != 3:
        raise ValueError(
            f"Panels must have shape (n_samples, H, W) or (H, W); got shape {shapes[0]}."
        )
    if arrays[0].shape[0] == 0:
        raise ValueError("Panels are empty: found 0 stamps.")
    return np.stack(arrays, axis=1)


def check_rates(values: Iterable[float], *, name: str, caller: str) -> tuple[float, ...]:
    """Check a parameter holding several rates (e.g. FPR levels), each a number in [0, 1].

    Parameters
    ----------
    values : iterable of float
        The rates.
    name : str
        The parameter's name, for the message.
    caller : str
        The function or estimator the parameter belongs to, for the message.

    Returns
    -------
    rates : tuple of float
        The rates as floats, in the order given.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        If an entry is not a real number in [0, 1] (NaN included).

    Examples
    --------
    >>> from skrb.utils import check_rates
    >>> check_rates([0.01, 0.03], name="fpr_levels", caller="compare_models")
    (0.01, 0.03)
    >>> check_rates([3], name="fpr_levels", caller="compare_models")
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'fpr_levels' parameter of \
compare_models must be rates in [0, 1]. Got [3] instead.
    """
    values = list(values)
    ok = [
        isinstance(v, Real) and not isinstance(v, bool | np.bool_) and 0.0 <= float(v) <= 1.0
        for v in values
    ]
    if not all(ok):
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be rates in [0, 1]. Got {values!r} instead."
        )
    return tuple(float(v) for v in values)
