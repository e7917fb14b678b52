"""skrb.distributed: Dask and Spark engines give the local engine's scores on the real alerts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.table import Table, vstack
from conftest import shared_path
from sklearn.base import clone

import skrb
from skrb.cli import main
from skrb.distributed import ModelSource, score_files_dask
from skrb.scoring import score_files

pytestmark = pytest.mark.shared_data

# Rubin cutouts are 30 to 102 pixels: read them at braai's side so that one model scores both.
SURVEYS = {
    "ztf": ("ztf_alerts", {"masked_sentinel": "keep"}),  # as skrb score reads them for braai
    "lsst": ("rubin_alerts", {"stamp_size": 63}),
}


@pytest.fixture(scope="module")
def braai():
    return skrb.make_braai_pipeline(checkpoint=shared_path("checkpoints", "braai_d6_m7"))


@pytest.fixture(scope="module")
def local_scores(braai):
    """The local engine's scores of every real alert, per survey."""
    return {
        survey: score_files(shared_path(folder), braai, **options).table
        for survey, (folder, options) in SURVEYS.items()
    }


def _same_scores(table, expected, id_column):
    assert len(table) == len(expected)
    assert table[id_column].tolist() == expected[id_column].tolist()  # same order
    assert table["status"].tolist() == expected["status"].tolist()
    assert np.nanmax(np.abs(table["p_real"] - expected["p_real"])) < 1e-5


# --- Dask ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    from skrb.distributed import tf_thread_env

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: 8787 may be taken (another cluster)
            env=tf_thread_env(1),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _read_scores(path):
    return Table(pq.read_table(path).to_pydict())


@pytest.mark.parametrize(("survey", "id_column"), [("ztf", "candid"), ("lsst", "diaSourceId")])
def test_skrb_score_engine_dask_gives_the_local_scores(dask_client, tmp_path, survey, id_column):
    """``skrb score --engine dask`` on every real alert of a survey = ``--engine local``."""

    def n_built():
        return __import__("skrb.distributed._model", fromlist=["_N_BUILT"])._N_BUILT[0]

    folder, _ = SURVEYS[survey]
    files = sorted(shared_path(folder).rglob("*.avro"))
    argv = ["score", str(shared_path(folder)), "--model", "braai"]
    argv += ["--checkpoint", str(shared_path("checkpoints", "braai_d6_m7"))]
    assert main([*argv, "-o", str(tmp_path / "local.parquet")]) == 0
    before = dask_client.run(n_built)
    argv += ["--engine", "dask", "--scheduler", dask_client.scheduler.address]
    assert main([*argv, "-o", str(tmp_path / "dask.parquet")]) == 0
    local, remote = (_read_scores(tmp_path / f"{e}.parquet") for e in ("local", "dask"))
    assert len(local) >= len(files)  # every alert of every file
    assert remote.colnames == local.colnames
    _same_scores(remote, local, id_column)
    # several tasks per worker, but the model was built at most once on each
    built = {w: n - before[w] for w, n in dask_client.run(n_built).items()}
    assert all(n <= 1 for n in built.values()) and sum(built.values()) >= 1


def test_dask_workers_have_one_tensorflow_thread(dask_client):
    threads = dask_client.run(lambda: os.environ.get("TF_NUM_INTRAOP_THREADS"))
    assert set(threads.values()) == {"1"}


def test_dask_partitions(dask_client, local_scores, tmp_path):
    files = sorted(shared_path("ztf_alerts", "kowalski").glob("*.avro"))
    source = ModelSource.from_checkpoint(shared_path("checkpoints", "braai_d6_m7"), "braai")
    score_files_dask(
        files,
        source,
        tmp_path / "parts",
        client=dask_client,
        files_per_task=10,
        partitioned=True,
        masked_sentinel="keep",
    )
    parts = sorted((tmp_path / "parts").glob("part-*.parquet"))
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(4)]
    table = vstack([Table(pq.read_table(p).to_pydict()) for p in parts])
    expected = local_scores["ztf"][np.isin(local_scores["ztf"]["candid"], table["candid"])]
    _same_scores(table, expected, "candid")


def test_a_bad_file_is_named_and_the_rest_scored(dask_client, braai, tmp_path):
    files = sorted(shared_path("ztf_alerts", "kowalski").glob("*.avro"))[:3]
    for f in files:
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "broken.avro").write_bytes(b"Obj\x01 truncated")
    summary = score_files_dask(
        tmp_path, braai, client=dask_client, files_per_task=2, on_error="skip"
    )
    assert summary.n_alerts == 3
    assert [os.path.basename(f) for f in summary.errors["file"]] == ["broken.avro"]


# --- joblib's Dask backend: a grid search and a comparison on the cluster ------------------


