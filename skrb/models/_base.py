"""The SciKeras base classes of skrb's network classifiers (CNNs and transformers).

:class:`StampCNNClassifier` is a :class:`scikeras.wrappers.KerasClassifier` that

- reports itself as a binary classifier to scikit-learn >= 1.7 (SciKeras 0.13 does not), so
  ``is_classifier``, stratified cross-validation, ``scoring="roc_auc"`` and
  :class:`~sklearn.calibration.CalibratedClassifierCV` work;
- takes :class:`~skrb.preprocessing.StampStacker` images (or their flattened form), records
  their shape in ``fit`` and rejects other shapes, NaN and infinity with clear errors;
- builds its network from constructor parameters (architecture knobs, optimiser, learning
  rate, early stopping), all reachable by ``GridSearchCV``;
- seeds Keras from ``random_state`` without forcing TensorFlow op determinism (which slows
  training on CPU) unless ``deterministic=True``;
- predicts through a compiled TensorFlow function in large batches;
- with ``augment=True``, trains on randomly flipped and rotated stamp sets, drawn afresh for
  every batch inside the training graph (no copies of the data; off by default).

:class:`StampKerasClassifier` holds all of it; :class:`StampCNNClassifier` adds the CNNs'
architecture parameters, the transformers theirs.
"""

from __future__ import annotations

import contextlib
import copy
import random
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import keras
import numpy as np
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils import ClassifierTags, check_random_state
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from tensorflow.python.framework import config as tf_config

from skrb.models._architectures import build_stamp_cnn
from skrb.models._augment import with_augmentation
from skrb.models._finite import NonFiniteError, check_finite_proba
from skrb.models._inference import predict_batches
from skrb.models._params import (
    CNN_PARAMETER_CONSTRAINTS,
    TRAINING_PARAMETER_CONSTRAINTS,
    check_class_weight,
    check_per_block_params,
)
from skrb.models._precision import resolve_dtype_policy
from skrb.models._receptive_field import attach_training_model, training_model
from skrb.models._registry import input_shape_text
from skrb.models._scikeras import SciKerasClassifier
from skrb.models._seeding import keras_default_seeds
from skrb.preprocessing import StampStacker
from skrb.utils.validation import check_binary_target, check_images, infer_stamp_shape

__all__ = ["StampCNNClassifier", "StampKerasClassifier"]


