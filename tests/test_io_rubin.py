"""skrb.io.read_alerts on the real Rubin (LSST) alerts: containers, wire packets and Parquet.

Every cutout is checked against an independent decode (fastavro or lsst-alert-packet for the
packet, ``astropy.nddata.CCDData.read`` for the FITS cutout).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import fastavro
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.nddata import CCDData
from conftest import shared_path

from skrb.io import LSST_COLUMNS, SCORE_COLUMNS, ReadError, ReadWarning, read_alerts
from skrb.io._avro import CUTOUT_FIELDS

pytestmark = pytest.mark.shared_data

_FOLDERS = ("fink-broker-lsst7.4", "fink-client-lsst10.0", "boom-wire")


def _wire_record(raw: bytes) -> dict:
    """A wire-format packet decoded with lsst-alert-packet's own ``Schema``."""
    from lsst.alert.packet import Schema, get_schema_path

    major, minor = divmod(int.from_bytes(raw[1:5], "big"), 100)
    path = Path(get_schema_path(major, minor)) / f"lsst.v{major}_{minor}.alert.avsc"
    return Schema.from_file(str(path)).deserialize(raw[5:])


def _records(folder: Path) -> list[dict]:
    """Every alert of a folder, read plainly (fastavro / lsst-alert-packet), in file order."""
    records = []
    for path in sorted(folder.glob("*.avro")):
        raw = path.read_bytes()
        if raw[:1] == b"\x00":
            records.append(_wire_record(raw))
        else:
            records.extend(fastavro.reader(io.BytesIO(raw)))
    return records


def _ccd(raw: bytes) -> CCDData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CCDData.read(io.BytesIO(raw), hdu_uncertainty="UNCERT", hdu_psf="PSFIMAGE")


