"""StampScaler: values vs plain float64 formulas, NaN policies, degenerate stamps, input forms."""

import functools
import gzip
import io
import warnings
from pathlib import Path

import fastavro
import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skrb import PANELS
from skrb.preprocessing import SCALING_METHODS, StampScaler

METHODS = sorted(SCALING_METHODS)
CUTOUTS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")  # PANELS order


# -- independent float64 reference: each formula written plainly, one panel at a time ------------
def _nonzero(scale):
    return scale if scale > 0 else 1.0


def _braai_norm(sum_squares):
    """L2 norm as braai's float32 arithmetic gives it: inf past the float32 range, 0 -> 1."""
    norms = np.where(sum_squares > np.finfo(np.float32).max, np.inf, np.sqrt(sum_squares))
    return np.where(norms == 0, 1.0, norms)


def reference_panel(x, kind, n_sigma=3.0):
    """Scale one (H, W) panel in float64, statistics over its non-NaN pixels; NaN stays NaN."""
    x = np.asarray(x, dtype=np.float64)
    valid = x[~np.isnan(x)]
    if kind == "zscore":
        return (x - valid.mean()) / _nonzero(valid.std())
    if kind == "clipped_minmax":
        mean, std = valid.mean(), valid.std()
        inside = valid[(valid >= mean - n_sigma * std) & (valid <= mean + n_sigma * std)]
        return (x - inside.min()) / _nonzero(inside.max() - inside.min())
    if kind == "robust":
        median = np.median(valid)
        return (x - median) / _nonzero(1.4826 * np.median(np.abs(valid - median)))
    if kind == "l2":
        return x / _braai_norm(np.sum(valid**2))
    if kind == "l2_rows":
        return x / _braai_norm(np.nansum(x**2, axis=1, keepdims=True))
    if kind == "minmax":
        return (x - valid.min()) / _nonzero(valid.max() - valid.min())
    raise AssertionError(kind)


def reference(X, method, nan_policy="median", fill_value=0.0, n_sigma=3.0):
    out = np.empty(X.shape, dtype=np.float64)
    for i in range(X.shape[0]):
        for p, kind in enumerate(SCALING_METHODS[method]):
            z = reference_panel(X[i, p], kind, n_sigma)
            nan = np.isnan(X[i, p])
            if nan.all():
                z[:] = fill_value
            elif nan.any():
                z[nan] = np.median(z[~nan]) if nan_policy == "median" else fill_value
            out[i, p] = z
    return out


def assert_float32_close(Z, ref):
    """Equal to float32 precision: the float64 reference rounded, give or take a few ulps."""
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, ref, rtol=1e-6, atol=1e-6)


