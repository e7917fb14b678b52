"""Scoring on a cluster: Dask (local, HPC via dask-jobqueue) and Apache Spark.

Nothing here imports Dask or Spark until it is used (``import skrb`` imports neither); a missing
engine is a one-line ImportError naming the extra to install (``pip install 'skrb[dask]'`` or
``'skrb[spark]'``). Every engine runs the same scoring core (:func:`skrb.scoring.score_alerts`),
so the scores equal the local engine's.

- :func:`score_files_dask`: alert files on a Dask cluster, one task per group of files, the
  model sent once per worker, TensorFlow's threads set per worker.
- :func:`make_spark_udf`: a pandas UDF for DataFrames of alerts (Fink's layout, ZTF's or
  Rubin's, cutouts as bytes); :func:`score_files_spark`: alert files read through Spark and
  scored by that same UDF.
- :class:`ModelSource`: a model as workers receive it (a skrb model file, no pickle), built
  once per worker process; :func:`set_tf_threads` and :func:`tf_thread_env` for workers.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "ModelSource": "skrb.distributed._model",
    "make_spark_udf": "skrb.distributed._spark",
    "score_files_dask": "skrb.distributed._dask",
    "score_files_spark": "skrb.distributed._spark",
    "set_tf_threads": "skrb.distributed._threads",
    "tf_thread_env": "skrb.distributed._threads",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'skrb.distributed' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
