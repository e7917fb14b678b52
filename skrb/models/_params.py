"""Parameter constraints of the network classifiers, checked before any work (the scikit-learn way).

:data:`TRAINING_PARAMETER_CONSTRAINTS` covers the parameters every network classifier shares
(training, prediction, and SciKeras' that skrb passes on); :data:`CNN_PARAMETER_CONSTRAINTS` and
:data:`TRANSFORMER_PARAMETER_CONSTRAINTS` add each family's architecture. They are the classes'
``_parameter_constraints``, validated by scikit-learn's ``_validate_params`` at the start of
``fit``, ``partial_fit`` and ``initialize``. :func:`check_class_weight` and
:func:`check_per_block_params` add the rules a constraint cannot say (non-negative class weights;
every entry of a CNN's per-block sequence and the sequences' lengths), with the same
:class:`~sklearn.utils._param_validation.InvalidParameterError` and message form.

Other estimators follow the same convention: a ``_parameter_constraints`` class attribute naming
*every* constructor parameter (``"no_validation"`` where any value goes), validated before the
first line of work; scikit-learn's ``check_param_validation`` runs on each of them in
``tests/test_sklearn_compat.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import keras
import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)

__all__ = [
    "CNN_PARAMETER_CONSTRAINTS",
    "TRAINING_PARAMETER_CONSTRAINTS",
    "TRANSFORMER_PARAMETER_CONSTRAINTS",
    "check_class_weight",
    "check_per_block_params",
]

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_RATE = Interval(Real, 0, 1, closed="left")

TRAINING_PARAMETER_CONSTRAINTS: dict[str, list[Any]] = {
    "dtype_policy": [str, keras.DTypePolicy, None],
    "augment": ["boolean"],
    # training
    "optimizer": [str, type, keras.optimizers.Optimizer],
    "learning_rate": [Interval(Real, 0, None, closed="left"), None],  # 0 freezes the weights
    "loss": [str, callable],
    "batch_size": [_POSITIVE_INT],
    "validation_batch_size": [_POSITIVE_INT, None],
    "epochs": [_POSITIVE_INT],
    "early_stopping": ["boolean"],
    "patience": [Interval(Integral, 0, None, closed="left")],
    "validation_split": [_RATE],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "callbacks": [list, tuple, None],
    "metrics": [list, tuple, dict, None],
    "warm_start": ["boolean"],
    "shuffle": ["boolean"],
    "run_eagerly": ["boolean"],
    "random_state": ["random_state"],
    "deterministic": ["boolean"],
    "verbose": ["verbose", StrOptions({"auto"})],
    # prediction
    "predict_batch_size": [_POSITIVE_INT],
    "jit_compile": ["boolean"],
    # SciKeras' own way of giving a network: skrb builds its network from the parameters above.
    "model": [None],
    "build_fn": [None],
}
"""The constraints of the parameters every skrb network classifier shares."""

CNN_PARAMETER_CONSTRAINTS: dict[str, list[Any]] = {
    # architecture (sequences are checked entry by entry in check_per_block_params)
    "filters": [_POSITIVE_INT, "array-like"],
    "kernel_size": [_POSITIVE_INT, "array-like"],
    "pool_size": [_POSITIVE_INT, "array-like"],
    "dropout": [_RATE, "array-like"],
    "convs_per_block": [_POSITIVE_INT],
    "dense_units": [_POSITIVE_INT],
    "dense_dropout": [_RATE],
    **TRAINING_PARAMETER_CONSTRAINTS,
}
"""``_parameter_constraints`` of :class:`~skrb.models.StampCNNClassifier`."""

_STAGES = ["array-like", None]  # one positive int per stage; checked when the network is built
TRANSFORMER_PARAMETER_CONSTRAINTS: dict[str, list[Any]] = {
    "preset": [StrOptions({"paper", "small", "tiny"})],
    "embed_dims": _STAGES,
    "depths": _STAGES,
    "num_heads": _STAGES,
    "kernel_sizes": _STAGES,
    "strides": _STAGES,
    "pos_dim": [_POSITIVE_INT, None],
    "decoder_dim": [_POSITIVE_INT, None],
    "decoder_pos_dim": [_POSITIVE_INT, None],
    "decoder_heads": [_POSITIVE_INT, None],
    "dense_units": [_POSITIVE_INT, None],
    "mlp_ratio": [_POSITIVE_INT],
    "dropout": [_RATE],
    "attention_dropout": [_RATE],
    **TRAINING_PARAMETER_CONSTRAINTS,
}
"""``_parameter_constraints`` of the no-difference transformer classifiers."""


def _invalid(name: str, owner: str, must: str, value: Any) -> InvalidParameterError:
    return InvalidParameterError(
        f"The {name!r} parameter of {owner} must be {must}. Got {value!r} instead."
    )


def check_per_block_params(estimator: Any) -> None:
    """Check what the constraints cannot say; raise ``InvalidParameterError`` on a bad value.

    - every entry of ``filters``, and of ``kernel_size``, ``pool_size`` and ``dropout`` given
      per block, is valid (integers >= 1, rates in [0, 1));
    - per-block sequences have one entry per block (``len(filters)``);
    - ``class_weight`` given as a dict has finite, non-negative weights
      (:func:`check_class_weight`).

    Parameters
    ----------
    estimator : StampCNNClassifier
        The classifier whose parameters are checked.

    Raises
    ------
    InvalidParameterError
        On the first invalid value, naming the parameter.
    """
    owner = type(estimator).__name__
    filters = estimator.filters
    filters = list(filters) if _is_sequence(filters) else [filters]
    if not filters:
        raise _invalid("filters", owner, "an int >= 1 or a non-empty sequence of them", filters)
    rules = {
        "filters": (_POSITIVE_INT, "integers >= 1"),
        "kernel_size": (_POSITIVE_INT, "integers >= 1"),
        "pool_size": (_POSITIVE_INT, "integers >= 1"),
        "dropout": (_RATE, "rates in [0, 1)"),
    }
    for name, (interval, what) in rules.items():
        value = getattr(estimator, name)
        if not _is_sequence(value):
            continue
        entries = list(value)
        if not all(_within(v, interval) for v in entries):
            raise _invalid(name, owner, f"{what}, for all blocks or one per block", value)
        if name != "filters" and len(entries) != len(filters):
            raise _invalid(
                name,
                owner,
                f"a single value or one per convolution block ({len(filters)} blocks, from "
                "`filters`)",
                value,
            )
    check_class_weight(estimator)


def check_class_weight(estimator: Any) -> None:
    """Check that a dict ``class_weight`` has finite, non-negative weights.

    Parameters
    ----------
    estimator : StampKerasClassifier
        The classifier whose ``class_weight`` is checked.

    Raises
    ------
    InvalidParameterError
        If a weight is negative, infinite or not a number.
    """
    owner = type(estimator).__name__
    weights = estimator.class_weight
    if isinstance(weights, Mapping):
        if not all(_within(w, Interval(Real, 0, None, closed="left")) for w in weights.values()):
            raise _invalid("class_weight", owner, "a dict of finite weights >= 0", weights)


def _is_sequence(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    return isinstance(value, Sequence) and not isinstance(value, str)


def _within(value: Any, interval: Interval) -> bool:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        return False
    if interval.type is Integral and not isinstance(value, Integral):
        return False
    return bool(np.isfinite(value)) and value in interval
