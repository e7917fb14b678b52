"""skrb.io.read_alerts against the real ZTF alert packets and files written from them."""

from __future__ import annotations

import copy
import gzip
import io
import shutil
import warnings
from pathlib import Path

import fastavro
import numpy as np
import pytest
from astropy.io import fits
from conftest import shared_path

from skrb.io import ALERT_COLUMNS, SCORE_COLUMNS, ReadError, ReadWarning, read_alerts
from skrb.io._avro import CUTOUT_FIELDS

pytestmark = pytest.mark.shared_data


def _packet(path: Path) -> tuple[dict, dict]:
    """The record and writer schema of a one-alert file, read plainly with fastavro."""
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        return next(reader), reader.writer_schema


def _astropy_cutout(record: dict, field: str, masked_sentinel: str = "nan") -> np.ndarray:
    """The cutout as astropy reads it; ZTF's -3.4e38 mask sentinel as NaN unless kept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fits.verify.VerifyWarning)
        raw = gzip.decompress(record[field]["stampData"])
        image = fits.getdata(io.BytesIO(raw)).astype(np.float32)
    if masked_sentinel == "nan":
        image[image == np.finfo(np.float32).min] = np.nan
    return image


@pytest.fixture(scope="module")
def alert_files() -> list[Path]:
    root = shared_path("ztf_alerts")
    return sorted(root.rglob("*.avro"))


@pytest.fixture(scope="module")
def alerts(alert_files):
    return read_alerts(shared_path("ztf_alerts"))


@pytest.fixture
def few_files(ztf_alert_dir, kowalski_alert_dir) -> list[Path]:
    return sorted(ztf_alert_dir.glob("*.avro"))[:3] + sorted(kowalski_alert_dir.glob("*.avro"))[:2]


def test_reads_every_real_alert(alerts, alert_files):
    assert len(alert_files) == 534
    assert alerts.data.shape == (534, 3, 63, 63)
    assert alerts.data.dtype == np.float32
    assert len(alerts.errors) == 0
    assert (alerts.meta["status"] == "ok").all() and (alerts.meta["n_nonfinite"] == 0).all()
    assert list(alerts.meta.colnames[: len(ALERT_COLUMNS)]) == list(ALERT_COLUMNS)
    assert sorted(set(alerts.meta["file"])) == sorted(map(str, alert_files))
    assert (alerts.meta["record"] == 0).all()
    assert len(set(alerts.meta["candid"])) == 534
    # what a scoring table writes beside P(real) for ZTF is there, ids as int64
    assert alerts.survey == "ztf" and set(SCORE_COLUMNS["ztf"]) <= set(alerts.meta.colnames)
    assert alerts.meta["candid"].dtype == np.int64


def test_metadata_and_pixels_match_the_packets(alerts):
    rows = {str(f): i for i, f in enumerate(alerts.meta["file"])}
    # every 37th alert plus all edge cutouts (smaller than 63 x 63)
    edge = np.flatnonzero((alerts.meta["cutout_shape"] != 63).any(axis=(1, 2)))
    picked = sorted(set(range(0, 534, 37)) | set(edge.tolist()))
    for row in picked:
        path = alerts.meta["file"][row]
        record, _ = _packet(Path(path))
        candidate = record["candidate"]
        assert rows[path] == row
        assert alerts.meta["candid"][row] == record["candid"]
        assert alerts.meta["objectId"][row] == record["objectId"]
        for name in ("jd", "fid", "ra", "dec", "magpsf", "sigmapsf", "isdiffpos", "rb"):
            assert alerts.meta[name][row] == candidate[name], name
        if "drb" in candidate:
            assert alerts.meta["drb"][row] == candidate["drb"]
        else:
            assert alerts.meta["drb"].mask[row]
        for panel, field in enumerate(CUTOUT_FIELDS):
            expected = _astropy_cutout(record, field)
            ny, nx = expected.shape
            assert tuple(alerts.meta["cutout_shape"][row, panel]) == (ny, nx)
            stamp = alerts.data[row, panel]
            # the cutout sits in one corner-aligned window; everything else is NaN padding
            y0 = 63 - ny if candidate["ypos"] < 1540 else 0
            x0 = 63 - nx if candidate["xpos"] < 1536 else 0
            np.testing.assert_array_equal(stamp[y0 : y0 + ny, x0 : x0 + nx], expected)
            assert np.isnan(stamp).sum() == np.isnan(expected).sum() + 63 * 63 - ny * nx


def test_nan_pixels_are_kept(alerts):
    in_cutout = (alerts.meta["cutout_shape"] == 63).all(axis=(1, 2))
    has_nan = np.isnan(alerts.data[in_cutout]).any(axis=(1, 2, 3))
    assert has_nan.any(), "the real packets hold masked (NaN) pixels in full-size cutouts"
    assert not np.isinf(alerts.data).any()


def test_ztf_mask_sentinel_becomes_nan_or_is_kept(alerts, alert_files):
    sentinel = np.finfo(np.float32).min
    raw_template = [
        _astropy_cutout(_packet(path)[0], "cutoutTemplate", "keep") for path in alert_files
    ]
    with_sentinel = [i for i, image in enumerate(raw_template) if (image == sentinel).any()]
    assert len(with_sentinel) >= 5, "some real ZTF templates hold the -3.4e38 mask sentinel"
    assert not (alerts.data < -1e30).any()
    kept = read_alerts([alert_files[i] for i in with_sentinel], masked_sentinel="keep")
    for row, i in enumerate(with_sentinel):
        np.testing.assert_array_equal(kept.data[row, 1], raw_template[i])
        masked = raw_template[i] == sentinel
        assert np.isnan(alerts.data[i, 1][masked]).all()
    with pytest.raises(ValueError, match="masked_sentinel"):
        read_alerts(alert_files[0], masked_sentinel="zero")


def test_drb_is_masked_where_the_schema_lacks_it(alerts):
    kowalski = np.char.find(alerts.meta["file"].astype(str), "kowalski") >= 0
    assert kowalski.sum() == 36
    assert not alerts.meta["drb"].mask[kowalski].any()
    assert alerts.meta["drb"].mask[~kowalski].all()
    assert not alerts.meta["rb"].mask.any()


def test_ztf_padding_keeps_the_candidate_at_the_centre(alerts):
    clipped = np.flatnonzero((alerts.meta["cutout_shape"] != 63).any(axis=(1, 2)))
    assert clipped.size == 7
    for row in clipped:
        # ZTF's difference cutout shows the candidate positive whatever isdiffpos says
        window = np.nan_to_num(alerts.data[row, 2, 26:37, 26:37], nan=-np.inf)
        peak = np.unravel_index(np.argmax(window), window.shape)
        assert max(abs(peak[0] - 5), abs(peak[1] - 5)) <= 1, (row, peak)


@pytest.mark.parametrize("pad", ["ztf", "center"])
def test_a_larger_stamp_size_centres_every_cutout_as_the_resizer_does(alerts, pad):
    """stamp_size=64: each 63-pixel frame moves by one whole offset (pixel 31 -> 32), whatever
    the candidate's CCD half; the same as StampResizer(64) on the 63-pixel stamps."""
    from skrb.preprocessing import StampResizer

    larger = read_alerts(shared_path("ztf_alerts"), stamp_size=64, pad=pad)
    full = (alerts.meta["cutout_shape"] == 63).all(axis=(1, 2))
    assert full.sum() == 527
    np.testing.assert_array_equal(larger.data[full, :, 1:, 1:], alerts.data[full])
    if pad == "ztf":  # clipped cutouts keep their place in the full frame too
        np.testing.assert_array_equal(larger.data[:, :, 1:, 1:], alerts.data)
        np.testing.assert_array_equal(StampResizer(64).fit_transform(alerts.data), larger.data)


