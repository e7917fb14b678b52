"""Optional dependencies: one clear "install skrb[extra]" error instead of a deep ImportError.

TensorFlow is not a hard requirement of skrb, so that CPU users (``skrb[cpu]``, the
``tensorflow-cpu`` build) and GPU users (``skrb[gpu]``, ``tensorflow[and-cuda]``) each get their
own build without the two conflicting. SHAP (``skrb[shap]``), Dask (``skrb[dask]``) and Spark
(``skrb[spark]``) are needed only by the functions that use them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRAS", "missing_dependency", "require"]

EXTRAS: dict[str, tuple[str, str]] = {
    "tensorflow": ("cpu", "skrb's models"),
    "keras": ("cpu", "skrb's models"),
    "shap": ("shap", "SHAP values"),
    "dask": ("dask", "Scoring on a Dask cluster"),
    "distributed": ("dask", "Scoring on a Dask cluster"),
    "pyspark": ("spark", "Scoring with Spark"),
    "pandas": ("spark", "Scoring with Spark"),  # skrb.distributed's only user of pandas
}
"""Top-level module -> (extra that installs it, what needs it)."""


def missing_dependency(exc: ImportError) -> ImportError | None:
    """Return the clear error for an ImportError of an optional dependency (None otherwise).

    Parameters
    ----------
    exc : ImportError
        The error raised while importing.

    Returns
    -------
    error : ImportError or None
        ``"<what> needs <module>, which is not installed: pip install 'skrb[<extra>]'"``, or None
        when ``exc`` is not about a module of :data:`EXTRAS`.
    """
    name = (getattr(exc, "name", None) or "").split(".")[0]
    if name not in EXTRAS or not isinstance(exc, ModuleNotFoundError):
        return None
    extra, what = EXTRAS[name]
    gpu = " (or 'skrb[gpu]' for an NVIDIA GPU)" if extra == "cpu" else ""
    return ImportError(
        f"{what}: needs {name}, which is not installed. Install it with: "
        f"pip install 'skrb[{extra}]'{gpu}"
    )


def require(module: str) -> ModuleType:
    """Import an optional dependency, or raise the clear "install skrb[extra]" ImportError.

    Parameters
    ----------
    module : str
        The module to import (its top-level package must be in :data:`EXTRAS`).

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        If it is not installed, naming the extra that installs it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        error = missing_dependency(exc)
        if error is None:
            raise
        raise error from exc