def _centred(stamp: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The ``shape`` window of ``stamp`` that holds a cutout centred at pixel ``n // 2``."""
    (ny, nx), (sy, sx) = shape, stamp.shape[-2:]
    y0, x0 = sy // 2 - ny // 2, sx // 2 - nx // 2
    return stamp[..., y0 : y0 + ny, x0 : x0 + nx]


@pytest.fixture(scope="module")
def rubin_dir() -> Path:
    return shared_path("rubin_alerts")


@pytest.fixture(scope="module")
def records(rubin_dir) -> list[dict]:
    return [record for name in _FOLDERS for record in _records(rubin_dir / name)]


@pytest.fixture(scope="module")
def parquet_files(tmp_path_factory, rubin_dir) -> list[Path]:
    """Parquet exports written with pyarrow from the container records (one row per alert)."""
    folder = tmp_path_factory.mktemp("parquet")
    paths = []
    for name in _FOLDERS[:2]:
        paths.append(folder / f"{name}.parquet")
        pq.write_table(pa.Table.from_pylist(_records(rubin_dir / name)), paths[-1])
    return paths


@pytest.fixture(scope="module")
def ccds(records) -> list[list[CCDData]]:
    """Each alert's three cutouts as ``CCDData.read`` decodes them."""
    return [[_ccd(record[field]) for field in CUTOUT_FIELDS] for record in records]


@pytest.fixture(scope="module")
def alerts(rubin_dir):
    return read_alerts([rubin_dir / name for name in _FOLDERS], variance=True, psf=True)


def test_reads_every_real_rubin_alert(alerts, records, ccds):
    assert alerts.survey == "lsst" and alerts.meta.meta["survey"] == "lsst"
    assert len(records) == 109 and len(alerts.meta) == 109 and len(alerts.errors) == 0
    side = max(max(ccd.shape) for panels in ccds for ccd in panels)
    assert alerts.data.shape == (109, 3, side, side) and alerts.data.dtype == np.float32
    assert alerts.variance.shape == alerts.data.shape
    assert set(alerts.meta["status"]) == {"ok"}
    assert set(alerts.meta["schema"]) == {"lsst.v7_4", "lsst.v10_0", "lsst.v7_1", "lsst.v9_0"}


def test_pixels_variance_and_psf_equal_ccddata(alerts, ccds):
    for i, panels in enumerate(ccds):
        for panel, ccd in enumerate(panels):
            assert tuple(alerts.meta["cutout_shape"][i, panel]) == ccd.shape
            np.testing.assert_array_equal(
                _centred(alerts.data[i, panel], ccd.shape), ccd.data.astype(np.float32)
            )
            # infinite variances (where the image is NaN) are made NaN, as every non-finite pixel
            expected = ccd.uncertainty.array.astype(np.float32)
            expected[np.isinf(expected)] = np.nan
            np.testing.assert_array_equal(_centred(alerts.variance[i, panel], ccd.shape), expected)
            psf = _centred(alerts.psf[i, panel], ccd.psf.shape)
            np.testing.assert_array_equal(psf, ccd.psf.astype(np.float32))
            assert tuple(alerts.meta["psf_shape"][i, panel]) == ccd.psf.shape
        n_infinite = sum(int(np.isinf(ccd.data).sum()) for ccd in panels)
        assert alerts.meta["n_nonfinite"][i] == n_infinite


def test_smaller_cutouts_are_centred_and_padded_with_nan(alerts):
    shapes = alerts.meta["cutout_shape"][:, 0, 0]
    small = int(np.flatnonzero(shapes < alerts.data.shape[-1])[0])
    n, side = int(shapes[small]), alerts.data.shape[-1]
    start = side // 2 - n // 2
    stamp = alerts.data[small, 0]
    assert np.isnan(stamp[:start]).all() and np.isnan(stamp[start + n :]).all()
    assert np.isnan(stamp[:, :start]).all() and np.isnan(stamp[:, start + n :]).all()
    assert np.isfinite(stamp[start : start + n, start : start + n]).mean() > 0.9


def test_metadata_matches_the_packets(alerts, records):
    for i, record in enumerate(records):
        source = record["diaSource"]
        for name in LSST_COLUMNS:
            expected = source[name]
            value = alerts.meta[name][i]
            if expected is None:
                assert np.ma.is_masked(value)
            elif isinstance(expected, float):
                assert value == pytest.approx(expected, rel=1e-6, nan_ok=True)
            else:
                assert value == expected
    assert alerts.meta["file"][0].endswith(".avro")
    assert set(SCORE_COLUMNS["lsst"]) <= set(alerts.meta.colnames)


def test_wire_packets_as_bytes_equal_the_files(rubin_dir):
    files = sorted((rubin_dir / "boom-wire").glob("*.avro"))
    from_files = read_alerts(files)
    from_bytes = read_alerts([f.read_bytes() for f in files])
    np.testing.assert_array_equal(from_files.data, from_bytes.data)
    assert list(from_bytes.meta["file"]) == ["<bytes 0>", "<bytes 1>"]
    assert list(from_files.meta["diaSourceId"]) == list(from_bytes.meta["diaSourceId"])
    assert list(from_files.meta["schema"]) == ["lsst.v7_1", "lsst.v9_0"]


def test_parquet_export_reads_the_same(parquet_files, rubin_dir):
    containers = read_alerts([rubin_dir / name for name in _FOLDERS[:2]], variance=True)
    parquet = read_alerts(parquet_files, variance=True)
    assert len(parquet.meta) == 107 and parquet.survey == "lsst"
    np.testing.assert_array_equal(parquet.data, containers.data)
    np.testing.assert_array_equal(parquet.variance, containers.variance)
    for name in (*LSST_COLUMNS, "schema", "status", "n_nonfinite"):
        assert list(parquet.meta[name]) == list(containers.meta[name])
    assert list(parquet.meta["record"]) == [*range(100), *range(7)]
    assert parquet.meta["file"][0].endswith(".parquet")
    # the v7.4 export carries no version column: it is inferred from the fields
    assert parquet.meta["schema"][0] == "lsst.v7_4"


def test_stamp_size_crops_or_pads_about_the_centre(rubin_dir):
    folder = rubin_dir / "fink-broker-lsst7.4"
    full = read_alerts(folder)
    side = full.data.shape[-1]
    for size in (30, 31):
        cropped = read_alerts(folder, stamp_size=size)
        assert cropped.data.shape == (100, 3, size, size)
        np.testing.assert_array_equal(cropped.data, _centred(full.data, (size, size)))
    padded = read_alerts(folder, stamp_size=102)
    np.testing.assert_array_equal(_centred(padded.data, (side, side)), full.data)
    assert np.isnan(padded.data[..., :7, :]).all() and np.isnan(padded.data[..., -7:]).all()
    assert list(padded.meta["cutout_shape"][:, 0, 0]) == list(full.meta["cutout_shape"][:, 0, 0])


def test_a_missing_cutout_keeps_the_alert_with_a_status(tmp_path, rubin_dir):
    path = sorted((rubin_dir / "fink-broker-lsst7.4").glob("*.avro"))[0]
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        schema, record = reader.writer_schema, next(reader)
    record["cutoutDifference"] = None
    record["cutoutTemplate"] = None
    out = tmp_path / "missing.avro"
    with open(out, "wb") as handle:
        fastavro.writer(handle, schema, [record])
    with pytest.warns(ReadWarning, match=r"Kept 1 alert.*missing template cutout"):
        alerts = read_alerts(out)
    assert alerts.meta["status"][0] == "missing template cutout; missing difference cutout"
    assert np.isnan(alerts.data[0, 1:]).all() and np.isfinite(alerts.data[0, 0]).any()
    assert tuple(alerts.meta["cutout_shape"][0, 2]) == (0, 0)


def _rewrite_cutout(record: dict, field: str, edit) -> dict:
    with fits.open(io.BytesIO(record[field])) as hdul:
        edit(hdul)
        buffer = io.BytesIO()
        hdul.writeto(buffer)
    return dict(record, **{field: buffer.getvalue()})


def test_infinite_pixels_become_nan_and_are_counted(tmp_path, rubin_dir):
    path = sorted((rubin_dir / "fink-broker-lsst7.4").glob("*.avro"))[1]
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        schema, record = reader.writer_schema, next(reader)
    before = read_alerts(path).meta["n_nonfinite"][0]

    def poke(hdul):
        hdul[0].data[3, 4] = np.inf
        hdul[0].data[5, 6] = -np.inf

    out = tmp_path / "inf.avro"
    with open(out, "wb") as handle:
        fastavro.writer(handle, schema, [_rewrite_cutout(record, "cutoutScience", poke)])
    with pytest.warns(ReadWarning, match=r"2 non-finite pixel"):
        alerts = read_alerts(out)
    assert alerts.meta["n_nonfinite"][0] == before + 2
    assert not np.isinf(alerts.data).any()


def test_a_cutout_without_variance_is_named_and_keeps_its_status(tmp_path, rubin_dir):
    """No UNCERT plane: NaN variance there, said in errors and variance_shape; still scored."""
    from skrb.io import iter_alerts

    path = sorted((rubin_dir / "fink-broker-lsst7.4").glob("*.avro"))[0]
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        schema, record = reader.writer_schema, next(reader)

    def drop_variance(hdul):
        del hdul["UNCERT"]

    out = tmp_path / "no-variance.avro"
    with open(out, "wb") as handle:
        fastavro.writer(handle, schema, [_rewrite_cutout(record, "cutoutTemplate", drop_variance)])
    note = "no UNCERT plane in the template cutout: its variance is NaN; the alert is kept"
    with pytest.warns(ReadWarning, match=note):
        alerts = read_alerts(out, variance=True)
    assert alerts.meta["status"][0] == "ok"  # the images are whole: it is scored
    assert alerts.errors["error"][0].endswith(note)
    assert str(record["diaSource"]["diaSourceId"]) in alerts.errors["error"][0]
    assert np.isnan(alerts.variance[0, 1]).all()
    assert np.isfinite(alerts.variance[0, 0]).any() and np.isfinite(alerts.variance[0, 2]).any()
    assert tuple(alerts.meta["variance_shape"][0, 1]) == (0, 0)
    assert tuple(alerts.meta["variance_shape"][0, 0]) == tuple(alerts.meta["cutout_shape"][0, 0])
    (batch,) = iter_alerts(out, variance=True, on_error="skip")
    assert list(batch.errors["error"]) == list(alerts.errors["error"])
    plain = read_alerts(out, on_error="raise")  # variance not asked for: nothing to say
    assert len(plain.errors) == 0 and "variance_shape" not in plain.meta.colnames


def test_oversized_truncated_and_odd_packets_are_named(tmp_path, rubin_dir):
    wire = sorted((rubin_dir / "boom-wire").glob("*.avro"))
    raw = wire[0].read_bytes()
    (tmp_path / "truncated.avro").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "unknown_schema.avro").write_bytes(b"\x00" + (1300).to_bytes(4, "big") + raw[5:])
    (tmp_path / "wrong_schema.avro").write_bytes(b"\x00" + (900).to_bytes(4, "big") + raw[5:])
    (tmp_path / "notes.avro").write_text("not an alert")
    path = sorted((rubin_dir / "fink-broker-lsst7.4").glob("*.avro"))[0]
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        schema, record = reader.writer_schema, next(reader)

    def grow(hdul):
        hdul[0].data = np.zeros((103, 103), np.float32)

    with open(tmp_path / "big.avro", "wb") as handle:
        fastavro.writer(handle, schema, [_rewrite_cutout(record, "cutoutScience", grow)])
    (tmp_path / "good.avro").write_bytes(wire[1].read_bytes())
    with pytest.warns(ReadWarning, match=r"Skipped 4 unreadable .* and kept 1 alert"):
        alerts = read_alerts(tmp_path)
    # the alert with an oversized cutout is kept, with no score (its status says why)
    assert len(alerts.meta) == 2
    big = list(alerts.meta["file"]).index(str(tmp_path / "big.avro"))
    assert alerts.meta["status"][big].startswith("unreadable search cutout: the header claims")
    assert np.isnan(alerts.data[big, 0]).all() and np.isfinite(alerts.data[big, 1]).any()
    errors = {
        Path(f).name: e for f, e in zip(alerts.errors["file"], alerts.errors["error"], strict=True)
    }
    assert "truncated" in errors["truncated.avro"]
    assert "lsst.v13_0 is not in the installed lsst-alert-packet" in errors["unknown_schema.avro"]
    assert "does not decode as a lsst.v9_0 record (schema id 900" in errors["wrong_schema.avro"]
    assert "IndexError" in errors["wrong_schema.avro"]  # fastavro's own words, after skrb's
    assert "not an alert packet" in errors["notes.avro"]
    assert "diaSourceId" in errors["big.avro"] and "103x103 pixel" in errors["big.avro"]
    with pytest.raises(ReadError, match=r"\.avro"):
        read_alerts(tmp_path, on_error="raise")


