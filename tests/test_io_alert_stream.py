"""skrb.io.iter_alerts: read_alerts' alerts as a lazy stream of bounded batches."""

from __future__ import annotations

import shutil
import tracemalloc
import warnings
from pathlib import Path

import fastavro
import numpy as np
import pytest
from conftest import shared_path

from skrb.io import ReadError, ReadWarning, iter_alerts, read_alerts

pytestmark = pytest.mark.shared_data


def _records(files: list[Path]) -> tuple[list[dict], dict]:
    records, schema = [], None
    for path in files:
        with open(path, "rb") as handle:
            reader = fastavro.reader(handle)
            records.extend(reader)
            schema = reader.writer_schema
    return records, schema


def _bundle(path: Path, files: list[Path], repeat: int = 1, codec: str = "null") -> Path:
    """A multi-record file, one Avro block per alert."""
    records, schema = _records(files)
    with open(path, "wb") as handle:
        writer = fastavro.write.Writer(handle, schema, codec=codec, sync_interval=1)
        for _ in range(repeat):
            for record in records:
                writer.write(record)
                writer.flush()
    return path


def test_batches_concatenate_to_read_alerts():
    root = shared_path("ztf_alerts")
    whole = read_alerts(root)
    batches = list(iter_alerts(root, batch_size=100))
    assert [len(b.meta) for b in batches] == [100] * 5 + [34]
    np.testing.assert_array_equal(np.concatenate([b.data for b in batches]), whole.data)
    for name in ("candid", "file", "record", "drb"):
        streamed = [value for b in batches for value in b.meta[name].tolist()]
        assert streamed == whole.meta[name].tolist()
    assert all(b.meta.colnames == whole.meta.colnames for b in batches)
    assert all(len(b.errors) == 0 for b in batches)


def test_multi_record_file_is_cut_into_batches(tmp_path, ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:5]
    path = _bundle(tmp_path / "bundle.avro", files, codec="deflate")
    batches = list(iter_alerts([path, files[0]], batch_size=2))
    assert [len(b.meta) for b in batches] == [2, 2, 2]
    assert [r for b in batches for r in b.meta["record"].tolist()] == [0, 1, 2, 3, 4, 0]
    np.testing.assert_array_equal(batches[1].data, read_alerts(files[2:4]).data)


def test_files_are_opened_only_when_the_stream_reaches_them(tmp_path, ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:4]
    for f in files:
        shutil.copy(f, tmp_path / f.name)
    stream = iter_alerts(tmp_path, batch_size=1)
    first = next(stream)
    (tmp_path / files[3].name).unlink()  # not yet read: its loss is reported, not a crash
    with pytest.warns(ReadWarning, match=files[3].name):
        rest = list(stream)
    assert [len(b.meta) for b in (first, *rest)] == [1, 1, 1]
    assert list(rest[-1].errors["file"]) == [str(tmp_path / files[3].name)]


def test_memory_does_not_grow_with_the_number_of_alerts(tmp_path, ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:4]
    small = _bundle(tmp_path / "small.avro", files, repeat=2)
    large = _bundle(tmp_path / "large.avro", files, repeat=32)

    def peak(path: Path) -> tuple[int, int]:
        tracemalloc.start()
        n = sum(len(batch.meta) for batch in iter_alerts(path, batch_size=4))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return n, peak

    peak(small)  # warm the caches (parsed schemas, imports)
    # Peaks differ by the batches' astropy Tables awaiting the cyclic garbage collector (bounded);
    # a leak of one stamp set per alert would add 6 MB to the large file's.
    (n_small, small_peak), (n_large, large_peak) = peak(small), peak(large)
    assert (n_small, n_large) == (8, 128)
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


