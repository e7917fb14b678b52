"""StampResizer: centred crop and pad, flux-conserving resampling between pixel scales."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skrb.preprocessing import PIXEL_SCALES, StampResizer, StampScaler, StampStacker


def _gaussian(side: int, sigma: float, flux: float = 1000.0) -> np.ndarray:
    """Stamp sets (2, 3, side, side) with a Gaussian source of ``flux`` at the stamp centre."""
    grid = np.arange(side) - (side - 1) / 2
    image = np.exp(-(grid[:, None] ** 2 + grid[None, :] ** 2) / (2 * sigma**2))
    image *= flux / image.sum()
    return np.broadcast_to(image, (2, 3, side, side)).astype(np.float32).copy()


@pytest.mark.parametrize(("side", "size"), [(30, 51), (51, 30), (31, 30), (30, 31), (88, 30)])
def test_crop_and_pad_are_whole_pixel_shifts(rng, side, size):
    X = rng.normal(size=(3, 3, side, side)).astype(np.float32)
    out = StampResizer(size=size).fit_transform(X)
    assert out.shape == (3, 3, size, size) and out.dtype == np.float32
    n = min(side, size)
    src = side // 2 - n // 2 if side > size else 0
    dst = size // 2 - n // 2 if size > side else 0
    np.testing.assert_array_equal(
        out[..., dst : dst + n, dst : dst + n], X[..., src : src + n, src : src + n]
    )
    assert np.isnan(out).sum() == 3 * 3 * (size * size - n * n)


def test_crop_matches_read_alerts_placement(rng):
    """A 30-pixel cutout padded to 51 then cropped back is the cutout itself."""
    X = rng.normal(size=(2, 3, 30, 30)).astype(np.float32)
    padded = StampResizer(size=51).fit_transform(X)
    np.testing.assert_array_equal(StampResizer(size=30).fit_transform(padded), X)


@pytest.mark.parametrize(("source", "target"), [("lsst", "des"), ("des", "lsst"), ("ztf", "lsst")])
def test_resampling_conserves_flux_and_angular_size(source, target):
    side = {"lsst": 61, "des": 47, "ztf": 15}[source]
    sigma_arcsec = 1.5 if source == "ztf" else 0.6
    X = _gaussian(side, sigma_arcsec / PIXEL_SCALES[source])
    size = 71 if source == "ztf" else 41  # the stamp holds the whole source
    resizer = StampResizer(size=size, pixel_scale=source, target_pixel_scale=target).fit(X)
    out = resizer.transform(X)
    assert resizer.zoom_ == pytest.approx(PIXEL_SCALES[source] / PIXEL_SCALES[target])
    assert np.nansum(out[0, 0]) == pytest.approx(1000.0, rel=2e-3)
    # the second moment in arcsec is kept (box resampling adds (pixel**2)/12 per axis)
    grid = (np.arange(size) - (size - 1) / 2) * PIXEL_SCALES[target]
    image = np.nan_to_num(out[0, 0])
    variance = (image.sum(axis=0) * grid**2).sum() / image.sum()
    expected = sigma_arcsec**2 + (PIXEL_SCALES[target] ** 2 + PIXEL_SCALES[source] ** 2) / 12
    assert variance == pytest.approx(expected, rel=0.1)


def test_surface_brightness_keeps_a_flat_background():
    X = np.full((1, 3, 40, 40), 7.0, dtype=np.float32)
    flux = StampResizer(size=20, pixel_scale="lsst", target_pixel_scale="des").fit_transform(X)
    level = StampResizer(
        size=20, pixel_scale="lsst", target_pixel_scale="des", conserve="surface_brightness"
    ).fit_transform(X)
    np.testing.assert_allclose(level, 7.0, rtol=1e-5)
    np.testing.assert_allclose(flux, 7.0 * (0.263 / 0.2) ** 2, rtol=1e-5)


def test_nan_pixels_mask_only_the_output_pixels_they_touch():
    X = np.ones((1, 3, 40, 40), dtype=np.float32)
    X[0, 0, 20, 20] = np.nan
    out = StampResizer(size=20, pixel_scale="lsst", target_pixel_scale="des").fit_transform(X)
    assert 1 <= np.isnan(out[0, 0]).sum() <= 4
    assert np.isfinite(out[0, 1:]).all()


def test_inverse_transform_undoes_crop_and_pad(rng):
    X = rng.normal(size=(2, 3, 30, 30)).astype(np.float32)
    padder = StampResizer(size=51).fit(X)
    np.testing.assert_array_equal(padder.inverse_transform(padder.transform(X)), X)
    cropper = StampResizer(size=20).fit(X)
    back = cropper.inverse_transform(cropper.transform(X))
    kept = slice(5, 25)
    np.testing.assert_array_equal(back[..., kept, kept], X[..., kept, kept])
    assert np.isnan(back[..., :5, :]).all() and np.isnan(back[..., 25:]).all()
    flat = cropper.transform(X).reshape(2, -1)
    np.testing.assert_array_equal(cropper.inverse_transform(flat), back)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3, 20, 20\)"):
        cropper.inverse_transform(X)


def test_inverse_transform_maps_resampled_flux_back():
    X = _gaussian(61, 3.0)
    resizer = StampResizer(size=47, pixel_scale="lsst", target_pixel_scale="des").fit(X)
    back = resizer.inverse_transform(resizer.transform(X))
    assert back.shape == X.shape
    assert np.nansum(back[0, 0]) == pytest.approx(np.sum(X[0, 0]), rel=5e-3)
    unfitted = StampResizer(size=47, pixel_scale="lsst", target_pixel_scale="des")
    np.testing.assert_array_equal(
        unfitted.inverse_transform(resizer.transform(X), stamp_shape=(61, 61)), back
    )


def test_parameters_are_validated():
    X = np.zeros((1, 3, 5, 5), dtype=np.float32)
    with pytest.raises(InvalidParameterError, match="size"):
        StampResizer(size=0).fit(X)
    with pytest.raises(InvalidParameterError, match="pixel_scale"):
        StampResizer(pixel_scale="hsc", target_pixel_scale="lsst").fit(X)
    with pytest.raises(ValueError, match="pixel_scale and target_pixel_scale go together"):
        StampResizer(pixel_scale=0.2).transform(X)
    with pytest.raises(InvalidParameterError, match="conserve"):
        StampResizer(conserve="mean").fit(X)


def test_in_a_pipeline_before_the_scaler(rng):
    X = rng.normal(size=(4, 3, 30, 30)).astype(np.float32)
    pipe = make_pipeline(StampResizer(size=51), StampScaler(), StampStacker("dia"))
    out = pipe.fit_transform(X)
    assert out.shape == (4, 51, 153, 1) and np.isfinite(out).all()  # NaN padding filled


@pytest.mark.parametrize("conserve", ["flux", "surface_brightness"])
@pytest.mark.parametrize(("source", "target", "size"), [("lsst", "des", 15), (0.2, 0.5, 8)])
def test_transform_variance_is_the_variance_of_resampled_noise(conserve, source, target, size):
    """Noise drawn with the variance planes, resampled: its spread is transform_variance's."""
    rng = np.random.default_rng(0)
    V = rng.uniform(0.5, 4.0, size=(1, 3, 20, 20)).astype(np.float32)
    V[0, 2, 3, 5] = np.nan  # a masked pixel masks what it touches, as in transform
    resizer = StampResizer(size, pixel_scale=source, target_pixel_scale=target, conserve=conserve)
    noise = rng.normal(size=(2000, 3, 20, 20)) * np.sqrt(np.nan_to_num(V))
    empirical = resizer.fit_transform(noise.astype(np.float32)).var(axis=0)
    predicted = resizer.transform_variance(V)[0]
    assert predicted.shape == (3, size, size) and predicted.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(predicted), np.isnan(resizer.transform(V)[0]))
    assert np.isnan(predicted).any()
    finite = np.isfinite(predicted)
    np.testing.assert_allclose(empirical[finite], predicted[finite], rtol=0.2)
    # the variance of a resampled image is not the resampled variance (split pixels count w**2)
    assert np.nanmedian(resizer.transform(V)[0] / predicted) > 1.1


def test_transform_variance_of_a_crop_or_pad_moves_the_variances(rng):
    V = rng.uniform(1.0, 2.0, size=(2, 3, 30, 30)).astype(np.float32)
    for size in (21, 51):
        resizer = StampResizer(size)
        np.testing.assert_array_equal(resizer.transform_variance(V), resizer.transform(V))


def test_pixel_scales_are_read_only():
    with pytest.raises(TypeError):
        PIXEL_SCALES["hsc"] = 0.168
