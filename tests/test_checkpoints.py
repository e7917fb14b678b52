"""The published checkpoints load into skrb classifiers and reproduce their networks' outputs."""

from __future__ import annotations

import h5py
import keras
import numpy as np
import pytest
from keras import layers as L

from skrb import make_braai_pipeline
from skrb.io import read_alerts
from skrb.models import BraaiClassifier, DIAClassifier, NoDIAClassifier, load_checkpoint
from skrb.preprocessing import StampStacker

pytestmark = pytest.mark.shared_data

DIA_FILE = ("acero_cuellar_2023", "model_checkpoint_AAD_3s3DH.h5")
NODIA_FILE = ("acero_cuellar_2023", "model_checkpoint_CCC_3s2DH.h5")
BRAAI_DIR = ("braai_d6_m7",)


def hand_built(kind):
    """The published network written out layer by layer, independently of skrb's builder."""
    if kind == "dia":
        return keras.Sequential(
            [keras.Input((51, 153, 1))]
            + [L.Conv2D(16, 5, activation="relu"), L.MaxPooling2D(2), L.Dropout(0.4)]
            + [L.Conv2D(32, 5, activation="relu"), L.MaxPooling2D(2), L.Dropout(0.4)]
            + [L.Conv2D(64, 5, activation="relu"), L.MaxPooling2D(2), L.Dropout(0.4)]
            + [L.Flatten(), L.Dense(32, activation="relu"), L.Dense(2, activation="softmax")]
        )
    if kind == "nodia":
        return keras.Sequential(
            [keras.Input((51, 102, 1))]
            + [L.Conv2D(1, 7, activation="relu"), L.MaxPooling2D(2)]
            + [L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2), L.Dropout(0.4)]
            + [L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Dropout(0.4)]
            + [L.Flatten(), L.Dense(32, activation="relu"), L.Dense(2, activation="softmax")]
        )
    return keras.Sequential(
        [keras.Input((63, 63, 3))]
        + [L.Conv2D(16, 3, activation="relu"), L.Conv2D(16, 3, activation="relu")]
        + [L.MaxPooling2D(2), L.Dropout(0.25)]
        + [L.Conv2D(32, 3, activation="relu"), L.Conv2D(32, 3, activation="relu")]
        + [L.MaxPooling2D(4), L.Dropout(0.25), L.Flatten()]
        + [L.Dense(256, activation="relu"), L.Dropout(0.5), L.Dense(1, activation="sigmoid")]
    )


def h5_weights(path):
    """Kernel/bias pairs of the weight-bearing layers, in file order."""
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        out = []
        for name in group.attrs["layer_names"]:
            names = group[name].attrs["weight_names"]
            out += [np.asarray(group[name][w]) for w in names]
    return out


@pytest.mark.parametrize(
    ("kind", "parts", "weights_name", "cls"),
    [
        ("dia", DIA_FILE, None, DIAClassifier),
        ("nodia", NODIA_FILE, None, NoDIAClassifier),
        ("braai", BRAAI_DIR, "d6_m7.weights.h5", BraaiClassifier),
    ],
)
def test_checkpoints_equal_a_hand_built_keras_model(checkpoint_dir, kind, parts, weights_name, cls):
    path = checkpoint_dir.joinpath(*parts)
    clf = load_checkpoint(path, kind, verbose=0)
    assert type(clf) is cls
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    ref = hand_built(kind)
    ref.set_weights(h5_weights(path / weights_name if weights_name else path))
    assert clf.image_shape_ == tuple(ref.input_shape[1:])
    assert clf.n_features_in_ == int(np.prod(ref.input_shape[1:]))
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 2, size=(16, *clf.image_shape_)).astype(np.float32)
    expected = np.asarray(ref(X))
    got = clf.predict_proba(X)
    if kind == "braai":  # sigmoid = P(real)
        np.testing.assert_allclose(got[:, 1], expected[:, 0], atol=1e-6)
    else:  # the authors' softmax has P(real) in column 0
        np.testing.assert_allclose(got, expected[:, ::-1], atol=1e-6)
    np.testing.assert_allclose(np.asarray(clf.model_(X)), got, atol=1e-6)
    assert clf.predict(X).tolist() == (got[:, 1] > 0.5).astype(int).tolist()


def _drb(alerts):
    drb = np.ma.filled(np.ma.asarray(alerts.meta["drb"], dtype=float), np.nan)
    assert np.isfinite(drb).all()
    return drb


def test_braai_model_reproduces_drb_on_d6_m7_preprocessing(checkpoint_dir, kowalski_alert_dir):
    """The loaded network, fed braai d6_m7's own preprocessing (NaN -> 0, then
    keras.utils.normalize on float32 rows, where a row whose squared norm overflows becomes 0)."""
    alerts = read_alerts(kowalski_alert_dir, progress=False, masked_sentinel="keep")
    with np.errstate(over="ignore"):
        rows = np.nan_to_num(alerts.data, nan=0.0)
        norms = np.linalg.norm(rows, axis=-1, keepdims=True)  # float32, as in braai
    norms[norms == 0] = 1
    images = StampStacker("channels").transform((rows / norms).astype(np.float32))
    clf = load_checkpoint(checkpoint_dir / "braai_d6_m7", "braai", verbose=0)
    close = np.abs(clf.predict_proba(images)[:, 1] - _drb(alerts)) < 0.01
    assert close.mean() >= 0.95, f"only {close.mean():.1%} within 0.01 of drb"


def test_braai_pipeline_reproduces_the_alerts_drb(checkpoint_dir, kowalski_alert_dir):
    # braai saw ZTF's -3.4e38 template mask values as they are: keep them to reproduce drb.
    alerts = read_alerts(kowalski_alert_dir, progress=False, masked_sentinel="keep")
    pipe = make_braai_pipeline(checkpoint_dir / "braai_d6_m7", verbose=0)
    close = np.abs(pipe.predict_proba(alerts.data)[:, 1] - _drb(alerts)) < 0.01
    assert close.mean() >= 0.95, f"only {close.mean():.1%} within 0.01 of drb"


def test_checkpoint_errors(checkpoint_dir, tmp_path):
    dia = checkpoint_dir.joinpath(*DIA_FILE)
    with pytest.raises(ValueError, match="Unknown model"):
        load_checkpoint(dia, "vgg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.h5", "dia")
    with pytest.raises(ValueError, match="not 'nodia' images"):
        load_checkpoint(dia, "nodia")
    with pytest.raises(ValueError, match="not 'braai' images"):
        load_checkpoint(dia, "braai")
    with pytest.raises(ValueError, match="does not hold the 'dia' network"):
        load_checkpoint(dia, "dia", filters=(8, 16, 32))
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"this is not HDF5" * 100)
    with pytest.raises(ValueError, match="not an HDF5 file, or truncated"):
        load_checkpoint(garbage, "dia")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(dia.read_bytes()[:50_000])
    with pytest.raises(ValueError, match="truncated"):
        load_checkpoint(truncated, "dia")
    with pytest.raises(FileNotFoundError, match="Cannot tell which checkpoint"):
        load_checkpoint(checkpoint_dir, "dia")
