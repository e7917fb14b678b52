"""Explainers on the authors' published DIA and noDIA checkpoints (../shared/data)."""

from __future__ import annotations

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from _stamps import blob_stamps
from sklearn.pipeline import Pipeline

from skrb.explain import (
    gradient_saliency,
    outcome_table,
    panel_shares,
    randomized_copy,
    shap_values,
    winning_panel,
)
from skrb.models import load_checkpoint
from skrb.preprocessing import StampScaler, StampStacker

pytestmark = pytest.mark.shared_data

DIA_FILE = "model_checkpoint_AAD_3s3DH.h5"
NODIA_FILE = "model_checkpoint_CCC_3s2DH.h5"


def _paper_dia_network(path):
    """The paper's DIA CNN built here from SCIENCE.md, weights copied straight from the HDF5."""
    layers = keras.layers
    net = keras.Sequential(
        [
            keras.Input((51, 153, 1)),
            layers.Conv2D(16, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ]
    )
    names = ["conv2d", "conv2d_1", "conv2d_2", "dense", "dense_1"]
    with h5py.File(path, "r") as f:
        for layer, name in zip([la for la in net.layers if la.weights], names, strict=True):
            group = f["model_weights"][name][name]
            layer.set_weights([group["kernel:0"][()], group["bias:0"][()]])
    return net


@pytest.fixture(scope="module")
def fixed_stamps():
    # 51-pixel stamps (the published networks' size): real = a new point source in search and
    # difference, bogus = a static star in search and template, subtracted away.
    X, _ = blob_stamps(10, 51, seed=2023, amplitude=8.0, sigma=2.0, bogus_star=True)
    X.flags.writeable = False
    return X


def test_dia_checkpoint_saliency_equals_gradient_tape(checkpoint_dir, fixed_stamps):
    path = checkpoint_dir / "acero_cuellar_2023" / DIA_FILE
    clf = load_checkpoint(path, "dia")
    images = StampStacker("dia").transform(StampScaler().transform(fixed_stamps))
    net = _paper_dia_network(path)
    expected = []
    for image in images:  # |d max(softmax) / d input|, one stamp at a time, eagerly
        x = tf.constant(image[np.newaxis])
        with tf.GradientTape() as tape:
            tape.watch(x)
            top = tf.reduce_max(net(x, training=False), axis=1)
        expected.append(np.abs(tape.gradient(top, x).numpy()[0]))
    expected = np.stack(expected)
    got = gradient_saliency(clf, images, batch_size=4)
    # a randomised copy predicts with its own weights, not a cached compiled call of the original
    trained = clf.predict_proba(images)
    assert not np.allclose(randomized_copy(clf, random_state=0).predict_proba(images), trained)
    np.testing.assert_array_equal(clf.predict_proba(images), trained)
    assert got.shape == images.shape
    assert expected.max() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * expected.max())


def test_checkpoint_pipelines_panel_shares(checkpoint_dir, fixed_stamps):
    folder = checkpoint_dir / "acero_cuellar_2023"
    for name, layout, n_panels in (("dia", "dia", 3), ("nodia", "nodia", 2)):
        path = folder / (DIA_FILE if name == "dia" else NODIA_FILE)
        pipe = Pipeline(
            [
                ("scaler", StampScaler()),
                ("stacker", StampStacker(layout)),
                ("classifier", load_checkpoint(path, name)),
            ]
        )
        saliency = gradient_saliency(pipe, fixed_stamps)
        assert saliency.shape == fixed_stamps.shape
        assert np.isnan(saliency[:, 2]).all() == (layout == "nodia")
        shares = panel_shares(saliency)
        assert shares.shape == (len(fixed_stamps), n_panels)
        np.testing.assert_allclose(shares.sum(axis=1), 1.0)
        values = shap_values(pipe, fixed_stamps[:4], background=fixed_stamps[4:], n_samples=20)
        assert values.shape == (4, 3, 51, 51)
        np.testing.assert_allclose(panel_shares(values).sum(axis=1), 1.0)


def test_dia_checkpoint_reads_the_difference_on_des_simulated_stamps(checkpoint_dir):
    """The paper's finding, with the authors' network, on DES-preset simulated stamps."""
    from skrb.datasets import make_stamps

    X, y = make_stamps(120, survey="des", random_state=3)
    pipe = Pipeline(
        [
            ("scaler", StampScaler()),
            ("stacker", StampStacker("dia")),
            (
                "classifier",
                load_checkpoint(checkpoint_dir / "acero_cuellar_2023" / DIA_FILE, "dia"),
            ),
        ]
    )
    shares = panel_shares(gradient_saliency(pipe, X))
    winners = winning_panel(shares)
    assert np.mean(winners == "difference") > 0.5
    table = outcome_table(shares, y, pipe.predict(X))
    assert len(table) == 4 and table["n"].sum() == len(y)
    real_real = table[0]
    assert real_real["difference"] > real_real["search"] + real_real["template"]
