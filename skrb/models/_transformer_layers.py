"""Keras layers of the no-difference transformers (Inada, Sako, Acero-Cuellar & Bianco 2026).

The layers work on channels-last feature maps ``(batch, H, W, C)`` whose spatial size is known
when they are built (the relative-position tables have one row per position). Every layer is
registered with Keras under the package ``"skrb"`` and returns its constructor arguments from
``get_config``, so networks holding them save to and load from ``.keras`` files in safe mode.

- :class:`StackPanels`: side-by-side stamps of a ``StampStacker`` image -> the streams, stacked
  along the batch axis so that the siamese encoder reads them in one pass;
- :class:`ConvProjection`: the convolutional projection opening each encoder stage (+ LayerNorm);
- :class:`RelativePositionAttention`: self-attention on positions with a learned positional
  embedding concatenated to its inputs and weights scaled by ``exp(alpha * distance)``;
- :class:`DepthwiseConvMLP`: the position-wise MLP with a depthwise 3x3 convolution;
- :class:`EncoderBlock`: pre-norm attention + MLP, both residual;
- :class:`ExchangeStreams`: the exchange after each encoder stage (channels swapped between the
  streams: search and template, or search, template and difference);
- :class:`DecoderAttentionBlock`: self-attention on the search stream, then cross-attention from
  it to all streams.

The layers follow the authors' PyTorch reference (``reiwanol/nodiff``, MIT) in structure and
parameter count; LayerNorm and BatchNorm use PyTorch's epsilon (1e-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "ConvProjection",
    "DecoderAttentionBlock",
    "DepthwiseConvMLP",
    "EncoderBlock",
    "ExchangeStreams",
    "RelativePositionAttention",
    "StackPanels",
]

_LN_EPSILON = 1e-5


def _norm(name: str, dtype: Any) -> keras.layers.LayerNormalization:
    return keras.layers.LayerNormalization(epsilon=_LN_EPSILON, name=name, dtype=dtype)


def _dense(units: int, name: str, dtype: Any, use_bias: bool = True) -> keras.layers.Dense:
    """Return a dense layer initialised as the reference's (normal, deviation 0.02)."""
    init = keras.initializers.TruncatedNormal(stddev=0.02)
    return keras.layers.Dense(
        units, use_bias=use_bias, kernel_initializer=init, name=name, dtype=dtype
    )


def _conv_init() -> keras.initializers.Initializer:
    """He-normal on the fan-out, the reference's convolution initialisation."""
    return keras.initializers.VarianceScaling(
        2.0, mode="fan_out", distribution="untruncated_normal"
    )


def _split_heads(x: Any, n_tokens: int, n_heads: int) -> Any:
    """``(B, N, D)`` -> ``(B, heads, N, D / heads)``."""
    x = ops.reshape(x, (-1, n_tokens, n_heads, x.shape[-1] // n_heads))
    return ops.transpose(x, (0, 2, 1, 3))


def _merge_heads(x: Any, n_tokens: int) -> Any:
    """``(B, heads, N, d)`` -> ``(B, N, heads * d)``."""
    x = ops.transpose(x, (0, 2, 1, 3))
    return ops.reshape(x, (-1, n_tokens, x.shape[2] * x.shape[3]))


def _attend(q: Any, k: Any, v: Any, dropout: keras.layers.Layer, training: Any, scale_by=None):
    """Scaled dot-product attention of split heads; ``scale_by`` multiplies the softmax."""
    scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * (float(q.shape[-1]) ** -0.5)
    weights = ops.softmax(scores, axis=-1)
    if scale_by is not None:
        weights = weights * scale_by
    return ops.matmul(dropout(weights, training=training), v)


def pixel_distances(height: int, width: int) -> np.ndarray:
    """Euclidean distances between the positions of an ``height x width`` grid.

    Rows and columns are placed at ``linspace(0, 1, n)`` (the reference's convention), so the
    distances lie in ``[0, sqrt(2)]`` whatever the grid size; positions are in row-major order.

    Parameters
    ----------
    height, width : int
        Grid size.

    Returns
    -------
    distances : ndarray of shape (height * width, height * width)
        float32.

    Examples
    --------
    >>> from skrb.models._transformer_layers import pixel_distances
    >>> pixel_distances(2, 2).round(3)
    array([[0.   , 1.   , 1.   , 1.414],
           [1.   , 0.   , 1.414, 1.   ],
           [1.   , 1.414, 0.   , 1.   ],
           [1.414, 1.   , 1.   , 0.   ]], dtype=float32)
    """
    rows, cols = np.meshgrid(
        np.linspace(0.0, 1.0, height), np.linspace(0.0, 1.0, width), indexing="ij"
    )
    points = np.stack([rows.ravel(), cols.ravel()], axis=1)
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)).astype(np.float32)


