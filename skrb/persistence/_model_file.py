"""skrb model files: a fitted pipeline or classifier in one zip file with no pickle in it.

Layout of a model file (a zip archive, suffix ``.skrb`` by convention)::

    skrb-model.json      format name and version, the versions that wrote it, and the
                         estimator: each step's class (from the allow-list), its parameters
                         and its fitted attributes as plain JSON
    networks/<i>.keras   each classifier's Keras network, loaded with safe_mode=True
"""

from __future__ import annotations

import collections
import json
import os
import platform
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from skrb.persistence._classes import allowed_classes, class_name, is_keras_classifier
from skrb.persistence._networks import NetworkError, load_network, save_network
from skrb.persistence._values import UnstorableValue, decode, encode
from skrb.utils import atomic_file

__all__ = ["FORMAT_VERSION", "ModelFileError", "load_model", "save_model"]

FORMAT = "skrb-model"
FORMAT_VERSION = 1
"""Version of the model-file layout this skrb writes (and the newest it reads)."""

_MANIFEST = "skrb-model.json"
_MAX_MANIFEST_BYTES = 64 * 2**20
_MAX_MEMBERS = 1000
_MAX_DEPTH = 16
_REBUILT = ("model_", "target_encoder_", "feature_encoder_")
"""Fitted attributes of a SciKeras classifier rebuilt on loading, not stored as JSON."""
_ATTRIBUTE = re.compile(r"^_?[A-Za-z][A-Za-z0-9_]*$")


class ModelFileError(ValueError):
    """A file that is not a readable skrb model file, or an estimator that cannot be saved.

    The message is one line naming the file and the problem.

    Examples
    --------
    >>> from skrb.persistence import ModelFileError
    >>> issubclass(ModelFileError, ValueError)
    True
    """


ModelFileError.__module__ = "skrb.persistence"


# -- saving ---------------------------------------------------------------------------------------
def _encoded(values: dict[str, Any], what: str) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        try:
            out[key] = encode(value)
        except UnstorableValue as exc:
            raise ModelFileError(
                f"cannot save {what} {key!r}: it holds {exc}, and a skrb model file holds "
                "plain values only (numbers, text, tuples, lists, dicts, arrays)."
            ) from None
    return out


def _node(estimator: Any, where: str, networks: list[tuple[str, Any]]) -> dict[str, Any]:
    from sklearn.pipeline import Pipeline

    try:
        name = class_name(estimator)
    except TypeError as exc:
        raise ModelFileError(f"cannot save {where}: {exc}") from None
    params = estimator.get_params(deep=False)
    if isinstance(estimator, Pipeline):
        if params.get("memory") is not None:
            raise ModelFileError(
                f"cannot save {where}: its memory (a joblib cache folder) is set; a model file "
                "does not name cache folders (load_model refuses them). Set memory=None first."
            )
        params.pop("steps")
        steps = []
        for step_name, step in estimator.steps:
            if step is None or (isinstance(step, str) and step == "passthrough"):
                steps.append([step_name, step])
            else:
                steps.append([step_name, _node(step, f"step {step_name!r}", networks)])
        return {"class": name, "params": _encoded(params, f"{where}'s parameter"), "steps": steps}
    node: dict[str, Any] = {
        "class": name,
        "params": _encoded(params, f"{where}'s parameter"),
        "network": None,
    }
    state = vars(estimator)
    if is_keras_classifier(type(estimator)):
        fitted = {
            k: v
            for k, v in state.items()
            if k.endswith("_") and not k.startswith("_") and k not in _REBUILT
        }
        if "model_" in state:
            member = f"networks/{len(networks)}.keras"
            networks.append((member, state["model_"]))
            node["network"] = member
    else:
        fitted = {k: v for k, v in state.items() if k not in params}
    node["fitted"] = _encoded(fitted, f"{where}'s fitted attribute")
    return node


