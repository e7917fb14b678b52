"""Write the API reference page (``docs/api.rst``) from each sub-package's ``__all__``.

The reference therefore lists every public name by construction: a name added to a
sub-package's ``__all__`` gets its page on the next build, and a sub-package that does not exist
in this checkout is left out. Each name gets its own page through autosummary, with the
template for its kind (class, function or data) from ``docs/_templates/autosummary``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from sphinx.pycode import ModuleAnalyzer, PycodeError
from sphinx.util import logging

logger = logging.getLogger(__name__)

TITLES: dict[str, str] = {
    "skrb": "The stamp-set convention and the ready-made pipelines",
    "skrb.datasets": "Data sets: simulated stamp sets and the DES autoScan release",
    "skrb.io": "Readers: ZTF and Rubin (LSST) alert packets, FITS stamps, stamp files",
    "skrb.preprocessing": "Transformers: resizing, scaling and stacking stamp sets",
    "skrb.models": "Classifiers: the CNNs, braai, the no-difference transformers, checkpoints",
    "skrb.persistence": "Safe model files: saving and loading without pickle",
    "skrb.explain": "Explaining: saliency, SHAP and per-panel attribution",
    "skrb.metrics": "Metrics used by surveys",
    "skrb.model_selection": "Comparing models",
    "skrb.scoring": "Scoring alerts at any scale: the scoring core and streamed outputs",
    "skrb.distributed": "Scoring on a cluster: Dask and Apache Spark",
    "skrb.report": "Reports",
    "skrb.utils": "Utilities: validation, atomic outputs, TensorFlow's CPU kernels",
    "skrb.cli": "The command line",
}
"""Section titles, in the order of the page; sub-packages not named here follow, titled by the
first line of their docstring."""


def documented_modules() -> list[str]:
    """The modules with a section: ``skrb`` and every sub-package in ``skrb.__all__``."""
    import skrb

    subpackages = [f"skrb.{name}" for name in skrb.__all__ if name in skrb._SUBMODULES]
    known = [name for name in TITLES if name == "skrb" or name in subpackages]
    return known + sorted(set(subpackages) - set(known))


def title_of(module: ModuleType) -> str:
    """The section title of ``module``."""
    if module.__name__ in TITLES:
        return TITLES[module.__name__]
    summary = (inspect.getdoc(module) or module.__name__).strip().splitlines()[0]
    return summary.rstrip(".")


HEADER = """\
.. This file is written by docs/_apigen.py from each sub-package's ``__all__`` at every
   build; edit the docstrings or ``__all__``, not this file.

.. _api:

=============
API reference
=============

Every public name of skrb, grouped by sub-package, with its own page. All estimators follow
the scikit-learn API (``fit`` / ``transform`` / ``predict_proba``, ``get_params`` /
``set_params``) and take stamp sets of shape ``(n_samples, 3, H, W)`` in the panel order of
:data:`skrb.PANELS`, or their flattened form ``(n_samples, 3*H*W)``.
"""


def import_if_present(name: str) -> ModuleType | None:
    """Import module ``name``, or return None when it does not exist in this checkout."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
    if getattr(module, "__file__", None) is None:  # an empty folder: a namespace package
        return None
    return module


def public_names(module: ModuleType) -> list[str]:
    """Names a user may import from ``module``: its ``__all__``, less sub-modules and dunders."""
    names = getattr(module, "__all__", None)
    if names is None:
        logger.warning("%s has no __all__: its public names cannot be documented", module.__name__)
        return []
    public = []
    for name in names:
        if name.startswith("__"):
            continue
        try:
            obj = getattr(module, name)
        except ModuleNotFoundError as exc:  # a lazily imported sub-package not in this checkout
            if not (exc.name or "").startswith("skrb."):
                raise
            logger.info("API reference: %s.%s needs %s, left out", module.__name__, name, exc.name)
            continue
        if not inspect.ismodule(obj):
            public.append(name)
    return public


def kind_of(obj: object) -> str:
    """The autosummary template for ``obj``: ``"class"``, ``"function"`` or ``"data"``."""
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _section(module: ModuleType, title: str) -> str:
    name = module.__name__
    heading = f":mod:`{name}`: {title}"
    lines = [
        "",
        heading,
        "=" * len(heading),
        "",
        f".. automodule:: {name}",
        "   :no-members:",
        "   :no-inherited-members:",
        "",
        f".. currentmodule:: {name}",
        "",
    ]
    names = public_names(module)
    for kind, label in (("class", "Classes"), ("function", "Functions"), ("data", "Constants")):
        members = sorted(n for n in names if kind_of(getattr(module, n)) == kind)
        if not members:
            continue
        lines += [
            label,
            "-" * len(label),
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            f"   :template: autosummary/{kind}.rst",
            "   :nosignatures:",
            "",
            *(f"   {member}" for member in members),
            "",
        ]
    return "\n".join(lines)


