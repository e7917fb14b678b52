"""SciKeras' private members that skrb relies on: fail loudly when an upgrade changes them.

SciKeras is unmaintained; skrb pins it (``scikeras>=0.13,<0.14``) and uses its internals only in
``skrb/models/_scikeras.py``. This module checks the pin, each private member's signature, that
SciKeras still reads the private attributes skrb sets, and that no other module touches them.
"""

import inspect
import re
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version
from scikeras.wrappers import BaseWrapper, KerasClassifier

from skrb.models._scikeras import PRIVATE_API, SCIKERAS_VERSIONS

ROOT = Path(__file__).resolve().parents[1]


def test_installed_scikeras_is_the_tested_one():
    low, high = map(Version, SCIKERAS_VERSIONS)
    assert low <= Version(version("scikeras")) < high, (
        f"scikeras {version('scikeras')} is outside the tested range [{low}, {high}): check "
        "skrb/models/_scikeras.py against it, then move the pin in pyproject.toml."
    )


def test_pyproject_pins_the_tested_range():
    text = (ROOT / "pyproject.toml").read_text()
    pins = [Requirement(r) for r in re.findall(r'"(scikeras[^"]*)"', text)]
    assert pins, "pyproject.toml does not require scikeras"
    low, high = SCIKERAS_VERSIONS
    assert str(pins[0].specifier) in (f">={low},<{high}", f"<{high},>={low}")


def test_private_methods_keep_their_signatures():
    for name, params in PRIVATE_API.items():
        method = getattr(KerasClassifier, name, None)
        assert method is not None, f"SciKeras no longer has {name}"
        found = tuple(inspect.signature(method).parameters)
        assert found == params, f"SciKeras' {name} now takes {found}, skrb expects {params}"


def test_private_attributes_and_hooks_are_still_read():
    assert "final_build_fn = self._keras_build_fn" in inspect.getsource(BaseWrapper), (
        "SciKeras no longer builds through the _keras_build_fn hook"
    )
    build = inspect.getsource(BaseWrapper._build_keras_model)
    assert "_random_state" in build, "SciKeras no longer seeds from _random_state when building"
    fit = inspect.getsource(BaseWrapper._fit_keras_model)
    assert "_random_state" in fit, "SciKeras no longer seeds from _random_state when fitting"
    assert "_fit_callbacks" in fit, "SciKeras no longer passes _fit_callbacks to Keras' fit"
    assert "_fit_callbacks" in inspect.getsource(BaseWrapper._initialize_callbacks)


def test_skrb_hooks_do_not_shadow_scikeras_names():
    from skrb.models._scikeras import SciKerasClassifier

    ours = {n for n in vars(SciKerasClassifier) if n.startswith("_") and not n.startswith("__")}
    ours -= {*PRIVATE_API, "_keras_build_fn"}
    theirs = {name for cls in KerasClassifier.__mro__ for name in vars(cls)}
    source = inspect.getsource(inspect.getmodule(BaseWrapper))
    clashes = {n for n in ours if n in theirs or re.search(rf"\b{n}\b", source)}
    assert ours and not clashes, f"skrb hooks named like SciKeras members: {clashes}"


def test_no_other_module_touches_scikeras_internals():
    names = [*PRIVATE_API, "_keras_build_fn", "_random_state", "_fit_callbacks"]
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    offences = []
    for path in sorted((ROOT / "skrb").rglob("*.py")):
        if path.name == "_scikeras.py":
            continue
        text = path.read_text()
        offences += [f"{path.relative_to(ROOT)}: {m}" for m in set(pattern.findall(text))]
        if re.search(r"^\s*(from|import) scikeras\b", text, re.MULTILINE):
            if path.relative_to(ROOT).as_posix() not in _MAY_IMPORT_SCIKERAS:
                offences.append(f"{path.relative_to(ROOT)}: imports scikeras")
    assert not offences, "SciKeras internals outside skrb/models/_scikeras.py:\n" + "\n".join(
        offences
    )


# Public SciKeras names only (the KerasClassifier class, for isinstance checks).
_MAY_IMPORT_SCIKERAS = {"skrb/persistence/_classes.py"}
