"""Gradient explainers on a tiny trained CNN (the contract of skrb classifiers)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from _toy import ToyClassifier, toy_classifier, toy_pipeline
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skrb.explain import (
    gradient_saliency,
    integrated_gradients,
    model_randomization_check,
    randomized_copy,
    shap_values,
    smoothgrad,
)
from skrb.explain._gradients import saliency_and_p_real
from skrb.preprocessing import StampStacker


@pytest.fixture(scope="module")
def stamps(point_stamps):
    """The first 12 of the toy's training set (read-only)."""
    X, y = point_stamps
    return X[:12], y[:12]


def _tape_saliency(model, images, target=None):
    """Independent eager computation: |d p[c] / d x| one sample at a time."""
    out = []
    for image in images:
        x = tf.constant(image[np.newaxis])
        with tf.GradientTape() as tape:
            tape.watch(x)
            proba = model(x, training=False)
            c = int(np.argmax(proba[0])) if target is None else target
            p = proba[0, c]
        out.append(np.abs(tape.gradient(p, x).numpy()[0]))
    return np.stack(out)


def assert_same_gradients(got, expected):
    """Equal up to float32 rounding (relative to the largest gradient)."""
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_classifier_saliency_equals_gradient_tape(stamps):
    clf = toy_classifier()
    images = StampStacker("dia").transform(stamps[0])
    expected = _tape_saliency(clf.model_, images)
    got = gradient_saliency(clf, images, batch_size=5)
    assert got.shape == images.shape and got.dtype == np.float32
    assert_same_gradients(got, expected)
    assert got.max() > 0
    flat = gradient_saliency(clf, images.reshape(len(images), -1))
    assert_same_gradients(flat, expected.reshape(len(images), -1))


def test_target_class_and_sign(stamps):
    clf = toy_classifier()
    images = StampStacker("dia").transform(stamps[0])
    real = gradient_saliency(clf, images, target=1)
    assert_same_gradients(real, _tape_saliency(clf.model_, images, target=1))
    # two classes: d p0 = -d p1, so the magnitudes agree whatever the class
    assert_same_gradients(gradient_saliency(clf, images, target=0), real)
    signed = gradient_saliency(clf, images, target=1, absolute=False)
    assert (signed < 0).any() and (signed > 0).any()
    np.testing.assert_allclose(np.abs(signed), real)
    per_sample = gradient_saliency(clf, images, target=np.ones(len(images), dtype=int))
    np.testing.assert_array_equal(per_sample, real)


@pytest.mark.parametrize("layout", ["dia", "nodia", "channels"])
def test_pipeline_maps_back_to_panels(layout, stamps):
    X, _ = stamps
    pipe = toy_pipeline(layout)
    stacker = pipe.named_steps["stacker"]
    saliency = gradient_saliency(pipe, X)
    assert saliency.shape == X.shape
    expected = stacker.inverse_transform(gradient_saliency(pipe[-1], stacker.transform(X)))
    np.testing.assert_array_equal(saliency, expected)
    unused = layout == "nodia"
    assert np.isnan(saliency[:, 2]).all() == unused
    assert np.isfinite(saliency[:, :2]).all()
    flat = gradient_saliency(pipe, X.reshape(len(X), -1))
    np.testing.assert_array_equal(flat, saliency.reshape(len(X), -1))


def test_search_objects_are_unwrapped(stamps):
    class Search:
        best_estimator_ = toy_pipeline()

    X, _ = stamps
    np.testing.assert_array_equal(
        gradient_saliency(Search(), X), gradient_saliency(toy_pipeline(), X)
    )


def test_saliency_finds_the_informative_pixel(stamps):
    X, y = stamps
    saliency = gradient_saliency(toy_pipeline(), X[y == 1])
    # real stamps differ from bogus ones only by the central difference pixel
    assert np.nanmean(saliency[:, 2]) > np.nanmean(saliency[:, :2])


