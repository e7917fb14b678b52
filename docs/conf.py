"""Sphinx configuration of the skrb documentation.

Build with ``make docs`` (``python -m sphinx -W --keep-going -b html docs docs/_build/html``):
warnings are errors, the API reference is generated from each sub-package's ``__all__`` (see
:mod:`_apigen`) and sphinx-gallery executes every ``examples/plot_*.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document (and run the gallery against) this checkout
sys.path.insert(0, str(DOCS))

# Quiet TensorFlow's C++ start-up chatter; keep oneDNN on (it is the fast CPU path).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Examples and autodoc never need a display.
os.environ.setdefault("MPLBACKEND", "Agg")

import _apigen  # noqa: E402
import _clihelp  # noqa: E402
from _gallery_order import NEEDS_SHARED_DATA, executed_pattern  # noqa: E402

import skrb  # noqa: E402

# -- Project -----------------------------------------------------------------------------------
project = "skrb"
author = "The skrb developers"
copyright = "2026, The skrb developers"
version = release = skrb.__version__

# -- General -----------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# Intersphinx (links to numpy, scikit-learn and astropy). Sphinx downloads the inventories when
# the build starts, and an unreachable one is a plain warning (an error under -W, which
# `suppress_warnings` cannot silence): CI, which reaches nothing but PyPI, would fail. So each
# project is linked only where that works offline: from an inventory saved as
# docs/_intersphinx/<name>.inv, or from the web when SKRB_DOCS_INTERSPHINX=1 (a build with
# network access). Keras publishes no Sphinx inventory, so it cannot be linked this way.
INTERSPHINX_SITES = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "sklearn": "https://scikit-learn.org/stable/",
    "astropy": "https://docs.astropy.org/en/stable/",
}
_online = os.environ.get("SKRB_DOCS_INTERSPHINX") == "1"
intersphinx_mapping = {
    name: (url, str(DOCS / "_intersphinx" / f"{name}.inv") if not _online else None)
    for name, url in INTERSPHINX_SITES.items()
    if _online or (DOCS / "_intersphinx" / f"{name}.inv").is_file()
}
if intersphinx_mapping:
    extensions.append("sphinx.ext.intersphinx")

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
default_role = "py:obj"
nitpicky = False

# autodoc / autosummary: one page per public name, generated from the API index.
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc's Parameters section already gives the types
autodoc_default_options = {"inherited-members": True}

# numpydoc: render numpy-style docstrings and check that every public name has a docstring
# with an Examples section (the project standard); the inherited scikit-learn / SciKeras
# methods (fit, get_params, ...) keep their upstream docstrings and are not checked.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
numpydoc_validation_checks = _apigen.VALIDATION_CHECKS
numpydoc_validation_exclude = _apigen.validation_exclude()
numpydoc_validation_overrides = dict(_apigen.VALIDATION_OVERRIDES)

# -- Examples gallery --------------------------------------------------------------------------
# Real data (ZTF alerts, published checkpoints) live in ../shared/data beside the repository, or
# where $SKRB_SHARED_DATA says. Examples that need them are shown without being run where absent.
SHARED_DATA = Path(os.environ.get("SKRB_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED_DATA.is_dir():
    print(f"skrb docs: {SHARED_DATA} is absent: not running {', '.join(NEEDS_SHARED_DATA)}")

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": executed_pattern(SHARED_DATA.is_dir()),
    "within_subsection_order": "_gallery_order.ReadingOrder",
    "doc_module": ("skrb",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "min_reported_time": 1,
    "show_memory": False,
    "matplotlib_animations": False,
}

# -- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skrb {release}"
html_static_path = ["_static"]
html_css_files = ["skrb.css"]  # wide tables scroll instead of being cut off
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "api": [], "auto_examples/index": []}
html_show_sourcelink = False


def setup(app):
    _apigen.setup(app)
    _clihelp.setup(app)