def test_errors_are_reported_per_batch(tmp_path, ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:4]
    for f in files:
        shutil.copy(f, tmp_path / f.name)
    raw = files[0].read_bytes()
    (tmp_path / f"{files[1].name}.x.avro").write_bytes(raw[: len(raw) // 2])  # 2nd in order
    (tmp_path / "zz_notes.avro").write_text("not an alert")  # after the last alert
    with pytest.warns(ReadWarning) as caught:
        batches = list(iter_alerts(tmp_path, batch_size=3))
    assert [len(b.meta) for b in batches] == [3, 1]
    errors = [Path(f).name for b in batches for f in b.errors["file"]]
    assert errors == [f"{files[1].name}.x.avro", "zz_notes.avro"]
    assert len(caught) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sum(len(b.meta) for b in iter_alerts(tmp_path, on_error="skip")) == 4
    stream = iter_alerts(tmp_path, batch_size=1, on_error="raise")
    with pytest.raises(ReadError, match=r"\.x\.avro"):
        list(stream)


def test_nothing_readable_raises(tmp_path):
    (tmp_path / "a.avro").write_text("not an alert")
    with pytest.raises(ReadError, match=r"None of the 1 alert file.*a\.avro: ValueError"):
        list(iter_alerts(tmp_path))


def test_parallel_stream_equals_serial(ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:40]
    serial = list(iter_alerts(files, batch_size=16))
    parallel = list(iter_alerts(files, batch_size=16, n_jobs=2))
    assert [len(b.meta) for b in parallel] == [16, 16, 8]
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
        assert a.meta["candid"].tolist() == b.meta["candid"].tolist()


def test_bad_parameters_fail_at_the_call(tmp_path, ztf_alert_dir):
    with pytest.raises(ValueError, match="'batch_size' parameter of iter_alerts must be an int"):
        iter_alerts(ztf_alert_dir, batch_size=0)
    with pytest.raises(TypeError, match="'batch_size' parameter of iter_alerts"):
        iter_alerts(ztf_alert_dir, batch_size=2.5)
    with pytest.raises(ValueError, match="'pad' parameter of iter_alerts must be a str among"):
        iter_alerts(ztf_alert_dir, pad="left")
    with pytest.raises(FileNotFoundError, match="no_such"):
        iter_alerts(tmp_path / "no_such")


@pytest.mark.parametrize("folder", ["fink-broker-lsst7.4", "fink-client-lsst10.0", "boom-wire"])
def test_rubin_batches_concatenate_to_read_alerts(folder):
    root = shared_path("rubin_alerts", folder)
    whole = read_alerts(root, stamp_size=64, variance=True)
    batches = list(iter_alerts(root, batch_size=3, stamp_size=64, variance=True))
    assert all(b.survey == "lsst" for b in batches)
    assert [len(b.meta) for b in batches[:-1]] == [3] * (len(batches) - 1)
    np.testing.assert_array_equal(np.concatenate([b.data for b in batches]), whole.data)
    np.testing.assert_array_equal(np.concatenate([b.variance for b in batches]), whole.variance)
    for name in ("diaSourceId", "file", "record", "reliability", "status"):
        streamed = [value for b in batches for value in b.meta[name].tolist()]
        assert streamed == whole.meta[name].tolist()


def test_surveys_are_not_mixed(tmp_path, ztf_alert_dir):
    rubin = sorted(shared_path("rubin_alerts", "fink-broker-lsst7.4").glob("*.avro"))[:2]
    ztf = sorted(ztf_alert_dir.glob("*.avro"))[:2]
    with pytest.warns(ReadWarning, match="Rubin alert file among ZTF"):
        batches = list(iter_alerts([*ztf, *rubin], batch_size=10))
    assert [len(b.meta) for b in batches] == [2] and batches[0].survey == "ztf"
    only = list(iter_alerts([*ztf, *rubin], survey="lsst", on_error="skip"))
    assert sum(len(b.meta) for b in only) == 2


@pytest.fixture(scope="module")
def rubin_records() -> tuple[list[dict], dict]:
    """The 100 real Rubin alerts of Fink's lsst7.4 folder, as records, and their schema."""
    return _records(sorted(shared_path("rubin_alerts", "fink-broker-lsst7.4").glob("*.avro")))


def _rubin_container(path: Path, rubin_records, repeat: int) -> Path:
    """A Rubin archive: the real alerts ``repeat`` times in one container (fastavro's blocks)."""
    records, schema = rubin_records
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, (r for _ in range(repeat) for r in records))
    return path


def test_a_big_rubin_container_is_read_alert_by_alert(tmp_path, rubin_records):
    """Memory holds about one Avro block and one batch, not the container's decoded alerts."""
    small = _rubin_container(tmp_path / "small.avro", rubin_records, 1)
    big = _rubin_container(tmp_path / "big.avro", rubin_records, 3)
    whole = read_alerts(big, stamp_size=64)
    batches = list(iter_alerts(big, batch_size=8, stamp_size=64))
    assert [len(b.meta) for b in batches] == [8] * 37 + [4]
    np.testing.assert_array_equal(np.concatenate([b.data for b in batches]), whole.data)
    for name in ("diaSourceId", "record", "status", "n_nonfinite"):
        assert [v for b in batches for v in b.meta[name].tolist()] == whole.meta[name].tolist()
    assert whole.meta["record"].tolist() == list(range(300))
    del whole, batches

    def peak(path: Path) -> tuple[int, int, int]:
        tracemalloc.start()
        sizes = [len(batch.meta) for batch in iter_alerts(path, batch_size=8, stamp_size=64)]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return sum(sizes), max(sizes), peak

    # Decoded whole before being cut (the old reader), the 3x container peaked 2.2x higher
    # than the 1x one (6.2 vs 2.2 MiB for 4x vs 1x); alert by alert both stay near one batch.
    (n_small, most_small, small_peak), (n_big, most_big, big_peak) = peak(small), peak(big)
    assert (n_small, n_big, most_small, most_big) == (100, 300, 8, 8)
    assert big_peak < 1.3 * small_peak, (small_peak, big_peak)


def test_rubin_errors_accumulate_per_batch_and_name_the_alert(tmp_path, rubin_records):
    records, schema = rubin_records
    records = [dict(record) for record in records[:6]]
    records[1]["cutoutTemplate"] = b"not a FITS file"  # kept, with its status
    records[4] = {**records[4], "diaSource": None}  # no diaSource: left out, named
    path = tmp_path / "archive.avro"
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, records)
    with pytest.warns(ReadWarning) as caught:
        batches = list(iter_alerts(path, batch_size=2))
    assert [len(b.meta) for b in batches] == [2, 2, 1]
    assert len(caught) == 2  # one warning per batch that has errors
    # Each batch lists what was met since the previous one: record 4, before record 5
    first, middle, last = (
        list(zip(b.errors["record"], b.errors["error"], strict=True)) for b in batches
    )
    source_id = records[1]["diaSource"]["diaSourceId"]
    assert [(r, why.split(":")[0]) for r, why in first] == [(1, f"diaSourceId {source_id}")]
    assert "unreadable template cutout" in first[0][1]
    assert [r for r, _ in middle] == [4] and last == []
    assert "has no 'diaSource' record" in middle[0][1]
    assert [r for b in batches for r in b.meta["record"].tolist()] == [0, 1, 2, 3, 5]
    assert batches[0].meta["status"][1].startswith("unreadable template cutout")


def test_parallel_rubin_stream_equals_serial():
    files = sorted(shared_path("rubin_alerts", "fink-broker-lsst7.4").glob("*.avro"))[:24]
    serial = list(iter_alerts(files, batch_size=8, stamp_size=64))
    parallel = list(iter_alerts(files, batch_size=8, stamp_size=64, n_jobs=2))
    assert [len(b.meta) for b in parallel] == [8, 8, 8]
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
        assert a.meta["diaSourceId"].tolist() == b.meta["diaSourceId"].tolist()
        assert a.meta["record"].tolist() == b.meta["record"].tolist()
