"""The real/bogus classifiers (scikit-learn classifiers through SciKeras) and their registry.

- :class:`DIAClassifier` and :class:`NoDIAClassifier`: the two CNNs of Acero-Cuellar et al.
  (2023), on ``StampStacker("dia")`` and ``StampStacker("nodia")`` images;
- :class:`BraaiClassifier`: braai's VGG6 (Duev et al. 2019) on ``StampStacker("channels")``;
- :class:`NoDiffTransformerClassifier` and :class:`TripletTransformerClassifier`: the
  no-difference transformers of Inada et al. (2026), on ``StampStacker("nodia")`` (search +
  template) and ``StampStacker("dia")`` (+ difference) images;
- :func:`load_checkpoint`: the published trained networks as fitted classifiers;
- :func:`model_names`, :func:`get_model_spec`: the registry of skrb's models (:class:`ModelSpec`),
  from which the pipelines, the checkpoint loader and the command line are derived.

Every fitted classifier's ``model_`` maps float32 images to ``(n, 2)`` class probabilities in
``classes_`` order (column 1 = P(real)).

Names are imported on first use: the registry is available without loading TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

from skrb._dependencies import missing_dependency

_NAMES = {
    "ARCHITECTURES": "skrb.models._architectures",
    "build_stamp_cnn": "skrb.models._architectures",
    "StampCNNClassifier": "skrb.models._base",
    "StampKerasClassifier": "skrb.models._base",
    "load_checkpoint": "skrb.models._checkpoint",
    "BraaiClassifier": "skrb.models._classifiers",
    "DIAClassifier": "skrb.models._classifiers",
    "NoDIAClassifier": "skrb.models._classifiers",
    "SigmoidToTwoClass": "skrb.models._layers",
    "NonFiniteError": "skrb.models._finite",
    "StopOnNonFinite": "skrb.models._finite",
    "check_finite_proba": "skrb.models._finite",
    "check_finite_weights": "skrb.models._finite",
    "TRANSFORMER_PRESETS": "skrb.models._transformer",
    "build_nodiff_transformer": "skrb.models._transformer",
    "NoDiffTransformerClassifier": "skrb.models._transformer_classifiers",
    "StampTransformerClassifier": "skrb.models._transformer_classifiers",
    "TripletTransformerClassifier": "skrb.models._transformer_classifiers",
    "CheckpointFormat": "skrb.models._registry",
    "ModelSpec": "skrb.models._registry",
    "get_model_spec": "skrb.models._registry",
    "model_names": "skrb.models._registry",
    "PolicyChoice": "skrb.models._precision",
    "auto_dtype_policy": "skrb.models._precision",
    "cpu_flags": "skrb.models._precision",
    "resolve_dtype_policy": "skrb.models._precision",
}

__all__ = sorted(_NAMES)

# Internal API for skrb's own packages (not in __all__, may change without notice): other
# packages import these from ``skrb.models``, never from its private modules.
_INTERNAL = {
    "inference_function": "skrb.models._receptive_field",
    "predict_batches": "skrb.models._inference",
    "restore_network": "skrb.models._scikeras",
    "read_region": "skrb.models._receptive_field",
}


def __getattr__(name: str) -> Any:
    if name in _NAMES or name in _INTERNAL:
        module = _NAMES.get(name) or _INTERNAL[name]
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError as exc:  # TensorFlow is an extra: skrb[cpu] or skrb[gpu]
            error = missing_dependency(exc)
            if error is None:
                raise
            raise error from exc
    raise AttributeError(f"module 'skrb.models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
