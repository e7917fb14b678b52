"""Shared fixtures: the real data in ../shared/data (skipped with a reason where absent)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED_DATA = Path(
    os.environ.get(
        "SKRB_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping the calling test where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} is absent (set SKRB_SHARED_DATA)")
    return path


@pytest.fixture
def ztf_alert_dir() -> Path:
    """Folder of 498 real ZTF alert packets (fink-alert-simulator, 2018-12-04)."""
    return shared_path("ztf_alerts", "fink-alert-simulator")


@pytest.fixture
def kowalski_alert_dir() -> Path:
    """Folder of 36 real ZTF alert packets with braai's ``drb`` scores."""
    return shared_path("ztf_alerts", "kowalski")


@pytest.fixture
def checkpoint_dir() -> Path:
    """Folder of the published checkpoints (authors' DIA/noDIA and braai d6_m7)."""
    return shared_path("checkpoints")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def ztf_packets() -> tuple[list[dict], dict]:
    """The records of four real ZTF alert packets and their writer schema (deep-copy to edit)."""
    import fastavro

    files = sorted(shared_path("ztf_alerts", "fink-alert-simulator").glob("*.avro"))[:4]
    records = []
    for path in files:
        with open(path, "rb") as handle:
            reader = fastavro.reader(handle)
            records.append(next(reader))
            schema = reader.writer_schema
    return records, schema


@pytest.fixture(scope="session")
def spark():
    """One local[2] SparkSession for every Spark test (starting one takes tens of seconds).

    Skipped, with the reason, only where no Java runtime is on PATH.
    """
    import shutil
    import sys

    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime: no `java` on PATH")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("skrb tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.python.worker.reuse", "true")
        .config("spark.executorEnv.TF_NUM_INTRAOP_THREADS", "1")
        .getOrCreate()
    )
    yield session
    session.stop()
