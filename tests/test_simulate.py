"""Tests of the DIA stamp-set simulator skrb.datasets.make_stamps."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from skrb import PANELS
from skrb.datasets import ARTIFACTS, make_stamps

META_COLUMNS = {
    "label",
    "artifact",
    "snr",
    "injected_snr",
    "transient_flux",
    "seeing_search",
    "seeing_template",
    "host",
    "host_offset",
    "sky_search",
    "noise_search",
    "template_depth",
    "registration_dx",
    "registration_dy",
    "kernel_sigma",
    "photometric_scale",
    "background",
    "saturated",
    "masked_fraction",
}


def robust_std(a: np.ndarray, axis: tuple[int, ...] = (-2, -1)) -> np.ndarray:
    med = np.nanmedian(a, axis=axis, keepdims=True)
    return 1.4826 * np.nanmedian(np.abs(a - med), axis=axis)


@pytest.fixture(scope="module")
def des():
    return make_stamps(420, survey="des", random_state=1, return_meta=True)


@pytest.fixture(scope="module")
def ztf():
    return make_stamps(300, survey="ztf", random_state=2, return_meta=True)


@pytest.mark.parametrize(("survey", "side"), [("des", 51), ("ztf", 63), ("lsst", 30)])
def test_shapes_dtype_and_labels(survey, side):
    X, y = make_stamps(10, survey=survey, random_state=0)
    assert X.shape == (10, len(PANELS), side, side)
    assert X.dtype == np.float32
    assert y.shape == (10,)
    assert y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}


@pytest.mark.parametrize(("n", "fraction", "n_real"), [(50, 0.3, 15), (7, 0.5, 4), (5, 0.0, 0)])
def test_class_balance_is_exact(n, fraction, n_real):
    _, y = make_stamps(n, real_fraction=fraction, random_state=0)
    assert int(y.sum()) == n_real


def test_labels_are_shuffled():
    _, y = make_stamps(40, random_state=0)
    assert 0 < y[:20].sum() < 20


def test_same_seed_same_output_and_different_seed_different_output():
    X1, y1, m1 = make_stamps(30, random_state=5, return_meta=True)
    X2, y2, m2 = make_stamps(30, random_state=5, return_meta=True)
    np.testing.assert_array_equal(X1, X2)  # NaN compare equal here
    np.testing.assert_array_equal(y1, y2)
    assert list(m1["artifact"]) == list(m2["artifact"])
    X3, _ = make_stamps(30, random_state=6)
    assert not np.array_equal(np.nan_to_num(X1), np.nan_to_num(X3))


def test_random_state_accepts_randomstate_and_generator():
    X1, _ = make_stamps(3, random_state=np.random.RandomState(3))
    X2, _ = make_stamps(3, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(X1, X2)
    X3, _ = make_stamps(3, random_state=np.random.default_rng(3))
    X4, _ = make_stamps(3, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(X3, X4)


def test_speed_is_vectorised():
    # CPU time, not wall time, so that other jobs on a shared machine do not count.
    start = time.process_time()
    make_stamps(1000, survey="des", random_state=0)
    elapsed = time.process_time() - start
    # 10,000 stamp sets must take well under a minute: 1,000 in under 5 s of CPU (generous:
    # about 1 s on one idle core).
    assert elapsed < 5.0, f"1000 DES stamp sets took {elapsed:.1f} s of CPU time"


def test_meta_columns_and_consistency(des):
    X, y, meta = des
    assert set(meta.colnames) == META_COLUMNS
    assert len(meta) == len(y)
    assert meta.meta["survey"] == "des"
    np.testing.assert_array_equal(meta["label"], y)
    real = y == 1
    assert np.all(meta["artifact"][real] == "none")
    assert np.all(np.isin(meta["artifact"][~real], ARTIFACTS))
    assert np.all(np.isfinite(meta["injected_snr"][real]))
    assert np.all(np.isnan(meta["injected_snr"][~real]))
    assert not np.any(meta["host"][~real])
    assert np.all(np.isnan(meta["host_offset"][~meta["host"]]))
    assert str(meta["seeing_search"].unit) == "arcsec"
    # DES seeing is about 1 arcsec; the template is built from the better-seeing epochs.
    assert 0.8 < np.median(meta["seeing_search"]) < 1.2
    assert np.median(meta["seeing_template"]) < np.median(meta["seeing_search"])


def test_every_artifact_family_appears(des):
    _, y, meta = des
    counts = {a: int(np.sum(meta["artifact"] == a)) for a in ARTIFACTS}
    assert all(c > 0 for c in counts.values()), counts


def test_nan_only_where_a_chip_edge_is_simulated(des):
    X, y, meta = des
    has_nan = np.isnan(X).any(axis=(1, 2, 3))
    np.testing.assert_array_equal(has_nan, meta["masked_fraction"] > 0)
    assert np.all(has_nan[meta["artifact"] == "chip_edge"])
    # Every panel is masked on the same pixels, and only NaN (never inf) appears.
    nan = np.isnan(X)
    assert np.all(nan[:, 0] == nan[:, 1]) and np.all(nan[:, 1] == nan[:, 2])
    assert not np.isinf(X).any()
    # Real candidates near an edge keep their centre on the chip.
    c = X.shape[-1] // 2
    assert not np.isnan(X[y == 1, :, c, c]).any()


def test_difference_is_search_minus_matched_template(des):
    X, _, meta = des
    ok = np.flatnonzero((meta["masked_fraction"] == 0) & ~meta["saturated"])[:60]
    side = X.shape[-1]
    inner = slice(8, side - 8)
    for i in ok:
        search, template, difference = X[i].astype(np.float64)
        sigma = float(meta["kernel_sigma"][i])
        matched = (
            gaussian_filter(template, sigma, mode="nearest", truncate=8.0) if sigma else template
        )
        rebuilt = search - meta["photometric_scale"][i] * matched - meta["background"][i]
        err = np.abs(rebuilt - difference)[inner, inner].max()
        assert err < 0.02 * meta["noise_search"][i], (i, err)


def test_template_is_deeper_than_search(ztf):
    X, _, _ = ztf
    noise = np.nanmedian(robust_std(X), axis=0)
    assert noise[1] < 0.5 * noise[0]
    # The difference carries the search noise (plus a little of the template's).
    assert 0.9 * noise[0] < noise[2] < 1.3 * noise[0]


def test_real_candidates_are_point_sources_at_the_centre(des):
    X, y, meta = des
    real = np.flatnonzero((y == 1) & (meta["masked_fraction"] == 0))
    measured, injected = meta["snr"][real], meta["injected_snr"][real]
    # The PSF-weighted SNR measured on the difference recovers the injected one.
    assert np.median(np.abs(measured - injected)) < 2.0
    assert np.all(measured > injected - 5.0 - 0.25 * injected)
    lo, hi = 4.0, 60.0  # the DES preset
    assert injected.min() >= lo and injected.max() <= hi
    # The transient is new: the template shows nothing more at the centre than around it.
    c = X.shape[-1] // 2
    bright = real[injected > 30]
    diff_peak = X[bright, 2, c - 1 : c + 2, c - 1 : c + 2].max(axis=(1, 2))
    assert np.all(diff_peak > 5 * meta["noise_search"][bright])


def test_one_epoch_artifacts_are_sharper_than_the_psf(des):
    X, y, meta = des
    c = X.shape[-1] // 2

    def sharpness(idx):
        box = X[idx, 2, c - 1 : c + 2, c - 1 : c + 2]
        return box.max(axis=(1, 2)) / np.abs(box).sum(axis=(1, 2))

    hot = np.flatnonzero(meta["artifact"] == "hot_pixel")
    bright_real = np.flatnonzero((y == 1) & (meta["injected_snr"] > 20) & ~meta["host"])
    assert np.median(sharpness(hot)) > 0.5
    assert np.median(sharpness(bright_real)) < 0.25
    # Only the search exposure has the hit: the template centre is plain sky.
    template_excess = X[hot, 1, c, c] - np.nanmedian(X[hot, 1], axis=(1, 2))
    search_excess = X[hot, 0, c, c] - np.nanmedian(X[hot, 0], axis=(1, 2))
    assert np.all(search_excess > 5 * np.abs(template_excess))


def test_saturated_stars_bleed_along_columns(des):
    X, _, meta = des
    sat = np.flatnonzero(meta["artifact"] == "saturated_star")
    assert np.all(meta["saturated"][sat])
    for i in sat:
        search = X[i, 0]
        flat = search >= search.max() - 1e-3  # the saturated (clipped) pixels
        rows, cols = np.nonzero(flat)
        assert np.ptp(rows) >= np.ptp(cols), "bleed trails run along columns"


def test_misregistration_leaves_a_dipole(des):
    X, _, meta = des
    mis = np.flatnonzero(meta["artifact"] == "misregistration")
    shift = np.hypot(meta["registration_dx"][mis], meta["registration_dy"][mis])
    assert np.all(shift >= 0.3)
    c = X.shape[-1] // 2
    box = X[mis, 2, c - 4 : c + 5, c - 4 : c + 5] / meta["noise_search"][mis][:, None, None]
    dipole = (box.max(axis=(1, 2)) > 3) & (box.min(axis=(1, 2)) < -3)
    assert dipole.mean() > 0.8


def test_ztf_preset_matches_real_ztf_cutouts(ztf, ztf_alert_dir):
    from skrb.io import read_alerts

    real = read_alerts(ztf_alert_dir).data
    sim = ztf[0]
    for panel in range(3):
        r = np.nanmedian(robust_std(real[:, panel]))
        s = np.nanmedian(robust_std(sim[:, panel]))
        assert 0.7 * r < s < 1.4 * r, (PANELS[panel], r, s)
    sky_real = np.nanmedian(real[:, 0], axis=(1, 2))
    sky_sim = np.nanmedian(sim[:, 0], axis=(1, 2))
    assert abs(np.median(sky_sim) - np.median(sky_real)) < 0.3 * np.median(sky_real)


def _psf_fwhm(psf: np.ndarray) -> float:
    """FWHM (pixels) of a PSF image, where its azimuthal profile crosses half the peak."""
    psf = np.nan_to_num(psf).clip(0)
    y, x = np.indices(psf.shape)
    cy, cx = (y * psf).sum() / psf.sum(), (x * psf).sum() / psf.sum()
    r, v = np.hypot(y - cy, x - cx).ravel(), (psf / psf.max()).ravel()
    centres = np.array([c for c in np.arange(0.0, 8, 0.25) if (np.abs(r - c) < 0.25).any()])
    profile = np.array([v[np.abs(r - c) < 0.25].mean() for c in centres])
    k = int(np.argmax(profile < 0.5))
    return 2 * np.interp(0.5, profile[[k, k - 1]], centres[[k, k - 1]])


def test_lsst_preset_matches_real_rubin_cutouts():
    from conftest import shared_path

    from skrb.io import read_alerts

    real = read_alerts(shared_path("rubin_alerts"), stamp_size=30, psf=True)
    X, _, meta = make_stamps(300, survey="lsst", random_state=3, return_meta=True)
    assert X.shape[-1] == 30 and meta["noise_search"].unit == "nJy"
    for panel in range(3):
        r = np.nanmedian(robust_std(real.data[:, panel]))
        s = np.nanmedian(robust_std(X[:, panel]))
        assert 0.75 * r < s < 1.33 * r, (PANELS[panel], r, s)
    # sky subtracted in both: the science median is a fraction of the noise
    sky = np.nanmedian(X[:, 0], axis=(1, 2))
    assert abs(np.median(sky)) < 0.5 * np.nanmedian(robust_std(real.data[:, 0]))
    real_fwhm = np.median([_psf_fwhm(p) for p in real.psf[:, 0]]) * 0.2
    assert abs(np.median(meta["seeing_search"]) - real_fwhm) < 0.1 * real_fwhm


def test_stamp_size_on_request():
    X, y = make_stamps(6, survey="lsst", stamp_size=102, random_state=0)
    assert X.shape == (6, 3, 102, 102)
    small, _ = make_stamps(6, survey="lsst", stamp_size=31, random_state=0)
    assert small.shape == (6, 3, 31, 31) and np.isfinite(small).mean() > 0.9


def test_braai_separates_simulated_real_and_bogus(ztf, checkpoint_dir):
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline

    from skrb.models import load_checkpoint
    from skrb.preprocessing import StampScaler, StampStacker

    X, y, _ = ztf
    braai = make_pipeline(
        StampScaler("l2_rows", nan_policy="fill", fill_value=0.0),
        StampStacker("channels"),
        load_checkpoint(checkpoint_dir / "braai_d6_m7", "braai"),
    )
    auc = roc_auc_score(y, braai.predict_proba(X)[:, 1])
    print(f"braai d6_m7 ROC AUC on simulated ZTF stamps: {auc:.3f}")
    assert auc >= 0.85, f"braai d6_m7 ROC AUC on simulated ZTF stamps is {auc:.3f} < 0.85"


def test_options_restrict_the_draws():
    _, y, meta = make_stamps(
        60,
        random_state=0,
        return_meta=True,
        artifacts=["cosmic_ray"],
        snr_range=(10, 12),
        host_fraction=1.0,
    )
    assert set(meta["artifact"][y == 0]) == {"cosmic_ray"}
    assert np.all((meta["injected_snr"][y == 1] >= 10) & (meta["injected_snr"][y == 1] <= 12))
    assert np.all(meta["host"][y == 1])
    _, y, meta = make_stamps(
        40, random_state=0, return_meta=True, artifacts={"hot_pixel": 1, "bad_column": 0}
    )
    assert set(meta["artifact"][y == 0]) == {"hot_pixel"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"survey": "hsc"}, "Unknown survey 'hsc'"),
        ({"stamp_size": 4}, r"'stamp_size' parameter of make_stamps must be .* \[8, inf\)"),
        ({"n_samples": 0}, r"'n_samples' parameter of make_stamps must be .* \[1, inf\)"),
        ({"n_samples": 2.5}, r"'n_samples' parameter of make_stamps must be an int"),
        ({"real_fraction": 1.5}, r"'real_fraction' parameter of make_stamps .* \[0.0, 1.0\]"),
        ({"host_fraction": -0.1}, r"'host_fraction' parameter of make_stamps .* \[0.0, 1.0\]"),
        ({"centring_jitter": -1}, r"'centring_jitter' parameter of make_stamps .* \[0, inf\)"),
        ({"snr_range": (5, 1)}, "snr_range must satisfy"),
        ({"snr_range": 5}, "snr_range must be a pair"),
        ({"artifacts": ["cosmic_rays"]}, "Unknown artifact families"),
        ({"artifacts": {"hot_pixel": 0}}, "positive sum"),
    ],
)
def test_bad_parameters_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_stamps(**{"n_samples": 4, **kwargs})


def test_authors_des_models_separate_simulated_des_stamps(des, checkpoint_dir):
    """The paper's own CNNs, trained only on real DES stamps, read the DES preset as DES."""
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline

    from skrb.models import load_checkpoint
    from skrb.preprocessing import StampScaler, StampStacker

    X, y, _ = des
    folder = checkpoint_dir / "acero_cuellar_2023"
    auc = {}
    for layout, name in (("dia", "AAD_3s3DH"), ("nodia", "CCC_3s2DH")):
        model = make_pipeline(
            StampScaler("acero2023"),
            StampStacker(layout),
            load_checkpoint(folder / f"model_checkpoint_{name}.h5", layout),
        )
        auc[layout] = roc_auc_score(y, model.predict_proba(X)[:, 1])
    print(f"authors' checkpoints, ROC AUC on simulated DES stamps: {auc}")
    assert auc["dia"] >= 0.9, f"authors' DIA CNN ROC AUC {auc['dia']:.3f} < 0.9"
    assert auc["dia"] > auc["nodia"] > 0.7, f"DIA vs noDIA ROC AUC: {auc}"