def random_stamps(rng, n=6, shape=(9, 11)):
    """Stamp sets at survey-like levels (sky + noise, a source, hot pixels as outliers)."""
    X = rng.normal(0.0, 1.0, size=(n, 3, *shape))
    X *= rng.uniform(0.5, 50.0, size=(n, 3, 1, 1))
    X += rng.uniform(-10.0, 2000.0, size=(n, 3, 1, 1))
    X[:, :, shape[0] // 2, shape[1] // 2] += rng.uniform(100.0, 5000.0, size=(n, 3))
    X[:, :, 0, 1] += 1e5  # a hot pixel, far outside mean +- 3 std
    return X.astype(np.float32)


# -- real ZTF cutouts, read independently of skrb.io ----------------------------------------------
def read_ztf_stamp_sets(paths, size=63):
    """Read the three cutouts of each alert; pad smaller cutouts with NaN at the bottom/right."""
    X = []
    for path in paths:
        with open(path, "rb") as fh:
            for record in fastavro.reader(fh):
                panels = np.full((3, size, size), np.nan, dtype=np.float32)
                for p, key in enumerate(CUTOUTS):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        raw = gzip.decompress(record[key]["stampData"])
                        data = fits.getdata(io.BytesIO(raw)).astype(np.float32)
                    panels[p, : data.shape[0], : data.shape[1]] = data
                X.append(panels)
    return np.stack(X)


@functools.cache
def _ztf_subset(fink_dir, kowalski_dir):
    paths = sorted(Path(fink_dir).glob("*.avro"))[::8] + sorted(Path(kowalski_dir).glob("*.avro"))
    return read_ztf_stamp_sets(paths)


@pytest.fixture
def ztf_stamps(ztf_alert_dir, kowalski_alert_dir):
    """About 100 real ZTF stamp sets, some with masked (NaN) pixels and smaller cutouts."""
    X = _ztf_subset(str(ztf_alert_dir), str(kowalski_alert_dir))
    assert np.isnan(X).any(axis=(2, 3)).any(), "the subset should include masked pixels"
    return X


# -- values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_values_equal_float64_formulas_on_random_stamps(method, rng):
    X = random_stamps(rng)
    Z = StampScaler(method).transform(X)
    assert Z.shape == X.shape
    assert_float32_close(Z, reference(X, method))


@pytest.mark.shared_data
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("nan_policy", ["median", "fill"])
def test_values_equal_float64_formulas_on_real_ztf_stamps(ztf_stamps, method, nan_policy):
    Z = StampScaler(method, nan_policy=nan_policy, fill_value=-1.0).transform(ztf_stamps)
    assert np.isfinite(Z).all()
    assert_float32_close(Z, reference(ztf_stamps, method, nan_policy, fill_value=-1.0))


def test_acero2023_maps_clipped_range_onto_unit_interval_and_keeps_outliers(rng):
    X = random_stamps(rng)
    Z = StampScaler("acero2023").transform(X)
    for p in (PANELS.index("search"), PANELS.index("template")):
        x = X[:, p].reshape(len(X), -1).astype(np.float64)
        z = Z[:, p].reshape(len(X), -1)
        mean, std = x.mean(axis=1, keepdims=True), x.std(axis=1, keepdims=True)
        inside = np.abs(x - mean) <= 3 * std
        np.testing.assert_allclose(np.where(inside, z, np.inf).min(axis=1), 0.0, atol=1e-6)
        np.testing.assert_allclose(np.where(inside, z, -np.inf).max(axis=1), 1.0, atol=1e-6)
        assert ((z[~inside] < 0) | (z[~inside] > 1)).all()
        assert (Z[:, p, 0, 1] > 1.0).all()  # the hot pixel stays an outlier
    diff = Z[:, PANELS.index("difference")].astype(np.float64)
    np.testing.assert_allclose(diff.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(diff.std(axis=(1, 2)), 1.0, rtol=1e-5)


def test_n_sigma_controls_the_clipped_range(rng):
    X = random_stamps(rng)
    wide = StampScaler("acero2023", n_sigma=1e6).transform(X)
    minmax = StampScaler("minmax").transform(X)
    np.testing.assert_allclose(wide[:, :2], minmax[:, :2], rtol=1e-6, atol=1e-7)
    narrow = StampScaler("acero2023", n_sigma=1.5).transform(X)
    assert_float32_close(narrow, reference(X, "acero2023", n_sigma=1.5))


def test_l2_rows_with_zero_fill_is_braai_preprocessing(rng):
    """braai d6_m7: NaN -> 0, then tf.keras.utils.normalize(x, axis=-1) (zero norms -> 1)."""
    X = random_stamps(rng)
    X[0, 1, 2:4, :] = np.nan  # masked rows
    X[1, 0, :, :3] = np.nan  # masked columns
    X[2, 2, 5, :] = 0.0  # an all-zero row
    filled = np.nan_to_num(X.astype(np.float64))
    norms = np.linalg.norm(filled, 2, axis=-1)
    norms[norms == 0] = 1
    braai = filled / np.expand_dims(norms, -1)
    Z = StampScaler("l2_rows", nan_policy="fill", fill_value=0.0).transform(X)
    assert_float32_close(Z, braai)
    np.testing.assert_array_equal(Z[2, 2, 5], 0.0)


# -- NaN policies ---------------------------------------------------------------------------------
@pytest.fixture
def masked_stamps(rng):
    X = random_stamps(rng, n=3)
    X[0, 0, :, :4] = np.nan  # a masked chip edge in the search panel
    X[1, 2, 3, 3] = np.nan  # a single masked pixel in the difference panel
    return X


@pytest.mark.parametrize("method", METHODS)
def test_nan_policy_median_gives_panel_median_and_ignores_nan_in_statistics(masked_stamps, method):
    Z = StampScaler(method).transform(masked_stamps)
    assert np.isfinite(Z).all()
    valid = ~np.isnan(masked_stamps[0, 0])
    np.testing.assert_allclose(Z[0, 0][~valid], np.median(Z[0, 0][valid]), rtol=1e-6)
    assert_float32_close(Z, reference(masked_stamps, method))


@pytest.mark.parametrize("method", METHODS)
def test_nan_policy_fill(masked_stamps, method):
    Z = StampScaler(method, nan_policy="fill", fill_value=-7.5).transform(masked_stamps)
    np.testing.assert_array_equal(Z[0, 0, :, :4], -7.5)
    assert Z[1, 2, 3, 3] == -7.5
    assert np.count_nonzero(Z == -7.5) == np.isnan(masked_stamps).sum()


def test_nan_policy_raise_names_stamp_set_and_panel(masked_stamps):
    with pytest.raises(ValueError, match=r"2 stamp set\(s\).*stamp set 0, search panel, 36 pixel"):
        StampScaler(nan_policy="raise").transform(masked_stamps)
    clean = np.nan_to_num(masked_stamps)
    assert np.isfinite(StampScaler(nan_policy="raise").transform(clean)).all()


@pytest.mark.parametrize("nan_policy", ["median", "fill"])
@pytest.mark.parametrize("method", METHODS)
def test_all_nan_panel_becomes_fill_value(rng, method, nan_policy):
    X = random_stamps(rng, n=2)
    X[1, 1] = np.nan
    Z = StampScaler(method, nan_policy=nan_policy, fill_value=0.25).transform(X)
    np.testing.assert_array_equal(Z[1, 1], 0.25)
    np.testing.assert_array_equal(Z[0], StampScaler(method).transform(X[:1])[0])


def test_infinity_is_rejected():
    X = np.zeros((2, 3, 4, 4), dtype=np.float32)
    X[1, 2, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        StampScaler().transform(X)


# -- degenerate stamps ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["acero2023", "autoscan", "zscore", "minmax"])
@pytest.mark.parametrize("value", [0.0, -3.5, 1234.5678, 3e38])
def test_constant_panels_map_to_zero(method, value):
    X = np.full((2, 3, 5, 5), value, dtype=np.float32)
    np.testing.assert_array_equal(StampScaler(method).transform(X), 0.0)


@pytest.mark.parametrize("method", ["l2", "l2_rows"])
def test_l2_of_constant_and_zero_panels(method):
    X = np.full((1, 3, 4, 4), 2.0, dtype=np.float32)
    X[0, 1] = 0.0
    Z = StampScaler(method).transform(X)
    np.testing.assert_allclose(Z[0, 0], 1 / 4 if method == "l2" else 1 / 2, rtol=1e-7)
    np.testing.assert_array_equal(Z[0, 1], 0.0)


def test_single_valid_pixel_and_zero_mad(rng):
    X = rng.normal(size=(1, 3, 6, 6)).astype(np.float32)
    X[0, 0] = np.nan
    X[0, 0, 2, 2] = 5.0  # one valid pixel: zero spread
    X[0, 1] = 1.0
    X[0, 1, 0, :3] = [2.0, 3.0, 9.0]  # most pixels equal: MAD is 0, scale replaced by 1
    Z = StampScaler("autoscan").transform(X)
    np.testing.assert_array_equal(Z[0, 0], 0.0)
    np.testing.assert_array_equal(Z[0, 1, 0, :3], [1.0, 2.0, 8.0])
    for method in METHODS:
        assert np.isfinite(StampScaler(method).transform(X)).all()


_BIG = float(np.finfo(np.float32).max)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(
        np.float32,
        st.tuples(st.integers(1, 3), st.just(3), st.integers(1, 5), st.integers(1, 5)),
        elements=st.floats(-_BIG, _BIG, width=32) | st.just(np.nan),
    ),
    method=st.sampled_from(METHODS),
    nan_policy=st.sampled_from(["median", "fill"]),
)
def test_output_is_always_finite_float32(X, method, nan_policy):
    Z = StampScaler(method, nan_policy=nan_policy).transform(X)
    assert Z.dtype == np.float32 and Z.shape == X.shape
    assert np.isfinite(Z).all()


# -- input forms and parameters ------------------------------------------------------------------
def test_flattened_float64_list_big_endian_and_strided_inputs_agree(rng):
    X = random_stamps(rng, n=4, shape=(7, 7))
    expected = StampScaler().transform(X)
    np.testing.assert_array_equal(StampScaler().transform(X.reshape(4, -1)), expected)
    np.testing.assert_allclose(StampScaler().transform(X.astype(np.float64)), expected)
    np.testing.assert_array_equal(StampScaler().transform(X.tolist()), expected)
    np.testing.assert_array_equal(StampScaler().transform(X.astype(">f4")), expected)  # FITS
    wide = np.zeros((4, 3, 7, 14), dtype=np.float32)
    wide[..., ::2] = X
    np.testing.assert_array_equal(StampScaler().transform(wide[..., ::2]), expected)
    np.testing.assert_array_equal(StampScaler().transform(np.asfortranarray(X)), expected)


def test_input_is_not_modified(rng):
    X = random_stamps(rng)
    X[0, 0, 0, 0] = np.nan
    before = X.copy()
    StampScaler().fit_transform(X)
    np.testing.assert_array_equal(X, before)


def test_transform_without_fit_equals_fit_transform(rng):
    X = random_stamps(rng)
    np.testing.assert_array_equal(StampScaler().transform(X), StampScaler().fit_transform(X))


def test_fit_records_shape_and_checks_it_later(rng):
    scaler = StampScaler()
    assert scaler.fit(random_stamps(rng, shape=(5, 5))) is scaler
    assert scaler.stamp_shape_ == (5, 5) and scaler.n_features_in_ == 75
    with pytest.raises(ValueError, match="fitted on 5x5 stamps"):
        scaler.transform(random_stamps(rng, shape=(6, 6)))


def test_rows_are_independent(rng):
    X = random_stamps(rng, n=5)
    Z = StampScaler().transform(X)
    np.testing.assert_array_equal(StampScaler().transform(X[[3, 1]]), Z[[3, 1]])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"method": "sigma"}, "method"),
        ({"nan_policy": "zero"}, "nan_policy"),
        ({"n_sigma": 0}, "n_sigma"),
        ({"fill_value": np.inf}, "fill_value"),
        ({"fill_value": np.nan}, "fill_value"),
    ],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        StampScaler(**params).transform(np.zeros((1, 3, 2, 2)))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((2, 2, 4, 4)), "2 panels"),
        (np.zeros((2, 10)), "square stamps"),
        (np.zeros((0, 3, 4, 4)), "0 sample"),
        (np.zeros((3, 4, 4)), "3 dimension"),
    ],
)
def test_bad_input_is_named(X, match):
    with pytest.raises(ValueError, match=match):
        StampScaler().transform(X)


