"""The FITS cutout decoder (fast path vs astropy) and skrb.io.read_fits_stamps."""

from __future__ import annotations

import gzip
import io
import warnings

import fastavro
import numpy as np
import pytest
from astropy.io import fits
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from skrb.io import ReadError, ReadWarning, read_fits_stamps
from skrb.io._avro import CUTOUT_FIELDS
from skrb.io._fitsio import _decode_simple, decode_fits_image, read_fits_image


def _to_bytes(*hdus: fits.hdu.base.ExtensionHDU) -> bytes:
    buffer = io.BytesIO()
    fits.HDUList(list(hdus)).writeto(buffer)
    return buffer.getvalue()


def _astropy(raw: bytes, hdu: int | str = 0) -> np.ndarray:
    return np.asarray(fits.HDUList.fromstring(raw)[hdu].data, dtype=np.float32)


@pytest.mark.shared_data
def test_fast_decoder_equals_astropy_on_every_real_cutout():
    files = sorted(shared_path("ztf_alerts").rglob("*.avro"))
    assert len(files) == 534
    n_fast = 0
    for path in files:
        with open(path, "rb") as handle:
            for record in fastavro.reader(handle):
                for field in CUTOUT_FIELDS:
                    raw = gzip.decompress(record[field]["stampData"])
                    fast = _decode_simple(raw)
                    assert fast is not None, f"{path} {field} left the fast path"
                    n_fast += 1
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", fits.verify.VerifyWarning)
                        expected = _astropy(raw)
                    assert fast.dtype == np.float32
                    np.testing.assert_array_equal(fast, expected, err_msg=f"{path} {field}")
    assert n_fast == 3 * 534


@pytest.mark.shared_data
def test_isal_and_zlib_inflate_every_real_cutout_alike(monkeypatch):
    import zlib

    import skrb.io._fitsio as fitsio

    files = sorted(shared_path("ztf_alerts").rglob("*.avro"))[:40]
    cutouts = []
    for path in files:
        with open(path, "rb") as handle:
            for record in fastavro.reader(handle):
                cutouts += [record[field]["stampData"] for field in CUTOUT_FIELDS]
    damaged = [cutouts[0][: len(cutouts[0]) // 2], cutouts[1][:12] + b"\xff" * 40]
    for offset, flip in ((3, 0x20), (3, 0x02), (2, 0x01), (-8, 0x01), (-1, 0x01)):
        changed = bytearray(cutouts[2])  # a reserved or header-CRC flag, the method, CRC, size
        changed[offset] ^= flip
        damaged.append(bytes(changed))
    assert fitsio._inflate_lib is not zlib, "isal is a dependency: it should be the inflater"

    def outcomes():
        images = [decode_fits_image(raw, max_side=63) for raw in cutouts]
        errors = []
        for raw in damaged:
            with pytest.raises(ValueError, match="corrupt gzip stream") as caught:
                decode_fits_image(raw, max_side=63)
            errors.append(str(caught.value))
        return images, errors

    images, errors = outcomes()
    monkeypatch.setattr(fitsio, "_inflate_lib", zlib)
    zlib_images, zlib_errors = outcomes()
    assert errors == zlib_errors  # the same messages, word for word
    for image, expected in zip(images, zlib_images, strict=True):
        np.testing.assert_array_equal(image, expected)


@pytest.mark.parametrize(
    ("dtype", "header"),
    [
        (">f4", {}),
        (">f8", {}),
        (">i2", {"BSCALE": 0.5, "BZERO": 100.0, "BLANK": -32768}),
        (">i2", {"BZERO": 32768}),
        (">i4", {"BLANK": -1}),
        ("u1", {"BSCALE": 2.0}),
    ],
)
def test_fast_decoder_matches_astropy_scaling(dtype, header, rng):
    values = rng.integers(-200, 200, size=(7, 5)) if dtype[-2] == "i" else rng.normal(size=(7, 5))
    if dtype == "u1":
        values = np.abs(values) % 256
    data = np.asarray(values).astype(dtype)
    if "BLANK" in header:
        data[2, 3] = header["BLANK"]
    if dtype.endswith("f4"):
        data[0, 0] = np.nan
    primary = fits.PrimaryHDU(data)
    for key, value in header.items():
        primary.header[key] = value
    raw = _to_bytes(primary)
    fast = _decode_simple(raw)
    assert fast is not None
    expected = _astropy(raw)
    if "BLANK" in header and ("BSCALE" in header or "BZERO" in header):
        assert np.isnan(fast[2, 3]) and np.isnan(expected[2, 3])
    if "BLANK" in header and not ("BSCALE" in header or "BZERO" in header):
        # astropy leaves BLANK as is in unscaled integer images; the decoder masks it (NaN)
        assert np.isnan(fast[2, 3])
        expected[2, 3] = np.nan
    np.testing.assert_array_equal(fast, expected)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 70), st.integers(1, 70)),
    bitpix=st.sampled_from([">f4", ">f8", ">i2", ">i4"]),
    seed=st.integers(0, 2**16),
)
def test_fast_decoder_equals_astropy_property(shape, bitpix, seed):
    rng = np.random.default_rng(seed)
    data = (rng.normal(size=shape) * 1000).astype(bitpix)
    raw = _to_bytes(fits.PrimaryHDU(data))
    np.testing.assert_array_equal(decode_fits_image(gzip.compress(raw)), _astropy(raw))