def test_bad_input_errors(stamps):
    X, _ = stamps
    clf = toy_classifier()
    with pytest.raises(NotFittedError):
        gradient_saliency(ToyClassifier(), np.zeros((2, 5, 15, 1)))
    with pytest.raises(ValueError, match=r"input images of shape \(n_samples, 5, 15, 1\)"):
        gradient_saliency(clf, X)
    images = StampStacker("dia").transform(X)
    images[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN in 1 image.*nan_policy"):
        gradient_saliency(clf, images)
    with pytest.raises(ValueError, match="empty"):
        gradient_saliency(clf, images[:0])
    with pytest.raises(ValueError, match="not among the classifier's classes_"):
        gradient_saliency(clf, images[2:], target=7)
    with pytest.raises(ValueError, match="batch_size"):
        gradient_saliency(clf, images[2:], batch_size=0)
    with pytest.raises(ValueError, match="exactly one StampStacker"):
        gradient_saliency(Pipeline([("classifier", clf)]), X)
    with pytest.raises(TypeError, match="fitted skrb classifier"):
        gradient_saliency(object(), X)
    with pytest.raises(ValueError, match=r"\(2 panels\)"):
        gradient_saliency(toy_pipeline(), X[:, :2])


def test_progress_bar_and_batches_agree(stamps, capsys):
    X, _ = stamps
    pipe = toy_pipeline()
    quiet = gradient_saliency(pipe, X)
    shown = gradient_saliency(pipe, X, batch_size=5, verbose=1)
    np.testing.assert_allclose(shown, quiet, rtol=1e-5)
    assert "gradient saliency" in capsys.readouterr().err


def test_smoothgrad(stamps):
    X, _ = stamps
    pipe = toy_pipeline()
    np.testing.assert_allclose(
        smoothgrad(pipe, X, noise_level=0.0, n_samples=2), gradient_saliency(pipe, X), rtol=1e-6
    )
    a = smoothgrad(pipe, X, n_samples=5, random_state=0)
    np.testing.assert_array_equal(a, smoothgrad(pipe, X, n_samples=5, random_state=0))
    assert not np.allclose(a, gradient_saliency(pipe, X))
    assert smoothgrad(pipe, X, n_samples=3, absolute=False, random_state=0).min() < 0
    with pytest.raises(ValueError, match="noise_level"):
        smoothgrad(pipe, X, noise_level=-1)
    with pytest.raises(ValueError, match="n_samples"):
        smoothgrad(pipe, X, n_samples=0)


def test_integrated_gradients_completeness(stamps):
    X, _ = stamps
    clf = toy_classifier()
    images = StampStacker("dia").transform(X)
    proba = clf.predict_proba(images)
    predicted = proba.argmax(axis=1)
    base = clf.predict_proba(np.zeros_like(images))
    ig = integrated_gradients(clf, images, n_steps=128)
    expected = proba[np.arange(len(X)), predicted] - base[np.arange(len(X)), predicted]
    np.testing.assert_allclose(ig.sum(axis=(1, 2, 3)), expected, atol=2e-3)
    # baselines: a float, one image, one per sample, or stamp sets for a Pipeline
    np.testing.assert_allclose(
        integrated_gradients(clf, images, baseline=0.0, n_steps=8),
        integrated_gradients(clf, images, n_steps=8),
    )
    np.testing.assert_allclose(
        integrated_gradients(clf, images, baseline=np.zeros(images.shape[1:]), n_steps=8),
        integrated_gradients(clf, images, baseline=np.zeros_like(images), n_steps=8),
    )
    pipe_ig = integrated_gradients(toy_pipeline(), X, baseline=np.zeros_like(X), n_steps=8)
    np.testing.assert_allclose(
        pipe_ig, StampStacker("dia").inverse_transform(integrated_gradients(clf, images, n_steps=8))
    )
    one_stamp = integrated_gradients(
        toy_pipeline(), X, baseline=np.zeros(X.shape[1:]), n_steps=8, batch_size=5
    )
    np.testing.assert_allclose(one_stamp, pipe_ig, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="baseline"):
        integrated_gradients(clf, images, baseline="blur")
    with pytest.raises(ValueError, match="baseline holds 2 samples"):
        integrated_gradients(toy_pipeline(), X, baseline=np.zeros_like(X[:2]))


def test_softmax_saturation_shrinks_vanilla_gradients(stamps):
    """Documented behaviour: a more confident prediction has a smaller gradient."""
    X, y = stamps
    clf = toy_classifier()
    images = StampStacker("dia").transform(X[y == 1][:1])
    bright = images.copy()
    bright[0, 2, 2, 0] *= 10  # the informative pixel, 10x brighter: P(real) -> 1
    p = clf.predict_proba(np.concatenate([images, bright]))[:, 1]
    assert p[1] > p[0] and p[1] > 0.999
    g = gradient_saliency(clf, np.concatenate([images, bright]))
    assert g[1].sum() < g[0].sum()


def test_shap_values_gradient_and_deep(stamps):
    X, _ = stamps
    pipe = toy_pipeline("nodia")
    values = shap_values(pipe, X, n_background=6, n_samples=30, random_state=0)
    assert values.shape == X.shape
    assert np.isnan(values[:, 2]).all() and np.isfinite(values[:, :2]).all()
    # Each sample's own column is explained: p(bogus) = 1 - p(real) gives opposite values.
    kw = dict(n_background=6, n_samples=30, random_state=0)
    real, bogus = shap_values(pipe, X, target=1, **kw), shap_values(pipe, X, target=0, **kw)
    np.testing.assert_allclose(real[:, :2], -bogus[:, :2], atol=1e-6)
    predicted = pipe.predict(X)
    mixed = shap_values(pipe, X, target=predicted, **kw)
    np.testing.assert_allclose(mixed[:, :2], values[:, :2], atol=1e-7)
    clf = toy_classifier()
    images = StampStacker("dia").transform(X)
    background = images[:5]
    deep = shap_values(clf, images, background=background, method="deep")
    proba = clf.predict_proba(images)
    c = proba.argmax(axis=1)
    expected = proba[np.arange(len(c)), c] - clf.predict_proba(background)[:, c].mean(axis=0)
    np.testing.assert_allclose(deep.sum(axis=(1, 2, 3)), expected, atol=1e-4)
    real = shap_values(clf, images, background=background, method="deep", target=1)
    p_real = proba[:, 1] - clf.predict_proba(background)[:, 1].mean()
    np.testing.assert_allclose(real.sum(axis=(1, 2, 3)), p_real, atol=1e-4)
    with pytest.raises(ValueError, match="method"):
        shap_values(clf, images, method="kernel")
    with pytest.raises(ValueError, match="n_background"):
        shap_values(clf, images, n_background=0)
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter of shap_values"):
        shap_values(clf, images, batch_size=0)
    with pytest.raises(InvalidParameterError, match="'method' parameter of shap_values"):
        shap_values(clf, images, method="kernel")


def test_model_randomization_check(stamps):
    X, _ = stamps
    pipe = toy_pipeline()
    before = [w.numpy().copy() for w in pipe[-1].model_.weights]
    result = model_randomization_check(pipe, X, random_state=0)
    for w, b in zip(pipe[-1].model_.weights, before, strict=True):
        np.testing.assert_array_equal(w.numpy(), b)
    assert result.rank_correlation.shape == (len(X),)
    assert result.mean_rank_correlation < 0.9
    assert result.passed == (result.mean_rank_correlation < 0.5)
    np.testing.assert_array_equal(result.original, gradient_saliency(pipe, X))
    same = model_randomization_check(pipe, X, method=lambda est, Z: gradient_saliency(pipe, Z))
    np.testing.assert_allclose(same.rank_correlation, 1.0)
    assert not same.passed
    copy = randomized_copy(pipe, random_state=0)
    assert copy[-1] is not pipe[-1] and copy[0] is pipe[0]
    with pytest.raises(ValueError, match="not fitted"):
        randomized_copy(ToyClassifier())


def test_saliency_and_p_real_come_from_the_same_pass(stamps):
    X, _ = stamps
    pipe = toy_pipeline("dia")
    saliency, p_real = saliency_and_p_real(pipe, X, batch_size=5)
    np.testing.assert_array_equal(saliency, gradient_saliency(pipe, X, batch_size=5))
    np.testing.assert_allclose(p_real, pipe.predict_proba(X)[:, 1], atol=1e-6)


def test_saliency_maps_back_through_a_resizer(stamps):
    """Stamps padded for the model by a StampResizer: saliency comes back on X's own pixels."""
    from skrb.preprocessing import StampResizer, StampScaler

    X, y = stamps
    small = np.nan_to_num(X[:, :, 2:-2, 2:-2])  # smaller stamps than the model was built for
    pipe = Pipeline(
        [
            ("resizer", StampResizer(size=X.shape[-1])),
            ("scaler", StampScaler("zscore", nan_policy="fill")),
            ("stacker", StampStacker("dia")),
            ("classifier", ToyClassifier()),
        ]
    ).fit(small, y)
    got = gradient_saliency(pipe, small)
    assert got.shape == small.shape and np.isfinite(got).all()
    direct = gradient_saliency(pipe[1:], pipe[0].transform(small))
    np.testing.assert_array_equal(got, direct[:, :, 2:-2, 2:-2])


@pytest.mark.parametrize(
    ("explainer", "kwargs"),
    [
        (gradient_saliency, {"batch_size": 0}),
        (gradient_saliency, {"absolute": "yes"}),
        (smoothgrad, {"n_samples": 0}),
        (smoothgrad, {"noise_level": -0.1}),
        (integrated_gradients, {"n_steps": 0}),
        (integrated_gradients, {"batch_size": 2.5}),
        (shap_values, {"n_background": 0}),
    ],
)
def test_explainers_refuse_bad_parameters_before_any_work(explainer, kwargs):
    name = next(iter(kwargs))
    # the estimator is not even looked at: the parameters are checked first
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {explainer.__name__}"):
        explainer(object(), np.zeros((1, 3, 5, 5)), **kwargs)


def test_randomization_keeps_normalisation_layers_alive():
    # Zeroing a normalisation layer's scale (gamma) as if it were a bias would make every
    # output of the layer its offset: a constant network, and a meaningless sanity check.
    import keras

    from skrb.explain._sanity import _randomized_model

    inputs = keras.Input((4,))
    x = keras.layers.Dense(8)(inputs)
    x = keras.layers.LayerNormalization(name="norm")(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    model.get_layer("norm").gamma.assign(np.full(8, 3.0, dtype="float32"))
    clone = _randomized_model(model, np.random.RandomState(0))
    np.testing.assert_array_equal(clone.get_layer("norm").gamma.numpy(), np.ones(8))
    np.testing.assert_array_equal(clone.get_layer("norm").beta.numpy(), np.zeros(8))
    proba = clone.predict(np.random.RandomState(1).normal(size=(16, 4)), verbose=0)
    assert np.ptp(proba[:, 1]) > 1e-3  # not a constant network
