"""skrb.scoring: the engine-neutral core, the streamed writer and score_files."""

from __future__ import annotations

import fastavro
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy.table import MaskedColumn, Table
from sklearn.utils import Bunch

from skrb.io import alerts_from_records, read_alerts
from skrb.scoring import OK, TableWriter, score_alerts, score_files


class MeanPixel:
    """A cheap fitted 'classifier' on stamp sets: P(real) from the mean difference pixel."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        diff = np.nan_to_num(np.asarray(X)[:, 2]).mean(axis=(1, 2))
        p = 1.0 / (1.0 + np.exp(-diff / 100.0))
        return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def braai(request):
    from conftest import shared_path

    import skrb

    return skrb.make_braai_pipeline(checkpoint=shared_path("checkpoints", "braai_d6_m7"))


@pytest.fixture(scope="module")
def few_alerts():
    from conftest import shared_path

    files = sorted(shared_path("ztf_alerts", "kowalski").glob("*.avro"))[:12]
    return files, read_alerts(files)


def _records(files):
    records = []
    for path in files:
        with open(path, "rb") as handle:
            records.extend(fastavro.reader(handle))
    return records


@pytest.mark.shared_data
def test_scores_a_bunch_like_predict_proba(braai, few_alerts):
    _, alerts = few_alerts
    table = score_alerts(braai, alerts)
    np.testing.assert_array_equal(table["p_real"], braai.predict_proba(alerts.data)[:, 1])
    assert table.colnames[:2] == ["candid", "objectId"]
    assert table.colnames[-2:] == ["p_real", "status"]
    assert list(table["candid"]) == list(alerts.meta["candid"])
    assert (table["status"] == OK).all()


@pytest.mark.shared_data
def test_alerts_that_cannot_be_scored_get_nan_and_their_status(few_alerts):
    _, alerts = few_alerts
    meta = alerts.meta.copy()
    status = np.array(meta["status"], dtype="U40")
    status[[1, 4]] = "missing difference cutout"
    meta["status"] = status
    table = score_alerts(MeanPixel(), Bunch(data=alerts.data, meta=meta), batch_size=3)
    assert np.isnan(table["p_real"][[1, 4]]).all()
    assert list(table["status"][[1, 4]]) == ["missing difference cutout"] * 2
    ok = np.setdiff1d(np.arange(len(meta)), [1, 4])
    expected = MeanPixel().predict_proba(alerts.data[ok])[:, 1]
    np.testing.assert_allclose(table["p_real"][ok], expected, rtol=1e-12)


@pytest.mark.shared_data
@pytest.mark.parametrize("form", ["records", "pandas", "arrow", "flattened"])
def test_broker_tables_with_cutout_bytes_score_as_the_files(few_alerts, form):
    import pandas as pd

    files, alerts = few_alerts
    records = _records(files)
    if form == "flattened":  # Fink's column names: candidate fields and cutouts flattened
        rows = [
            {
                "candid": r["candid"],
                "objectId": r["objectId"],
                **r["candidate"],
                **{f"{k}.stampData": r[k]["stampData"] for k in r if k.startswith("cutout")},
            }
            for r in records
        ]
        table = pd.DataFrame(rows)
    else:
        keep = ("candid", "objectId", "candidate", "cutoutScience", "cutoutTemplate")
        rows = [{k: r[k] for k in (*keep, "cutoutDifference")} for r in records]
        table = {
            "records": rows,
            "pandas": pd.DataFrame(rows),
            "arrow": pa.Table.from_pylist(rows),
        }[form]
    scores = score_alerts(MeanPixel(), table)
    expected = score_alerts(MeanPixel(), alerts)
    np.testing.assert_array_equal(scores["p_real"], expected["p_real"])
    assert list(scores["candid"]) == list(expected["candid"])
    np.testing.assert_array_equal(alerts_from_records(table).data, alerts.data)


def test_bad_batch_size_and_columns():
    alerts = Bunch(data=np.zeros((1, 3, 2, 2), "f4"), meta=Table({"candid": [1]}))
    with pytest.raises(ValueError, match="batch_size"):
        score_alerts(MeanPixel(), alerts, batch_size=0)
    with pytest.raises(TypeError, match="columns must be a sequence"):
        score_alerts(MeanPixel(), alerts, columns="candid")


def _batches():
    first = Table({"candid": [1, 2], "objectId": ["ZTF1", "ZTF2"], "p_real": [0.25, np.nan]})
    first["drb"] = MaskedColumn([0.5, 0.0], mask=[False, True])
    second = Table({"candid": [3], "objectId": ["ZTF333"], "p_real": [0.75]})
    second["drb"] = MaskedColumn([0.0], mask=[True])
    return first, second


@pytest.mark.parametrize("suffix", [".csv", ".ecsv", ".parquet"])
def test_writer_appends_batches_into_one_table(tmp_path, suffix):
    path = tmp_path / f"scores{suffix}"
    with TableWriter(path) as writer:
        for batch in _batches():
            writer.write(batch)
            assert not path.exists()  # complete only at the end
    assert writer.n_rows == 3
    if suffix == ".parquet":
        table = Table(pq.read_table(path).to_pydict())
        assert table["drb"].tolist() == [0.5, None, None]
    else:
        table = Table.read(path, format=f"ascii.{suffix[1:]}")
        assert np.ma.getmaskarray(table["drb"]).tolist() == [False, True, True]
    assert table["candid"].tolist() == [1, 2, 3]
    assert table["objectId"].tolist() == ["ZTF1", "ZTF2", "ZTF333"]
    assert np.isnan(table["p_real"][1]) and table["p_real"][2] == 0.75
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_an_interrupted_write_leaves_nothing(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("previous run\n")
    with pytest.raises(KeyboardInterrupt), TableWriter(path) as writer:
        writer.write(_batches()[0])
        raise KeyboardInterrupt
    assert path.read_text() == "previous run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_writer_errors(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"scores\.txt.*\.csv, \.ecsv or \.parquet"):
        TableWriter(tmp_path / "scores.txt")
    with pytest.raises(ValueError, match="same columns"), TableWriter(tmp_path / "a.csv") as w:
        w.write(Table({"a": [1]}))
        w.write(Table({"b": [1]}))
    with TableWriter("-") as writer:
        for batch in _batches():
            writer.write(batch)
    assert capsys.readouterr().out.splitlines()[0] == "candid,objectId,p_real,drb"


@pytest.mark.shared_data
def test_score_files_streams_the_same_scores(tmp_path, ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:30]
    summary = score_files(files, MeanPixel(), tmp_path / "s.parquet", batch_size=7, threshold=0.5)
    table = Table(pq.read_table(tmp_path / "s.parquet").to_pydict())
    expected = score_alerts(MeanPixel(), read_alerts(files))
    np.testing.assert_array_equal(table["p_real"], expected["p_real"])
    assert table["candid"].tolist() == expected["candid"].tolist()
    assert table["real"].tolist() == (expected["p_real"] >= 0.5).tolist()
    assert (summary.n_alerts, summary.n_scored, summary.n_real) == (30, 30, sum(table["real"]))
    gathered = score_files(files[:3], MeanPixel(), batch_size=2)
    assert gathered.table["candid"].tolist() == expected["candid"][:3].tolist()


def test_prefetch_keeps_order_and_reads_at_most_one_ahead():
    import threading

    from skrb.scoring._prefetch import prefetch

    taken, used = [], threading.Event()

    def items():
        for i in range(5):
            taken.append(i)
            yield i

    seen = []
    for item in prefetch(items()):
        used.wait(0.2)  # give the reader time to run ahead if it would
        seen.append(item)
        assert max(taken) <= item + 1, "read more than one batch ahead"
    assert seen == [0, 1, 2, 3, 4]


def test_prefetch_raises_a_read_error_in_its_place_and_stops_on_early_exit():
    from skrb.io import ReadError
    from skrb.scoring._prefetch import prefetch

    def failing():
        yield "a"
        raise ReadError("bad file")

    got = []
    with pytest.raises(ReadError, match="bad file"):
        for item in prefetch(failing()):
            got.append(item)
    assert got == ["a"]

    closed = []

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.append(True)

    stream = prefetch(endless())
    assert next(stream) == 0
    stream.close()  # the consumer stops: the reader stops and closes its source
    assert closed == [True]
    with pytest.raises(ValueError, match="depth"):
        next(prefetch([], depth=0))


@pytest.mark.shared_data
def test_score_files_with_reader_processes_gives_the_same_rows(tmp_path, ztf_alert_dir):
    files = sorted(ztf_alert_dir.glob("*.avro"))[:40]
    one = score_files(files, MeanPixel(), batch_size=16, n_jobs=1)
    two = score_files(files, MeanPixel(), batch_size=16, n_jobs=2)
    assert two.table["candid"].tolist() == one.table["candid"].tolist()
    np.testing.assert_array_equal(two.table["p_real"], one.table["p_real"])
    assert two.table["status"].tolist() == one.table["status"].tolist()
