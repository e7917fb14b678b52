"""Every public name's docstring passes the numpydoc checks that ``make docs`` enforces.

The same checks, exclusions and overrides as docs/conf.py (from docs/_apigen.py), run without
building the docs, so a missing parameter or return description fails here first.
"""

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpydoc", reason="the docs extra (numpydoc) is not installed")
from numpydoc.validate import validate  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
import _apigen  # noqa: E402


def _public_names():
    for module_name in _apigen.documented_modules():
        module = importlib.import_module(module_name)
        for name in _apigen.public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or _apigen.kind_of(obj) == "data":
                continue
            yield f"{module_name}.{name}"


def _errors(name):
    if any(re.search(pattern, name) for pattern in _apigen.validation_exclude()):
        return []
    report = validate(name)
    overrides = {k: re.compile("|".join(v)) for k, v in _apigen.VALIDATION_OVERRIDES.items()}
    return [
        f"{code}: {message}"
        for code, message in report["errors"]
        if code in _apigen.VALIDATION_CHECKS
        and not (code in overrides and overrides[code].search(report["docstring"]))
    ]


def test_public_docstrings_pass_numpydoc_validation():
    failures = {name: errors for name in _public_names() if (errors := _errors(name))}
    assert not failures, "\n".join(f"{name}: {errors}" for name, errors in failures.items())


def test_the_checks_can_fail():
    def undocumented(a, b):  # noqa: D103
        return a

    undocumented.__doc__ = "Summary line.\n\nExamples\n--------\n>>> 1\n1\n"
    sys.modules[__name__].undocumented = undocumented
    codes = {code for code, _ in validate(f"{__name__}.undocumented")["errors"]}
    assert {"PR01", "RT01"} <= codes