def test_unusual_files_go_to_astropy(rng):
    image = rng.normal(size=(6, 4)).astype("f4")
    extension = _to_bytes(fits.PrimaryHDU(), fits.ImageHDU(image, name="SCI"))
    assert _decode_simple(extension) is None
    np.testing.assert_array_equal(decode_fits_image(extension), image)
    np.testing.assert_array_equal(decode_fits_image(extension, hdu="SCI"), image)
    counts = rng.integers(0, 1000, size=(6, 4)).astype("i4")
    compressed = _to_bytes(fits.PrimaryHDU(), fits.CompImageHDU(counts))
    np.testing.assert_array_equal(decode_fits_image(compressed), counts.astype("f4"))
    cube = _to_bytes(fits.PrimaryHDU(np.zeros((2, 3, 4), "f4")))
    with pytest.raises(ValueError, match="no HDU with a 2-D image"):
        decode_fits_image(cube)
    with pytest.raises(ValueError, match="HDU 'SCI' holds no 2-D image"):
        decode_fits_image(_to_bytes(fits.PrimaryHDU(), fits.ImageHDU(name="SCI")), hdu="SCI")


def test_damaged_fits_bytes_raise_clear_errors():
    raw = _to_bytes(fits.PrimaryHDU(np.ones((63, 63), "f4")))
    with pytest.raises(ValueError, match="truncated"):
        decode_fits_image(raw[:-2000])
    with pytest.raises(ValueError, match="corrupt gzip"):
        decode_fits_image(gzip.compress(raw)[:-100])
    with pytest.raises(ValueError, match="corrupt gzip"):
        decode_fits_image(b"\x1f\x8b" + b"nonsense" * 20)
    with pytest.raises(ValueError, match="not a readable FITS"):
        decode_fits_image(b"plain text, not FITS" * 200)


@pytest.fixture
def triplets(tmp_path):
    """Four stamp sets of 9 x 9 FITS files; pixel value = 10 * index + panel."""
    paths = {panel: [] for panel in ("srch", "temp", "diff")}
    for index in range(4):
        for offset, panel in enumerate(paths):
            image = np.full((9, 9), 10 * index + offset, dtype="f4")
            image[0, 0] = np.nan
            path = tmp_path / f"{panel}{index}.fits"
            fits.PrimaryHDU(image).writeto(path)
            paths[panel].append(path)
    return paths


def test_read_fits_stamps(triplets):
    stamps = read_fits_stamps(triplets["srch"], triplets["temp"], triplets["diff"])
    assert stamps.data.shape == (4, 3, 9, 9) and stamps.data.dtype == np.float32
    np.testing.assert_array_equal(
        stamps.data[:, :, 4, 4], [[10 * i + p for p in range(3)] for i in range(4)]
    )
    assert np.isnan(stamps.data[:, :, 0, 0]).all()
    assert list(stamps.meta["index"]) == [0, 1, 2, 3]
    assert stamps.meta["difference"][2] == str(triplets["diff"][2])
    assert read_fits_image(triplets["temp"][1])[4, 4] == 11


def test_read_fits_stamps_names_mismatched_panels(triplets, tmp_path):
    small = tmp_path / "temp_small.fits"
    fits.PrimaryHDU(np.zeros((7, 9), "f4")).writeto(small)
    triplets["temp"][2] = small
    with pytest.raises(ReadError, match=r"srch2\.fits.*temp_small\.fits \(7, 9\)"):
        read_fits_stamps(triplets["srch"], triplets["temp"], triplets["diff"])
    with pytest.warns(ReadWarning, match="Skipped 1 unreadable stamp sets"):
        stamps = read_fits_stamps(
            triplets["srch"], triplets["temp"], triplets["diff"], on_error="warn"
        )
    assert list(stamps.meta["index"]) == [0, 1, 3]
    assert stamps.errors["record"][0] == 2