@pytest.fixture(scope="module")
def serial_search(dia_stamps):
    """Two DIA settings, 2-fold CV: the data, the unfitted search and its serial result."""
    from sklearn.model_selection import GridSearchCV

    from skrb.models import DIAClassifier
    from skrb.preprocessing import StampStacker

    X, y = dia_stamps
    X = StampStacker("dia").transform(X)
    quick = dict(epochs=1, verbose=0, batch_size=8, validation_split=0.0)
    quick.update(random_state=0, deterministic=True)  # seeded fits
    grid = {"dense_units": [4, 8]}  # two DIA settings
    search = GridSearchCV(DIAClassifier(**quick), grid, scoring="neg_log_loss", cv=2, refit=False)
    return X, y, search, clone(search).fit(X, y)


# The workers run TensorFlow with one intra-op thread, this process with its default: the same
# fits, summed in another order, differ by float32 rounding (<= 1e-7 measured; bit-identical
# when the thread counts agree).
ROUNDING = 1e-6


def _split_scores(search):
    return np.array([search.cv_results_[f"split{k}_test_score"] for k in range(2)])


def test_grid_search_on_dask_equals_the_serial_search(dask_client, serial_search):
    import joblib
    from distributed import get_task_stream as distributed_task_stream

    X, y, search, serial = serial_search
    with joblib.parallel_backend("dask"), distributed_task_stream(dask_client) as tasks:
        remote = clone(search).fit(X, y)
    assert len(tasks.data) >= 4  # the 2 x 2 fits ran on the cluster's workers
    # Every fit equals its serial twin, whichever worker ran it after whichever other fit.
    np.testing.assert_allclose(_split_scores(remote), _split_scores(serial), rtol=0, atol=ROUNDING)
    assert remote.best_params_ == serial.best_params_


def test_compare_models_on_dask_equals_the_serial_fits(dask_client, serial_search):
    import joblib
    from distributed import get_task_stream as distributed_task_stream
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold

    from skrb.model_selection import compare_models

    X, y, search, serial = serial_search
    models = {f"du{n}": clone(search.estimator).set_params(dense_units=n) for n in (4, 8)}
    with joblib.parallel_backend("dask"), distributed_task_stream(dask_client) as tasks:
        result = compare_models(models, X, y, cv=StratifiedKFold(2), progress=False)
    assert len(tasks.data) >= 4
    # the grid search's folds (StratifiedKFold(2)) and fits: the same log-losses as serially
    losses = [
        [-log_loss(y[test], result.scores[name][k]) for name in models]
        for k, (_, test) in enumerate(result.splits)
    ]
    np.testing.assert_allclose(losses, _split_scores(serial), rtol=0, atol=ROUNDING)


# --- Spark (the session-scoped `spark` fixture of conftest.py: one JVM for all) --------------


def _records(folder, n):
    """The first ``n`` alert records of the Avro container files in ``folder`` (fastavro)."""
    import fastavro

    records = []
    for path in sorted(folder.glob("*.avro")):
        with open(path, "rb") as handle:
            records.extend(fastavro.reader(handle))
        if len(records) >= n:
            return records[:n]
    return records


def _builds_per_worker(spark):
    """Models built so far in each of Spark's idle Python workers: pid -> count."""
    import pandas as pd
    from pyspark.sql import functions as F

    def probe(ids):
        from skrb.distributed._model import _N_BUILT

        return pd.Series([f"{os.getpid()} {_N_BUILT[0]}"] * len(ids))

    probe.__annotations__ = {"ids": pd.Series, "return": pd.Series}  # not strings: Spark reads them
    udf = F.pandas_udf(probe, "string")
    seen = spark.range(0, 16, 1, 8).select(udf("id").alias("p")).distinct().collect()
    return dict(tuple(map(int, row["p"].split())) for row in seen)


