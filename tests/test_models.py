"""The CNN classifiers: architectures, fitting, input checks, reproducibility, persistence."""

from __future__ import annotations

import pickle

import joblib
import keras
import numpy as np
import pytest
import scipy.sparse as sp
from _stamps import stamp_set
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from skrb.models import (
    ARCHITECTURES,
    BraaiClassifier,
    DIAClassifier,
    NoDIAClassifier,
    SigmoidToTwoClass,
    build_stamp_cnn,
)
from skrb.models._inference import compiled_forward
from skrb.preprocessing import StampStacker

# The shared stamp sets (tests/_stamps.py) of the smallest stamps each architecture accepts.
SETS = {DIAClassifier: "dia", NoDIAClassifier: "nodia", BraaiClassifier: "braai"}
CLASSIFIERS = list(SETS)
QUICK = dict(epochs=1, verbose=0, batch_size=16)
# A short fit that learns the separable blob sets: 18 Adam steps, still a second or two.
LEARN = dict(epochs=3, verbose=0, batch_size=4, validation_split=0.0, optimizer="adam")
LEARN.update(learning_rate=3e-3)


def images(cls, n, size=None):
    """``n`` images of the classifier's shared stamp set, or of another stamp size."""
    X, y = stamp_set(SETS[cls], n=n, **({} if size is None else {"size": size}))
    return StampStacker(cls.layout).transform(X), y


@pytest.fixture(scope="module")
def image_sets(dia_stamps, nodia_stamps, braai_stamps):
    """The shared stamp sets stacked for each classifier (read-only ``(images, y)``)."""
    out = {}
    for cls, (X, y) in zip(CLASSIFIERS, (dia_stamps, nodia_stamps, braai_stamps), strict=True):
        images = StampStacker(cls.layout).transform(X)
        images.flags.writeable = False
        out[cls] = images, y
    return out


def layer_summary(model):
    out = []
    for layer in model.layers:
        cfg = layer.get_config()
        if isinstance(layer, keras.layers.Conv2D):
            out.append(("conv", cfg["filters"], cfg["kernel_size"][0], cfg["activation"]))
        elif isinstance(layer, keras.layers.MaxPooling2D):
            out.append(("pool", cfg["pool_size"][0]))
        elif isinstance(layer, keras.layers.Dropout):
            out.append(("dropout", cfg["rate"]))
        elif isinstance(layer, keras.layers.Dense):
            out.append(("dense", cfg["units"], cfg["activation"]))
        else:
            out.append((type(layer).__name__,))
    return out


@pytest.mark.parametrize(
    ("cls", "stamp", "n_params", "layers"),
    [
        (
            DIAClassifier,
            51,
            126_050,
            [("conv", 16, 5, "relu"), ("pool", 2), ("dropout", 0.4)]
            + [("conv", 32, 5, "relu"), ("pool", 2), ("dropout", 0.4)]
            + [("conv", 64, 5, "relu"), ("pool", 2), ("dropout", 0.4)]
            + [("Flatten",), ("dense", 32, "relu"), ("dense", 2, "softmax")],
        ),
        (
            NoDIAClassifier,
            51,
            45_908,
            [("conv", 1, 7, "relu"), ("pool", 2), ("conv", 16, 3, "relu"), ("pool", 2)]
            + [("dropout", 0.4), ("conv", 32, 3, "relu"), ("pool", 2), ("dropout", 0.4)]
            + [("Flatten",), ("dense", 32, "relu"), ("dense", 2, "softmax")],
        ),
        (
            BraaiClassifier,
            63,
            None,
            [("conv", 16, 3, "relu"), ("conv", 16, 3, "relu"), ("pool", 2), ("dropout", 0.25)]
            + [("conv", 32, 3, "relu"), ("conv", 32, 3, "relu"), ("pool", 4)]
            + [("dropout", 0.25), ("Flatten",), ("dense", 256, "relu"), ("dropout", 0.5)]
            + [("dense", 1, "sigmoid"), ("SigmoidToTwoClass",)],
        ),
    ],
)
def test_default_architectures_match_the_papers(cls, stamp, n_params, layers):
    X, y = images(cls, n=2, size=stamp)
    clf = cls(verbose=0).initialize(X, y)
    assert clf.image_shape_ == X.shape[1:]
    assert layer_summary(clf.model_) == layers
    if n_params is not None:
        assert clf.model_.count_params() == n_params
    assert tuple(clf.model_.output_shape) == (None, 2)