def test_center_padding_centres_the_cutout(ztf_alert_dir):
    path = ztf_alert_dir / "697252382115010005.avro"  # 63 x 44 cutouts (CCD edge at high x)
    centred = read_alerts(path, pad="center")
    ztf = read_alerts(path)
    nan_columns = np.isnan(centred.data[0, 0]).all(axis=0)
    assert nan_columns[:9].all() and nan_columns[-10:].all() and not nan_columns[9:53].all()
    assert np.isnan(ztf.data[0, 0][:, 44:]).all()
    np.testing.assert_array_equal(ztf.data[0, :, :, :44], centred.data[0, :, :, 9:53])


def _write(path: Path, schema: dict, records: list[dict], codec: str = "null") -> Path:
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, records, codec=codec)
    return path


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy", "bzip2"])
def test_multi_record_files_with_each_codec(tmp_path, ztf_alert_dir, codec):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:4]
    packets = [_packet(f) for f in files]
    path = _write(tmp_path / "bundle.avro", packets[0][1], [r for r, _ in packets], codec)
    bundle = read_alerts(path)
    single = read_alerts(files)
    np.testing.assert_array_equal(bundle.data, single.data)
    assert list(bundle.meta["candid"]) == [r["candid"] for r, _ in packets]
    assert list(bundle.meta["record"]) == [0, 1, 2, 3]
    assert set(bundle.meta["file"]) == {str(path)}


