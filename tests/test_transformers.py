"""The no-difference transformers (Inada et al. 2026): architecture, classifiers, training aids."""

import pickle

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import skrb
from skrb import make_nodiff_pipeline, make_triplet_pipeline
from skrb.explain import gradient_saliency
from skrb.models import (
    TRANSFORMER_PRESETS,
    DIAClassifier,
    NoDiffTransformerClassifier,
    StampTransformerClassifier,
    TripletTransformerClassifier,
    build_nodiff_transformer,
)
from skrb.models._augment import RandomStampOrientation
from skrb.models._transformer_layers import (
    ConvProjection,
    DecoderAttentionBlock,
    DepthwiseConvMLP,
    EncoderBlock,
    ExchangeStreams,
    RelativePositionAttention,
    StackPanels,
)
from skrb.preprocessing import StampStacker

# Two stages of one block: the smallest network with every part (tracing it dominates a fit).
_TINY = dict(
    preset="tiny",
    embed_dims=(8, 16),
    depths=(1, 1),
    num_heads=(1, 2),
    kernel_sizes=(3, 3),
    strides=(2, 2),
    epochs=1,
    verbose=0,
    batch_size=16,
    validation_split=0.0,
    random_state=0,
)


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _non_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)


@pytest.mark.parametrize(
    ("cls", "n_panels", "expected"),
    [(NoDiffTransformerClassifier, 2, 65_923_243), (TripletTransformerClassifier, 3, 67_802_347)],
)
def test_paper_configuration_has_the_papers_parameter_counts(cls, n_panels, expected):
    # Built (not trained) from the classifier's own defaults, on 51x51 panels.
    clf = cls()
    clf.image_shape_ = (51, 51 * n_panels, 1)
    model = clf._network(None)
    assert _trainable(model) == expected  # the authors' tutorial notebook's counts
    # BatchNorm moving statistics (buffers in PyTorch): 2 x (64 + 2) per stage, 6 stages.
    assert _non_trainable(model) == 792
    stages = [layer for layer in model.layers if layer.name.endswith("_projection")]
    assert [layer.dim for layer in stages] == [64, 128, 256, 512, 512, 512]


def test_presets_are_smaller_versions_of_the_same_architecture():
    sizes = {}
    for preset in ("tiny", "small"):
        model = build_nodiff_transformer(
            (51, 102, 1), n_panels=2, streams=(0, 1), **TRANSFORMER_PRESETS[preset]
        )
        sizes[preset] = model.count_params()
    assert sizes["tiny"] < sizes["small"] < 65_923_243 // 10


def test_encoder_is_siamese_and_exchanges_channels():
    model = build_nodiff_transformer(
        (24, 48, 1), n_panels=2, streams=(0, 1), **TRANSFORMER_PRESETS["tiny"]
    )
    # One set of encoder weights per stage, read by both streams (stacked in the batch axis).
    projections = [layer for layer in model.layers if isinstance(layer, ConvProjection)]
    assert len(projections) == len(TRANSFORMER_PRESETS["tiny"]["embed_dims"])
    # Swapping search and template changes P(real): the model compares, it does not pool.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 24, 48, 1)).astype("float32")
    swapped = np.concatenate([x[:, :, 24:], x[:, :, :24]], axis=2)
    assert not np.allclose(np.asarray(model(x)), np.asarray(model(swapped)))
    stacked = np.concatenate([np.zeros((1, 2, 2, 6)), np.ones((1, 2, 2, 6))]).astype("float32")
    out = np.asarray(ExchangeStreams(2)(stacked))[:, 0, 0]
    np.testing.assert_array_equal(out, [[1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1]])
    # The triplet model's streams are search, template, difference of the "dia" layout.
    x = np.arange(6, dtype="float32").reshape(1, 1, 6, 1)
    streams = np.asarray(StackPanels(3, order=TripletTransformerClassifier._streams)(x))
    assert streams[:, 0, 0, 0].tolist() == [2.0, 4.0, 0.0]
    three = np.stack([np.full((1, 1, 4), v, "float32") for v in (1, 2, 3)])
    out = np.asarray(ExchangeStreams(3)(three))[:, 0, 0]
    np.testing.assert_array_equal(out, [[3, 1, 2, 1], [3, 2, 1, 2], [2, 3, 1, 3]])