def test_read_fits_stamps_rejects_sets_of_different_sizes(triplets, tmp_path):
    for panel in triplets:
        path = tmp_path / f"{panel}_big.fits"
        fits.PrimaryHDU(np.zeros((11, 11), "f4")).writeto(path)
        triplets[panel][3] = path
    with pytest.raises(
        ValueError, match=r"differ in shape.*srch0\.fits is \(9, 9\).*srch_big\.fits is \(11, 11\)"
    ):
        read_fits_stamps(triplets["srch"], triplets["temp"], triplets["diff"])


def test_read_fits_stamps_bad_input(triplets, tmp_path):
    with pytest.raises(ValueError, match="as many files"):
        read_fits_stamps(triplets["srch"], triplets["temp"][:3], triplets["diff"])
    with pytest.raises(ValueError, match="empty"):
        read_fits_stamps([], [], [])
    with pytest.raises(FileNotFoundError, match="difference file not found"):
        read_fits_stamps(triplets["srch"][0], triplets["temp"][0], tmp_path / "nope.fits")
    with pytest.raises(TypeError, match="search must be a path"):
        read_fits_stamps(3, triplets["temp"], triplets["diff"])
    corrupt = tmp_path / "corrupt.fits"
    corrupt.write_bytes(b"SIMPLE  = garbage" * 100)
    with pytest.raises(ReadError, match=r"corrupt\.fits.*not a readable FITS"):
        read_fits_stamps(triplets["srch"][0], corrupt, triplets["diff"][0])
    with pytest.raises(ReadError, match=r"None of the 1 stamp set\(s\) could be read.*corrupt"):
        read_fits_stamps(triplets["srch"][0], corrupt, triplets["diff"][0], on_error="skip")
    with pytest.raises(ValueError, match="on_error"):
        read_fits_stamps(triplets["srch"], triplets["temp"], triplets["diff"], on_error="ignore")


def test_read_fits_stamps_hdu_choice(tmp_path, rng):
    image = rng.normal(size=(5, 5)).astype("f4")
    path = tmp_path / "multi.fits"
    fits.HDUList(
        [fits.PrimaryHDU(np.zeros((5, 5), "f4")), fits.ImageHDU(image, name="SCI")]
    ).writeto(path)
    first = read_fits_stamps(path, path, path)
    chosen = read_fits_stamps(path, path, path, hdu="SCI")
    assert (first.data == 0).all()
    np.testing.assert_array_equal(chosen.data[0, 1], image)


def test_read_fits_stamps_skips_an_odd_sized_set_when_asked(triplets, tmp_path):
    for panel in triplets:
        path = tmp_path / f"{panel}_big.fits"
        fits.PrimaryHDU(np.zeros((11, 11), "f4")).writeto(path)
        triplets[panel][0] = path  # the odd one out comes first
    with pytest.warns(ReadWarning, match=r"srch_big\.fits \(record 0\): .*\(11, 11\), unlike"):
        stamps = read_fits_stamps(
            triplets["srch"], triplets["temp"], triplets["diff"], on_error="warn"
        )
    assert stamps.data.shape == (3, 3, 9, 9)
    assert list(stamps.meta["index"]) == [1, 2, 3]
    assert list(stamps.errors["record"]) == [0]
    with pytest.raises(ReadError, match=r"srch1\.fits is \(9, 9\) but .*srch_big\.fits is"):
        read_fits_stamps(triplets["srch"], triplets["temp"], triplets["diff"])


def test_read_fits_stamps_masks_infinite_pixels(triplets, tmp_path):
    image = np.ones((9, 9), ">f8")
    image[1, 1], image[2, 2], image[3, 3] = np.inf, -np.inf, 1e39  # 1e39: beyond float32
    path = tmp_path / "diff_inf.fits"
    fits.PrimaryHDU(image).writeto(path)
    triplets["diff"][1] = path
    stamps = read_fits_stamps(triplets["srch"], triplets["temp"], triplets["diff"])
    assert list(stamps.meta["n_nonfinite"]) == [0, 3, 0, 0]
    assert np.isnan(stamps.data[1, 2, [1, 2, 3], [1, 2, 3]]).all()
    assert not np.isinf(stamps.data).any()