@pytest.mark.parametrize("stamp", [51, 63])
def test_input_shape_comes_from_the_data(stamp):
    X, y = images(DIAClassifier, n=2, size=stamp)
    clf = DIAClassifier(verbose=0).initialize(X, y)
    assert clf.image_shape_ == (stamp, 3 * stamp, 1)
    assert clf.stamp_shape_ == (stamp, stamp)
    assert clf.n_features_in_ == 3 * stamp * stamp


def test_architecture_knobs_change_the_network():
    X, y = images(DIAClassifier, n=2)
    clf = DIAClassifier(filters=(4, 8, 8), kernel_size=(5, 3, 3), dense_units=7, verbose=0)
    clf.initialize(X, y)
    summary = layer_summary(clf.model_)
    assert summary[0] == ("conv", 4, 5, "relu")
    assert ("conv", 8, 3, "relu") in summary
    assert ("dense", 7, "relu") in summary
    with pytest.raises(ValueError, match="one per convolution block"):
        DIAClassifier(kernel_size=(5, 3), verbose=0).initialize(X, y)
    with pytest.raises(ValueError, match="too small"):
        DIAClassifier(verbose=0).initialize(*images(DIAClassifier, n=2, size=30))


@pytest.fixture(scope="module")
def fitted(image_sets):
    """One quickly fitted classifier of each kind (that learned its set), with its images."""
    out = {}
    for cls in CLASSIFIERS:
        X, y = image_sets[cls]
        clf = cls(random_state=0, **LEARN)
        assert clf.fit(X, y) is clf
        out[cls] = clf, X, y
    return out


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_fit_predict_and_model_contract(cls, fitted):
    clf, X, y = fitted[cls]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    # model_ maps float32 images to the same probabilities (the explainers' contract).
    np.testing.assert_allclose(np.asarray(clf.model_(X)), proba, atol=1e-6)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    # It learned the separable blobs. Training ROC AUC measured over 8 fits (initialisations
    # 0-3 x noise seeds 0-1, shared 2-core Xeon): DIA and braai 1.000 in all, noDIA 0.924-1.000.
    # Swapped probability columns or labels (AUC 1 - a <= 0.08) fail by far. A network that
    # barely trained is caught only by chance: one epoch of SGD (batch 4, learning rate 0.05)
    # gave 0.39-1.00 for DIA/noDIA depending on the initialisation, hence this Adam fit.
    assert roc_auc_score(y, proba[:, 1]) > 0.8
    check_is_fitted(clf)
    assert clf.get_params() == cls(random_state=0, **LEARN).get_params()  # fit left them alone
    # Flattened images give the same answer.
    np.testing.assert_allclose(clf.predict_proba(X.reshape(len(X), -1)), proba, atol=1e-6)


def test_string_labels_and_column_order(image_sets):
    X, y = (a[:12] for a in image_sets[NoDIAClassifier])
    labels = np.where(y == 1, "real", "bogus")[:, np.newaxis]  # a column vector is raveled
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf = NoDIAClassifier(random_state=0, **QUICK).fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, ["bogus", "real"])
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(1)])


@pytest.mark.slow
def test_learns_the_blob():
    X, y = images(BraaiClassifier, n=64)
    clf = BraaiClassifier(
        epochs=15,
        verbose=0,
        batch_size=16,
        validation_split=0.0,
        learning_rate=3e-3,
        random_state=0,
    ).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.predict_proba(X)[y == 1, 1].mean() > clf.predict_proba(X)[y == 0, 1].mean()


