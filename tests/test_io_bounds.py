"""Readers refuse oversized cutouts, decompression bombs and lying FITS headers before allocating.

Built from real ZTF packets (../shared/data): one cutout is replaced by a hostile one, the
alert is kept with a status naming the problem, and every other alert reads as before.
"""

from __future__ import annotations

import copy
import gzip
import io
import tracemalloc
import warnings

import fastavro
import numpy as np
import pytest
from _alert_files import avro_bytes, fits_bytes, gzip_bomb, set_cards
from astropy.io import fits

from skrb.io import ReadWarning, read_alerts
from skrb.io._fitsio import SURVEY_MAX_SIDE, decode_fits_image

pytestmark = pytest.mark.shared_data


@pytest.fixture
def packets(ztf_packets) -> tuple[list[dict], dict]:
    """Three real ZTF packets (records) and their writer schema."""
    records, schema = ztf_packets
    return copy.deepcopy(records[:3]), schema


def _read_with(tmp_path, packets, field: str, stamp_data: bytes, name: str = "bad.avro"):
    records, schema = packets
    records = copy.deepcopy(records)
    records[1][field]["stampData"] = stamp_data
    path = tmp_path / name
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, records)
    with pytest.warns(ReadWarning, match=rf"{name} \(record 1\): candid {records[1]['candid']}: "):
        alerts = read_alerts(path)
    assert list(alerts.meta["status"][[0, 2]]) == ["ok", "ok"]
    good = read_alerts([tmp_path / "good.avro"]) if (tmp_path / "good.avro").exists() else None
    if good is None:
        with open(tmp_path / "good.avro", "wb") as handle:
            fastavro.writer(handle, schema, packets[0])
        good = read_alerts(tmp_path / "good.avro")
    np.testing.assert_array_equal(alerts.data[[0, 2]], good.data[[0, 2]])
    return alerts


def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path, packets):
    bomb = gzip_bomb(64 * 2**20)  # 64 MiB of zeros behind a 63 x 63 header
    assert len(bomb) < 100_000
    records, schema = packets
    read_alerts([avro_bytes(schema, records[:1])])  # one-time imports (numba) are not counted
    tracemalloc.start()
    try:
        alerts = _read_with(tmp_path, packets, "cutoutDifference", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    status = alerts.meta["status"][1]
    assert status.startswith("unreadable difference cutout: the gzip stream inflates beyond ")
    assert "decompression bomb" in status
    assert peak < 16 * 2**20, f"reading the bomb took {peak / 2**20:.0f} MiB"
    assert np.isnan(alerts.data[1, 2]).all() and not np.isnan(alerts.data[1, 0]).all()


def test_a_cutout_larger_than_the_survey_allows_is_refused(tmp_path, packets):
    small = fits_bytes(np.ones((8, 8), ">f4"))
    claims = set_cards(small, NAXIS1=600, NAXIS2=600)
    alerts = _read_with(tmp_path, packets, "cutoutTemplate", gzip.compress(claims))
    assert alerts.meta["status"][1] == (
        "unreadable template cutout: the header claims a 600x600 pixel image, larger than the "
        "survey's largest cutout (63x63), refused before reading it."
    )


def test_a_header_claiming_more_pixels_than_the_bytes_hold(tmp_path, packets):
    claims = set_cards(fits_bytes(np.ones((8, 8), ">f4")), NAXIS1=63, NAXIS2=63)
    alerts = _read_with(tmp_path, packets, "cutoutScience", claims)
    assert alerts.meta["status"][1] == (
        "unreadable search cutout: FITS image data are truncated: the header announces 63x63 "
        "pixels (15876 bytes) but only 2880 bytes follow it."
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("NAXIS1", 0, "invalid FITS header: NAXIS1 = 0 (an image axis needs at least 1 pixel)."),
        ("NAXIS2", -1, "invalid FITS header: NAXIS2 = -1 (an image axis needs at least 1 pixel)."),
        (
            "BITPIX",
            17,
            "invalid FITS header: BITPIX = 17 is not a FITS pixel type "
            "(one of 8, 16, 32, 64, -32, -64).",
        ),
    ],
)
def test_exact_messages_for_impossible_headers(tmp_path, packets, key, value, message):
    raw = set_cards(fits_bytes(np.ones((63, 63), ">f4")), **{key: value})
    with pytest.raises(ValueError) as caught:
        decode_fits_image(raw)
    assert str(caught.value) == message
    alerts = _read_with(tmp_path, packets, "cutoutDifference", gzip.compress(raw))
    assert alerts.meta["status"][1] == f"unreadable difference cutout: {message}"


def test_rubin_bound_in_the_shared_decoder():
    """Rubin cutouts (CCDData files, several HDUs) go through astropy: bounded there too."""
    side = SURVEY_MAX_SIDE["rubin"]

    def ccd_like(n: int) -> bytes:
        buffer = io.BytesIO()
        image = np.ones((n, n), "f4")
        fits.HDUList([fits.PrimaryHDU(image), fits.ImageHDU(image, name="UNCERT")]).writeto(buffer)
        return buffer.getvalue()

    assert decode_fits_image(ccd_like(side), max_side=side).shape == (side, side)
    with pytest.raises(ValueError, match=rf"{side + 1}x{side + 1} pixel image, larger .*102x102"):
        decode_fits_image(ccd_like(side + 1), max_side=side)
    truncated = ccd_like(40)[: 2880 + 1000]
    with pytest.raises(ValueError, match="truncated"):
        decode_fits_image(truncated)


