"""Shared fixtures: the test stamp sets and the real data in ../shared/data.

The stamp sets (``dia_stamps``, ``nodia_stamps``, ``braai_stamps``, ``pair_stamps``,
``point_stamps``, ``simulated_stamps``) are built once per session and are read-only: a test
that changes one works on ``X.copy()`` (writing into the shared array raises). They are
documented in ``tests/_stamps.py``. The real data are skipped with a reason where absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from _stamps import stamp_set

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
    """A fresh seeded generator for a test's own random numbers (not stamp sets)."""
    return np.random.default_rng(0)


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for array in arrays:
        array.flags.writeable = False
    return arrays


@pytest.fixture(scope="session")
def dia_stamps() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 24 separable blob stamp sets of 36 pixels (the DIA CNN's smallest), read-only."""
    return _read_only(*stamp_set("dia"))


@pytest.fixture(scope="session")
def nodia_stamps() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 24 separable blob stamp sets of 26 pixels (noDIA's smallest), read-only."""
    return _read_only(*stamp_set("nodia"))


@pytest.fixture(scope="session")
def braai_stamps() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 24 separable blob stamp sets of 20 pixels (braai's smallest), read-only."""
    return _read_only(*stamp_set("braai"))


@pytest.fixture(scope="session")
def pair_stamps() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 32 blob stamp sets of 12 pixels for the tiny transformers, read-only."""
    return _read_only(*stamp_set("pair"))


@pytest.fixture(scope="session")
def point_stamps() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 64 stamp sets of 5 pixels, real = one bright difference pixel (the toy CNN's
    training set, tests/_toy.py), read-only."""
    return _read_only(*stamp_set("point"))


@pytest.fixture(scope="session")
def simulated_stamps() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 60 DES-like stamp sets of 51 pixels from ``make_stamps`` (seed 0), read-only."""
    from skrb.datasets import make_stamps

    return _read_only(*make_stamps(60, survey="des", random_state=0))


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
