"""skrb: scikit-learn compatible real/bogus classification of transient candidates.

A *stamp set* is an array ``X`` of shape ``(n_samples, 3, H, W)`` (float32) holding the
search, template and difference cutouts of each candidate, in the order of
:data:`skrb.PANELS`. Targets are ``1`` for real and ``0`` for bogus.

Sub-packages are imported on first use, so ``import skrb`` stays light (TensorFlow is only
loaded when a model is needed). Unless ``TF_ENABLE_ONEDNN_OPTS`` is set or TensorFlow is
already imported, ``import skrb`` asks TensorFlow for its oneDNN CPU kernels on x86-64, by
setting ``TF_ENABLE_ONEDNN_OPTS=1`` (set it to ``0`` before importing skrb to opt out; see
:ref:`onednn` and :func:`skrb.utils.onednn_enabled`).
"""

from __future__ import annotations

import importlib
from importlib import metadata as _metadata
from typing import Any

from skrb._onednn import prefer_onednn
from skrb._panels import PANELS

prefer_onednn()

try:  # the version is written once, in pyproject.toml, and read from the installed metadata
    __version__ = _metadata.version("skrb")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

_SUBMODULES = {
    "datasets",
    "io",
    "preprocessing",
    "models",
    "explain",
    "metrics",
    "model_selection",
    "scoring",
    "distributed",
    "report",
    "utils",
    "cli",
    "persistence",
}
_PIPELINES = {
    "make_dia_pipeline",
    "make_nodia_pipeline",
    "make_braai_pipeline",
    "make_nodiff_pipeline",
    "make_triplet_pipeline",
    "make_pipeline",
}
_PERSISTENCE = {"save_model", "load_model"}

__all__ = [
    "PANELS",
    "__version__",
    *sorted(_PIPELINES),
    *sorted(_PERSISTENCE),
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"skrb.{name}")
    if name in _PIPELINES:
        return getattr(importlib.import_module("skrb.pipeline"), name)
    if name in _PERSISTENCE:
        return getattr(importlib.import_module("skrb.persistence"), name)
    raise AttributeError(f"module 'skrb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