def test_optimizer_settings_reach_keras(image_sets):
    X, y = image_sets[NoDIAClassifier]
    clf = NoDIAClassifier(learning_rate=0.05, optimizer__momentum=0.5, **QUICK).fit(X, y)
    assert isinstance(clf.model_.optimizer, keras.optimizers.SGD)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert float(clf.model_.optimizer.momentum) == pytest.approx(0.5)
    assert clone(clf).get_params()["optimizer__momentum"] == 0.5


def test_early_stopping_stops_and_can_be_switched_off(image_sets):
    X, y = image_sets[NoDIAClassifier]
    # With learning rate 0 the validation loss never improves: stop after patience + 1 epochs.
    common = dict(epochs=6, verbose=0, learning_rate=0.0, validation_split=0.25, patience=1)
    stopped = NoDIAClassifier(early_stopping=True, **common).fit(X, y)
    assert len(stopped.history_["loss"]) == 2
    full = NoDIAClassifier(early_stopping=False, **common).fit(X, y)
    assert len(full.history_["loss"]) == 6


@pytest.mark.parametrize("deterministic", [False, True])
def test_random_state_makes_fits_reproducible(deterministic, image_sets):
    X, y = (a[:12] for a in image_sets[NoDIAClassifier])

    def fit(rs):
        clf = NoDIAClassifier(random_state=rs, deterministic=deterministic, **QUICK)
        return clf.fit(X, y).predict_proba(X)

    first = fit(3)
    if deterministic:
        np.testing.assert_array_equal(fit(3), first)
    else:
        np.testing.assert_allclose(fit(3), first, atol=1e-5)
        assert not np.allclose(fit(4), first, atol=1e-5)


def test_sample_weight_and_class_weight_are_used(image_sets):
    X, y = (a[:12] for a in image_sets[NoDIAClassifier])
    base = dict(random_state=0, deterministic=True, **QUICK)
    plain = NoDIAClassifier(**base).fit(X, y).predict_proba(X)
    weighted = NoDIAClassifier(**base).fit(X, y, sample_weight=1 + 4 * y).predict_proba(X)
    balanced = NoDIAClassifier(class_weight={0: 1.0, 1: 5.0}, **base).fit(X, y)
    assert not np.allclose(plain, weighted)
    np.testing.assert_allclose(balanced.predict_proba(X), weighted, atol=1e-6)
    with pytest.raises(ValueError, match="at least one non-zero"):
        NoDIAClassifier(**base).fit(X, y, sample_weight=np.zeros(len(y)))


def test_errors_are_clear(fitted, dia_stamps):
    clf, X, y = fitted[DIAClassifier]
    with pytest.raises(NotFittedError, match="not fitted"):
        DIAClassifier().predict_proba(X)
    with pytest.raises(ValueError, match="single class"):
        DIAClassifier(**QUICK).fit(X, np.ones(len(X)))
    with pytest.raises(ValueError, match="binary"):
        DIAClassifier(**QUICK).fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match=r"StampStacker\(layout='dia'\)"):
        DIAClassifier(**QUICK).fit(dia_stamps[0][:4], y[:4])
    with pytest.raises(ValueError, match="feature"):
        DIAClassifier(**QUICK).fit(np.zeros((4, 10), np.float32), y[:4])
    big, _ = images(DIAClassifier, n=2, size=51)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(36, 108, 1\)"):
        clf.predict_proba(big)
    with pytest.raises(ValueError, match="features"):
        clf.predict(big.reshape(2, -1))
    bad = X.copy()
    bad[5, 3, 4, 0] = np.nan
    with pytest.raises(ValueError, match="NaN.*index 5.*nan_policy"):
        clf.predict_proba(bad)
    bad[5, 3, 4, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        DIAClassifier(**QUICK).fit(bad, y)
    with pytest.raises(ValueError, match="empty"):
        clf.predict_proba(X[:0])
    with pytest.raises(ValueError, match=r"got an array of shape \(3888,\)"):
        clf.predict(X[0].ravel())
    with pytest.raises(ValueError, match="fitted on images of shape"):
        clf.partial_fit(big, y[:2])
    with pytest.raises(TypeError, match="[Ss]parse"):
        clf.predict_proba(sp.csr_matrix(X.reshape(len(X), -1)))


def test_input_forms_give_the_same_answer(fitted, tmp_path):
    clf, X, _ = fitted[DIAClassifier]
    expected = clf.predict_proba(X)
    np.save(tmp_path / "X.npy", X)
    forms = {
        "read-only memmap": np.load(tmp_path / "X.npy", mmap_mode="r"),
        "Fortran order": np.asfortranarray(X),
        "float64": X.astype(np.float64),
        "object": X.astype(object),
        "nested lists": X.tolist(),
    }
    for name, Xf in forms.items():
        np.testing.assert_allclose(clf.predict_proba(Xf), expected, atol=1e-6, err_msg=name)
    before = dict(vars(clf))
    clf.predict_proba(X)
    assert vars(clf).keys() == before.keys()  # predicting leaves the estimator unchanged


@pytest.mark.parametrize("cls", [DIAClassifier, BraaiClassifier])
def test_pickle_and_keras_format_round_trip(cls, fitted, tmp_path):
    clf, X, _ = fitted[cls]
    proba = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), proba)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(X), proba)
    path = tmp_path / "model.keras"
    clf.model_.save(path)
    model = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(np.asarray(model(X)), np.asarray(clf.model_(X)))


