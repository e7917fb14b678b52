"""The status and n_nonfinite contract of skrb.io.read_alerts, on real ZTF packets.

An alert with a missing or unreadable cutout is kept with a one-line ``meta["status"]`` (and
gets no score); infinite pixels become NaN and are counted in ``meta["n_nonfinite"]``; no other
alert loses anything, and every message names the file and the alert's candid.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from _alert_files import fits_bytes, write_avro

from skrb.io import ReadError, ReadWarning, read_alerts
from skrb.io._avro import CUTOUT_FIELDS

pytestmark = pytest.mark.shared_data


@pytest.fixture
def packets(ztf_packets) -> tuple[list[dict], dict]:
    """Four real ZTF packets (records) and their writer schema."""
    records, schema = ztf_packets
    return copy.deepcopy(records[:4]), schema


def _bytes_schema(schema: dict) -> dict:
    """The writer schema with each cutout typed as plain (nullable) bytes, as Rubin does."""
    schema = copy.deepcopy(schema)
    for field in schema["fields"]:
        if field["name"] in CUTOUT_FIELDS:
            field["type"] = ["null", "bytes"]
    return schema


def test_missing_and_unreadable_cutouts_are_kept_with_a_status(tmp_path, packets):
    records, schema = packets
    records = copy.deepcopy(records)
    records[1]["cutoutDifference"] = None
    records[2]["cutoutTemplate"]["stampData"] = fits_bytes(np.zeros((0, 63), ">f4"), gz=True)
    records[3]["cutoutScience"]["stampData"] = b"not fits at all"
    path = write_avro(tmp_path / "bundle.avro", schema, records)  # ZTF's cutouts are nullable
    with pytest.warns(ReadWarning, match=r"Kept 3 alert") as caught:
        alerts = read_alerts(path)
    assert "\n" not in str(caught[0].message)
    status = list(alerts.meta["status"])
    assert status[0] == "ok"
    assert status[1] == "missing difference cutout"
    assert status[2].startswith("unreadable template cutout: ") and "NAXIS" in status[2]
    assert status[3].startswith("unreadable search cutout: ")
    assert all("\n" not in s for s in status)
    assert len(alerts.meta) == 4
    candids = [r["candid"] for r in records]
    assert list(alerts.errors["record"]) == [1, 2, 3]
    for row, error in zip((1, 2, 3), alerts.errors["error"], strict=True):
        assert error.startswith(f"candid {candids[row]}: ") and status[row] in error
    for row, panel in ((1, 2), (2, 1), (3, 0)):
        assert np.isnan(alerts.data[row, panel]).all()
        assert tuple(alerts.meta["cutout_shape"][row, panel]) == (0, 0)
        others = [p for p in range(3) if p != panel]
        assert not np.isnan(alerts.data[row, others]).all()
    good = read_alerts(write_avro(tmp_path / "good.avro", packets[1], packets[0][:1]))
    np.testing.assert_array_equal(alerts.data[0], good.data[0])
    with pytest.raises(ReadError, match=r"bundle\.avro \(record 1\): candid \d+: missing diff"):
        read_alerts(path, on_error="raise")


def test_cutouts_as_plain_bytes(tmp_path, packets):
    records, schema = packets
    flat = [
        {**r, **{f: (r[f]["stampData"] if i != 1 else None) for f in CUTOUT_FIELDS}}
        for i, r in enumerate(records[:2])
    ]
    flat[0]["cutoutTemplate"] = b""
    path = write_avro(tmp_path / "flat.avro", _bytes_schema(schema), flat)
    with pytest.warns(ReadWarning):
        alerts = read_alerts(path, on_error="warn")
    assert list(alerts.meta["status"]) == [
        "missing template cutout (0 bytes)",
        "missing search cutout; missing template cutout; missing difference cutout",
    ]
    reference = read_alerts(write_avro(tmp_path / "ref.avro", schema, records[:1]))
    np.testing.assert_array_equal(alerts.data[0, [0, 2]], reference.data[0, [0, 2]])


def test_nonfinite_pixels_are_masked_and_counted(tmp_path, packets):
    records, schema = packets
    records = copy.deepcopy(records)
    image = np.ones((63, 63), ">f4")
    image[5, 7] = np.inf
    image[6, 8] = -np.inf
    records[0]["cutoutDifference"]["stampData"] = fits_bytes(image, gz=True)
    big = np.ones((63, 63), ">f8")
    big[0, :3] = 1e39  # beyond float32
    records[1]["cutoutScience"]["stampData"] = fits_bytes(big, gz=True)
    counts = np.zeros((63, 63), ">i2")
    counts[10, 10] = 1
    records[2]["cutoutTemplate"]["stampData"] = fits_bytes(counts, gz=True, BSCALE=1e300)
    path = write_avro(tmp_path / "inf.avro", schema, records)
    with pytest.warns(ReadWarning, match=r"Kept 3 alert.*candid \d+: 2 non-finite"):
        alerts = read_alerts(path)
    assert list(alerts.meta["n_nonfinite"]) == [2, 3, 1, 0]
    assert list(alerts.meta["status"]) == ["ok"] * 4
    assert np.isfinite(alerts.data[~np.isnan(alerts.data)]).all()
    assert np.isnan(alerts.data[0, 2, 5, 7]) and alerts.data[0, 2, 0, 0] == 1
    assert np.isnan(alerts.data[2, 1, 10, 10]) and alerts.data[2, 1, 0, 0] == 0
    reference = read_alerts(write_avro(tmp_path / "ref.avro", schema, packets[0][3:]))
    np.testing.assert_array_equal(alerts.data[3], reference.data[0])
    assert [e.split(":")[0] for e in alerts.errors["error"]] == [
        f"candid {r['candid']}" for r in records[:3]
    ]
