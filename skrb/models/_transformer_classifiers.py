"""The no-difference transformers of Inada et al. (2026) as scikit-learn classifiers."""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np

from skrb.models._base import StampKerasClassifier
from skrb.models._classifiers import arguments, document
from skrb.models._params import TRANSFORMER_PARAMETER_CONSTRAINTS
from skrb.models._transformer import TRANSFORMER_PRESETS, build_nodiff_transformer

__all__ = [
    "NoDiffTransformerClassifier",
    "StampTransformerClassifier",
    "TripletTransformerClassifier",
]

_ARCHITECTURE = """
    Parameters
    ----------
    preset : {{"paper", "small", "tiny"}}, default={preset!r}
        Architecture preset (:data:`~skrb.models.TRANSFORMER_PRESETS`): ``"paper"`` is Inada
        et al.'s configuration (a GPU model), ``"small"`` and ``"tiny"`` CPU-sized versions.
        Each architecture parameter below left at None takes the preset's value.
    embed_dims : tuple of int or None, default=None
        Channels of each encoder stage (paper: 64, 128, 256, 512, 512, 512).
    depths : tuple of int or None, default=None
        Encoder blocks per stage (paper: 3 each).
    num_heads : tuple of int or None, default=None
        Attention heads per stage (paper: 2, 2, 4, 8, 8, 8).
    kernel_sizes : tuple of int or None, default=None
        Kernel of each stage's convolutional projection (paper: 7, then 3).
    strides : tuple of int or None, default=None
        Stride of each stage's projection (paper: 2 in stages 1-3, then 1).
    pos_dim : int or None, default=None
        Positional embedding size of the encoder attention (paper: 64).
    decoder_dim : int or None, default=None
        Channels of the convolutional heads after the decoder blocks (paper: 64).
    decoder_pos_dim : int or None, default=None
        Positional embedding size of the decoder blocks (paper: 16).
    decoder_heads : int or None, default=None
        Heads of the decoder attentions (paper: 4).
    dense_units : int or None, default=None
        Units of the dense ReLU layer before the logit (paper: 256).
    mlp_ratio : int, default={mlp_ratio}
        Hidden width of the depthwise-convolution MLPs, as a multiple of the channels.
    dropout : float, default={dropout}
        Dropout after the attention projections and in the MLPs.
    attention_dropout : float, default={attention_dropout}
        Dropout on the attention weights (the paper's value; the authors' code passes it to
        no layer, so their network trained with none).
"""

_ARCHITECTURE_NAMES = (
    "preset",
    "embed_dims",
    "depths",
    "num_heads",
    "kernel_sizes",
    "strides",
    "pos_dim",
    "decoder_dim",
    "decoder_pos_dim",
    "decoder_heads",
    "dense_units",
    "mlp_ratio",
    "dropout",
    "attention_dropout",
)

_TRANSFORMER_EPOCHS = "skrb's default; the paper's schedule is not published with the code"