def test_mixing_surveys_is_an_error(rubin_dir, ztf_alert_dir):
    ztf = sorted(ztf_alert_dir.glob("*.avro"))[:2]
    rubin = sorted((rubin_dir / "boom-wire").glob("*.avro"))
    with pytest.raises(ValueError, match=r"one survey per call.*ZTF.*Rubin"):
        read_alerts([*ztf, *rubin])
    with pytest.warns(ReadWarning, match=r"holds Rubin \(LSST\) alerts, not ZTF"):
        alerts = read_alerts([*ztf, *rubin], survey="ztf")
    assert alerts.survey == "ztf" and len(alerts.meta) == 2
    alerts = read_alerts([*ztf, *rubin], survey="lsst", on_error="skip")
    assert alerts.survey == "lsst" and len(alerts.meta) == 2 and len(alerts.errors) == 2


def test_rubin_only_options_and_parameters(rubin_dir, ztf_alert_dir):
    ztf = sorted(ztf_alert_dir.glob("*.avro"))[:1]
    with pytest.raises(ValueError, match="variance=True and psf=True need Rubin alerts"):
        read_alerts(ztf, variance=True)
    with pytest.raises(ValueError, match="'survey' parameter of read_alerts must be a str among"):
        read_alerts(ztf, survey="des")
    with pytest.raises(ValueError, match="clash"):
        read_alerts(rubin_dir / "boom-wire", columns=["status"])
    extra = read_alerts(rubin_dir / "boom-wire", columns=["x", "y", "observation_reason"])
    assert {"x", "y", "observation_reason"} <= set(extra.meta.colnames)