def test_sigmoid_to_two_class_layer_round_trips():
    layer = SigmoidToTwoClass(name="two")
    clone_ = SigmoidToTwoClass.from_config(layer.get_config())
    p = np.array([[0.1], [0.9]], dtype=np.float32)
    np.testing.assert_allclose(np.asarray(clone_(p)), [[0.9, 0.1], [0.1, 0.9]], atol=1e-7)


def test_build_stamp_cnn_rejects_unknown_output():
    with pytest.raises(ValueError, match="output"):
        build_stamp_cnn((36, 108, 1), output="linear")


def test_predict_proba_batches_match_one_call(fitted):
    clf, X, _ = fitted[NoDIAClassifier]
    small = clone(clf).set_params(predict_batch_size=5)
    small.__dict__.update({k: v for k, v in vars(clf).items() if k.endswith("_")})
    np.testing.assert_allclose(small.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_validation_does_not_copy_float32_images(fitted):
    clf, X, _ = fitted[DIAClassifier]
    assert np.shares_memory(clf._validate_images(X, reset=False), X)
    flat = X.reshape(len(X), -1)
    assert np.shares_memory(clf._validate_images(flat, reset=False), X)


@pytest.mark.parametrize(
    ("cls", "kind"),
    [(DIAClassifier, "dia"), (NoDIAClassifier, "nodia"), (BraaiClassifier, "braai")],
)
def test_default_parameters_are_the_published_architecture(cls, kind):
    params = cls().get_params()
    expected = {k: v for k, v in ARCHITECTURES[kind].items() if k != "output"}
    assert {k: params[k] for k in expected} == expected
    assert cls._output == ARCHITECTURES[kind]["output"]


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.slow
def test_mixed_precision_keeps_full_precision_probabilities(cls):
    X, y = images(cls, n=64)
    clf = cls(dtype_policy="mixed_bfloat16", random_state=0, **QUICK).fit(X, y)
    policies = {layer.name: layer.dtype_policy.name for layer in clf.model_.layers}
    assert policies["conv1_1"] == "mixed_bfloat16"
    assert policies["output"] == "float32"
    assert clf.model_.count_params() == cls(**QUICK).fit(X, y).model_.count_params()
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    # bfloat16 probabilities (8-bit mantissa) would collapse onto a few dozen values.
    assert len(np.unique(proba[:, 1])) > 0.9 * len(X)
    # The same weights in float32 give nearly the same probabilities.
    reference = build_stamp_cnn(X.shape[1:], **clf._architecture())
    reference.set_weights(clf.model_.get_weights())
    np.testing.assert_allclose(proba, np.asarray(reference(X)), atol=0.05)


def test_xla_prediction_pads_the_last_batch_and_agrees(fitted):
    clf, X, _ = fitted[NoDIAClassifier]
    xla = clone(clf).set_params(jit_compile=True, predict_batch_size=8)
    xla.__dict__.update({k: v for k, v in vars(clf).items() if k.endswith("_")})
    for n in (len(X), len(X) - 1, 5):  # last batches of different sizes
        np.testing.assert_allclose(xla.predict_proba(X[:n]), clf.predict_proba(X[:n]), atol=1e-5)
    assert compiled_forward(xla.model_, jit_compile=True).experimental_get_tracing_count() == 1


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"epochs": 0}, "'epochs' parameter of DIAClassifier must be an int in the range"),
        ({"learning_rate": -1.0}, "'learning_rate' parameter"),
        ({"batch_size": -5}, "'batch_size' parameter"),
        ({"pool_size": 0}, "'pool_size' parameter"),
        ({"pool_size": (2, 0, 2)}, "'pool_size' parameter .* integers >= 1"),
        ({"predict_batch_size": 0}, "'predict_batch_size' parameter"),
        ({"class_weight": {0: -1.0, 1: 1.0}}, "'class_weight' parameter .* >= 0"),
        ({"class_weight": {0: np.nan, 1: 1.0}}, "'class_weight' parameter"),
        ({"class_weight": "even"}, "'class_weight' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"dropout": (0.1, 0.2, 1.5)}, "'dropout' parameter .* rates in"),
        ({"kernel_size": (5, 3)}, "'kernel_size' parameter .* one per convolution block"),
        ({"filters": ()}, "'filters' parameter"),
        ({"filters": (16, 2.5, 8)}, "'filters' parameter .* integers >= 1"),
        ({"validation_split": 1.0}, "'validation_split' parameter"),
        ({"patience": -1}, "'patience' parameter"),
        ({"early_stopping": "yes"}, "'early_stopping' parameter"),
    ],
)
def test_bad_parameters_are_refused_before_any_work(params, match, monkeypatch, image_sets):
    X, y = (a[:4] for a in image_sets[DIAClassifier])

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the parameters were checked")

    clf = DIAClassifier(verbose=0, **params)
    monkeypatch.setattr(clf, "_build_keras_model", no_work)
    monkeypatch.setattr(clf, "_validate_data", no_work)
    for method in (clf.fit, clf.partial_fit, clf.initialize):
        with pytest.raises(InvalidParameterError, match=match):
            method(X, y)
    assert not hasattr(clf, "model_")