def _spark_style(schema, name: str, namespace: str | None = None):
    """Re-serialise a ZTF type as Spark (Fink) does: nullable fields, records named by field."""
    if isinstance(schema, list):
        (branch,) = [b for b in schema if b != "null"]
        return _spark_style(branch, name, namespace)
    if isinstance(schema, dict) and schema["type"] == "record":
        inner = f"{namespace}.{name}" if namespace else name
        fields = [
            {"name": f["name"], "type": ["null", _spark_style(f["type"], f["name"], inner)]}
            for f in schema["fields"]
        ]
        return {"type": "record", "name": name, "fields": fields} | (
            {"namespace": namespace} if namespace else {}
        )
    return schema


def test_broker_reserialisation_topLevelRecord(tmp_path, kowalski_alert_dir):
    files = sorted(kowalski_alert_dir.glob("*.avro"))[:3]
    packets = [_packet(f) for f in files]
    writer = fastavro.parse_schema(packets[0][1], expand=True, _write_hint=False)
    kept = [
        f
        for f in writer["fields"]
        if f["name"] in ("objectId", "candid", "candidate", *CUTOUT_FIELDS)
    ]
    schema = _spark_style({"type": "record", "name": "alert", "fields": kept}, "topLevelRecord")
    schema["fields"].append({"name": "cdsxmatch", "type": ["null", "string"]})
    records = [
        {
            **{k: r[k] for k in ("objectId", "candid", "candidate", *CUTOUT_FIELDS)},
            "cdsxmatch": "Unknown",
        }
        for r, _ in packets
    ]
    records[1]["cutoutTemplate"] = None  # brokers may drop a cutout
    records[2]["candidate"] = {**records[2]["candidate"], "drb": None}
    path = _write(tmp_path / "fink.avro", schema, records, "snappy")
    with pytest.warns(ReadWarning, match=r"fink\.avro \(record 1\): candid \d+: missing template"):
        bundle = read_alerts(path)
    assert list(bundle.meta["status"]) == ["ok", "missing template cutout", "ok"]
    single = read_alerts(files)
    assert bundle.data.shape == (3, 3, 63, 63)
    np.testing.assert_array_equal(bundle.data[0], single.data[0])
    assert np.isnan(bundle.data[1, 1]).all()
    assert tuple(bundle.meta["cutout_shape"][1, 1]) == (0, 0)
    assert bundle.meta["drb"].mask.tolist() == [False, False, True]
    assert list(bundle.meta["objectId"]) == list(single.meta["objectId"])


def test_extra_columns(few_files):
    alerts = read_alerts(few_files, columns=("xpos", "ypos", "no_such_field"))
    record, _ = _packet(few_files[0])
    assert alerts.meta["xpos"][0] == record["candidate"]["xpos"]
    assert alerts.meta["no_such_field"].mask.all()


@pytest.mark.parametrize("name", ["file", "record", "cutout_shape"])
def test_extra_columns_may_not_shadow_the_readers_own(few_files, name):
    with pytest.raises(ValueError, match=f"columns \\['{name}'\\] clash"):
        read_alerts(few_files, columns=("xpos", name))


def test_folders_globs_and_lists(ztf_alert_dir, few_files):
    pattern = str(ztf_alert_dir / "6972519207*.avro")
    expected = sorted(ztf_alert_dir.glob("6972519207*.avro"))
    assert list(read_alerts(pattern).meta["file"]) == list(map(str, expected))
    mixed = read_alerts([few_files[0], pattern])
    assert len(mixed.meta) == 1 + len(expected)


def test_progress_bar(few_files, capsys):
    read_alerts(few_files, progress=True)
    assert "Reading alerts" in capsys.readouterr().err
    read_alerts(few_files, progress=False)
    assert capsys.readouterr().err == ""


