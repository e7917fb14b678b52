"""Explainers credit no panel for masked pixels and refuse pipelines they cannot map back."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skrb import make_dia_pipeline
from skrb.explain import gradient_saliency, panel_shares
from skrb.models import DIAClassifier
from skrb.preprocessing import StampStacker


@pytest.fixture(scope="module")
def dia(simulated_stamps):
    X, y = (a[:16] for a in simulated_stamps)
    return make_dia_pipeline(epochs=1, batch_size=16, verbose=0, random_state=0).fit(X, y), X


def test_masked_pixels_get_no_attribution_and_no_share(dia):
    pipe, X = dia
    X = X[:3].copy()
    X[0, 0, :10, :10] = np.nan  # masked corner of the search stamp
    X[1, 2] = np.nan  # a missing difference cutout
    saliency = gradient_saliency(pipe, X)
    np.testing.assert_array_equal(np.isnan(saliency), np.isnan(X))
    shares, panels = panel_shares(saliency, return_panels=True)
    assert panels == ("search", "template", "difference")
    assert np.isnan(shares[1, 2]) and np.isfinite(np.delete(shares, 5)).all()
    np.testing.assert_allclose(np.nansum(shares, axis=1), 1.0, rtol=1e-6)
    # the masked corner is left out: the search share is that of the unmasked pixels
    magnitude = np.abs(saliency[0].astype(np.float64))
    expected = np.nansum(magnitude[0]) / np.nansum(magnitude)
    np.testing.assert_allclose(shares[0, 0], expected, rtol=1e-6)


def test_a_step_after_the_stacker_is_refused(dia):
    pipe, X = dia
    flip = FunctionTransformer(lambda images: images[:, :, ::-1])
    flipped = Pipeline([*pipe.steps[:2], ("flip", flip), pipe.steps[2]])
    with pytest.raises(ValueError, match="step 'flip' \\(FunctionTransformer\\) between"):
        gradient_saliency(flipped, X[:2])
    other = Pipeline([pipe.steps[0], ("stacker", StampStacker("nodia")), pipe.steps[2]])
    with pytest.raises(ValueError, match="makes 'nodia' images but its DIAClassifier reads"):
        gradient_saliency(other, X[:2])


def test_images_of_another_layout_are_refused(rng):
    nodia_images = rng.normal(size=(4, 51, 102, 1)).astype(np.float32)  # width 102 = 3 x 34
    with pytest.raises(ValueError, match="the images of StampStacker\\(layout='nodia'\\)"):
        DIAClassifier(epochs=1, verbose=0).fit(nodia_images, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="not StampStacker\\(layout='dia'\\) images"):
        panel_shares(nodia_images, layout="dia")
    shares = panel_shares(nodia_images, layout="nodia")
    assert shares.shape == (4, 2)


def test_skrb_explain_keeps_the_models_panel_columns():
    """The CSV of skrb explain has one share column per panel the model reads, always."""
    from skrb import make_nodia_pipeline
    from skrb.cli._explain import _model_panels

    assert _model_panels(make_dia_pipeline()) == ("search", "template", "difference")
    assert _model_panels(make_nodia_pipeline()) == ("search", "template")
    A = np.ones((2, 3, 4, 4))
    A[:, 2] = np.nan  # the difference masked in every stamp set given
    with pytest.warns(RuntimeWarning, match="carry no attributions"):
        shares = panel_shares(A, panels=_model_panels(make_dia_pipeline()))
    assert shares.shape == (2, 3) and np.isnan(shares[:, 2]).all()
    np.testing.assert_allclose(shares[:, :2], 0.5)
