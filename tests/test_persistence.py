"""skrb.save_model / skrb.load_model: exact round trips, no pickle, hostile files refused."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skrb
from skrb.persistence import FORMAT_VERSION, ModelFileError, load_model, save_model

FACTORIES = {
    "dia": skrb.make_dia_pipeline,
    "nodia": skrb.make_nodia_pipeline,
    "braai": skrb.make_braai_pipeline,
}
CHECKPOINTS = {
    "dia": ("acero_cuellar_2023", "model_checkpoint_AAD_3s3DH.h5"),
    "nodia": ("acero_cuellar_2023", "model_checkpoint_CCC_3s2DH.h5"),
    "braai": ("braai_d6_m7",),
}


@pytest.fixture(scope="module")
def stamps(simulated_stamps):
    X, y = simulated_stamps[0][:24].copy(), simulated_stamps[1][:24]
    X[0, 2, :5, :5] = np.nan  # a masked corner: the scalers' NaN policies are part of the trip
    return X, y


@pytest.fixture(scope="module")
def fitted(stamps):
    """One tiny fitted pipeline per model (1 epoch), fitted once for the module."""
    X, y = stamps
    return {
        name: factory(epochs=1, batch_size=16, verbose=0, random_state=0).fit(X, y)
        for name, factory in FACTORIES.items()
    }


@pytest.fixture(scope="module")
def dia_file(fitted, tmp_path_factory):
    return save_model(fitted["dia"], tmp_path_factory.mktemp("model") / "dia.skrb")


def _same_estimator(a, b):
    """Same classes, same parameters (deep) and the same plain fitted attributes."""
    assert type(a) is type(b)
    pa, pb = a.get_params(deep=True), b.get_params(deep=True)
    assert pa.keys() == pb.keys()
    for key, value in pa.items():
        if hasattr(value, "get_params") or key == "steps":
            continue
        assert pb[key] == value, key
    steps_a = getattr(a, "steps", [(None, a)])
    steps_b = getattr(b, "steps", [(None, b)])
    for step_a, step_b in zip(steps_a, steps_b, strict=True):
        sa, sb = step_a[1], step_b[1]
        for name, value in vars(sa).items():
            if name.endswith("_") and not name.startswith("_") and isinstance(value, np.ndarray):
                np.testing.assert_array_equal(vars(sb)[name], value)
            elif name in ("image_shape_", "stamp_shape_", "n_features_in_", "history_"):
                assert vars(sb)[name] == value


@pytest.mark.parametrize("model", list(FACTORIES))
def test_fitted_pipelines_round_trip_exactly(fitted, stamps, model, tmp_path):
    X, _ = stamps
    pipe = fitted[model]
    path = save_model(pipe, tmp_path / f"{model}.skrb")
    assert zipfile.is_zipfile(path)
    assert [p.name for p in tmp_path.iterdir()] == [f"{model}.skrb"]  # no temporary left
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    _same_estimator(pipe, restored)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("skrb-model.json"))
        names = archive.namelist()
    assert manifest["format_version"] == FORMAT_VERSION
    assert {"skrb", "keras", "tensorflow"} <= set(manifest["versions"])
    assert [s[1]["class"] for s in manifest["estimator"]["steps"]] == [
        "skrb.preprocessing.StampScaler",
        "skrb.preprocessing.StampStacker",
        f"skrb.models.{type(pipe[-1]).__name__}",
    ]
    assert names == ["skrb-model.json", "networks/0.keras"]


@pytest.mark.parametrize("model", list(FACTORIES))
def test_published_checkpoints_round_trip_exactly(
    checkpoint_dir, model, tmp_path, simulated_stamps
):
    pipe = FACTORIES[model](checkpoint=checkpoint_dir.joinpath(*CHECKPOINTS[model]))
    X = simulated_stamps[0][:6]
    if model == "braai":  # braai's checkpoint reads 63-pixel ZTF stamps: pad the 51-pixel DES ones
        X = np.pad(X, [(0, 0), (0, 0), (6, 6), (6, 6)], mode="edge")
    restored = load_model(save_model(pipe, tmp_path / "ckpt.skrb"))
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    assert restored[-1].checkpoint_path_ == pipe[-1].checkpoint_path_


def test_classifier_alone_round_trips_and_trains_on(fitted, stamps, tmp_path):
    X, y = stamps
    images = fitted["dia"][:-1].transform(X)
    clf = fitted["dia"][-1]
    restored = load_model(save_model(clf, tmp_path / "clf.skrb"))
    np.testing.assert_array_equal(restored.predict(images), clf.predict(images))
    np.testing.assert_array_equal(restored.classes_, clf.classes_)
    # the restored network is compiled with its optimiser: warm-start training continues it
    network, before = restored.model_, restored.model_.get_weights()[0].copy()
    restored.set_params(warm_start=True).fit(images, y)
    assert restored.model_ is network
    assert not np.array_equal(network.get_weights()[0], before)


def test_unfitted_and_plain_sklearn_steps_round_trip(tmp_path):
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.arange(12.0).reshape(6, 2)
    pipe = make_pipeline(StandardScaler(), DummyClassifier(strategy="prior")).fit(X, [0, 1] * 3)
    restored = load_model(save_model(pipe, tmp_path / "plain.skrb"))
    np.testing.assert_array_equal(restored[0].scale_, pipe[0].scale_)
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    unfitted = load_model(save_model(skrb.make_nodia_pipeline(epochs=3), tmp_path / "u.skrb"))
    assert unfitted.get_params()["classifier__epochs"] == 3
    assert not hasattr(unfitted[-1], "model_")


def test_loading_needs_no_pickle(dia_file, stamps, monkeypatch):
    X, _ = stamps
    expected = load_model(dia_file).predict_proba(X)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used while loading a skrb model file")

    import joblib

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(joblib, "load", refuse)
    np.testing.assert_array_equal(load_model(dia_file).predict_proba(X), expected)


# -- refusing what is not plain data ---------------------------------------------------------------
def test_save_refuses_unknown_classes_and_objects_as_parameters(tmp_path):
    import keras
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    with pytest.raises(ModelFileError, match="FunctionTransformer is not one of them"):
        save_model(make_pipeline(FunctionTransformer(np.log1p)), tmp_path / "f.skrb")
    clf = skrb.models.DIAClassifier(callbacks=[keras.callbacks.TerminateOnNaN()])
    with pytest.raises(ModelFileError, match="parameter 'callbacks'.*TerminateOnNaN"):
        save_model(clf, tmp_path / "c.skrb")
    cached = make_pipeline(skrb.preprocessing.StampScaler(), memory=str(tmp_path / "cache"))
    with pytest.raises(ModelFileError, match="memory .*Set memory=None"):
        save_model(cached, tmp_path / "m.skrb")
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary


class _CreatesFile:
    """A pickle payload: loading it creates a file (as any code could)."""

    def __init__(self, target: Path) -> None:
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("suffix", [".skrb", ".joblib", ".pkl"])
def test_a_pickle_payload_is_refused_without_running(tmp_path, suffix):
    target = tmp_path / "pwned"
    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle.dumps(_CreatesFile(target)))
    with pytest.raises(ModelFileError, match="is a Python pickle.*can run any code"):
        load_model(path)
    assert not target.exists()
    pickle.loads(path.read_bytes()).close()  # the payload is real: unpickling creates the file
    assert target.exists()


def _rewrite(source: Path, target: Path, edit=None, members=None) -> Path:
    """Copy a model file, editing its manifest and adding/replacing members."""
    with zipfile.ZipFile(source) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(contents["skrb-model.json"])
    if edit is not None:
        edit(manifest)
    contents["skrb-model.json"] = json.dumps(manifest).encode()
    contents.update(members or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in contents.items():
            if data is not None:
                archive.writestr(name, data)
    return target


def _classifier(manifest):
    return manifest["estimator"]["steps"][2][1]


def _network_with(source: Path, change) -> bytes:
    """The file's .keras network with its config.json changed by ``change(config)``."""
    import io

    with zipfile.ZipFile(source) as archive:
        inner = zipfile.ZipFile(io.BytesIO(archive.read("networks/0.keras")))
        parts = {n: inner.read(n) for n in inner.namelist()}
    config = json.loads(parts["config.json"])
    change(config)
    parts["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return buffer.getvalue()


def _set(path, value):
    def edit(manifest):
        node = manifest
        for key in path[:-1]:
            node = key(node) if callable(key) else node[key]
        node[path[-1]] = value

    return edit


def _evil_layer(config):
    config["config"]["layers"][1]["module"] = "os"
    config["config"]["layers"][1]["class_name"] = "system"


HOSTILE = {
    "unknown class": (_set([_classifier, "class"], "builtins.eval"), None, "not one of skrb"),
    "callable class": (
        _set(["estimator", "steps", 0, 1, "class"], "sklearn.preprocessing.FunctionTransformer"),
        None,
        "FunctionTransformer', which is not one",
    ),
    "object array": (
        _set(
            [_classifier, "fitted", "classes_"],
            {"__ndarray__": {"dtype": "|O", "shape": [2], "data": ""}},
        ),
        None,
        "not a plain numeric",
    ),
    "dunder attribute": (
        _set([_classifier, "fitted", "__class__"], "x"),
        None,
        "attribute names",
    ),
    "unknown parameter": (
        _set(["estimator", "steps", 0, 1, "params", "evil"], 1),
        None,
        "StampScaler does not take",
    ),
    "pipeline cache": (
        _set(["estimator", "params", "memory"], "/tmp/someone-elses-cache"),
        None,
        "names a cache folder",
    ),
    "newer format": (_set(["format_version"], FORMAT_VERSION + 1), None, "newer skrb"),
    "other format": (_set(["format"], "joblib"), None, "does not declare format"),
    "no estimator": (_set(["estimator"], None), None, "not an estimator entry"),
    "missing network": (None, {"networks/0.keras": None}, "network 'networks/0.keras' the file"),
    "extra member": (None, {"payload.pkl": b"\x80\x04."}, "unexpected members"),
    "too many members": (
        None,
        {f"junk/{i}": b"" for i in range(1001)},
        "1003 members in the archive",
    ),
    "manifest not json": (None, {"skrb-model.json": b"{not json"}, "is not JSON"),
    "network not a zip": (None, {"networks/0.keras": b"junk"}, "network archive is damaged"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_model_files_get_one_line_errors(dia_file, tmp_path, case):
    edit, members, message = HOSTILE[case]
    path = _rewrite(dia_file, tmp_path / "bad.skrb", edit, members)
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_network_naming_foreign_code_is_refused_before_keras(dia_file, tmp_path, monkeypatch):
    import keras

    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: pytest.fail("reached keras"))
    members = {"networks/0.keras": _network_with(dia_file, _evil_layer)}
    path = _rewrite(dia_file, tmp_path / "evil.skrb", members=members)
    with pytest.raises(ModelFileError, match=r"names os\.system.*neither a Keras class"):
        load_model(path)


@pytest.mark.parametrize("content", [b"", b"\x89HDF\r\n\x1a\n", b"PK\x03\x04 truncated"])
def test_files_that_are_not_model_files(tmp_path, content):
    path = tmp_path / "x.skrb"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="x.skrb"):
        load_model(path)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "missing.skrb")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_truncated_or_flipped_files_fail_cleanly(dia_file, stamps, tmp_path, data):
    """Any damage is a ModelFileError, or (damage in an unused byte) the same predictions."""
    raw = bytearray(dia_file.read_bytes())
    if data.draw(st.booleans(), label="truncate"):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1), label="length")]
    else:
        for _ in range(data.draw(st.integers(1, 4), label="flips")):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    path = tmp_path / "damaged.skrb"
    path.write_bytes(bytes(raw))
    try:
        restored = load_model(path)
    except ModelFileError as exc:
        assert "\n" not in str(exc) and "damaged.skrb" in str(exc)
    else:
        X, _ = stamps
        expected = load_model(dia_file).predict_proba(X[:4])
        np.testing.assert_array_equal(restored.predict_proba(X[:4]), expected)


def test_every_registered_model_is_allowed():
    """A classifier added to the model registry is accepted with no edit to persistence."""
    from skrb.models import get_model_spec, model_names
    from skrb.persistence._classes import allowed_classes

    allowed = set(allowed_classes().values())
    for name in model_names():
        assert get_model_spec(name).classifier in allowed, name