class StampTransformerClassifier(StampKerasClassifier):
    """Base class of the no-difference transformer classifiers; use a subclass.

    Holds the architecture parameters (defaults: the paper's configuration) and builds the
    network; subclasses set :attr:`layout` and ``_streams`` (which panels of the layout, in
    which order, become the search, template and difference streams).

    Examples
    --------
    >>> from skrb.models import NoDiffTransformerClassifier, TripletTransformerClassifier
    >>> NoDiffTransformerClassifier.layout, TripletTransformerClassifier.layout
    ('nodia', 'dia')
    """

    _streams: ClassVar[tuple[int, ...]] = ()
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = TRANSFORMER_PARAMETER_CONSTRAINTS

    def __init__(
        self,
        *,
        preset: str = "paper",
        embed_dims: tuple[int, ...] | None = None,
        depths: tuple[int, ...] | None = None,
        num_heads: tuple[int, ...] | None = None,
        kernel_sizes: tuple[int, ...] | None = None,
        strides: tuple[int, ...] | None = None,
        pos_dim: int | None = None,
        decoder_dim: int | None = None,
        decoder_pos_dim: int | None = None,
        decoder_heads: int | None = None,
        dense_units: int | None = None,
        mlp_ratio: int = 4,
        dropout: float = 0.2,
        attention_dropout: float = 0.2,
        optimizer: Any = "adamw",
        learning_rate: float | None = 0.0003,
        loss: Any = "sparse_categorical_crossentropy",
        batch_size: int = 64,
        epochs: int = 50,
        early_stopping: bool = True,
        patience: int = 10,
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
        super().__init__(**arguments(locals(), exclude=_ARCHITECTURE_NAMES))
        self.preset = preset
        self.embed_dims = embed_dims
        self.depths = depths
        self.num_heads = num_heads
        self.kernel_sizes = kernel_sizes
        self.strides = strides
        self.pos_dim = pos_dim
        self.decoder_dim = decoder_dim
        self.decoder_pos_dim = decoder_pos_dim
        self.decoder_heads = decoder_heads
        self.dense_units = dense_units
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout
        self.attention_dropout = attention_dropout

    def architecture(self) -> dict[str, Any]:
        """Return the architecture these parameters select: the preset, with overrides.

        Returns
        -------
        architecture : dict
            Keyword arguments of :func:`~skrb.models.build_nodiff_transformer`.

        Examples
        --------
        >>> from skrb.models import NoDiffTransformerClassifier
        >>> NoDiffTransformerClassifier(preset="tiny", depths=(2, 2, 2)).architecture()["depths"]
        (2, 2, 2)
        """
        if self.preset not in TRANSFORMER_PRESETS:
            raise ValueError(
                f"preset must be one of {sorted(TRANSFORMER_PRESETS)}; got {self.preset!r}."
            )
        arch = dict(TRANSFORMER_PRESETS[self.preset])
        for name in arch:
            value = getattr(self, name)
            if value is not None:
                arch[name] = tuple(value) if isinstance(value, list) else value
        arch.update(
            mlp_ratio=self.mlp_ratio,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
        )
        return arch

    def _network(self, dtype_policy: str | None) -> keras.Model:
        return build_nodiff_transformer(
            self.image_shape_,
            n_panels=self._panels_across(),
            streams=self._streams,
            dtype_policy=dtype_policy,
            name=type(self).__name__,
            **self.architecture(),
        )


@document(
    _ARCHITECTURE,
    epochs_note=_TRANSFORMER_EPOCHS,
    patience_note="skrb's default",
    image_text="H, 2W, 1",
)
class NoDiffTransformerClassifier(StampTransformerClassifier):
    """Inada et al.'s (2026) no-difference transformer: real/bogus from search and template.

    Reads ``StampStacker(layout="nodia")`` images ``(n, H, 2W, 1)`` and cuts them into the
    search and template panels, which go through one siamese encoder (the same weights for
    both): per stage a convolutional projection + LayerNorm, blocks of relative-position
    attention and depthwise-convolution MLPs, and an exchange of every second channel between
    the two streams. A decoder compares the search with both streams at every stage
    (self-attention, then cross-attention), convolutional heads reduce each stage to two maps,
    and a dense layer gives one logit: ``predict_proba(X)[:, 1] = sigmoid(logit)`` = P(real).
    No difference image is used.

    The defaults are the paper's network (``preset="paper"``: 65,923,243 trainable weights on
    51x51 stamps, about 7 GFLOP per candidate: train it on a GPU); ``preset="small"`` or
    ``"tiny"`` and the architecture parameters give CPU-sized versions. Training: AdamW,
    learning rate 3e-4, batch 64, the output trained with cross-entropy (binary
    cross-entropy on the logit's sigmoid), 20 % validation split, early stopping.

    {parameters}

    See Also
    --------
    TripletTransformerClassifier : the same with the difference image as a third stream.
    NoDIAClassifier : the 2023 CNN on the same images.
    skrb.make_nodiff_pipeline : scaling + stacking + this classifier on stamp sets.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import NoDiffTransformerClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 24, 48, 1)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> clf = NoDiffTransformerClassifier(preset="tiny", verbose=0, random_state=0)
    >>> clf.initialize(X, y).predict_proba(X).shape  # built, untrained: fit(X, y) trains
    (8, 2)
    """

    layout: ClassVar[str] = "nodia"
    _streams: ClassVar[tuple[int, ...]] = (0, 1)  # search | template


@document(
    _ARCHITECTURE,
    epochs_note=_TRANSFORMER_EPOCHS,
    patience_note="skrb's default",
    image_text="H, 3W, 1",
)
class TripletTransformerClassifier(StampTransformerClassifier):
    """Inada et al.'s (2026) triplet transformer: search, template and difference.

    :class:`NoDiffTransformerClassifier` with the difference image as a third stream through
    the same siamese encoder, exchanged with the others after each stage as in the authors'
    code, and a third input to the decoder's cross-attention. Reads
    ``StampStacker(layout="dia")`` images ``(n, H, 3W, 1)`` (difference | search | template).
    The defaults are the paper's network (67,802,347 trainable weights on 51x51 stamps).

    {parameters}

    See Also
    --------
    NoDiffTransformerClassifier : the same without the difference image.
    DIAClassifier : the 2023 CNN on the same images.
    skrb.make_triplet_pipeline : scaling + stacking + this classifier on stamp sets.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models import TripletTransformerClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 24, 72, 1)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> clf = TripletTransformerClassifier(preset="tiny", verbose=0, random_state=0)
    >>> clf.initialize(X, y).predict(X).shape  # built, untrained: fit(X, y) trains
    (8,)
    """

    layout: ClassVar[str] = "dia"
    _streams: ClassVar[tuple[int, ...]] = (1, 2, 0)  # search, template, difference