class StampKerasClassifier(SciKerasClassifier):
    """Base class of skrb's network real/bogus classifiers (CNNs and transformers).

    Holds what every skrb network classifier shares: the training parameters, validation of
    :class:`~skrb.preprocessing.StampStacker` images, seeding, the optional on-the-fly
    augmentation (``augment``) and batched prediction. Subclasses set :attr:`layout` and
    implement ``_network(dtype_policy)``; use a subclass.

    Examples
    --------
    >>> from skrb.models import DIAClassifier, NoDiffTransformerClassifier
    >>> from skrb.models import StampKerasClassifier
    >>> issubclass(DIAClassifier, StampKerasClassifier)
    True
    >>> issubclass(NoDiffTransformerClassifier, StampKerasClassifier)
    True
    """

    layout: ClassVar[str] = ""
    """The :class:`~skrb.preprocessing.StampStacker` layout of the images this model reads."""

    _estimator_type = "classifier"

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = TRAINING_PARAMETER_CONSTRAINTS

    def __init__(
        self,
        *,
        optimizer: Any,
        learning_rate: float | None,
        loss: Any,
        batch_size: int,
        epochs: int,
        early_stopping: bool,
        patience: int,
        validation_split: float,
        random_state: int | np.random.RandomState | None,
        deterministic: bool,
        predict_batch_size: int,
        jit_compile: bool,
        dtype_policy: str | None,
        augment: bool,
        class_weight: dict[Any, float] | str | None,
        callbacks: list[Any] | None,
        metrics: list[Any] | None,
        warm_start: bool,
        shuffle: bool,
        verbose: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            batch_size=batch_size,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            shuffle=shuffle,
            epochs=epochs,
            class_weight=class_weight,
            warm_start=warm_start,
            random_state=random_state,
            **kwargs,
        )
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.patience = patience
        self.deterministic = deterministic
        self.predict_batch_size = predict_batch_size
        self.jit_compile = jit_compile
        self.dtype_policy = dtype_policy
        self.augment = augment

    # -- scikit-learn integration ---------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_class=False, poor_score=True)
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        tags.non_deterministic = not self.deterministic
        return tags

    def _check_params(self) -> None:
        """Validate the parameters before any work (``InvalidParameterError`` on a bad one)."""
        self._validate_params()
        check_class_weight(self)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    # -- input validation -----------------------------------------------------------------------
    def _stacker(self) -> StampStacker:
        return StampStacker(layout=self.layout)

    def _panels_across(self) -> int:
        """Return how many stamps lie side by side in one image (1 for the channels layout)."""
        return self._stacker().image_shape((1, 1))[1]

    def _n_panels(self) -> int:
        return len(self._stacker().panel_slices((1, 1)))

    def _image_shape_from(self, X: np.ndarray) -> tuple[int, int, int]:
        """Return the image shape of ``X`` (4-D images or flattened square stamps), checked."""
        stacker = self._stacker()
        name = type(self).__name__
        if X.ndim == 2:
            if hasattr(self, "image_shape_"):
                if X.shape[1] != self.n_features_in_:
                    raise ValueError(
                        f"X has {X.shape[1]} features, but {name} was fitted on images of shape "
                        f"{self.image_shape_} ({self.n_features_in_} features, "
                        f"{self.stamp_shape_[0]}x{self.stamp_shape_[1]} stamps)."
                    )
                return self.image_shape_
            n_panels = self._n_panels()
            try:
                return stacker.image_shape(infer_stamp_shape(X.shape[1], n_panels))
            except ValueError:
                raise ValueError(
                    f"{name} takes StampStacker(layout={self.layout!r}) images "
                    f"{self._expected_shape_text()} or their flattened form with "
                    f"{n_panels} * H * H features (square stamps); got X with {X.shape[1]} "
                    "feature(s)."
                ) from None
        if X.ndim != 4:
            raise ValueError(
                f"{name} takes StampStacker(layout={self.layout!r}) images of shape "
                f"{self._expected_shape_text()} or their flattened 2-D form; got an array of "
                f"shape {X.shape}."
            )
        h, w, c = X.shape[1:]
        expected = self._stamp_image_shape(h, w, c)
        if expected != (h, w, c):
            other = _layout_of(h, w, c)
            made_by = (
                f", the images of StampStacker(layout={other!r}) for {h}x{h} stamps"
                if other
                else ""
            )
            raise ValueError(
                f"{name} takes StampStacker(layout={self.layout!r}) images of shape "
                f"{self._expected_shape_text()} (square stamps: {expected} for {h}x{h} "
                f"stamps); got images of shape {(h, w, c)}{made_by}. Pass stamp sets "
                f"(n, 3, H, W) through StampStacker(layout={self.layout!r}) first."
            )
        if hasattr(self, "image_shape_") and tuple(self.image_shape_) != (h, w, c):
            raise ValueError(
                f"X holds images of shape {(h, w, c)}, but {name} was fitted on images of "
                f"shape {self.image_shape_} ({self.stamp_shape_[0]}x{self.stamp_shape_[1]} "
                "stamps)."
            )
        return h, w, c

    def _stamp_image_shape(self, h: int, w: int, c: int) -> tuple[int, int, int]:
        """Return the stacker's image shape for square stamps of the images' height ``h``.

        Images of another layout are refused through it: the noDIA images of 51x51 stamps,
        ``(51, 102, 1)``, would otherwise pass as DIA images of 51x34 stamps.
        """
        return self._stacker().image_shape((h, h))

    def _expected_shape_text(self) -> str:
        return input_shape_text(type(self))

    def _validate_images(self, X: Any, *, reset: bool) -> np.ndarray:
        """Check images and return them as a float32 4-D array (no copy when already one).

        The layout decides the image shape (:meth:`_image_shape_from`); the images themselves
        are checked by :func:`skrb.utils.validation.check_images`, as the explainers check
        theirs; ``validate_data`` sets or checks ``n_features_in_``.
        """
        if not reset:
            check_is_fitted(self)
        else:
            for attr in ("image_shape_", "stamp_shape_", "n_features_in_"):
                self.__dict__.pop(attr, None)
        ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X)
        if ndim not in (2, 4):
            raise ValueError(
                f"{type(self).__name__} takes StampStacker(layout={self.layout!r}) images of "
                f"shape {self._expected_shape_text()} or their flattened 2-D form; got an array "
                f"of shape {np.shape(X)}."
            )
        if ndim == 4:
            X = np.asarray(X)
            images = check_images(X, self._image_shape_from(X))
            X = images.reshape(images.shape[0], -1)
        flat = validate_data(
            self, X, reset=reset, dtype=[np.float32, np.float64], ensure_all_finite=False
        )
        if ndim == 2:
            images = check_images(flat, self._image_shape_from(flat))
        if reset:
            self.image_shape_ = tuple(int(s) for s in images.shape[1:])
            self.stamp_shape_ = self._stamp_shape(self.image_shape_)
        return images

    def _stamp_shape(self, image_shape: tuple[int, int, int]) -> tuple[int, int]:
        h, w, _ = image_shape
        return int(h), int(w) // self._panels_across()

    def _validate_targets(self, y: Any, n_samples: int | None, reset: bool) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        if reset:
            check_binary_target(y, n_samples=n_samples)
        return y

    # -- model building and training -----------------------------------------------------------
    def _network(self, dtype_policy: str | None) -> keras.Model:
        """Return the uncompiled network for ``image_shape_`` (subclasses implement it)."""
        raise NotImplementedError

    def _build_network(self, compile_kwargs: dict[str, Any]) -> keras.Model:
        policy, reason = resolve_dtype_policy(self.dtype_policy)
        model = self._network(policy)
        self.dtype_policy_ = policy or keras.config.dtype_policy().name
        self._dtype_reason = reason
        optimizer = compile_kwargs["optimizer"]
        if self.learning_rate is not None:
            optimizer.learning_rate = self.learning_rate
        model.compile(
            optimizer=optimizer, loss=compile_kwargs["loss"], metrics=compile_kwargs["metrics"]
        )
        return model

    @contextlib.contextmanager
    def _seeded(self) -> Iterator[None]:
        """Seed Python, NumPy and Keras from ``random_state``; restore Python/NumPy after.

        Keras' default seeds (initializers, dropout) come from a generator private to this
        thread (:func:`~skrb.models._seeding.keras_default_seeds`), so a seeded fit depends on
        its parameters and data only: not on other threads of the process drawing from
        :mod:`random` meanwhile (a Dask worker's event loop does), nor on earlier fits.
        """
        if self.random_state is None:
            yield
            return
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):
            rs = copy.deepcopy(rs)  # do not advance the caller's generator
        seed = int(check_random_state(rs).randint(np.iinfo(np.int32).max))
        # keras.utils.set_random_seed seeds NumPy's legacy global generator: restore it after.
        py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
        was_deterministic = tf_config.is_op_determinism_enabled()
        keras.utils.set_random_seed(seed)
        if self.deterministic:
            tf_config.enable_op_determinism()
        try:
            with keras_default_seeds(seed):
                yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)  # noqa: NPY002
            if self.deterministic and not was_deterministic:
                tf_config.disable_op_determinism()

    @contextlib.contextmanager
    def _training_network(self, model: keras.Model) -> Iterator[None]:
        """Let Keras train a model sharing ``model``'s layers that skips unread pixels.

        Same gradients, less work; ``model_`` stays the published network.
        """
        if training_model(model) is model:  # first fit of this network (new or unpickled)
            metrics = self._compile_arguments()["metrics"]
            attach_training_model(model, loss=model.loss, metrics=metrics)
        self.model_ = training_model(model)
        if self.augment:  # the flips and rotations are drawn inside the training graph
            self.model_ = with_augmentation(
                self.model_,
                n_panels=self._panels_across(),
                loss=model.loss,
                metrics=self._compile_arguments()["metrics"],
                seed=self._augment_seed(model),
            )
        if self.verbose and hasattr(self, "_dtype_reason"):
            print(
                f"{type(self).__name__}: dtype policy {self.dtype_policy_} ({self._dtype_reason})"
            )
        try:
            yield
        finally:
            self.model_ = model

    def _augment_seed(self, model: keras.Model) -> int | None:
        """Seed of the augmentation draws, from ``random_state`` (None: unseeded).

        Offset by the optimizer's step count: each ``partial_fit`` call builds a new trainer, so
        without it every call would draw the first call's orientations again (a ``fit`` starts
        at step 0, as before).
        """
        if self.random_state is None:
            return None
        rs = copy.deepcopy(self.random_state)  # do not advance the caller's generator
        seed = int(check_random_state(rs).randint(np.iinfo(np.int32).max))
        return (seed + int(model.optimizer.iterations)) % np.iinfo(np.int32).max

    def _extra_fit_callbacks(self) -> list[Any]:
        if not self.early_stopping:
            return []
        monitor = "val_loss" if self.validation_split else "loss"
        return [
            keras.callbacks.EarlyStopping(
                monitor=monitor, patience=self.patience, restore_best_weights=True
            )
        ]

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> StampKerasClassifier:
        """Build the network for the images' shape and train it.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W', C) or (n_samples, H * W' * C)
            Images made by ``StampStacker(layout=self.layout)``, or their flattened form
            (square stamps). float32 arrays are used without a copy.
        y : array-like of shape (n_samples,)
            Labels, two classes (1 = real, 0 = bogus).
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample weights.
        **kwargs : dict
            Extra arguments for :meth:`keras.Model.fit`.

        Returns
        -------
        self : StampKerasClassifier
            The fitted classifier.

        Raises
        ------
        sklearn.utils._param_validation.InvalidParameterError
            If a parameter is invalid (checked before anything else).
        ValueError
            If ``X`` or ``y`` is not valid input.
        NonFiniteError
            If a training or validation loss becomes NaN or infinite (the classifier is then
            left unfitted, nothing restored).
        """
        self._check_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        with warnings.catch_warnings():  # a column-vector y is reported once, in validation
            warnings.simplefilter("ignore", DataConversionWarning)
            check_binary_target(y)  # label errors before image errors
        with self._unfitted_on_non_finite_loss():
            return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    @contextlib.contextmanager
    def _unfitted_on_non_finite_loss(self) -> Iterator[None]:
        """Leave the classifier unfitted when training raises :class:`NonFiniteError`."""
        try:
            yield
        except NonFiniteError:
            for attr in ("model_", "history_"):
                self.__dict__.pop(attr, None)
            raise

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None, **kwargs: Any
    ) -> StampKerasClassifier:
        """Train for one epoch, building the network first if needed.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W', C) or (n_samples, H * W' * C)
            Images made by ``StampStacker(layout=self.layout)``, or their flattened form.
        y : array-like of shape (n_samples,)
            Labels, two classes (1 = real, 0 = bogus).
        classes : array-like of shape (2,), optional
            All the classes, needed on the first call if ``y`` does not hold both.
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample weights.
        **kwargs : dict
            Extra arguments for :meth:`keras.Model.fit`.

        Returns
        -------
        self : StampKerasClassifier
            The classifier, trained one more epoch.
        """
        self._check_params()
        with self._unfitted_on_non_finite_loss():
            return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight, **kwargs)

    def initialize(self, X: Any, y: Any) -> StampKerasClassifier:
        """Build the network for the images' shape without training it.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W', C) or (n_samples, H * W' * C)
            Images of the shape the network is for.
        y : array-like of shape (n_samples,)
            Labels, both classes.

        Returns
        -------
        self : StampKerasClassifier
            The classifier with an untrained ``model_`` (used by
            :func:`~skrb.models.load_checkpoint` before copying the published weights).
        """
        self._check_params()
        return super().initialize(X, y)

    # -- prediction -----------------------------------------------------------------------------
    def predict_proba(self, X: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order (column 1 = P(real)).

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W', C) or (n_samples, H * W' * C)
            Images of the fitted shape, or their flattened form.
        **kwargs : dict
            Ignored (accepted for SciKeras compatibility).

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            float32 probabilities, computed by a compiled call of ``model_`` on batches of
            ``predict_batch_size`` images.

        Raises
        ------
        NonFiniteError
            If the network outputs NaN or infinity for any image (NaN weights, or inputs that
            overflow it): the message says for how many, the error's ``indices`` which. A
            probability is never NaN.
        """
        if not hasattr(self, "model_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments or use skrb.models.load_checkpoint."
            )
        # set_params after fit can change these: checked here too, before any work
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in ("predict_batch_size", "jit_compile")},
            {"predict_batch_size": self.predict_batch_size, "jit_compile": self.jit_compile},
            caller_name=type(self).__name__,
        )
        X = self._validate_images(X, reset=False)
        proba = predict_batches(
            self.model_, X, self.predict_batch_size, jit_compile=bool(self.jit_compile)
        )
        return check_finite_proba(proba, type(self).__name__)

    def predict(self, X: Any, **kwargs: Any) -> np.ndarray:
        """Predicted class of each sample: ``classes_[argmax(predict_proba(X))]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W', C) or (n_samples, H * W' * C)
            Images of the fitted shape, or their flattened form.
        **kwargs : dict
            Ignored (accepted for SciKeras compatibility).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels (1 = real, 0 = bogus for such targets).
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class StampCNNClassifier(StampKerasClassifier):
    """Base class of the CNN real/bogus classifiers; use a subclass.

    Subclasses set the class attribute :attr:`layout` (the
    :class:`~skrb.preprocessing.StampStacker` layout they read) and the defaults of the
    constructor parameters, documented on :class:`~skrb.models.DIAClassifier`.

    Examples
    --------
    Every skrb CNN is a scikit-learn binary classifier reading one stacker layout:

    >>> from sklearn.base import is_classifier
    >>> from skrb.models import BraaiClassifier, DIAClassifier, NoDIAClassifier
    >>> from skrb.models import StampCNNClassifier
    >>> [(cls.__name__, cls.layout) for cls in (DIAClassifier, NoDIAClassifier, BraaiClassifier)]
    [('DIAClassifier', 'dia'), ('NoDIAClassifier', 'nodia'), ('BraaiClassifier', 'channels')]
    >>> issubclass(DIAClassifier, StampCNNClassifier), is_classifier(DIAClassifier())
    (True, True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = CNN_PARAMETER_CONSTRAINTS

    def __init__(
        self,
        *,
        filters: tuple[int, ...],
        kernel_size: int | tuple[int, ...],
        pool_size: int | tuple[int, ...],
        dropout: float | tuple[float, ...],
        convs_per_block: int,
        dense_units: int,
        dense_dropout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.dropout = dropout
        self.convs_per_block = convs_per_block
        self.dense_units = dense_units
        self.dense_dropout = dense_dropout

    def _check_params(self) -> None:
        """Validate the parameters before any work (``InvalidParameterError`` on a bad one)."""
        self._validate_params()
        check_per_block_params(self)

    def _architecture(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~skrb.models.build_stamp_cnn` from the parameters."""
        return dict(
            filters=self.filters,
            kernel_size=self.kernel_size,
            pool_size=self.pool_size,
            dropout=self.dropout,
            convs_per_block=self.convs_per_block,
            dense_units=self.dense_units,
            dense_dropout=self.dense_dropout,
            output=self._output,
        )

    _output: ClassVar[str] = "softmax"

    def _network(self, dtype_policy: str | None) -> keras.Model:
        return build_stamp_cnn(
            self.image_shape_,
            name=type(self).__name__,
            dtype_policy=dtype_policy,
            **self._architecture(),
        )


def _layout_of(h: int, w: int, c: int) -> str | None:
    """Return the stacker layout whose images of square ``h``-pixel stamps are ``(h, w, c)``."""
    from skrb.preprocessing import LAYOUTS

    for layout, (_, panels) in LAYOUTS.items():
        if panels and StampStacker(layout=layout).image_shape((h, h)) == (h, w, c):
            return layout
    return None