def test_parallel_read_equals_serial(rubin_dir):
    files = sorted((rubin_dir / "fink-broker-lsst7.4").glob("*.avro"))[:16]
    serial = read_alerts(files)
    parallel = read_alerts(files, n_jobs=2)
    np.testing.assert_array_equal(serial.data, parallel.data)
    assert list(serial.meta["diaSourceId"]) == list(parallel.meta["diaSourceId"])


def test_ids_stay_int64_in_a_batch_where_every_one_is_absent(tmp_path, rubin_dir):
    """iter_alerts batches stack: an all-absent diaObjectId is a masked int64 column, not float."""
    from astropy.table import vstack

    from skrb.io import iter_alerts

    path = sorted((rubin_dir / "fink-broker-lsst7.4").glob("*.avro"))[0]
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        schema, record = reader.writer_schema, next(reader)
    orphan = dict(record, diaSource=dict(record["diaSource"], diaObjectId=None))
    with open(tmp_path / "a.avro", "wb") as handle:
        fastavro.writer(handle, schema, [orphan, orphan])
    with open(tmp_path / "b.avro", "wb") as handle:
        fastavro.writer(handle, schema, [record])
    first, second = iter_alerts(tmp_path, batch_size=2)
    assert first.meta["diaObjectId"].mask.all() and first.meta["diaObjectId"].dtype == np.int64
    assert second.meta["diaObjectId"].dtype == np.int64
    stacked = vstack([first.meta, second.meta])
    assert stacked["diaObjectId"].dtype == np.int64
    assert stacked["diaObjectId"][2] == record["diaSource"]["diaObjectId"]