def test_spark_udf_scores_a_brokers_dataframe(spark, braai, local_scores, tmp_path):
    """A broker's own DataFrames (Fink's layouts, read from Parquet), ZTF and Rubin alike."""
    import pyarrow as pa
    from pyspark.errors import PythonException
    from pyspark.sql import functions as F

    from skrb.distributed import make_spark_udf

    cutouts = ["cutoutScience", "cutoutTemplate", "cutoutDifference"]
    ztf = [
        {k: r[k] for k in ("candid", "objectId", "candidate", *cutouts)}
        for r in _records(shared_path("ztf_alerts", "kowalski"), 12)
    ]
    ztf[-1]["cutoutTemplate"] = None  # no template: no score, and the reason
    rubin = [  # Fink's Rubin layout: diaSourceId (v10) or alertId (v7), diaSource, cutouts
        {"diaSourceId": r["diaSource"]["diaSourceId"], **{k: r[k] for k in ("diaSource", *cutouts)}}
        for folder in ("fink-client-lsst10.0", "fink-broker-lsst7.4")
        for r in _records(shared_path("rubin_alerts", folder), 6)
    ]
    frames = {}
    for name, rows in (("ztf", ztf), ("lsst", rubin)):
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / f"{name}.parquet")
        frames[name] = spark.read.parquet(str(tmp_path / f"{name}.parquet"))
    # Arrow batches of 2 rows: several batches per task, yet one model build per Python worker
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "2")
    before = _builds_per_worker(spark)
    # one factory for both surveys: the layout is told from the struct's field names
    udf = make_spark_udf(braai, with_status=True, stamp_size=63, masked_sentinel="keep")
    ztf_scores = (
        frames["ztf"]
        .select("candid", udf(F.struct("candid", "candidate", *cutouts)).alias("s"))
        .select("candid", "s.p_real", "s.status")
        .toPandas()
    )
    # Fink's Rubin modules pass the cutout columns themselves; the survey is then given
    positional = make_spark_udf(braai, survey="lsst", stamp_size=63)
    rubin_scores = (
        frames["lsst"]
        .select(
            "diaSourceId",
            udf(F.struct("diaSourceId", *cutouts)).alias("s"),
            positional(*cutouts).alias("p"),
        )
        .select("diaSourceId", "s.p_real", "s.status", "p")
        .toPandas()
    )
    built = {pid: n - before.get(pid, 0) for pid, n in _builds_per_worker(spark).items()}
    spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    # two factories (two model sources), 6 batches of 2 rows each per survey and UDF: at most
    # one build of each model in any worker (the per-process cache of ModelSource)
    assert 1 <= max(built.values()) <= 2, built
    for scores, survey, id_column in (
        (ztf_scores, "ztf", "candid"),
        (rubin_scores, "lsst", "diaSourceId"),
    ):
        local = local_scores[survey]
        expected = local[[list(local[id_column]).index(i) for i in scores[id_column]]]
        ok = (scores["status"] == "ok").to_numpy()
        assert list(scores["status"][ok]) == list(expected["status"][ok])
        dp = np.abs(scores["p_real"][ok].to_numpy() - expected["p_real"][ok])
        assert ok.sum() >= 11 and dp.max() < 1e-5
    assert list(ztf_scores["status"].iloc[-1:]) == ["missing template cutout"]
    assert np.isnan(ztf_scores["p_real"].iloc[-1])
    assert (ztf_scores["status"].iloc[:-1] == "ok").all()
    np.testing.assert_allclose(rubin_scores["p"], rubin_scores["p_real"], atol=1e-6)
    with pytest.raises(PythonException, match="neither ZTF nor Rubin"):
        frames["ztf"].select(udf(F.struct("objectId", *cutouts))).collect()


@pytest.mark.filterwarnings("default::skrb.io.ReadWarning")  # shown by the CLI on stderr
@pytest.mark.parametrize(("survey", "id_column"), [("ztf", "candid"), ("lsst", "diaSourceId")])
def test_spark_command_line_gives_the_local_scores(
    spark, local_scores, tmp_path, capsys, survey, id_column
):
    """`skrb score --engine spark` on every real alert (and a bad file, a Parquet export)."""
    import pyarrow as pa

    folder, _ = SURVEYS[survey]
    expected = local_scores[survey]
    if survey == "ztf":  # a broken file among the others: named, nothing else lost
        extra = tmp_path / "broken.avro"
        extra.write_bytes(b"Obj\x01 truncated")
    else:  # Fink's Parquet export of some Rubin alerts: read through binaryFile too
        extra = tmp_path / "export.parquet"
        records = _records(shared_path("rubin_alerts", "fink-broker-lsst7.4"), 5)
        pq.write_table(pa.Table.from_pylist(records), extra)
        ids = [r["diaSource"]["diaSourceId"] for r in records]
        again = expected[[list(expected[id_column]).index(i) for i in ids]]
        expected = vstack([expected, again])
    out = tmp_path / ("scores.parquet" if survey == "ztf" else "scores.csv")
    argv = ["score", str(shared_path(folder)), str(extra), "--engine", "spark", "-o", str(out)]
    argv += ["--checkpoint", str(shared_path("checkpoints", "braai_d6_m7")), "--model", "braai"]
    assert main(argv) == 0  # the active session is used, not stopped
    printed = capsys.readouterr()
    assert f"scored {len(expected)} candidates" in printed.out
    if survey == "ztf":
        assert "broken.avro" in printed.err  # the bad file is named
        table = Table(pq.read_table(out).to_pydict())
    else:
        table = Table.read(out, format="ascii.csv")
    _same_scores(table, expected, id_column)
    assert table.colnames == [*expected.colnames, "real"]  # the CLI's --threshold column


# --- light import, clear errors -------------------------------------------------------------


def test_import_skrb_imports_no_engine():
    code = (
        "import sys, skrb, skrb.distributed, skrb.scoring; "
        "print(any(m.split('.')[0] in ('dask', 'distributed', 'pyspark') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_engines_name_the_extra(monkeypatch):
    from skrb.distributed import score_files_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'skrb\[spark\]'"):
        score_files_spark("x", None)
    with pytest.raises(ImportError, match=r"pip install 'skrb\[dask\]'"):
        score_files_dask("x", None)