def test_architecture_parameters_are_checked():
    clf = NoDiffTransformerClassifier(preset="huge")
    with pytest.raises(ValueError, match="preset must be one of"):
        clf.architecture()
    with pytest.raises(ValueError, match="one entry per stage"):
        build_nodiff_transformer(
            (12, 24, 1),
            n_panels=2,
            streams=(0, 1),
            **{**TRANSFORMER_PRESETS["tiny"], "depths": (1,)},
        )
    with pytest.raises(ValueError, match="must divide"):
        build_nodiff_transformer(
            (12, 24, 1),
            n_panels=2,
            streams=(0, 1),
            **{**TRANSFORMER_PRESETS["tiny"], "num_heads": (3, 1, 2)},
        )


@pytest.fixture(scope="module")
def data(pair_stamps):
    return pair_stamps


@pytest.fixture(scope="module")
def fitted(data):
    """One fitted pipeline per transformer (fitting dominates this module's time)."""
    X, y = data
    return {
        NoDiffTransformerClassifier: make_nodiff_pipeline(**_TINY).fit(X, y),
        TripletTransformerClassifier: make_triplet_pipeline(**_TINY).fit(X, y),
    }


def test_layers_round_trip_through_their_config():
    for layer in (
        StackPanels(3, order=(1, 2, 0)),
        ConvProjection(8, 7, 2),
        RelativePositionAttention(2, pos_dim=4, attention_dropout=0.1),
        DepthwiseConvMLP(4, dropout=0.1),
        EncoderBlock(2, pos_dim=4),
        ExchangeStreams(3),
        DecoderAttentionBlock(3, 4, pos_dim=8),
        RandomStampOrientation(2, seed=1),
    ):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


@pytest.mark.parametrize("cls", [NoDiffTransformerClassifier, TripletTransformerClassifier])
def test_p_real_is_the_sigmoid_of_one_logit(cls, fitted, data):
    X, _ = data
    pipe = fitted[cls]
    clf, images = pipe[-1], pipe[:-1].transform(X)
    proba = pipe.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    logit = keras.Model(clf.model_.input, clf.model_.get_layer("logit").output)
    expected = 1.0 / (1.0 + np.exp(-np.asarray(logit(images))[:, 0]))
    np.testing.assert_allclose(proba[:, 1], expected, atol=1e-5)
    assert set(pipe.predict(X)) <= {0, 1}


@pytest.mark.parametrize("cls", [NoDiffTransformerClassifier, TripletTransformerClassifier])
def test_pickle_keras_safe_format_and_model_file_round_trip(cls, fitted, data, tmp_path):
    X, _ = data
    pipe = fitted[cls]
    proba = pipe.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(pipe)).predict_proba(X), proba)
    clf, images = pipe[-1], pipe[:-1].transform(X)
    clf.model_.save(tmp_path / "model.keras")
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_array_equal(np.asarray(model(images)), np.asarray(clf.model_(images)))
    restored = skrb.load_model(skrb.save_model(pipe, tmp_path / "pipe.skrb"))
    np.testing.assert_array_equal(restored.predict_proba(X), proba)
    assert restored[-1].get_params() == clf.get_params()


def test_wrong_layout_is_rejected_clearly(fitted):
    clf = fitted[NoDiffTransformerClassifier][-1]
    with pytest.raises(ValueError, match="layout='nodia'"):
        clf.predict_proba(np.zeros((2, 12, 36, 1), np.float32))


def _tape_saliency(pipe, X):
    """Independent of skrb.explain: |d max_c p_c / d image| by one eager GradientTape pass on the
    scaled, stacked images, mapped back to the panels by the pipeline's stacker."""
    images = tf.constant(pipe[:-1].transform(X))
    with tf.GradientTape() as tape:
        tape.watch(images)
        top = tf.reduce_max(pipe[-1].model_(images, training=False), axis=1)
    return pipe.named_steps["stacker"].inverse_transform(np.abs(tape.gradient(top, images)))


@pytest.mark.parametrize("cls", [NoDiffTransformerClassifier, TripletTransformerClassifier])
def test_saliency_is_the_gradient_and_none_for_the_unused_difference(cls, fitted, data):
    X, _ = data
    saliency = gradient_saliency(fitted[cls], X[:4])
    assert saliency.shape == X[:4].shape
    # PANELS order: search, template, difference; the pair model never sees the difference.
    assert np.isnan(saliency[:, 2]).all() == (cls is NoDiffTransformerClassifier)
    expected = _tape_saliency(fitted[cls], X[:4])
    assert np.nanmax(expected) > 0
    np.testing.assert_allclose(saliency, expected, rtol=1e-4, atol=1e-5 * np.nanmax(expected))


