"""Ship a model to workers once, build it once per worker process.

A :class:`ModelSource` is a small, picklable description of a fitted model: a skrb model file
(:func:`skrb.save_model`, no pickle) carried as bytes, a published checkpoint named by path, or
an in-memory estimator saved to a skrb model file on the client. Engines send it to each
worker once (Dask: ``scatter(broadcast=True)``; Spark: a broadcast variable) and tasks call
:meth:`ModelSource.load`, which builds the estimator on the first call in a process and returns
the same one afterwards.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ModelSource"]

# token -> fitted estimator, per process (a Dask worker, a Spark executor's Python worker); the
# most recently used last, at most _KEEP of them (a long-lived worker serves model after model).
_LOADED: dict[str, Any] = {}
_KEEP = 2
_N_BUILT = [0]  # estimators built in this process (tests check: once per worker)


@dataclass(frozen=True)
class ModelSource:
    """A fitted model as workers receive it: built once per worker process by :meth:`load`.

    Make one with :meth:`from_estimator`, :meth:`from_file` or :meth:`from_checkpoint`.

    Parameters
    ----------
    kind : {"model_file", "pickle", "checkpoint"}
        How :meth:`load` builds the model.
    payload : bytes, default=b""
        The model file's bytes (``"model_file"``, ``"pickle"``).
    path : str, default=""
        The checkpoint (``"checkpoint"``): a path every worker can read.
    model : str, default=""
        The checkpoint's architecture (a key of :func:`skrb.models.model_names`).

    Attributes
    ----------
    token : str
        Identifies the model (a hash of the payload, or the checkpoint's path and model): the
        key of the per-process cache.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skrb.distributed import ModelSource
    >>> source = ModelSource.from_estimator(DummyClassifier().fit([[0], [1]], [0, 1]))
    >>> source.kind, source.load() is source.load()
    ('model_file', True)
    """

    kind: str
    payload: bytes = field(default=b"", repr=False)
    path: str = ""
    model: str = ""

    @property
    def token(self) -> str:
        """Identify the model: the key of the per-process cache."""
        if self.kind == "checkpoint":
            return f"checkpoint:{self.model}:{os.path.abspath(self.path)}"
        return f"{self.kind}:{hashlib.sha256(self.payload).hexdigest()}"

    @classmethod
    def from_estimator(cls, estimator: Any) -> ModelSource:
        """Describe a fitted estimator: as a skrb model file, else (not a skrb model) a pickle.

        A skrb pipeline or classifier travels as its :func:`skrb.save_model` file, with no
        pickle; any other estimator (e.g. a scikit-learn one, in tests) is pickled, as Dask and
        Spark would pickle it anyway.
        """
        if isinstance(estimator, ModelSource):
            return estimator
        from skrb.persistence import ModelFileError, save_model

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.skrb"
            try:
                save_model(estimator, path)
            except (ModelFileError, TypeError, ValueError):
                return cls("pickle", payload=pickle.dumps(estimator))
            return cls("model_file", payload=path.read_bytes())

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, allow_pickle: bool = False) -> ModelSource:
        """Describe a skrb model file (or, with ``allow_pickle``, a joblib/pickle file)."""
        import zipfile

        path = Path(path)
        if allow_pickle and not zipfile.is_zipfile(path):
            import joblib

            return cls.from_estimator(joblib.load(path))
        return cls("model_file", payload=path.read_bytes())

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike[str], model: str) -> ModelSource:
        """Describe a published checkpoint of ``model``, read by each worker from ``path``."""
        return cls("checkpoint", path=os.fspath(path), model=model)

    def load(self) -> Any:
        """Return the fitted estimator, built on the first call in this process."""
        token = self.token
        estimator = _LOADED.pop(token, None)
        if estimator is None:
            estimator = self._build()
            _N_BUILT[0] += 1
            while len(_LOADED) >= _KEEP:
                _LOADED.pop(next(iter(_LOADED)))
        _LOADED[token] = estimator
        return estimator

    def _build(self) -> Any:
        if self.kind == "pickle":
            return pickle.loads(self.payload)  # noqa: S301 - made by from_estimator on the client
        if self.kind == "checkpoint":
            from skrb.pipeline import make_pipeline

            return make_pipeline(self.model, checkpoint=self.path)
        if self.kind == "model_file":
            from skrb.persistence import load_model

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.skrb"
                path.write_bytes(self.payload)
                return load_model(path)
        raise ValueError(f"unknown model source kind {self.kind!r}.")