def _bundle(schema: dict, records: list[dict], codec: str = "deflate") -> tuple[bytes, list[int]]:
    """An Avro file with one block per record, and where each block ends."""
    buffer = io.BytesIO()
    writer = fastavro.write.Writer(buffer, schema, codec=codec)
    ends = []
    for record in records:
        writer.write(record)
        writer.flush()
        ends.append(buffer.tell())
    return buffer.getvalue(), ends


def test_an_avro_deflate_bomb_loses_only_its_block(tmp_path, packets):
    records, schema = packets
    records = copy.deepcopy(records)
    records[1]["cutoutScience"]["stampData"] = bytes(20 * 2**20)  # 20 MiB of zeros
    raw, _ = _bundle(schema, records)
    assert len(raw) < 2**20
    path = tmp_path / "bomb.avro"
    path.write_bytes(raw)
    with pytest.warns(ReadWarning, match=r"bomb\.avro \(record 1\): 1 record\(s\) skipped: .*bomb"):
        alerts = read_alerts(path)
    assert list(alerts.meta["candid"]) == [records[0]["candid"], records[2]["candid"]]
    assert list(alerts.meta["record"]) == [0, 2]


@pytest.mark.parametrize("codec", ["deflate", "null"])
def test_a_damaged_block_loses_only_its_records(tmp_path, packets, codec):
    """A broker's bundle with one garbled block: the alerts of the other blocks are all kept."""
    records, schema = packets
    raw, ends = _bundle(schema, records, codec)
    damaged = bytearray(raw)
    middle = (ends[0] + ends[1]) // 2  # inside block 1's data, away from its framing
    damaged[middle - 200 : middle + 200] = bytes(400)
    path = tmp_path / "bundle.avro"
    path.write_bytes(bytes(damaged))
    clean = read_alerts([raw])
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        alerts = read_alerts(path)
    kept = [row for row, record in enumerate(alerts.meta["record"]) if record != 1]
    assert [alerts.meta["record"][row] for row in kept] == [0, 2]
    np.testing.assert_array_equal(alerts.data[kept], clean.data[[0, 2]])
    accounted = 1 in list(alerts.meta["record"]) or 1 in list(alerts.errors["record"])
    assert accounted


@pytest.fixture(scope="module")
def rubin_packet() -> tuple[dict, dict]:
    """One real Rubin alert (Fink's container) and its writer schema."""
    from conftest import shared_path

    path = sorted(shared_path("rubin_alerts", "fink-broker-lsst7.4").glob("*.avro"))[0]
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        return next(reader), reader.writer_schema


def _rubin_status(rubin_packet, field: str, raw: bytes, **options) -> str:
    record, schema = rubin_packet
    alerts = read_alerts([avro_bytes(schema, [{**record, field: raw}])], on_error="skip", **options)
    return alerts.meta["status"][0]


@pytest.mark.parametrize("variance", [False, True])
def test_rubin_gzip_bomb_is_refused_by_both_decoders(rubin_packet, variance):
    status = _rubin_status(rubin_packet, "cutoutTemplate", gzip_bomb(64 * 2**20), variance=variance)
    assert status.startswith("unreadable template cutout: the gzip stream inflates beyond")


def test_a_damaged_primary_header_is_not_replaced_by_the_variance_plane(rubin_packet):
    """Rubin cutouts hold the image in the PRIMARY HDU and its variance in UNCERT."""
    raw = rubin_packet[0]["cutoutDifference"]
    card = raw.find(b"NAXIS   =                    2")
    no_axes = raw[: card + 29] + b"0" + raw[card + 30 :]  # the primary now claims no image
    status = _rubin_status(rubin_packet, "cutoutDifference", no_axes)
    assert status == "unreadable difference cutout: HDU 0 holds no 2-D image (data shape ())."
    garbled = bytearray(raw)
    garbled[card] ^= 0xFF  # astropy raised AttributeError here, which lost the whole file
    status = _rubin_status(rubin_packet, "cutoutDifference", bytes(garbled))
    assert status.startswith("unreadable difference cutout: ")


def test_a_damaged_rubin_block_loses_only_its_records(rubin_packet):
    record, schema = rubin_packet
    raw, ends = _bundle(schema, [record, record, record])
    damaged = bytearray(raw)
    start = ends[0] + 8  # past block 1's record count and size: its deflate header
    damaged[start : start + 32] = b"\xff" * 32
    with pytest.warns(ReadWarning, match=r"<bytes 0> \(record 1\): 1 record\(s\) skipped"):
        alerts = read_alerts([bytes(damaged)])
    kept = [row for row, index in enumerate(alerts.meta["record"]) if index != 1]
    assert [alerts.meta["record"][row] for row in kept] == [0, 2]
    assert (alerts.meta["status"][kept] == "ok").all()
    np.testing.assert_array_equal(alerts.data[kept[0]], alerts.data[kept[1]])
    assert list(alerts.errors["record"]) == [1]  # the damaged alert: skipped, or kept unscored