def test_grid_search_cross_validates_a_pipeline(data):
    X, y = data
    search = GridSearchCV(
        make_nodiff_pipeline(**_TINY),
        {"classifier__dropout": [0.1]},
        cv=2,
        scoring="roc_auc",
        refit=False,
        error_score="raise",  # a failing fit fails the test (not a NaN score)
    ).fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (1,)
    assert clone(make_nodiff_pipeline(**_TINY)).get_params()["classifier__preset"] == "tiny"


def test_random_orientation_moves_whole_stamp_sets():
    rng = np.random.default_rng(1)
    panel = rng.normal(size=(64, 5, 5, 1)).astype("float32")
    # Three identical panels side by side: every panel must get the same transformation.
    images = np.concatenate([panel, panel, panel], axis=2)
    out = np.asarray(RandomStampOrientation(3, seed=0)(images, training=True))
    parts = np.split(out, 3, axis=2)
    np.testing.assert_array_equal(parts[0], parts[1])
    np.testing.assert_array_equal(parts[0], parts[2])
    seen = set()
    for original, moved in zip(panel[..., 0], parts[0][..., 0], strict=True):
        symmetries = [np.rot90(original, k) for k in range(4)]
        symmetries += [np.fliplr(s) for s in symmetries]
        matches = [i for i, s in enumerate(symmetries) if np.array_equal(s, moved)]
        assert matches, "the output is not a rotation/flip of the input"
        seen.add(matches[0])
    assert len(seen) == 8  # all 8 symmetries are drawn (64 draws)
    np.testing.assert_array_equal(RandomStampOrientation(3)(images), images)  # inference


@pytest.mark.parametrize("cls", [DIAClassifier, NoDiffTransformerClassifier])
def test_augment_trains_on_the_fly_and_leaves_the_network_alone(cls, dia_stamps):
    X, y = dia_stamps
    images = StampStacker(cls.layout).fit_transform(X)
    params = _TINY if cls is NoDiffTransformerClassifier else dict(epochs=1, verbose=0)
    clf = cls(**params, augment=True).fit(images, y)
    names = [layer.name for layer in clf.model_.layers]
    assert "augment" not in names  # the published network has no augmentation layer
    assert len(clf.history_["loss"]) == 1
    # Prediction is not augmented: the plain network's probabilities, the same on every call.
    proba = clf.predict_proba(images)
    np.testing.assert_allclose(proba, np.asarray(clf.model_(images, training=False)), atol=1e-6)
    np.testing.assert_array_equal(clf.predict_proba(images), proba)
    assert cls().augment is False  # off by default: the CNNs train as published


def test_class_weight_moves_the_decision(data):
    X, y = data
    images = StampStacker("nodia").fit_transform(X)
    params = {**_TINY, "epochs": 2, "early_stopping": False}
    p_real = {}
    for favoured in (0, 1):
        weights = {favoured: 50.0, 1 - favoured: 1.0}
        clf = NoDiffTransformerClassifier(**params, class_weight=weights).fit(images, y)
        p_real[favoured] = clf.predict_proba(images)[:, 1].mean()
    assert p_real[1] > p_real[0]


def test_mixed_precision_policy(data):
    X, y = data
    images = StampStacker("nodia").fit_transform(X)
    clf = NoDiffTransformerClassifier(**_TINY, dtype_policy="mixed_bfloat16").fit(images, y)
    assert clf.model_.get_layer("stage1_block1").compute_dtype == "bfloat16"
    proba = clf.predict_proba(images)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    # The same weights computing in float32 give nearly the same probabilities (bfloat16 has an
    # 8-bit mantissa: ~1e-2 relative error per operation, far below a wrong network's).
    reference = clf._network(None)
    reference.set_weights(clf.model_.get_weights())
    np.testing.assert_allclose(proba, np.asarray(reference(images, training=False)), atol=0.05)


def test_stamp_transformer_classifier_is_the_base_holding_every_parameter():
    """Both transformers share StampTransformerClassifier's parameters; only the layout differs."""
    base = set(StampTransformerClassifier().get_params())
    for cls in (NoDiffTransformerClassifier, TripletTransformerClassifier):
        assert issubclass(cls, StampTransformerClassifier)
        assert set(cls().get_params()) == base
    assert NoDiffTransformerClassifier.layout != TripletTransformerClassifier.layout