def _versions() -> dict[str, str]:
    import keras
    import sklearn
    import tensorflow as tf

    import skrb

    return {
        "skrb": skrb.__version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def save_model(estimator: Any, path: str | os.PathLike[str]) -> Path:
    """Save a skrb pipeline or classifier to one model file, without pickle.

    The file is a zip archive holding ``skrb-model.json`` (format version, the versions of
    skrb, Keras, TensorFlow, scikit-learn, NumPy and Python that wrote it, and for each step
    its class, its parameters and its fitted attributes as plain JSON) and each network as a
    ``.keras`` file. It is written under a temporary name beside ``path`` and renamed onto
    it, so an interrupted save leaves the previous file or the new one.

    Parameters
    ----------
    estimator : estimator
        A skrb classifier, or a :class:`~sklearn.pipeline.Pipeline` of skrb's transformers,
        plain scikit-learn steps (see :data:`skrb.persistence.SKLEARN_STEPS`) and skrb
        classifiers; fitted or not.
    path : str or path-like
        Destination (``.skrb`` by convention); its folder is created if missing.

    Returns
    -------
    path : Path
        The file written.

    Raises
    ------
    ModelFileError
        If a step's class is not allowed (e.g. a custom transformer) or a parameter or fitted
        attribute is not plain data (e.g. a Keras callback object); the message names it.

    See Also
    --------
    load_model : read the file back.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import skrb
    >>> from sklearn.dummy import DummyClassifier
    >>> clf = DummyClassifier(strategy="prior").fit(np.zeros((4, 1)), [0, 1, 1, 1])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = skrb.save_model(clf, f"{tmp}/model.skrb")
    ...     skrb.load_model(path).predict_proba(np.zeros((1, 1)))
    array([[0.25, 0.75]])
    """
    path = Path(path)
    networks: list[tuple[str, Any]] = []
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": _node(estimator, "the estimator", networks),
    }
    text = json.dumps(manifest, indent=1, allow_nan=False)
    scratch = Path(tempfile.mkdtemp(prefix="skrb-save-"))
    try:
        with atomic_file(path) as part:
            with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(_MANIFEST, text)
                for i, (member, network) in enumerate(networks):
                    saved = save_network(network, scratch, f"{i}.keras")
                    archive.write(saved, member, compress_type=zipfile.ZIP_STORED)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


# -- loading --------------------------------------------------------------------------------------
def _kind_of(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4)
    if head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"}q", b"]q", b"cs"):
        return (
            "it is a Python pickle (e.g. a .joblib file). skrb does not load pickles from files, "
            "since loading one can run any code; load it with joblib only if you trust its "
            "origin ('--allow-pickle' on the command line), and save it again with "
            "skrb.save_model"
        )
    if head == b"\x89HDF":
        return "it is an HDF5 file (a Keras checkpoint? use skrb.models.load_checkpoint)"
    if not head:
        return "it is empty"
    return "it is not a zip archive"


