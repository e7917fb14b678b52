"""The region a network reads, and the cropped inference and training built on it."""

from __future__ import annotations

import gc
import pickle
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

from skrb.models import ARCHITECTURES, DIAClassifier, build_stamp_cnn
from skrb.models._receptive_field import (
    attach_training_model,
    inference_function,
    read_region,
    training_model,
)

CASES = [
    ("dia", (51, 153, 1), (44, 148)),
    ("dia", (63, 189, 1), (60, 188)),
    ("nodia", (51, 102, 1), (50, 98)),
    ("nodia", (63, 126, 1), (58, 122)),
    ("braai", (63, 63, 3), (60, 60)),
]


def random_images(shape, n=16, seed=0):
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype("float32")


def gradient_extent(model, images):
    """Rows and columns up to the last pixel with a non-zero input gradient, over a batch.

    Computed on the whole model, independently of :func:`read_region`.
    """
    x = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reduce_sum(model(x, training=False)[:, 1])
    reached = np.abs(tape.gradient(out, x).numpy()).sum(axis=(0, 3)) > 0
    rows, cols = np.nonzero(reached)
    return int(rows.max()) + 1, int(cols.max()) + 1


@pytest.mark.parametrize(("arch", "shape", "region"), CASES)
def test_read_region_is_where_gradients_reach(arch, shape, region):
    keras.utils.set_random_seed(0)
    model = build_stamp_cnn(shape, **ARCHITECTURES[arch])
    assert read_region(model) == region
    assert gradient_extent(model, random_images(shape)) == region


def test_strides_and_dilation_are_followed():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((40, 41, 1)),
            keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
            keras.layers.Conv2D(4, 3, dilation_rate=2, activation="relu"),
            keras.layers.MaxPooling2D(3),
            keras.layers.BatchNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    region = read_region(model)
    assert region is not None
    assert region == gradient_extent(model, random_images((40, 41, 1), n=32))


@pytest.mark.parametrize(
    "model_layers",
    [
        [keras.layers.Conv2D(4, 3, padding="same"), keras.layers.MaxPooling2D(2)],
        [keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()],
        [keras.layers.Conv2D(4, 3), keras.layers.Resizing(8, 8)],
        [keras.layers.Conv2D(4, 2), keras.layers.MaxPooling2D(2)],  # 10 -> 9 -> 4: reads 9
    ],
    ids=["same-padding", "global-pooling", "unknown-layer", "whole-but-one"],
)
def test_nothing_is_cropped_where_the_analysis_does_not_apply(model_layers):
    flat = (
        []
        if isinstance(model_layers[-1], keras.layers.GlobalAveragePooling2D)
        else [keras.layers.Flatten()]
    )
    model = keras.Sequential(
        [keras.Input((10, 10, 1)), *model_layers, *flat, keras.layers.Dense(2)]
    )
    expected = (9, 9) if model_layers[0].kernel_size == (2, 2) else None
    assert read_region(model) == expected


def test_functional_models_are_left_alone():
    inputs = keras.Input((12, 12, 1))
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Conv2D(2, 3)(inputs)))
    assert read_region(keras.Model(inputs, outputs)) is None


@pytest.mark.parametrize(("arch", "shape", "region"), CASES[::2])
def test_inference_function_gives_the_models_outputs(arch, shape, region):
    keras.utils.set_random_seed(0)
    model = build_stamp_cnn(shape, **ARCHITECTURES[arch])
    images = random_images(shape, n=8)
    expected = np.asarray(model(images, training=False))
    got = np.asarray(tf.function(inference_function(model))(tf.constant(images)))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def make_compiled(shape):
    # Without dropout: its masks are drawn for the cropped tensors' shapes, so they are other
    # (equally distributed) draws than the uncropped network's.
    keras.utils.set_random_seed(1)
    model = build_stamp_cnn(shape, **dict(ARCHITECTURES["dia"], dropout=0.0))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    return model


def test_training_model_trains_the_same_variables_to_the_same_values():
    shape = (51, 153, 1)
    X = random_images(shape, n=40)
    y = np.arange(40) % 2
    plain, cropped = make_compiled(shape), make_compiled(shape)
    attach_training_model(cropped, loss="sparse_categorical_crossentropy", metrics=None)
    trainer = training_model(cropped)
    assert trainer is not cropped and training_model(plain) is plain
    assert trainer.layers[0].name == "unread_pixels"
    assert [id(v) for v in trainer.trainable_variables] == [
        id(v) for v in cropped.trainable_variables
    ]
    for model in (plain, trainer):
        keras.utils.set_random_seed(2)
        model.fit(X, y, batch_size=20, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(plain.weights, cropped.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(cropped.weights[0].numpy(), make_compiled(shape).weights[0].numpy())


def test_classifier_keeps_the_published_network_and_frees_its_trainer():
    X = random_images((51, 153, 1), n=24)
    y = np.arange(24) % 2
    clf = DIAClassifier(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    assert all(not isinstance(layer, keras.layers.Cropping2D) for layer in clf.model_.layers)
    assert training_model(clf.model_) is not clf.model_
    assert len(clf.history_["loss"]) == 1
    ref = weakref.ref(clf.model_)
    del clf
    gc.collect()
    assert ref() is None


def test_a_pickled_classifier_trains_through_a_trainer_again():
    X = random_images((51, 153, 1), n=24)
    y = np.arange(24) % 2
    clf = DIAClassifier(epochs=1, batch_size=8, verbose=0, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert training_model(restored.model_) is restored.model_  # nothing paired yet
    before = restored.model_.get_weights()[0].copy()
    restored.set_params(warm_start=True).fit(X, y)
    assert training_model(restored.model_) is not restored.model_
    assert not np.allclose(before, restored.model_.get_weights()[0])
    assert len(restored.history_["loss"]) == 1
