"""No silent NaN: diverging fits, NaN networks and hostile checkpoint shapes are clear errors."""

from __future__ import annotations

import json
import shutil

import h5py
import joblib
import numpy as np
import pytest

from skrb.cli import main
from skrb.models import (
    DIAClassifier,
    NonFiniteError,
    StampCNNClassifier,
    StopOnNonFinite,
    load_checkpoint,
)
from skrb.persistence import ModelFileError, load_model, save_model
from skrb.preprocessing import StampStacker


@pytest.fixture(scope="module")
def images(dia_stamps):
    X, y = dia_stamps[0][:8], dia_stamps[1][:8]
    return StampStacker("dia").transform(X), y


@pytest.fixture(scope="module")
def fitted(images):
    X, y = images
    return DIAClassifier(epochs=1, verbose=0, random_state=0, batch_size=8).fit(X, y)


def test_fit_on_overflowing_pixels_fails_and_leaves_the_classifier_unfitted(images):
    X, y = images
    clf = DIAClassifier(epochs=2, verbose=0, random_state=0, batch_size=4, validation_split=0.25)
    diverged = "DIAClassifier: .*(nan|NaN or infinite).*epoch 1.*left unfitted"
    with pytest.raises(NonFiniteError, match=diverged):
        clf.fit(X * np.float32(1e30), y)
    assert not hasattr(clf, "model_")  # early stopping restored nothing behind our back
    with pytest.raises(Exception, match="not fitted"):
        clf.predict_proba(X)


def test_a_nan_loss_stops_at_its_batch():
    callback = StopOnNonFinite("BraaiClassifier")
    callback.on_epoch_begin(2)
    callback.on_train_batch_end(0, {"loss": 0.5, "accuracy": float("nan")})  # not a loss
    with pytest.raises(NonFiniteError, match="training loss became inf at epoch 3, batch 5"):
        callback.on_train_batch_end(4, {"loss": float("inf")})
    with pytest.raises(NonFiniteError, match="validation loss became nan"):
        callback.on_epoch_end(2, {"loss": 0.5, "val_loss": float("nan")})


def _poisoned(clf, rows=None):
    """A copy of ``clf`` whose output bias is NaN (every probability NaN)."""
    import copy

    bad = copy.deepcopy(clf)
    kernel, bias = bad.model_.layers[-1].get_weights()
    bad.model_.layers[-1].set_weights([kernel, np.full_like(bias, np.nan)])
    return bad


def test_predict_proba_never_returns_nan(fitted, images):
    X, _ = images
    proba = fitted.predict_proba(X)  # the healthy network's probabilities pass unchanged
    np.testing.assert_allclose(proba, np.asarray(fitted.model_(X, training=False)), atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(NonFiniteError, match="for 8 of 8 sample\\(s\\) \\(first at index 0\\)"):
        _poisoned(fitted).predict_proba(X)
    with pytest.raises(NonFiniteError) as info:
        _poisoned(fitted).predict(X[:3])
    np.testing.assert_array_equal(info.value.indices, [0, 1, 2])


def test_a_model_file_with_nan_weights_is_refused(fitted, tmp_path):
    path = save_model(_poisoned(fitted), tmp_path / "nan.skrb")
    with pytest.raises(ModelFileError, match="weight\\(s\\) of layer 'output' are NaN"):
        load_model(path)


def test_a_nan_checkpoint_is_refused(checkpoint_dir, tmp_path):
    path = tmp_path / "nan.h5"
    shutil.copy(checkpoint_dir / "acero_cuellar_2023" / "model_checkpoint_AAD_3s3DH.h5", path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights"] if "model_weights" in f else f
        name = next(n for n in group.attrs["layer_names"] if group[n].attrs["weight_names"].size)
        name = name.decode() if isinstance(name, bytes) else name
        weight = group[name].attrs["weight_names"][0]
        dataset = group[name][weight.decode() if isinstance(weight, bytes) else weight]
        dataset[...] = np.nan
    with pytest.raises(NonFiniteError, match="nan.h5: .* are NaN or infinite: the checkpoint"):
        load_checkpoint(path, "dia")


@pytest.mark.parametrize(
    ("claim", "match"),
    [
        ([None, 600, 600, 3], "does not hold the 'braai' network for images of shape \\(600"),
        ([None, 10**9, 10**9, 3], "not three sides of 1 to 1024 pixels"),
        ([None, 63, "63", 3], "not three sides"),
        ([None, 63, 63, 1], "1 input channel\\(s\\)|not 'braai' images"),
    ],
)
def test_a_checkpoints_claimed_shape_is_checked_before_allocating(
    checkpoint_dir, tmp_path, monkeypatch, claim, match
):
    source = checkpoint_dir / "braai_d6_m7"
    shutil.copy(source / "d6_m7.weights.h5", tmp_path / "d6_m7.weights.h5")
    config = json.loads((source / "d6_m7.architecture.json").read_text())
    config["config"]["layers"][0]["config"]["batch_input_shape"] = claim
    (tmp_path / "d6_m7.architecture.json").write_text(json.dumps(config))
    monkeypatch.setattr(
        StampCNNClassifier, "initialize", lambda *a: pytest.fail("a network was built")
    )
    with pytest.raises(ValueError, match=match):
        load_checkpoint(tmp_path, "braai")


def _nan_scores(X):
    return np.full((len(X), 2), np.nan)


class _NaNModel:
    """A classifier whose probabilities are NaN (a pickled model of any kind)."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        return _nan_scores(X)


def test_skrb_score_exits_non_zero_and_writes_nothing_on_nan(tmp_path, capsys):
    stamps = tmp_path / "stamps.npz"
    np.savez(stamps, X=np.zeros((5, 3, 7, 7), np.float32))
    model = tmp_path / "nan.joblib"
    joblib.dump(_NaNModel(), model)
    out = tmp_path / "scores.csv"
    argv = ["score", str(stamps), "--model-file", str(model), "--allow-pickle", "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NaN or infinite P(real) for 5 of 5" in err[0]
    assert not out.exists()


def test_the_scoring_core_refuses_nan_for_alerts_with_good_cutouts():
    from astropy.table import Table
    from sklearn.utils import Bunch

    from skrb.scoring import score_alerts

    status = ["missing difference cutout", "ok", "ok"]
    alerts = Bunch(
        data=np.zeros((3, 3, 7, 7), np.float32),
        meta=Table({"candid": [11, 12, 13], "status": status}),
    )
    with pytest.raises(NonFiniteError, match="for 2 alert\\(s\\) .*first: candid 12") as info:
        score_alerts(_NaNModel(), alerts)
    np.testing.assert_array_equal(info.value.indices, [1, 2])