# -- parallelism ----------------------------------------------------------------------------------
def _scale_and_stack(X):
    from skrb.preprocessing import StampStacker

    return StampStacker("dia").transform(StampScaler().transform(X))


def test_chunked_threads_agree_with_one_chunk(rng, monkeypatch):
    from skrb.preprocessing import _threads

    X = random_stamps(rng, n=50)
    expected = _scale_and_stack(X)
    monkeypatch.setattr(_threads, "CHUNK_SIZE", 7)
    np.testing.assert_array_equal(_scale_and_stack(X), expected)


def test_safe_in_threads_and_forked_processes(rng):
    """Callers' thread pools and fork-based worker pools (brokers) must neither crash nor hang."""
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    X = random_stamps(rng, n=20)
    expected = _scale_and_stack(X)  # the kernels have run in this process before the fork
    with ThreadPoolExecutor(3) as pool:
        for out in pool.map(_scale_and_stack, [X] * 6):
            np.testing.assert_array_equal(out, expected)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        np.testing.assert_array_equal(pool.apply_async(_scale_and_stack, (X,)).get(60), expected)


def test_robust_statistics_of_clean_panels_match_numpy(rng):
    from skrb.preprocessing._robust_stats import median_and_mad

    for n_pixels in (1, 2, 25, 26):
        panels = rng.normal(size=(7, n_pixels)).astype(np.float32)
        panels[2, 0] = np.nan
        stats = median_and_mad(panels)
        assert np.isnan(stats[2]).all()
        for i in (0, 1, 3, 4, 5, 6):
            median, mad = stats[i]
            values = panels[i].astype(np.float64)
            assert median == np.median(values)
            assert mad == np.median(np.abs(values - np.median(values)))