def test_centring_jitter_moves_the_whole_stamp_set_off_centre():
    X, y, meta = make_stamps(
        40,
        random_state=3,
        return_meta=True,
        centring_jitter=4,
        snr_range=(40, 60),
        artifacts=["hot_pixel"],
    )
    assert X.shape == (40, 3, 51, 51)
    dx, dy = np.asarray(meta["offset_x"]), np.asarray(meta["offset_y"])
    assert dx.min() >= -4 and dx.max() <= 4 and len(set(dx.tolist())) > 3
    # Bright real transients peak in the difference at the centre moved by the offset.
    real = np.flatnonzero(y == 1)
    peaks = [np.unravel_index(np.nanargmax(X[i, 2]), (51, 51)) for i in real]
    found = [(r - 25, c - 25) for r, c in peaks]
    hits = sum(
        abs(f[0] - dy[i]) <= 1 and abs(f[1] - dx[i]) <= 1 for f, i in zip(found, real, strict=True)
    )
    assert hits >= 0.8 * real.size
    np.testing.assert_array_equal(
        make_stamps(5, random_state=1)[0], make_stamps(5, random_state=1, centring_jitter=0)[0]
    )
    with pytest.raises(ValueError, match="centring_jitter"):
        make_stamps(5, centring_jitter=-1)