def test_reading_holds_the_stamps_about_once(rubin_dir):
    """Peak memory of a read stays near the stamps returned (no second copy of them)."""
    import tracemalloc

    paths = [rubin_dir / name for name in _FOLDERS]
    read_alerts(paths[2])  # first-call imports and caches out of the measurement
    tracemalloc.start()
    try:
        alerts = read_alerts(paths, variance=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.4 * (alerts.data.nbytes + alerts.variance.nbytes)


def test_top_level_columns_are_read(rubin_dir, parquet_files):
    """``columns`` takes top-level fields (Fink v10's ``observation_reason``) in every form."""
    wanted = ("observation_reason", "target_name", "isDipole")
    fink = _records(rubin_dir / "fink-client-lsst10.0")
    assert all(record["observation_reason"] for record in fink)
    for source in (rubin_dir / "fink-client-lsst10.0", parquet_files[1]):
        alerts = read_alerts(source, columns=wanted)
        assert list(alerts.meta["observation_reason"]) == [r["observation_reason"] for r in fink]
        assert list(alerts.meta["target_name"]) == [r["target_name"] for r in fink]
        assert list(alerts.meta["isDipole"]) == [r["diaSource"]["isDipole"] for r in fink]
    wire = read_alerts(rubin_dir / "boom-wire", columns=("alertId",))
    assert wire.meta["alertId"][0] == wire.meta["diaSourceId"][0]  # v7.1 has alertId
    assert wire.meta["alertId"].mask[1]  # v9.0 has none


def test_broker_rows_read_as_the_files(records, rubin_dir, tmp_path):
    """Rubin rows (Fink's layout, nested or flat) give read_alerts' stamps; files become rows."""
    from skrb.io import alert_file_rows, alerts_from_records

    files = read_alerts([rubin_dir / name for name in _FOLDERS], stamp_size=40)  # as `records`
    nested = alerts_from_records(records, stamp_size=40)  # diaSource records: told from them
    flat = [  # Fink's flattened rows: the diaSource's fields beside the cutouts
        {**record["diaSource"], **{field: record[field] for field in CUTOUT_FIELDS}}
        for record in records
    ]
    for alerts in (nested, alerts_from_records(flat, stamp_size=40)):
        assert alerts.survey == "lsst"
        np.testing.assert_array_equal(alerts.data, files.data)
        for name in (*LSST_COLUMNS, "status"):
            assert list(alerts.meta[name]) == list(files.meta[name])
    # a file as rows: ids and the cutouts still as bytes; a broken file is named, not raised
    path = sorted((rubin_dir / "boom-wire").glob("*.avro"))[0]
    rows, errors = alert_file_rows(str(path), path.read_bytes(), survey="lsst")
    assert len(rows) == 1 and not errors and isinstance(rows[0]["cutoutScience"], bytes)
    assert rows[0]["diaSourceId"] in set(files.meta["diaSourceId"])
    rows, errors = alert_file_rows("bad.avro", b"Obj\x01 truncated", survey="lsst")
    assert not rows and errors[0][:2] == ("bad.avro", -1)
    rows, errors = alert_file_rows(str(path), path.read_bytes(), survey="ztf")
    assert not rows and "Rubin (LSST) alert file among ZTF ones" in errors[0][2]
    # rows of neither survey, of both, or without a cutout column: one clear line each
    cutouts = dict.fromkeys(CUTOUT_FIELDS, b"")
    with pytest.raises(ValueError, match="neither ZTF nor Rubin"):
        alerts_from_records([{"objectId": 1, **cutouts}])
    with pytest.raises(ValueError, match="both ZTF .candid. and Rubin .diaSourceId."):
        alerts_from_records([{"candid": 1, "diaSourceId": 2, **cutouts}])
    with pytest.raises(ValueError, match="without the cutout column.s. cutoutDifference"):
        alerts_from_records([{"diaSourceId": 2, "cutoutScience": b"", "cutoutTemplate": b""}])
