"""Keras networks in a model file: ``.keras`` members, checked, then loaded in safe mode.

Before Keras sees a network, its ``.keras`` archive is checked: only the three members Keras
writes, of bounded sizes, and a configuration naming only Keras' own classes and functions
and the layers skrb registered with :func:`keras.saving.register_keras_serializable`. Keras
then loads it with ``safe_mode=True`` (which refuses lambdas and other code).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import IO, Any

__all__ = ["MAX_NETWORK_BYTES", "check_keras_archive", "load_network", "save_network"]

#: Largest network a model file may hold, uncompressed (the paper's transformer with its
#: optimiser state is under 1 GiB).
MAX_NETWORK_BYTES = 4 * 2**30
_MAX_CONFIG_BYTES = 64 * 2**20
_KERAS_MEMBERS = {"metadata.json", "config.json", "model.weights.h5"}


class NetworkError(ValueError):
    """A network member that is not a plain Keras network (the message says why)."""


def save_network(model: Any, directory: Path, name: str) -> Path:
    """Save ``model`` as ``directory / name`` in the ``.keras`` format and return the path."""
    path = directory / name
    model.save(path)
    return path


def _skrb_custom_objects() -> set[str]:
    """Return the registered names of the Keras objects that skrb registered."""
    import keras

    from skrb.persistence._classes import allowed_classes

    allowed_classes()  # imports every skrb model module, which registers skrb's layers
    return {
        name
        for name, obj in keras.saving.get_custom_objects().items()
        if getattr(obj, "__module__", "").split(".")[0] == "skrb"
    }


def _check_config(node: Any, allowed: set[str], where: str) -> None:
    if isinstance(node, list):
        for item in node:
            _check_config(item, allowed, where)
        return
    if not isinstance(node, dict):
        return
    if "module" in node or "registered_name" in node:
        module = node.get("module")
        class_name = node.get("class_name")
        registered = node.get("registered_name")
        keras_own = isinstance(module, str) and (module == "keras" or module.startswith("keras."))
        function = (
            module == "builtins"
            and class_name == "function"
            and isinstance(node.get("config"), str)
        )
        custom = registered in allowed
        if class_name in ("__lambda__", "Lambda") or not (keras_own or function or custom):
            shown = registered if registered and registered != class_name else class_name
            raise NetworkError(
                f"its network configuration names {module}.{shown} in {where}, which is "
                "neither a Keras class nor a layer registered by skrb."
            )
    for value in node.values():
        _check_config(value, allowed, where)


def check_keras_archive(path: Path) -> None:
    """Check a ``.keras`` archive's members, sizes and configuration; raise ``NetworkError``."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if names != _KERAS_MEMBERS or len(infos) != len(names):
                raise NetworkError(
                    f"its network archive holds {sorted(names)}, not Keras' "
                    f"{sorted(_KERAS_MEMBERS)}."
                )
            if sum(info.file_size for info in infos) > MAX_NETWORK_BYTES:
                raise NetworkError(
                    f"its network is larger than the {MAX_NETWORK_BYTES // 2**30} GiB limit."
                )
            for member in ("config.json", "metadata.json"):
                if archive.getinfo(member).file_size > _MAX_CONFIG_BYTES:
                    raise NetworkError(f"its network's {member} is implausibly large.")
            config = json.loads(archive.read("config.json"))
            json.loads(archive.read("metadata.json"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, json.JSONDecodeError, UnicodeError) as exc:
        raise NetworkError(f"its network archive is damaged ({exc}).") from exc
    _check_config(config, _skrb_custom_objects(), "config.json")


def copy_bounded(source: IO[bytes], target: IO[bytes], limit: int) -> int:
    """Copy at most ``limit`` bytes; raise ``NetworkError`` if the source holds more."""
    copied = 0
    while chunk := source.read(2**20):
        copied += len(chunk)
        if copied > limit:
            raise NetworkError(f"its network is larger than the {limit} bytes limit.")
        target.write(chunk)
    return copied


def load_network(archive: zipfile.ZipFile, member: str) -> Any:
    """Load the ``.keras`` network ``member`` of an open model file, checked, in safe mode."""
    import keras

    directory = Path(tempfile.mkdtemp(prefix="skrb-network-"))
    try:
        path = directory / "network.keras"
        with archive.open(member) as source, path.open("wb") as target:
            copy_bounded(source, target, MAX_NETWORK_BYTES)
        check_keras_archive(path)
        try:
            with warnings.catch_warnings():
                # a network saved before any training has an unbuilt optimiser: nothing to load
                warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")
                return keras.saving.load_model(path, compile=True, safe_mode=True)
        except Exception as exc:  # Keras reports bad files with many exception types
            raise NetworkError(f"Keras cannot load its network {member} ({exc}).") from exc
    finally:
        shutil.rmtree(directory, ignore_errors=True)