@keras.saving.register_keras_serializable(package="skrb")
class StackPanels(keras.layers.Layer):
    """Cut side-by-side stamps into panels and stack them as streams along the batch axis.

    ``(n, H, P * W, C)`` -> ``(S * n, H, W, C)``: the ``S`` panels named by ``order``, stream
    after stream (rows ``s * n`` to ``(s + 1) * n`` hold stream ``s``). The siamese encoder then
    reads all streams in one pass through the same layers.

    Parameters
    ----------
    n_panels : int
        Panels side by side in the image (``P``).
    order : sequence of int, optional
        Which panels become the streams, in this order (default: all, left to right).
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._transformer_layers import StackPanels
    >>> x = np.arange(6, dtype="float32").reshape(1, 1, 6, 1)
    >>> np.asarray(StackPanels(3, order=(1, 2, 0))(x))[:, 0, :, 0].tolist()
    [[2.0, 3.0], [4.0, 5.0], [0.0, 1.0]]
    """

    def __init__(self, n_panels: int, order: Sequence[int] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.n_panels = int(n_panels)
        self.order = tuple(range(self.n_panels)) if order is None else tuple(int(i) for i in order)

    def call(self, inputs: Any) -> Any:
        """Return the streams stacked along the batch axis."""
        width = inputs.shape[2] // self.n_panels
        panels = [inputs[:, :, i * width : (i + 1) * width, :] for i in self.order]
        return ops.concatenate(panels, axis=0)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """``(S * n, H, W, C)``."""
        n, h, w, c = input_shape
        return (None if n is None else n * len(self.order), h, w // self.n_panels, c)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {**super().get_config(), "n_panels": self.n_panels, "order": list(self.order)}


def _unstack(x: Any, n_streams: int) -> Any:
    """``(S * n, ...)`` -> ``(S, n, ...)``."""
    return ops.reshape(x, (n_streams, -1, *x.shape[1:]))


@keras.saving.register_keras_serializable(package="skrb")
class ConvProjection(keras.layers.Layer):
    """Convolutional projection opening an encoder stage, then LayerNorm.

    Zero padding ``k // 2``, a strided convolution to ``dim`` channels, and LayerNorm over
    the channels of each position.

    Parameters
    ----------
    dim : int
        Output channels.
    kernel_size : int
        Square kernel size.
    strides : int
        Stride (2 halves the map, rounding up for odd sizes).
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._transformer_layers import ConvProjection
    >>> out = ConvProjection(8, kernel_size=7, strides=2)(np.zeros((1, 51, 51, 1), "float32"))
    >>> tuple(out.shape)
    (1, 26, 26, 8)
    """

    def __init__(self, dim: int, kernel_size: int, strides: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim, self.kernel_size, self.strides = int(dim), int(kernel_size), int(strides)
        pad = self.kernel_size // 2
        self.pad = keras.layers.ZeroPadding2D(pad, dtype=self.dtype_policy, name="pad")
        self.conv = keras.layers.Conv2D(
            self.dim,
            self.kernel_size,
            strides=self.strides,
            kernel_initializer=_conv_init(),
            dtype=self.dtype_policy,
            name="conv",
        )
        self.norm = _norm("norm", self.dtype_policy)

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Build the convolution and the norm."""
        self.pad.build(input_shape)
        padded = self.pad.compute_output_shape(input_shape)
        self.conv.build(padded)
        self.norm.build(self.conv.compute_output_shape(padded))

    def call(self, inputs: Any) -> Any:
        """Project, then normalise each position's channels."""
        return self.norm(self.conv(self.pad(inputs)))

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """``(n, ceil(H / s), ceil(W / s), dim)``."""
        return self.conv.compute_output_shape(self.pad.compute_output_shape(input_shape))

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update(dim=self.dim, kernel_size=self.kernel_size, strides=self.strides)
        return config


@keras.saving.register_keras_serializable(package="skrb")
class RelativePositionAttention(keras.layers.Layer):
    """Multi-head self-attention over the positions of a feature map, aware of where they are.

    A learned positional embedding (``pos_dim`` values per position, initialised to zero) is
    concatenated to every position's channels before the query, key and value projections;
    the softmax attention weights are then multiplied by ``exp(alpha * d)``, ``d`` the distance
    between the two positions on a grid scaled to the unit square and ``alpha`` a learned
    scalar (initialised to 0: no decay), so the network learns how local to look. Output
    projection back to the input's channels, with dropout.

    Parameters
    ----------
    num_heads : int
        Attention heads (must divide the channels).
    pos_dim : int, default=64
        Size of the positional embedding.
    qkv_bias : bool, default=True
        Biases in the query/key/value projections.
    attention_dropout : float, default=0.0
        Dropout on the attention weights.
    dropout : float, default=0.0
        Dropout after the output projection.
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._transformer_layers import RelativePositionAttention
    >>> layer = RelativePositionAttention(num_heads=2, pos_dim=4)
    >>> tuple(layer(np.zeros((1, 3, 3, 8), "float32")).shape)
    (1, 3, 3, 8)
    >>> layer.count_params()  # q: 12*8+8, kv: 12*16+16, proj: 8*8+8, alpha: 1, pos: 9*4
    421
    """

    def __init__(
        self,
        num_heads: int,
        *,
        pos_dim: int = 64,
        qkv_bias: bool = True,
        attention_dropout: float = 0.0,
        dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_heads, self.pos_dim, self.qkv_bias = int(num_heads), int(pos_dim), bool(qkv_bias)
        self.attention_dropout, self.dropout = float(attention_dropout), float(dropout)
        self.attn_drop = keras.layers.Dropout(self.attention_dropout, dtype=self.dtype_policy)
        self.proj_drop = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Create the projections, the positional table and ``alpha`` for this map size."""
        _, h, w, c = (int(s) if s is not None else None for s in input_shape)
        if c % self.num_heads:
            raise ValueError(f"{c} channels cannot be split into {self.num_heads} heads.")
        self.n_tokens = h * w
        dt = self.dtype_policy
        self.q = _dense(c, "q", dt, use_bias=self.qkv_bias)
        self.kv = _dense(2 * c, "kv", dt, use_bias=self.qkv_bias)
        self.proj = _dense(c, "proj", dt)
        for dense in (self.q, self.kv):
            dense.build((None, self.n_tokens, c + self.pos_dim))
        self.proj.build((None, self.n_tokens, c))
        self.pos_embed = self.add_weight(
            shape=(self.n_tokens, self.pos_dim), initializer="zeros", name="pos_embed"
        )
        self.alpha = self.add_weight(shape=(), initializer="zeros", name="alpha")
        self.distances = pixel_distances(h, w)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Attend over the positions; output of the input's shape."""
        shape = ops.shape(inputs)
        c = inputs.shape[-1]
        x = ops.reshape(inputs, (-1, self.n_tokens, c))
        pos = ops.cast(self.pos_embed, x.dtype)[None]
        x = ops.concatenate([x, ops.broadcast_to(pos, (shape[0], self.n_tokens, self.pos_dim))], -1)
        q = _split_heads(self.q(x), self.n_tokens, self.num_heads)
        k, v = ops.split(self.kv(x), 2, axis=-1)
        k = _split_heads(k, self.n_tokens, self.num_heads)
        v = _split_heads(v, self.n_tokens, self.num_heads)
        decay = ops.exp(ops.cast(self.alpha, x.dtype) * ops.cast(self.distances, x.dtype))
        out = _merge_heads(_attend(q, k, v, self.attn_drop, training, decay), self.n_tokens)
        out = self.proj_drop(self.proj(out), training=training)
        return ops.reshape(out, shape)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Return the input's shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            pos_dim=self.pos_dim,
            qkv_bias=self.qkv_bias,
            attention_dropout=self.attention_dropout,
            dropout=self.dropout,
        )
        return config


@keras.saving.register_keras_serializable(package="skrb")
class DepthwiseConvMLP(keras.layers.Layer):
    """Position-wise MLP with a depthwise 3x3 convolution between its two dense layers.

    ``Dense(ratio * C)`` > ``DepthwiseConv2D(3x3, same)`` > GELU > dropout > ``Dense(C)`` >
    dropout, on a ``(n, H, W, C)`` map: the convolution lets neighbouring positions mix.

    Parameters
    ----------
    ratio : int, default=4
        Hidden width as a multiple of the channels.
    dropout : float, default=0.0
        Dropout after the activation and after the output layer.
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._transformer_layers import DepthwiseConvMLP
    >>> layer = DepthwiseConvMLP(ratio=4)
    >>> tuple(layer(np.zeros((1, 5, 5, 8), "float32")).shape), layer.count_params()
    ((1, 5, 5, 8), 872)
    """

    def __init__(self, ratio: int = 4, *, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ratio, self.dropout = int(ratio), float(dropout)
        self.drop = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Create the dense and depthwise layers."""
        c = int(input_shape[-1])
        hidden = (*input_shape[:-1], c * self.ratio)
        dt = self.dtype_policy
        self.fc1 = _dense(c * self.ratio, "fc1", dt)
        self.dwconv = keras.layers.DepthwiseConv2D(
            3, padding="same", depthwise_initializer=_conv_init(), dtype=dt, name="dwconv"
        )
        self.fc2 = _dense(c, "fc2", dt)
        self.fc1.build(input_shape)
        self.dwconv.build(hidden)
        self.fc2.build(hidden)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Apply the MLP; output of the input's shape."""
        x = ops.gelu(self.dwconv(self.fc1(inputs)), approximate=False)
        x = self.fc2(self.drop(x, training=training))
        return self.drop(x, training=training)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Return the input's shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {**super().get_config(), "ratio": self.ratio, "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="skrb")
class EncoderBlock(keras.layers.Layer):
    """Encoder block: ``x + attention(norm(x))``, then ``x + mlp(norm(x))``.

    Parameters
    ----------
    num_heads : int
        Heads of the :class:`RelativePositionAttention`.
    pos_dim : int, default=64
        Its positional embedding size.
    mlp_ratio : int, default=4
        Hidden width of the :class:`DepthwiseConvMLP`.
    dropout, attention_dropout : float, default=0.0
        Dropout rates.
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._transformer_layers import EncoderBlock
    >>> tuple(EncoderBlock(num_heads=2, pos_dim=4)(np.ones((2, 3, 3, 8), "float32")).shape)
    (2, 3, 3, 8)
    """

    def __init__(
        self,
        num_heads: int,
        *,
        pos_dim: int = 64,
        mlp_ratio: int = 4,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_heads, self.pos_dim, self.mlp_ratio = int(num_heads), int(pos_dim), int(mlp_ratio)
        self.dropout, self.attention_dropout = float(dropout), float(attention_dropout)
        dt = self.dtype_policy
        self.norm_1 = _norm("norm_1", dt)
        self.attn = RelativePositionAttention(
            self.num_heads,
            pos_dim=self.pos_dim,
            attention_dropout=self.attention_dropout,
            dropout=self.dropout,
            dtype=dt,
            name="attn",
        )
        self.norm_2 = _norm("norm_2", dt)
        self.mlp = DepthwiseConvMLP(self.mlp_ratio, dropout=self.dropout, dtype=dt, name="mlp")

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Build the sub-layers for this map size."""
        for layer in (self.norm_1, self.attn, self.norm_2, self.mlp):
            layer.build(input_shape)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Two residual steps; output of the input's shape."""
        x = inputs + self.attn(self.norm_1(inputs), training=training)
        return x + self.mlp(self.norm_2(x), training=training)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Return the input's shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            pos_dim=self.pos_dim,
            mlp_ratio=self.mlp_ratio,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
        )
        return config


def exchange_sources(n_streams: int, channels: int) -> np.ndarray:
    """Which stream each output stream takes each channel from, after an exchange.

    Two streams (search, template): every even channel (0, 2, 4, ...) is swapped. Three streams
    (search, template, difference), as in the authors' reference: channels ``c % 4 == 2`` of
    the template go to the search and those of the search to the template and the difference;
    channels ``c % 4 == 0`` of the difference go to the search and the template, and those of
    the template to the difference (so the search's own ``c % 4 == 0`` channels are not
    passed on). Odd channels stay.

    Parameters
    ----------
    n_streams : {2, 3}
        Streams exchanged.
    channels : int
        Channels per stream.

    Returns
    -------
    sources : ndarray of shape (n_streams, channels)
        ``sources[s, c]`` = the input stream of output stream ``s``'s channel ``c``.

    Examples
    --------
    >>> from skrb.models._transformer_layers import exchange_sources
    >>> exchange_sources(2, 4).tolist()
    [[1, 0, 1, 0], [0, 1, 0, 1]]
    >>> exchange_sources(3, 4).tolist()
    [[2, 0, 1, 0], [2, 1, 0, 1], [1, 2, 0, 2]]
    """
    c = np.arange(channels)
    sources = np.tile(np.arange(n_streams)[:, None], (1, channels))
    if n_streams == 2:
        even = c % 2 == 0
        sources[0, even], sources[1, even] = 1, 0
    elif n_streams == 3:
        two, zero = c % 4 == 2, c % 4 == 0
        sources[0, two], sources[1, two], sources[2, two] = 1, 0, 0
        sources[0, zero], sources[1, zero], sources[2, zero] = 2, 2, 1
    else:
        raise ValueError(f"The exchange is defined for 2 or 3 streams; got {n_streams}.")
    return sources


@keras.saving.register_keras_serializable(package="skrb")
class ExchangeStreams(keras.layers.Layer):
    """Exchange channels between the streams after an encoder stage (no weights).

    Takes the streams stacked along the batch axis, ``(S * n, H, W, C)`` with ``S`` = 2 or 3
    (:class:`StackPanels`), and returns them in the same form, each channel of each stream
    taken from the stream :func:`exchange_sources` names: the streams share what they saw
    before the next stage.

    Parameters
    ----------
    n_streams : {2, 3}
        Streams stacked in the batch axis.
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._transformer_layers import ExchangeStreams
    >>> x = np.concatenate([np.zeros((1, 1, 1, 4)), np.ones((1, 1, 1, 4))]).astype("float32")
    >>> np.asarray(ExchangeStreams(2)(x))[:, 0, 0].tolist()
    [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """

    def __init__(self, n_streams: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_streams = int(n_streams)
        exchange_sources(self.n_streams, 1)  # checks n_streams

    def call(self, inputs: Any) -> Any:
        """Return the exchanged streams, stacked as they came."""
        s, (h, w, c) = self.n_streams, inputs.shape[1:]
        # (S, n, H, W, C) -> (n, H, W, S * C): every stream's channels side by side.
        x = ops.reshape(ops.transpose(_unstack(inputs, s), (1, 2, 3, 0, 4)), (-1, h, w, s * c))
        index = (exchange_sources(s, c) * c + np.arange(c)).ravel().astype("int32")
        x = ops.reshape(ops.take(x, index, axis=-1), (-1, h, w, s, c))
        return ops.reshape(ops.transpose(x, (3, 0, 1, 2, 4)), (-1, h, w, c))

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Return the input's shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        return {**super().get_config(), "n_streams": self.n_streams}


@keras.saving.register_keras_serializable(package="skrb")
class DecoderAttentionBlock(keras.layers.Layer):
    """Decoder block of one stage: compare the search stream with all streams.

    A learned ``pos_dim`` positional embedding (shared by the streams) is concatenated to each
    stream's channels (``D = C + pos_dim``). The search stream then goes through a pre-norm
    self-attention and a :class:`DepthwiseConvMLP`, both residual; a cross-attention takes its
    queries from the (normalised) search stream and its keys and values from the
    concatenation of all (separately normalised) streams, added to the search stream, and a
    last residual MLP follows. Output: ``(n, H, W, D)``.

    Parameters
    ----------
    n_streams : {2, 3}
        Streams stacked along the batch axis of the input ``(S * n, H, W, C)``, search first.
    num_heads : int, default=4
        Heads of both attentions (must divide ``D``).
    pos_dim : int, default=16
        Size of the positional embedding.
    mlp_ratio : int, default=4
        Hidden width of the MLPs.
    dropout, attention_dropout : float, default=0.0
        Dropout rates.
    **kwargs : dict
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrb.models._transformer_layers import DecoderAttentionBlock
    >>> streams = np.ones((2 * 5, 3, 3, 12), "float32")  # 5 pairs, search then template
    >>> tuple(DecoderAttentionBlock(2, num_heads=4, pos_dim=4)(streams).shape)
    (5, 3, 3, 16)
    """

    def __init__(
        self,
        n_streams: int,
        num_heads: int = 4,
        *,
        pos_dim: int = 16,
        mlp_ratio: int = 4,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.n_streams = int(n_streams)
        self.num_heads, self.pos_dim, self.mlp_ratio = int(num_heads), int(pos_dim), int(mlp_ratio)
        self.dropout, self.attention_dropout = float(dropout), float(attention_dropout)
        self.attn_drop = keras.layers.Dropout(self.attention_dropout, dtype=self.dtype_policy)
        self.proj_drop = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)

    def build(self, input_shape: tuple[Any, ...]) -> None:
        """Create the embeddings, norms, projections and MLPs for this map size."""
        n_streams = self.n_streams
        _, h, w, c = input_shape
        d = int(c) + self.pos_dim
        if d % self.num_heads:
            raise ValueError(
                f"{c} channels + {self.pos_dim} positional values cannot be split into "
                f"{self.num_heads} decoder heads."
            )
        self.n_tokens = int(h) * int(w)
        dt = self.dtype_policy
        tokens = (None, self.n_tokens, d)
        grid = (None, int(h), int(w), d)
        self.pos_embed = self.add_weight(
            shape=(self.n_tokens, self.pos_dim), initializer="zeros", name="pos_embed"
        )
        self.src_norm_1 = _norm("src_norm_1", dt)
        self.src_q = _dense(d, "src_q", dt)
        self.src_kv = _dense(2 * d, "src_kv", dt)
        self.src_proj = _dense(d, "src_proj", dt)
        self.src_norm_2 = _norm("src_norm_2", dt)
        self.src_mlp = DepthwiseConvMLP(
            self.mlp_ratio, dropout=self.dropout, dtype=dt, name="src_mlp"
        )
        self.comb_norms = [_norm(f"comb_norm_1_{i}", dt) for i in range(n_streams)]
        self.comb_q = _dense(d, "comb_q", dt)
        self.comb_kv = _dense(2 * d, "comb_kv", dt)
        self.comb_proj = _dense(d, "comb_proj", dt)
        self.comb_norm_2 = _norm("comb_norm_2", dt)
        self.comb_mlp = DepthwiseConvMLP(
            self.mlp_ratio, dropout=self.dropout, dtype=dt, name="comb_mlp"
        )
        for layer in (self.src_norm_1, self.src_q, self.src_kv, self.src_proj, self.src_norm_2):
            layer.build(tokens)
        for layer in (*self.comb_norms, self.comb_q, self.comb_proj, self.comb_norm_2):
            layer.build(tokens)
        self.comb_kv.build((None, self.n_tokens, n_streams * d))
        self.src_mlp.build(grid)
        self.comb_mlp.build(grid)

    def _attention(self, q_layer, kv_layer, proj, queries, keys, training):
        q = _split_heads(q_layer(queries), self.n_tokens, self.num_heads)
        k, v = ops.split(kv_layer(keys), 2, axis=-1)
        k = _split_heads(k, self.n_tokens, self.num_heads)
        v = _split_heads(v, self.n_tokens, self.num_heads)
        out = _merge_heads(_attend(q, k, v, self.attn_drop, training), self.n_tokens)
        return self.proj_drop(proj(out), training=training)

    def _mlp(self, mlp, norm, x, grid_shape, training):
        grid = ops.reshape(norm(x), grid_shape)
        return ops.reshape(mlp(grid, training=training), ops.shape(x))

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Decode the stacked streams into one ``(n, H, W, C + pos_dim)`` map."""
        c = inputs.shape[-1]
        tokens = ops.reshape(inputs, (self.n_streams, -1, self.n_tokens, c))
        n = ops.shape(tokens)[1]
        grid_shape = (n, inputs.shape[1], inputs.shape[2], c + self.pos_dim)
        pos = ops.cast(self.pos_embed, inputs.dtype)[None]
        pos = ops.broadcast_to(pos, (n, self.n_tokens, self.pos_dim))
        streams = [ops.concatenate([tokens[i], pos], -1) for i in range(self.n_streams)]
        src = streams[0]
        normed = self.src_norm_1(src)
        src = src + self._attention(
            self.src_q, self.src_kv, self.src_proj, normed, normed, training
        )
        src = src + self._mlp(self.src_mlp, self.src_norm_2, src, grid_shape, training)
        keys = ops.concatenate(
            [norm(x) for norm, x in zip(self.comb_norms, [src, *streams[1:]], strict=True)], -1
        )
        x = src + self._attention(
            self.comb_q, self.comb_kv, self.comb_proj, self.comb_norms[0](src), keys, training
        )
        x = x + self._mlp(self.comb_mlp, self.comb_norm_2, x, grid_shape, training)
        return ops.reshape(x, grid_shape)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """``(n, H, W, C + pos_dim)``."""
        sn, h, w, c = input_shape
        return (None if sn is None else sn // self.n_streams, h, w, c + self.pos_dim)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments."""
        config = super().get_config()
        config.update(
            n_streams=self.n_streams,
            num_heads=self.num_heads,
            pos_dim=self.pos_dim,
            mlp_ratio=self.mlp_ratio,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
        )
        return config