class _Reader:
    """Rebuild estimators from a model file's manifest (one per file)."""

    def __init__(self, archive: zipfile.ZipFile, path: Path) -> None:
        self.archive = archive
        self.path = path
        self.classes = allowed_classes()
        self.members = set(archive.namelist())
        self.used: set[str] = set()

    def fail(self, message: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: not a valid skrb model file: {message}")

    def mapping(self, node: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = node.get(key)
        if not isinstance(value, dict):
            raise self.fail(f"{where} has no {key!r} object.")
        try:
            return {k: decode(v) for k, v in value.items()}
        except (ValueError, TypeError) as exc:
            raise self.fail(f"{where}'s {key} are malformed ({exc})") from None

    def build(self, node: Any, where: str, depth: int = 0) -> Any:
        from sklearn.pipeline import Pipeline

        if depth > _MAX_DEPTH:
            raise self.fail("pipelines nested too deeply.")
        if not isinstance(node, dict) or not isinstance(node.get("class"), str):
            raise self.fail(f"{where} is not an estimator entry with a 'class'.")
        name = node["class"]
        cls = self.classes.get(name)
        if cls is None:
            raise self.fail(
                f"{where} names class {name!r}, which is not one of skrb's estimators or "
                "the allowed scikit-learn steps."
            )
        params = self.mapping(node, "params", where)
        if cls is Pipeline:
            if params.get("memory") is not None:  # joblib's cache folder: pickles, if refitted
                raise self.fail(f"{where} (a Pipeline) names a cache folder (memory).")
            steps = node.get("steps")
            if not isinstance(steps, list) or not steps:
                raise self.fail(f"{where} (a Pipeline) has no steps.")
            built = []
            for item in steps:
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                    raise self.fail(f"{where} has a malformed step {item!r:.80}.")
                step_name, step = item
                if step is not None and step != "passthrough":
                    step = self.build(step, f"step {step_name!r}", depth + 1)
                built.append((step_name, step))
            return self.construct(cls, {**params, "steps": built}, where)
        estimator = self.construct(cls, params, where)
        fitted = self.mapping(node, "fitted", where)
        bad = [k for k in fitted if not _ATTRIBUTE.match(k) or k in params]
        if bad:
            raise self.fail(f"{where} has fitted attribute names {bad} that no estimator has.")
        if is_keras_classifier(cls):
            self.restore_classifier(estimator, node.get("network"), fitted, where)
        else:
            vars(estimator).update(fitted)
        return estimator

    def construct(self, cls: type, params: dict[str, Any], where: str) -> Any:
        try:
            return cls(**params)
        except TypeError as exc:
            raise self.fail(
                f"{where}: {cls.__name__} does not take these parameters ({exc})"
            ) from None

    def restore_classifier(
        self, estimator: Any, member: Any, fitted: dict[str, Any], where: str
    ) -> None:
        if member is None:
            if fitted:
                raise self.fail(f"{where} has fitted attributes but no network.")
            return
        if not isinstance(member, str) or member not in self.members or member in self.used:
            raise self.fail(f"{where} refers to a network {member!r:.80} the file lacks.")
        self.used.add(member)
        classes = fitted.get("classes_")
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or classes.size < 2:
            raise self.fail(f"{where} has a network but no classes_.")
        from skrb.models import NonFiniteError, check_finite_weights

        try:
            network = load_network(self.archive, member)
            check_finite_weights(network, member, hint="the file is damaged")
        except (NetworkError, NonFiniteError) as exc:
            raise self.fail(f"{member}: {exc}") from None
        shape = tuple(int(s) for s in network.input_shape[1:])
        if "image_shape_" in fitted and tuple(fitted["image_shape_"]) != shape:
            raise self.fail(
                f"{where}'s network reads images of shape {shape}, but its image_shape_ is "
                f"{fitted['image_shape_']}."
            )
        if tuple(network.output_shape[1:]) != (classes.size,):
            raise self.fail(
                f"{where}'s network outputs shape {network.output_shape[1:]}, not one "
                f"column per class ({classes.size})."
            )
        dummy = np.zeros((classes.size, *shape), dtype=np.float32)
        # SciKeras' initialize sets the encoders and metadata from (X, y); the network is
        # the loaded one instead of a new one.
        from skrb.models import restore_network  # SciKeras' internals stay in skrb.models

        try:
            restore_network(estimator, network, dummy, classes)
        except (ValueError, TypeError) as exc:
            raise self.fail(f"{where} cannot be restored ({exc})") from None
        vars(estimator).update(fitted)
        if isinstance(fitted.get("history_"), dict):
            estimator.history_ = collections.defaultdict(list, fitted["history_"])


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a pipeline or classifier saved by :func:`save_model`, without pickle.

    Only the classes of the allow-list are built (skrb's estimators and a few plain
    scikit-learn steps), from parameters and fitted attributes stored as JSON; networks are
    loaded with ``keras.saving.load_model(..., safe_mode=True)`` after their configuration is
    checked to name only Keras' classes and skrb's registered layers. Nothing in the file can
    run code.

    Parameters
    ----------
    path : str or path-like
        A model file written by :func:`save_model` (or ``skrb train``).

    Returns
    -------
    estimator : estimator
        The estimator as saved; its predictions equal the saved one's exactly.

    Raises
    ------
    ModelFileError
        If the file is missing, not a skrb model file (a pickle, a truncated or altered
        archive), written by a newer skrb, or names a class outside the allow-list; the
        one-line message names the file and the problem.

    See Also
    --------
    save_model : write a model file.

    Examples
    --------
    >>> import skrb
    >>> skrb.load_model("missing.skrb")
    Traceback (most recent call last):
    ...
    skrb.persistence.ModelFileError: no such model file: missing.skrb
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such model file: {path}")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a skrb model file: {_kind_of(path)}.")
    try:
        with zipfile.ZipFile(path) as archive:
            return _read(archive, path)
    except ModelFileError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        NotImplementedError,  # an unknown compression method
        UnicodeError,
        ValueError,
        struct.error,
        zlib.error,  # damaged compressed data
    ) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise ModelFileError(f"{path}: damaged skrb model file ({message}).") from None


def _read(archive: zipfile.ZipFile, path: Path) -> Any:
    reader = _Reader(archive, path)
    infos = archive.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise reader.fail(f"{len(infos)} members in the archive (at most {_MAX_MEMBERS}).")
    if _MANIFEST not in reader.members:
        raise reader.fail(f"no {_MANIFEST} in the archive.")
    if archive.getinfo(_MANIFEST).file_size > _MAX_MANIFEST_BYTES:
        raise reader.fail(f"{_MANIFEST} is implausibly large.")
    with archive.open(_MANIFEST) as f:
        raw = f.read(_MAX_MANIFEST_BYTES + 1)
    if len(raw) > _MAX_MANIFEST_BYTES:
        raise reader.fail(f"{_MANIFEST} is implausibly large.")
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise reader.fail(f"{_MANIFEST} is not JSON ({str(exc).splitlines()[0]}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise reader.fail(f"{_MANIFEST} does not declare format {FORMAT!r}.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise reader.fail(f"format_version {version!r:.40} is not a positive integer.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written by a newer skrb (model-file format {version}; this skrb reads up "
            f"to {FORMAT_VERSION}). Upgrade skrb to load it."
        )
    estimator = reader.build(manifest.get("estimator"), "the estimator")
    unused = reader.members - reader.used - {_MANIFEST}
    if unused:
        raise reader.fail(f"unexpected members {sorted(unused)[:5]} in the archive.")
    return estimator