def render_api_reference() -> str:
    """Return the text of ``api.rst`` for the sub-packages present in this checkout."""
    sections = []
    for name in documented_modules():
        module = import_if_present(name)
        if module is None:
            logger.info("API reference: %s is not in this checkout, left out", name)
            continue
        sections.append(_section(module, title_of(module)))
    return HEADER + "\n".join(sections)


def write_api_reference(app, config=None) -> None:
    """Sphinx ``config-inited`` hook: (re)write ``api.rst`` when its text changes.

    It runs before Sphinx lists the source files, so that a fresh clone (no ``api.rst`` yet)
    has the page read and its autosummary stubs generated.
    """
    path = Path(app.srcdir) / "api.rst"
    text = render_api_reference()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


VALIDATION_CHECKS = {"GL08", "EX01", "PR01", "RT01", "RT03"}
"""numpydoc checks every public name passes (``make docs`` and ``tests/test_docstrings.py``):
a docstring (GL08) with Examples (EX01), every parameter documented (PR01), a Returns section
(RT01) whose values are described (RT03)."""

VALIDATION_OVERRIDES = {
    # Dataclasses document their fields once, as Attributes (no Parameters section).
    "PR01": [r"(?ms)\A(?!.*^\s*Parameters\s*\n\s*-+\s*$).*^\s*Attributes\s*\n\s*-+\s*$"],
}
"""Check -> docstring patterns for which the check does not apply (numpydoc's overrides)."""

VALIDATION_EXCLUDED = {
    # The base classes of the networks: their parameters are documented on each subclass.
    "skrb.models.StampCNNClassifier",
    "skrb.models.StampKerasClassifier",
    "skrb.models.StampTransformerClassifier",
}
"""Public names not validated, each with its reason."""


def validation_exclude() -> set[str]:
    """Patterns of the names numpydoc does not validate (``numpydoc_validation_exclude``)."""
    return {
        r"\.[A-Z]\w*\.\w+$",  # methods and attributes of classes
        *(rf"^{re.escape(name)}$" for name in constants()),  # constants: a one-line docstring
        *(rf"^{re.escape(name)}$" for name in VALIDATION_EXCLUDED),
    }


def constants() -> list[str]:
    """Full names of the documented constants (data), which need no Examples section."""
    names = []
    for module_name in documented_modules():
        module = import_if_present(module_name)
        if module is None:
            continue
        for name in public_names(module):
            if kind_of(getattr(module, name)) == "data":
                names.append(f"{module_name}.{name}")
    return names


def attribute_docstring(obj: object, name: str) -> list[str] | None:
    """The docstring written under the assignment of constant ``name`` in skrb's sources.

    autodoc only looks for it in the module a constant is documented in; constants defined in a
    private module and re-exported (``skrb.PANELS`` from ``skrb._panels``) would otherwise show
    the docstring of their type (``tuple``).
    """
    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith("skrb") or getattr(module, name, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except PycodeError:
            continue
        if ("", name) in docs:
            return list(docs[("", name)])
    return None


def use_source_docstring_for_constants(app, what, name, obj, options, lines) -> None:
    """``autodoc-process-docstring`` hook: give re-exported constants their own docstring."""
    if what != "data" or not name.startswith("skrb."):
        return
    doc = attribute_docstring(obj, name.rsplit(".", 1)[-1])
    if doc is not None:
        lines[:] = doc
    elif lines and type(obj).__doc__ and lines[0] in type(obj).__doc__:
        lines[:] = []  # never show the docstring of the constant's type


SKLEARN_MACHINERY = re.compile(r"^(get_metadata_routing|set_output|set_\w+_request)$")
"""Inherited scikit-learn methods for metadata routing and pandas output: documented by
scikit-learn itself, and their docstrings point at labels of its own user guide."""

FRAMEWORKS = ("keras", "tensorflow", "tf_keras")
"""Packages whose inherited members (a Keras layer's dozens) are documented upstream, in
Markdown rather than reStructuredText."""


def defining_module(obj: object) -> str:
    """The module that defines ``obj`` (a function, method or property)."""
    target = obj.fget if isinstance(obj, property) else obj
    return getattr(target, "__module__", None) or ""


def skip_inherited_machinery(app, what, name, obj, skip, options) -> bool | None:
    """``autodoc-skip-member`` hook: leave out members documented by their own framework.

    scikit-learn's metadata-routing and output methods, and every member a class inherits from
    Keras or TensorFlow; the scikit-learn API methods (``fit``, ``predict_proba``, ...) stay.
    """
    if what != "class":
        return None
    if SKLEARN_MACHINERY.match(name) or defining_module(obj).split(".")[0] in FRAMEWORKS:
        return True
    return None


def setup(app: Any) -> None:
    """Connect the hooks of this module to a Sphinx application."""
    app.connect("config-inited", write_api_reference)
    app.connect("autodoc-process-docstring", use_source_docstring_for_constants)
    app.connect("autodoc-skip-member", skip_inherited_machinery)
