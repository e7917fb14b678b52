"""skrb.datasets.load_autoscan on a tiny autoScan-layout release written by the tests."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from skrb.datasets import load_autoscan
from skrb.io import ReadError, ReadWarning

PANEL_PREFIXES = ("srch", "temp", "diff")
REAL_IDS = [101, 102, 103, 104, 105, 106]
BOGUS_IDS = [201, 202, 203, 204]
SIDE = 11


def _pixel(stamp_id: int, panel: int) -> int:
    return (stamp_id % 50) * 4 + panel  # < 256, so GIFs hold it exactly


def _write_stamp(folder, prefix: str, stamp_id: int, panel: int) -> None:
    value = _pixel(stamp_id, panel)
    image = np.full((SIDE, SIDE), value, dtype=np.float32)
    image[0, -1] = np.nan
    fits.PrimaryHDU(image).writeto(folder / f"{prefix}{stamp_id}.fits")
    gif = np.full((SIDE, SIDE), value, dtype=np.uint8)
    Image.fromarray(gif, mode="L").save(folder / f"{prefix}{stamp_id}.gif")


@pytest.fixture
def release(tmp_path):
    """Stamps spread over nested folders like the release, plus the labels CSV.

    ID 300 lacks its template, ID 400 has stamps but no label, ID 500 has a label but no stamps.
    """
    root = tmp_path / "autoscan"
    for n, stamp_id in enumerate([*REAL_IDS, *BOGUS_IDS, 400]):
        folder = root / f"stamps{n % 2 * 10}" / "SNWG" / "Archive" / "Y1" / f"2013090{n % 3}" / "01"
        folder.mkdir(parents=True, exist_ok=True)
        for panel, prefix in enumerate(PANEL_PREFIXES):
            _write_stamp(folder, prefix, stamp_id, panel)
    odd = root / "stamps0" / "odd"
    odd.mkdir(parents=True)
    _write_stamp(odd, "srch", 300, 0)
    _write_stamp(odd, "diff", 300, 2)
    lines = ["ID,OBJECT_TYPE,SNR,MAG"]
    for stamp_id in [*REAL_IDS, *BOGUS_IDS, 300, 500]:
        object_type = 0 if stamp_id in REAL_IDS or stamp_id == 500 else 1
        lines.append(f"{stamp_id},{object_type},{stamp_id / 10},{20 + stamp_id / 1000}")
    (root / "autoscan_features.3.csv").write_text("\n".join(lines) + "\n")
    return root


def test_loads_the_release(release):
    with pytest.warns(ReadWarning) as caught:
        dataset = load_autoscan(release)
    message = str(caught[0].message)
    assert "1 ID(s) lack a panel (e.g. [300])" in message
    assert "1 ID(s) have stamps but no label (e.g. [400])" in message
    ids = sorted([*REAL_IDS, *BOGUS_IDS])
    assert dataset.data.shape == (10, 3, SIDE, SIDE) and dataset.data.dtype == np.float32
    assert list(dataset.ids) == ids
    assert list(dataset.target) == [1 if i in REAL_IDS else 0 for i in ids]
    for row, stamp_id in enumerate(ids):
        assert list(dataset.data[row, :, 5, 5]) == [_pixel(stamp_id, p) for p in range(3)]
    assert np.isnan(dataset.data[:, :, 0, -1]).all()
    assert list(dataset.meta["ID"]) == ids
    np.testing.assert_allclose(dataset.meta["SNR"], np.array(ids) / 10)
    assert dataset.meta["template"][0].endswith(f"temp{ids[0]}.fits")
    assert dataset.feature_names == ["SNR", "MAG"]
    assert list(dataset.target_names) == ["bogus", "real"]
    assert list(dataset.missing_panels) == [300]
    assert list(dataset.missing_labels) == [400]
    assert dataset.n_unmatched_labels == 1  # 500: labelled, no stamp at all
    assert len(dataset.errors) == 0
    assert "autoScan" in dataset.DESCR


def test_gif_stamps(release):
    X, y = load_autoscan(release, format="gif", return_X_y=True, on_error="skip")
    fits_X, fits_y = load_autoscan(release, return_X_y=True, on_error="skip")
    np.testing.assert_array_equal(y, fits_y)
    np.testing.assert_array_equal(X[:, :, 5, 5], fits_X[:, :, 5, 5])
    assert not np.isnan(X).any()


def test_balanced_seeded_subsample(release):
    first = load_autoscan(release, n_samples=6, random_state=0, on_error="skip")
    again = load_autoscan(release, n_samples=6, random_state=0, on_error="skip")
    assert (first.target == 1).sum() == 3 and (first.target == 0).sum() == 3
    assert list(first.ids) == list(again.ids)
    draws = {
        tuple(load_autoscan(release, n_samples=4, random_state=seed, on_error="skip").ids)
        for seed in range(6)
    }
    assert len(draws) > 1
    with pytest.raises(ValueError, match=r"needs 5 bogus stamp sets but only 4"):
        load_autoscan(release, n_samples=10, on_error="skip")
    with pytest.raises(
        ValueError,
        match=r"'n_samples' parameter of load_autoscan must be an int in the range \[2, inf\)",
    ):
        load_autoscan(release, n_samples=1)


def test_incomplete_ids_can_raise(release):
    with pytest.raises(ReadError, match=r"lack a panel \(e\.g\. \[300\]\)"):
        load_autoscan(release, on_error="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_autoscan(release, on_error="skip").data.shape[0] == 10


def test_corrupt_stamp_is_named_and_left_out(release):
    (bad,) = release.rglob("diff203.fits")
    bad.write_bytes(bad.read_bytes()[:3000])
    with pytest.warns(ReadWarning) as caught:
        dataset = load_autoscan(release, on_error="warn")
    messages = [str(w.message) for w in caught]
    assert any("lack a panel" in m for m in messages)
    assert any("Skipped 1 unreadable stamp sets" in m and "diff203.fits" in m for m in messages)
    assert 203 not in dataset.ids and len(dataset.ids) == 9
    assert dataset.errors["file"][0].endswith("diff203.fits")


def test_labels_file_problems(release, tmp_path):
    labels = release / "autoscan_features.3.csv"
    labels.rename(tmp_path / "elsewhere.csv")
    with pytest.raises(FileNotFoundError, match="No autoscan_features.3.csv under"):
        load_autoscan(release)
    assert len(load_autoscan(release, labels=tmp_path / "elsewhere.csv", on_error="skip").ids) == 10
    for text, match in [
        ("ID,SNR\n101,3\n", "lacks the column\\(s\\) OBJECT_TYPE"),
        ("ID,OBJECT_TYPE\n101,0\n102,2\n", "OBJECT_TYPE must be 0 \\(real\\) or 1 \\(bogus\\)"),
        ("ID,OBJECT_TYPE\n101,0\n101,1\n", "IDs must be unique"),
    ]:
        labels.write_text(text)
        with pytest.raises(ValueError, match=match):
            load_autoscan(release, on_error="skip")
    labels.write_text("ID,OBJECT_TYPE\n999,0\n")
    with pytest.raises(ValueError, match="No complete, labelled FITS stamp set"):
        load_autoscan(release, on_error="skip")


def test_bad_arguments(release, tmp_path):
    with pytest.raises(FileNotFoundError, match="root folder not found"):
        load_autoscan(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="'format' parameter of load_autoscan must be a str among"):
        load_autoscan(release, format="png")
    with pytest.raises(ValueError, match="on_error"):
        load_autoscan(release, on_error="never")
    with pytest.raises(FileNotFoundError, match="labels file not found"):
        load_autoscan(release, labels=tmp_path / "missing.csv")


def test_linked_sub_folders_are_followed_once(release, tmp_path):
    """Stamps moved to another disk and linked back are found; a link loop is read once."""
    moved = tmp_path / "elsewhere"
    (release / "stamps10").rename(moved)
    (release / "stamps10").symlink_to(moved, target_is_directory=True)
    (release / "stamps0" / "loop").symlink_to(release, target_is_directory=True)
    X, y = load_autoscan(release, return_X_y=True, on_error="skip")
    assert len(X) == 10 and sorted(y.tolist()) == [0] * 4 + [1] * 6
