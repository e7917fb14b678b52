"""The paper's DIA and noDIA CNNs and braai's VGG6 as scikit-learn classifiers."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from skrb.models._architectures import ARCHITECTURES
from skrb.models._base import StampCNNClassifier
from skrb.models._registry import get_model_spec

__all__ = ["BraaiClassifier", "DIAClassifier", "NoDIAClassifier"]

_CNN_PARAMS = """
    Parameters
    ----------
    filters : tuple of int, default={filters}
        Filters of the convolutions in each block (one block per entry).
    kernel_size : int or tuple of int, default={kernel_size}
        Square kernel size of the convolutions, for all blocks or per block.
    pool_size : int or tuple of int, default={pool_size}
        Max-pooling size (and stride) after each block.
    dropout : float or tuple of float, default={dropout}
        Dropout rate after each block (0 = none).
    convs_per_block : int, default={convs_per_block}
        Convolutions per block.
    dense_units : int, default={dense_units}
        Units of the dense ReLU layer.
    dense_dropout : float, default={dense_dropout}
        Dropout rate after the dense layer.
"""

TRAINING_PARAMS = """
    optimizer : str or keras optimizer class, default={optimizer!r}
        Keras optimiser; its own parameters can be routed as ``optimizer__<name>``
        (e.g. ``optimizer__momentum=0.9``).
    learning_rate : float or None, default={learning_rate}
        Learning rate of the optimiser (None keeps the optimiser's own).
    loss : str or keras loss, default="sparse_categorical_crossentropy"
        Loss on the model's two probability columns with integer-encoded targets.
    batch_size : int, default={batch_size}
        Training batch size.
    epochs : int, default={epochs}
        Maximum number of training epochs ({epochs_note}).
    early_stopping : bool, default=True
        Stop when the monitored loss (``val_loss`` if ``validation_split > 0``, else the
        training loss) has not improved for ``patience`` epochs, and restore the weights of
        the best epoch (also when training ends without stopping early).
    patience : int, default={patience}
        Epochs without improvement before early stopping ({patience_note}).
    validation_split : float, default=0.2
        Fraction of the training data held out for validation, as in Keras: the *last*
        samples, taken before shuffling, so shuffle ordered data sets first.
    random_state : int, RandomState instance or None, default=None
        Seeds Python, NumPy and Keras (weight initialisation, dropout, shuffling) for a
        fit; None leaves them unseeded.
    deterministic : bool, default=False
        With ``random_state`` set, also enable TensorFlow op determinism for bit-identical
        refits. It slows training on CPU (see :ref:`performance`), so the default only seeds.
    predict_batch_size : int, default=256
        Images per compiled call in :meth:`predict_proba`; larger batches cost memory, smaller
        ones per-call overhead (measured figures in :ref:`performance`;
        ``benchmarks/bench_models.py`` measures them on yours).
    jit_compile : bool, default=False
        Compile the prediction function with XLA (whether it helps depends on the model and
        the CPU: see :ref:`performance`).
    dtype_policy : str or None, default=None
        Keras dtype policy of the network's layers: ``"auto"`` (``"mixed_bfloat16"`` where
        the hardware computes bfloat16 natively, Intel AMX CPUs and GPUs of compute
        capability >= 8.0, else ``"float32"``; see :func:`~skrb.models.auto_dtype_policy`),
        a Keras policy name such as ``"mixed_bfloat16"`` or ``"float32"``, or None (Keras'
        global policy, float32 unless set: the paper's precision). The output layer always
        computes in float32, so the probabilities keep full precision. The policy used is
        ``dtype_policy_``, printed when training with ``verbose > 0``.
    augment : bool, default={augment}
        Train on randomly flipped and 90-degree rotated stamp sets (one of the 8 symmetries
        of the square per stamp set and batch, the same for all its panels, drawn inside the
        training graph: no copies of the data). Off by default, so the published networks
        train as their authors trained them.
    class_weight : dict, "balanced" or None, default=None
        Class weights, as in scikit-learn.
    callbacks : list of keras callbacks or None, default=None
        Extra Keras callbacks for training. Their ``model`` is the model Keras trains: the
        network's own layers (the same variables), for the CNNs behind a ``Cropping2D`` layer
        that drops the pixels the network never reads (see the performance notes), and behind
        the augmentation with ``augment=True``; ``model_`` is the network.
    metrics : list or None, default=None
        Extra Keras metrics reported during training.
    warm_start : bool, default=False
        Continue training the existing network on the next ``fit``.
    shuffle : bool, default=True
        Shuffle the training data each epoch.
    verbose : int, default=1
        Keras' progress output during training (0 silent, 1 progress bar, 2 one line per
        epoch).
    **kwargs : dict
        Further SciKeras parameters (e.g. routed ``fit__<name>``, ``compile__<name>``).

    Attributes
    ----------
    model_ : keras.Model
        The trained network: float32 images ``(n, {image_text})`` -> ``(n, 2)`` class
        probabilities in ``classes_`` order (column 1 = P(real) for targets in ``{{0, 1}}``).
    classes_ : ndarray of shape (2,)
        The class labels.
    n_features_in_ : int
        Number of features of the flattened images seen in ``fit``.
    image_shape_ : tuple of int
        ``(H, W', C)`` of the images seen in ``fit``.
    stamp_shape_ : tuple of int
        ``(H, W)`` of the stamps those images were made of.
    history_ : dict
        Training loss (and metrics) per epoch.
    dtype_policy_ : str
        The Keras dtype policy the network was built with (``"auto"`` resolved).
"""


def document(architecture: str = _CNN_PARAMS, **notes: Any) -> Any:
    """Fill the Parameters/Attributes section into a classifier's docstring.

    ``architecture`` (the network's own parameters) is followed by the training parameters
    every skrb network classifier shares. The defaults shown are read from the class's
    ``__init__`` signature; ``notes`` fill the rest of the template.
    """

    def decorate(cls: type) -> type:
        defaults = {
            name: param.default
            for name, param in inspect.signature(cls.__init__).parameters.items()
            if param.default is not inspect.Parameter.empty
        }
        section = (architecture + TRAINING_PARAMS.lstrip("\n")).format(**defaults, **notes)
        cls.__doc__ = cls.__doc__.replace("    {parameters}\n", section.lstrip("\n"))
        return cls

    return decorate


# The architecture defaults of each classifier are its published network's, held once in
# ARCHITECTURES (build_stamp_cnn's keyword arguments; "output" is the class's ``_output``).
_DIA, _NODIA, _BRAAI = ARCHITECTURES["dia"], ARCHITECTURES["nodia"], ARCHITECTURES["braai"]

_PAPER_EPOCHS = "the authors trained up to 500 with early stopping; 50 is a modest default"


@document(
    epochs_note=_PAPER_EPOCHS,
    patience_note="the authors' value for this model",
    image_text="H, 3W, 1",
)
class DIAClassifier(StampCNNClassifier):
    """The DIA-based CNN of Acero-Cuellar et al. (2023) as a scikit-learn classifier.

    Reads the difference, search and template panels side by side, i.e. the images of
    ``StampStacker(layout="dia")``, shape ``(n, H, 3W, 1)``. The defaults are the paper's
    network (126,050 parameters for 51x51 stamps: three Conv2D(5x5, ReLU) > MaxPool(2) >
    Dropout(0.4) blocks of 16, 32, 64 filters, Dense(32, ReLU), Dense(2, softmax)) and
    training (SGD, learning rate 0.01, batch 200, sparse categorical cross-entropy, 20 %
    validation split, early stopping restoring the best weights). The input shape comes from
    the data (stamps of at least 36x36 pixels).

    {parameters}

    See Also
    --------
    NoDIAClassifier : the same task without the difference panel.
    skrb.make_dia_pipeline : scaling + stacking + this classifier on stamp sets.
    skrb.models.load_checkpoint : the authors' trained network.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import DIAClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 36, 108, 1)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> clf = DIAClassifier(epochs=1, verbose=0, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (8, 2)
    >>> clf.model_.count_params() < 126050  # smaller stamps, smaller dense layer
    True
    """

    layout: ClassVar[str] = get_model_spec("dia").layout

    def __init__(
        self,
        *,
        filters: tuple[int, ...] = _DIA["filters"],
        kernel_size: int | tuple[int, ...] = _DIA["kernel_size"],
        pool_size: int | tuple[int, ...] = _DIA["pool_size"],
        dropout: float | tuple[float, ...] = _DIA["dropout"],
        convs_per_block: int = _DIA["convs_per_block"],
        dense_units: int = _DIA["dense_units"],
        dense_dropout: float = _DIA["dense_dropout"],
        optimizer: Any = "sgd",
        learning_rate: float | None = 0.01,
        loss: Any = "sparse_categorical_crossentropy",
        batch_size: int = 200,
        epochs: int = 50,
        early_stopping: bool = True,
        patience: int = 30,
        validation_split: float = 0.2,
        random_state: int | np.random.RandomState | None = None,
        deterministic: bool = False,
        predict_batch_size: int = 256,
        jit_compile: bool = False,
        dtype_policy: str | None = None,
        augment: bool = False,
        class_weight: dict[Any, float] | str | None = None,
        callbacks: list[Any] | None = None,
        metrics: list[Any] | None = None,
        warm_start: bool = False,
        shuffle: bool = True,
        verbose: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**arguments(locals()))


@document(
    epochs_note=_PAPER_EPOCHS,
    patience_note="the authors' value for this model",
    image_text="H, 2W, 1",
)
class NoDIAClassifier(StampCNNClassifier):
    """The noDIA CNN of Acero-Cuellar et al. (2023): real/bogus without the difference image.

    Reads the search and template panels side by side, i.e. the images of
    ``StampStacker(layout="nodia")``, shape ``(n, H, 2W, 1)``. The defaults are the paper's
    network (45,908 parameters for 51x51 stamps: Conv2D(1, 7x7) > MaxPool(2) >
    Conv2D(16, 3x3) > MaxPool(2) > Dropout(0.4) > Conv2D(32, 3x3) > MaxPool(2) > Dropout(0.4),
    Dense(32, ReLU), Dense(2, softmax), ReLU throughout) and training (SGD, learning rate 0.01,
    batch 200, 20 % validation split, early stopping). The input shape comes from the data
    (stamps of at least 26x26 pixels).

    {parameters}

    See Also
    --------
    DIAClassifier : the same task with the difference panel.
    skrb.make_nodia_pipeline : scaling + stacking + this classifier on stamp sets.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import NoDIAClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 26, 52, 1)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> NoDIAClassifier(epochs=1, verbose=0).fit(X, y).predict(X).shape
    (8,)
    """

    layout: ClassVar[str] = get_model_spec("nodia").layout

    def __init__(
        self,
        *,
        filters: tuple[int, ...] = _NODIA["filters"],
        kernel_size: int | tuple[int, ...] = _NODIA["kernel_size"],
        pool_size: int | tuple[int, ...] = _NODIA["pool_size"],
        dropout: float | tuple[float, ...] = _NODIA["dropout"],
        convs_per_block: int = _NODIA["convs_per_block"],
        dense_units: int = _NODIA["dense_units"],
        dense_dropout: float = _NODIA["dense_dropout"],
        optimizer: Any = "sgd",
        learning_rate: float | None = 0.01,
        loss: Any = "sparse_categorical_crossentropy",
        batch_size: int = 200,
        epochs: int = 50,
        early_stopping: bool = True,
        patience: int = 100,
        validation_split: float = 0.2,
        random_state: int | np.random.RandomState | None = None,
        deterministic: bool = False,
        predict_batch_size: int = 256,
        jit_compile: bool = False,
        dtype_policy: str | None = None,
        augment: bool = False,
        class_weight: dict[Any, float] | str | None = None,
        callbacks: list[Any] | None = None,
        metrics: list[Any] | None = None,
        warm_start: bool = False,
        shuffle: bool = True,
        verbose: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**arguments(locals()))


@document(
    epochs_note="a modest default",
    patience_note="skrb's choice; braai's own schedule is not published with d6_m7",
    image_text="H, W, 3",
)
class BraaiClassifier(StampCNNClassifier):
    """braai's VGG6 (Duev et al. 2019), ZTF's deep real/bogus model, as the peer baseline.

    Reads search, template and difference as three channels, i.e. the images of
    ``StampStacker(layout="channels")``, shape ``(n, H, W, 3)``. The defaults are braai's
    network (two blocks of two Conv2D(3x3, ReLU) with 16 and 32 filters, MaxPool 2 and 4,
    Dropout 0.25, Dense(256, ReLU), Dropout 0.5, Dense(1, sigmoid)) and optimiser (Adam,
    learning rate 3e-4, batch 64). The sigmoid output ``p`` becomes the two columns
    ``[1 - p, p]`` inside the model (:class:`~skrb.models.SigmoidToTwoClass`), trained with
    sparse categorical cross-entropy, which equals binary cross-entropy on ``p``. The input
    shape comes from the data (stamps of at least 20x20 pixels).

    {parameters}

    See Also
    --------
    skrb.make_braai_pipeline : braai's scaling + stacking + this classifier on stamp sets.
    skrb.models.load_checkpoint : braai's published d6_m7 network (the ZTF ``drb`` score).

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import BraaiClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 20, 20, 3)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> BraaiClassifier(epochs=1, verbose=0).fit(X, y).predict_proba(X).sum(axis=1).round(3)
    array([1., 1., 1., 1., 1., 1., 1., 1.], dtype=float32)
    """

    layout: ClassVar[str] = get_model_spec("braai").layout
    _output: ClassVar[str] = _BRAAI["output"]

    def __init__(
        self,
        *,
        filters: tuple[int, ...] = _BRAAI["filters"],
        kernel_size: int | tuple[int, ...] = _BRAAI["kernel_size"],
        pool_size: int | tuple[int, ...] = _BRAAI["pool_size"],
        dropout: float | tuple[float, ...] = _BRAAI["dropout"],
        convs_per_block: int = _BRAAI["convs_per_block"],
        dense_units: int = _BRAAI["dense_units"],
        dense_dropout: float = _BRAAI["dense_dropout"],
        optimizer: Any = "adam",
        learning_rate: float | None = 0.0003,
        loss: Any = "sparse_categorical_crossentropy",
        batch_size: int = 64,
        epochs: int = 50,
        early_stopping: bool = True,
        patience: int = 20,
        validation_split: float = 0.2,
        random_state: int | np.random.RandomState | None = None,
        deterministic: bool = False,
        predict_batch_size: int = 256,
        jit_compile: bool = False,
        dtype_policy: str | None = None,
        augment: bool = False,
        class_weight: dict[Any, float] | str | None = None,
        callbacks: list[Any] | None = None,
        metrics: list[Any] | None = None,
        warm_start: bool = False,
        shuffle: bool = True,
        verbose: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**arguments(locals()))


def arguments(frame_locals: dict[str, Any], exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a subclass ``__init__``'s arguments (its ``locals()``) as keywords.

    Names in ``exclude`` (the parameters the ``__init__`` stores itself) are left out.
    """
    skip = ("self", "kwargs", "__class__", *exclude)
    args = {k: v for k, v in frame_locals.items() if k not in skip}
    return {**args, **frame_locals.get("kwargs", {})}