@pytest.mark.parametrize("method", ["l2", "l2_rows"])
def test_l2_reproduces_braai_float32_overflow_on_the_ztf_mask_sentinel(rng, method):
    # ZTF templates hold -3.4e38 for masked pixels; braai normalised float32 cutouts, where the
    # norm of a row holding it overflows to inf and the row becomes 0.
    X = rng.normal(100.0, 5.0, size=(1, 3, 6, 6)).astype(np.float32)
    X[0, 1, 2, 3] = np.finfo(np.float32).min
    out = StampScaler(method, nan_policy="fill").transform(X)
    panel = X[0, 1]
    axis = -1 if method == "l2_rows" else None
    with np.errstate(over="ignore"):
        norm = np.linalg.norm(panel, axis=axis, keepdims=True)  # float32, as braai
    np.testing.assert_allclose(out[0, 1], panel / norm, rtol=1e-6, atol=1e-7)
    assert np.isfinite(out).all()
    if method == "l2_rows":
        np.testing.assert_array_equal(out[0, 1, 2], 0.0)
        assert np.abs(out[0, 1, 1]).max() > 0.1  # other rows are untouched
    else:
        np.testing.assert_array_equal(out[0, 1], 0.0)
    np.testing.assert_allclose(
        out[0, 0], X[0, 0] / np.linalg.norm(X[0, 0], axis=axis, keepdims=True), rtol=1e-6
    )
