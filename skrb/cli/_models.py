"""Models of the command line: building pipelines for a protocol, saving and loading them.

Trained pipelines are saved as skrb model files (``.skrb``, :func:`skrb.save_model`): one file
holding the pipeline's steps and parameters as JSON and its network as ``.keras``, with no pickle
in it, loaded back with :func:`skrb.load_model` or ``skrb score --model-file``. Pickles
(``.joblib``) run code when loaded, so they are read only with ``--allow-pickle``.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from skrb.cli._errors import CLIError
from skrb.cli._protocols import Protocol
from skrb.models import get_model_spec, model_names

__all__ = [
    "CHECKPOINT_MODELS",
    "DISPLAY_NAMES",
    "MODELS",
    "MODEL_SUFFIX",
    "PICKLE_WARNING",
    "build_pipeline",
    "load_model",
    "save_model",
]

#: Model keys of the command line (the model registry's), with the names shown in tables.
MODELS = model_names()
DISPLAY_NAMES = {name: get_model_spec(name).display_name for name in MODELS}
#: The models with a published checkpoint (``--checkpoint PATH --model NAME``).
CHECKPOINT_MODELS = tuple(name for name in MODELS if get_model_spec(name).checkpoint is not None)


def _factory(model: str) -> Any:
    from skrb.pipeline import make_pipeline

    if model not in DISPLAY_NAMES:
        raise CLIError(f"unknown model {model!r}; choose from {', '.join(MODELS)}.")
    return functools.partial(make_pipeline, model)


def build_pipeline(
    model: str,
    protocol: Protocol,
    *,
    random_state: int | None = None,
    verbose: int = 0,
    **overrides: Any,
) -> Any:
    """Build an unfitted pipeline for ``model`` with the protocol's training settings.

    Parameters
    ----------
    model : {"dia", "nodia", "braai"}
        Which model.
    protocol : Protocol
        Training settings (epochs, batch size, early stopping...).
    random_state : int, optional
        Seed of the classifier.
    verbose : int, default=0
        Keras verbosity (2 = one line per epoch).
    **overrides
        Classifier parameters that replace the protocol's (``None`` values are ignored).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline

    Examples
    --------
    >>> from skrb.cli._models import build_pipeline
    >>> from skrb.cli._protocols import PROTOCOLS
    >>> pipe = build_pipeline("dia", PROTOCOLS["quick"], epochs=2)
    >>> pipe.named_steps["classifier"].epochs
    2
    """
    params = copy.deepcopy(protocol.classifier)
    params.update({k: v for k, v in overrides.items() if v is not None})
    pipeline = _factory(model)(random_state=random_state, **params)
    # ``verbose`` of make_*_pipeline is the Pipeline's own; Keras' is the classifier's.
    return pipeline.set_params(classifier__verbose=verbose)


MODEL_SUFFIX = ".skrb"
"""Suffix of the model files ``skrb train`` writes."""

PICKLE_WARNING = (
    "DANGEROUS: also load pickled models (.joblib, .pkl, from older skrb or joblib.dump). "
    "Loading a pickle runs any code its author put in it, before skrb can check it; use this "
    "only for files you made yourself, and convert them once with skrb.save_model"
)
"""Help text of ``--allow-pickle``."""


def save_model(estimator: Any, path: str | Path) -> Path:
    """Save a fitted pipeline as a skrb model file (no pickle), atomically.

    Parameters
    ----------
    estimator : estimator
        The fitted pipeline.
    path : str or Path
        Destination; must end in ``.skrb``.

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from skrb.cli._models import load_model, save_model
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_model(DummyClassifier().fit([[0], [1]], [0, 1]), f"{tmp}/m.skrb")
    ...     type(load_model(model_file=path)).__name__
    'DummyClassifier'
    """
    from skrb.persistence import save_model as save

    path = Path(path)
    if path.suffix != MODEL_SUFFIX:
        raise CLIError(f"save models as {MODEL_SUFFIX} files; got {path.name!r}.")
    return save(estimator, path)


def _load_pickle(path: Path) -> Any:
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # a corrupt pickle can raise nearly anything
        raise CLIError(f"cannot load a pickled model from {path}: {exc}") from exc


def load_model(
    *,
    model_file: str | Path | None = None,
    checkpoint: str | Path | None = None,
    model: str | None = None,
    allow_pickle: bool = False,
) -> Any:
    """Load a saved pipeline, or a published checkpoint wrapped in its model's pipeline.

    Parameters
    ----------
    model_file : str or Path, optional
        A skrb model file (``.skrb``) written by ``skrb train`` or :func:`skrb.save_model`.
    checkpoint : str or Path, optional
        A published Keras checkpoint (the authors' HDF5 or braai's), used with ``model``.
    model : {"dia", "nodia", "braai"}, optional
        The architecture of ``checkpoint`` (not for ``model_file``: a saved pipeline knows it).
    allow_pickle : bool, default=False
        Also load a ``model_file`` that is a pickle (``joblib.dump``). Loading a pickle runs
        whatever code it holds: only for files the user made or fully trusts.

    Returns
    -------
    estimator : fitted estimator with ``predict_proba``

    Raises
    ------
    CLIError
        If neither or both sources are given, ``model`` is given with ``model_file`` or
        missing for ``checkpoint``, or the file is missing or cannot be read.
    ValueError
        (:class:`skrb.persistence.ModelFileError`) If ``model_file`` is not a skrb model file
        (a pickle without ``allow_pickle``, a damaged or altered file).
    """
    if (model_file is None) == (checkpoint is None):
        raise CLIError("give either --model-file FILE or --checkpoint PATH --model NAME.")
    if model_file is not None:
        if model is not None:
            raise CLIError("--model applies to --checkpoint only (a model file knows its model).")
        import zipfile

        from skrb.persistence import load_model as load

        path = Path(model_file)
        if not path.is_file():
            raise CLIError(f"no such model file: {path}")
        if allow_pickle and not zipfile.is_zipfile(path):
            estimator = _load_pickle(path)
        else:
            estimator = load(path)
        if not hasattr(estimator, "predict_proba"):
            raise CLIError(f"{path} holds a {type(estimator).__name__}, not a classifier.")
        return estimator
    path = Path(checkpoint)
    if not path.exists():
        raise CLIError(f"no such checkpoint: {path}")
    if not model:
        raise CLIError(
            f"--checkpoint needs --model ({', '.join(CHECKPOINT_MODELS)}) to know its architecture."
        )
    return _factory(model)(checkpoint=path)