def test_predict_checks_parameters_set_after_fit(fitted):
    clf, X, _ = fitted[DIAClassifier]
    bad = clone(clf).set_params(predict_batch_size=0)
    bad.__dict__.update({k: v for k, v in vars(clf).items() if k.endswith("_")})
    with pytest.raises(InvalidParameterError, match="'predict_batch_size' parameter"):
        bad.predict_proba(X)


def test_load_checkpoint_checks_parameters_first(tmp_path):
    from skrb.models import load_checkpoint

    with pytest.raises(InvalidParameterError, match="'predict_batch_size' parameter"):
        path = tmp_path / "x.h5"
        path.write_bytes(b"")
        load_checkpoint(path, "dia", predict_batch_size=0)


def test_partial_fit_with_augment_draws_new_orientations_each_call(monkeypatch, dia_stamps):
    """Each partial_fit builds a new augmenting trainer: its seed must move on with training.

    With the seed taken from ``random_state`` alone, every call repeated the first call's
    flips and rotations; a ``fit`` still starts from the seed itself.
    """
    import skrb.models._base as base

    seeds = []
    real = base.with_augmentation

    def recording(*args, seed=None, **kwargs):
        seeds.append(seed)
        return real(*args, seed=seed, **kwargs)

    monkeypatch.setattr(base, "with_augmentation", recording)
    X, y = StampStacker("dia").transform(dia_stamps[0]), dia_stamps[1]
    clf = DIAClassifier(augment=True, random_state=0, **QUICK)
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert len(seeds) == 3 and len(set(seeds)) == 3
    first = seeds[0]
    seeds.clear()
    DIAClassifier(augment=True, random_state=0, **QUICK).fit(X, y)
    assert seeds == [first]  # a fit starts at step 0, as the first partial_fit did
