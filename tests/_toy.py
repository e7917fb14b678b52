"""A tiny trained CNN classifier for the tests of :mod:`skrb.explain`.

It honours the contract of skrb's classifiers that the explainers rely on (a fitted ``model_``
mapping float32 CNN images to class probabilities in ``classes_`` order) at a size that trains
in a second.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from _stamps import stamp_set
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from skrb.preprocessing import StampStacker
from skrb.utils.validation import check_binary_target

__all__ = ["ToyClassifier", "toy_classifier", "toy_pipeline"]


class ToyClassifier(ClassifierMixin, BaseEstimator):
    """A one-convolution softmax CNN on stacked images, for illustration only.

    The convolution keeps its (seeded) random weights; the softmax layer is fitted as a
    logistic regression on the convolution's features, which takes milliseconds instead of a
    Keras training run.

    Parameters
    ----------
    C : float, default=0.1
        Inverse regularisation strength of the logistic regression (smaller: less confident).
    random_state : int, default=0
        Seeds the convolution weights.

    Attributes
    ----------
    model_ : keras.Model
        Maps images ``(n, H, W', C)`` to ``(n, 2)`` class probabilities.
    classes_ : ndarray of shape (2,)
        Class labels.

    Examples
    --------
    >>> from _toy import toy_classifier
    >>> toy_classifier().model_.output_shape
    (None, 2)
    """

    def __init__(self, C: float = 0.1, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> ToyClassifier:
        """Fit on images ``X`` of shape (n, H, W', C) and binary labels ``y``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, H, W', C)
            Stacked images.
        y : array-like of shape (n_samples,)
            Labels.

        Returns
        -------
        self : ToyClassifier
            The fitted classifier.
        """
        import keras

        X = np.asarray(X, dtype=np.float32)
        y = check_binary_target(y, n_samples=X.shape[0])
        self.classes_, y_index = np.unique(y, return_inverse=True)
        init = keras.initializers.GlorotUniform(seed=self.random_state)
        conv = keras.layers.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer=init)
        features = keras.Sequential([keras.Input(X.shape[1:]), conv, keras.layers.Flatten()])
        head = LogisticRegression(C=self.C).fit(np.asarray(features(X)), y_index)
        w, b = head.coef_[0], head.intercept_[0]
        dense = keras.layers.Dense(2, activation="softmax")
        self.model_ = keras.Sequential([features, dense])
        # softmax([-z/2, z/2])[1] = sigmoid(z): the logistic regression as a 2-class softmax
        dense.set_weights([np.stack([-w / 2, w / 2], axis=1), np.array([-b / 2, b / 2])])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order.

        Parameters
        ----------
        X : ndarray of shape (n_samples, H, W', C)
            Stacked images.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities.
        """
        check_is_fitted(self, "model_")
        return np.asarray(self.model_(np.asarray(X, dtype=np.float32), training=False))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class.

        Parameters
        ----------
        X : ndarray of shape (n_samples, H, W', C)
            Stacked images.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels.
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


@functools.cache
def toy_pipeline(layout: str = "dia") -> Pipeline:
    """Build (once) a fitted ``Pipeline([("stacker", StampStacker(layout)), ("classifier", ...)])``.

    Parameters
    ----------
    layout : {"dia", "nodia", "channels"}, default="dia"
        The stacker's layout.

    Returns
    -------
    pipeline : Pipeline
        Fitted on the ``"point"`` stamp set of ``tests/_stamps.py`` (cached: the same object
        on every call).

    Examples
    --------
    >>> from _stamps import stamp_set
    >>> from _toy import toy_pipeline
    >>> X, y = stamp_set("point", n=8)
    >>> toy_pipeline().predict(X).shape
    (8,)
    """
    X, y = stamp_set("point")
    pipe = Pipeline([("stacker", StampStacker(layout)), ("classifier", ToyClassifier())])
    return pipe.fit(X, y)


def toy_classifier() -> ToyClassifier:
    """Return the fitted classifier of ``toy_pipeline("dia")``; it takes ``(n, 5, 15, 1)`` images.

    Returns
    -------
    classifier : ToyClassifier
        Fitted (cached).

    Examples
    --------
    >>> from _toy import toy_classifier
    >>> toy_classifier().classes_.tolist()
    [0, 1]
    """
    return toy_pipeline("dia")[-1]
