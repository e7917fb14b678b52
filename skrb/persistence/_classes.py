"""The classes a model file may name: skrb's own estimators and a few scikit-learn steps.

A model file names each step's class as text; reading it looks the name up in this
allow-list and nothing else (no import of a name taken from the file). Accepted are:

- every public estimator of :mod:`skrb.models` that is a SciKeras classifier and every
  classifier of skrb's model registry (:func:`skrb.models.model_names`): the CNNs, and any
  classifier added there later, e.g. the transformers, with no edit here;
- every public estimator of :mod:`skrb.preprocessing` (scalers, stackers, resizers);
- :class:`sklearn.pipeline.Pipeline` and the scikit-learn steps of :data:`SKLEARN_STEPS`,
  whose parameters and fitted state are plain numbers, text and arrays.
"""

from __future__ import annotations

import importlib
from typing import Any

from sklearn.base import BaseEstimator

__all__ = ["SKLEARN_STEPS", "allowed_classes", "class_name", "is_keras_classifier"]

#: scikit-learn steps a model file may hold, besides Pipeline: their parameters and fitted
#: attributes are plain data.
SKLEARN_STEPS = (
    "sklearn.decomposition.PCA",
    "sklearn.dummy.DummyClassifier",
    "sklearn.linear_model.LogisticRegression",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.Normalizer",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.StandardScaler",
)


def is_keras_classifier(cls: type) -> bool:
    """Whether ``cls`` is a SciKeras classifier (its network is stored as ``.keras``)."""
    from scikeras.wrappers import KerasClassifier

    return isinstance(cls, type) and issubclass(cls, KerasClassifier)


def _public(module: str) -> dict[str, type]:
    package = importlib.import_module(module)
    found = {}
    for name in getattr(package, "__all__", ()):
        obj = getattr(package, name, None)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator):
            found[f"{module}.{name}"] = obj
    return found


def _registered_classifiers() -> dict[str, type]:
    """Return the classifiers of skrb's model registry (:func:`skrb.models.model_names`)."""
    from skrb import models

    found: dict[str, type] = {}
    for name in models.model_names():
        cls = models.get_model_spec(name).classifier
        if is_keras_classifier(cls) and cls.__module__.split(".")[0] == "skrb":
            found[f"skrb.models.{cls.__name__}"] = cls
    return found


def allowed_classes() -> dict[str, type]:
    """Return the allow-list: class name as written in model files -> class.

    Returns
    -------
    classes : dict of str -> type

    Examples
    --------
    >>> from skrb.persistence._classes import allowed_classes
    >>> classes = allowed_classes()
    >>> "skrb.models.DIAClassifier" in classes, "sklearn.pipeline.Pipeline" in classes
    (True, True)
    >>> "builtins.eval" in classes
    False
    """
    from sklearn.pipeline import Pipeline

    classes: dict[str, type] = {"sklearn.pipeline.Pipeline": Pipeline}
    for name in SKLEARN_STEPS:
        module, _, attr = name.rpartition(".")
        classes[name] = getattr(importlib.import_module(module), attr)
    classes.update(_public("skrb.preprocessing"))
    classes.update({k: v for k, v in _public("skrb.models").items() if is_keras_classifier(v)})
    classes.update(_registered_classifiers())
    return classes


def class_name(estimator: Any) -> str:
    """Return the allow-listed name of ``estimator``'s class, or raise ``TypeError``.

    Parameters
    ----------
    estimator : estimator

    Returns
    -------
    name : str

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skrb.persistence._classes import class_name
    >>> class_name(StandardScaler())
    'sklearn.preprocessing.StandardScaler'
    """
    for name, cls in allowed_classes().items():
        if type(estimator) is cls:
            return name
    cls = type(estimator)
    raise TypeError(
        f"a skrb model file holds skrb's own estimators and plain scikit-learn steps "
        f"only; {cls.__module__}.{cls.__qualname__} is not one of them."
    )