def test_alerts_in_memory(few_files):
    messages = [path.read_bytes() for path in few_files]
    from_bytes = read_alerts(messages)
    np.testing.assert_array_equal(from_bytes.data, read_alerts(few_files).data)
    assert list(from_bytes.meta["file"]) == [f"<bytes {i}>" for i in range(len(few_files))]
    assert len(read_alerts(messages[0]).meta) == 1
    with pytest.warns(ReadWarning, match=r"<bytes 1>: .*truncated"):
        damaged = read_alerts([messages[0], messages[1][:3000], messages[2]])
    assert len(damaged.meta) == 2


def test_parallel_read_equals_serial(ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:16]
    serial = read_alerts(files, n_jobs=1)
    parallel = read_alerts(files, n_jobs=2)
    np.testing.assert_array_equal(serial.data, parallel.data)
    assert list(serial.meta["candid"]) == list(parallel.meta["candid"])


@pytest.fixture
def damaged(tmp_path, ztf_alert_dir):
    """Five good packets, one truncated, one overwritten with garbage, one not Avro at all."""
    files = sorted(ztf_alert_dir.glob("*.avro"))[:5]
    for f in files:
        shutil.copy(f, tmp_path / f.name)
    raw = files[0].read_bytes()
    (tmp_path / "truncated.avro").write_bytes(raw[: len(raw) // 2])
    garbage = bytearray(raw)
    garbage[2000:2400] = np.random.default_rng(0).bytes(400)
    (tmp_path / "garbage.avro").write_bytes(bytes(garbage))
    (tmp_path / "notes.avro").write_text("not an alert")
    return tmp_path


def test_damaged_files_are_named_and_the_rest_read(damaged):
    with pytest.warns(ReadWarning, match=r"Skipped 3 unreadable") as record:
        alerts = read_alerts(damaged)
    message = str(record[0].message)
    assert "truncated.avro" in message and "garbage.avro" in message and "notes.avro" in message
    assert len(alerts.meta) == 5
    assert sorted(Path(f).name for f in alerts.errors["file"]) == [
        "garbage.avro",
        "notes.avro",
        "truncated.avro",
    ]
    assert (
        "truncated"
        in alerts.errors["error"][
            list(alerts.errors["file"]).index(str(damaged / "truncated.avro"))
        ]
    )


def test_damaged_files_raise_or_skip(damaged):
    with pytest.raises(ReadError, match=r"garbage\.avro|notes\.avro|truncated\.avro"):
        read_alerts(damaged, on_error="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alerts = read_alerts(damaged, on_error="skip")
    assert len(alerts.meta) == 5 and len(alerts.errors) == 3


def test_truncated_multi_record_file_keeps_the_alerts_before_the_damage(tmp_path, ztf_alert_dir):
    packets = [_packet(f) for f in sorted(ztf_alert_dir.glob("*.avro"))[:3]]
    path = tmp_path / "bundle.avro"
    with open(path, "wb") as handle:
        writer = fastavro.write.Writer(handle, packets[0][1], sync_interval=1)
        for record, _ in packets:
            writer.write(record)
            writer.flush()
    raw = path.read_bytes()
    path.write_bytes(raw[:-5000])
    with pytest.warns(ReadWarning, match=r"bundle\.avro \(record 2\)"):
        alerts = read_alerts(path)
    assert list(alerts.meta["candid"]) == [r["candid"] for r, _ in packets[:2]]


def test_undecodable_cutout_skips_only_that_alert(tmp_path, ztf_alert_dir):
    packets = [_packet(f)[0] for f in sorted(ztf_alert_dir.glob("*.avro"))[:3]]
    packets[1]["cutoutDifference"]["stampData"] = b"\x1f\x8b" + b"broken" * 10
    path = _write(
        tmp_path / "bundle.avro", _packet(sorted(ztf_alert_dir.glob("*.avro"))[0])[1], packets
    )
    with pytest.warns(ReadWarning, match=r"Kept 1 alert.*record 1\): candid \d+: unreadable.*gzip"):
        alerts = read_alerts(path)
    assert list(alerts.meta["record"]) == [0, 1, 2]
    assert list(alerts.meta["status"]) == [
        "ok",
        "unreadable difference cutout: corrupt gzip stream (Error -3 while decompressing data: "
        "unknown compression method)",
        "ok",
    ]
    assert np.isnan(alerts.data[1, 2]).all() and not np.isnan(alerts.data[1, :2]).all()
    assert tuple(alerts.meta["cutout_shape"][1, 2]) == (0, 0)
    assert list(alerts.errors["record"]) == [1]
    with pytest.raises(ReadError, match=r"bundle\.avro \(record 1\): candid \d+: unreadable"):
        read_alerts(path, on_error="raise")


def test_a_schema_without_cutouts_is_reported(tmp_path):
    schema = {"type": "record", "name": "other", "fields": [{"name": "candid", "type": "long"}]}
    path = _write(tmp_path / "other.avro", schema, [{"candid": 1}])
    with pytest.raises(ReadError, match=r"other\.avro.*not a ZTF alert.*candidate, cutoutScience"):
        read_alerts(path)


def test_bad_paths_and_parameters(tmp_path, few_files):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No alert files"):
        read_alerts(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="No such file or folder"):
        read_alerts(tmp_path / "missing.avro")
    with pytest.raises(FileNotFoundError, match="No file matches"):
        read_alerts(str(tmp_path / "*.avro"))
    with pytest.raises(ValueError, match="paths is empty"):
        read_alerts([])
    with pytest.raises(TypeError, match="paths must"):
        read_alerts(3)
    with pytest.raises(ValueError, match="on_error"):
        read_alerts(few_files, on_error="ignore")
    with pytest.raises(ValueError, match="pad"):
        read_alerts(few_files, pad="left")
    with pytest.raises(TypeError, match="columns"):
        read_alerts(few_files, columns="xpos")
    with pytest.raises(ValueError, match="stamp_size"):
        read_alerts(few_files, stamp_size=0)


def test_cutouts_larger_than_the_stamp_are_reported(few_files):
    with pytest.raises(ReadError, match=r"larger than the \(32, 32\) stamp"):
        read_alerts(few_files[:1], stamp_size=32, on_error="raise")


def test_symlinked_sub_folders_are_followed_once_and_dangling_links_listed(
    tmp_path, kowalski_alert_dir, few_files
):
    root = tmp_path / "alerts"
    root.mkdir()
    shutil.copy(few_files[0], root / few_files[0].name)
    (root / "linked").symlink_to(kowalski_alert_dir, target_is_directory=True)
    (root / "again").symlink_to(kowalski_alert_dir, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "gone.avro").symlink_to(tmp_path / "deleted.avro")
    with pytest.warns(ReadWarning, match=r"gone\.avro: dangling symbolic link to '.*deleted"):
        alerts = read_alerts(root)
    assert len(alerts.meta) == 1 + 36
    assert len(set(alerts.meta["candid"])) == 37
    assert list(alerts.errors["file"]) == [str(root / "gone.avro")]
    with pytest.raises(ReadError, match=r"gone\.avro: dangling symbolic link"):
        read_alerts(root, on_error="raise")
    with pytest.raises(FileNotFoundError, match=r"gone\.avro: dangling symbolic link"):
        read_alerts(root / "gone.avro")


def test_a_metadata_field_of_the_wrong_type_is_masked_and_named(tmp_path, few_files):
    packets = [_packet(f) for f in few_files[:3]]
    schema = packets[0][1]
    records = [record for record, _ in packets]
    records[1]["candidate"]["jd"] = "2458456.5"  # a broker wrote one jd as text
    string_schema = copy.deepcopy(schema)
    for field in string_schema["fields"]:
        if field["name"] == "candidate":
            for sub in field["type"]["fields"]:
                if sub["name"] == "jd":
                    sub["type"] = "string"
    _write(tmp_path / "a.avro", schema, records[:1])
    _write(tmp_path / "b.avro", string_schema, records[1:2])
    _write(tmp_path / "c.avro", schema, records[2:])
    with pytest.warns(ReadWarning, match=r"b\.avro \(record 0\): candid \d+: field 'jd' is a str"):
        alerts = read_alerts(tmp_path)
    jd = alerts.meta["jd"]
    assert jd.dtype.kind == "f"
    assert jd.mask.tolist() == [False, True, False]
    assert jd[0] == records[0]["candidate"]["jd"]
    assert list(alerts.meta["status"]) == ["ok"] * 3
    (error,) = alerts.errors["error"]
    assert error == (
        f"candid {records[1]['candid']}: field 'jd' is a str ('2458456.5') where ZTF's alert "
        "schema has a number; masked"
    )
    with pytest.raises(ReadError, match=r"b\.avro \(record 0\).*'jd'"):
        read_alerts(tmp_path, on_error="raise")
