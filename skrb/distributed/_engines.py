"""Import the optional engines with a clear message when they are not installed."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]

_EXTRAS = {"distributed": "dask", "dask": "dask", "pyspark": "spark", "pandas": "dask"}


def require(module: str, what: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the skrb extra that installs it.

    Examples
    --------
    >>> from skrb.distributed._engines import require
    >>> require("no_such_engine", "the test engine")
    Traceback (most recent call last):
    ...
    ImportError: the test engine needs no_such_engine: pip install 'skrb[no_such_engine]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = _EXTRAS.get(module.split(".")[0], module)
        raise ImportError(f"{what} needs {module}: pip install 'skrb[{extra}]'") from exc
