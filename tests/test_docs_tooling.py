"""The documentation's own tooling: the API reference lists every public name, constants keep
their docstrings, inherited framework members stay out, the CLI help is taken from the parser,
and the gallery keeps its reading order. The full build (``make docs``) runs in CI."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs extra (sphinx) is not installed")

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS))

import _apigen  # noqa: E402
import _clihelp  # noqa: E402
import _gallery_order  # noqa: E402

import skrb  # noqa: E402


def _section(text: str, module: str) -> str:
    """The part of the API page that documents ``module``."""
    start = text.index(f".. currentmodule:: {module}\n")
    end = text.find(".. automodule::", start)
    return text[start : end if end != -1 else len(text)]


def test_api_reference_lists_every_public_name_of_every_subpackage():
    text = _apigen.render_api_reference()
    subpackages = [
        n for n in skrb.__all__ if not n.startswith("__") and importlib.util.find_spec(f"skrb.{n}")
    ]
    assert subpackages, "skrb exposes no sub-package"
    for name in subpackages:
        module = importlib.import_module(f"skrb.{name}")
        section = _section(text, module.__name__)
        for public in module.__all__:
            if public.startswith("__") or inspect.ismodule(getattr(module, public)):
                continue
            assert f"\n   {public}\n" in section, f"skrb.{name}.{public} missing from api.rst"


def test_api_reference_has_the_top_level_names():
    section = _section(_apigen.render_api_reference(), "skrb")
    for name in ("PANELS", "make_dia_pipeline", "make_nodia_pipeline", "make_braai_pipeline"):
        assert f"\n   {name}\n" in section


def test_each_name_gets_the_template_of_its_kind():
    assert _apigen.kind_of(skrb.PANELS) == "data"
    assert _apigen.kind_of(skrb.make_dia_pipeline) == "function"
    from skrb.preprocessing import StampStacker

    assert _apigen.kind_of(StampStacker) == "class"


def test_reexported_constant_gets_its_own_docstring_not_its_types():
    doc = _apigen.attribute_docstring(skrb.PANELS, "PANELS")
    assert doc is not None
    assert "Panel order" in " ".join(doc)
    lines = list(tuple.__doc__.splitlines())
    _apigen.use_source_docstring_for_constants(None, "data", "skrb.PANELS", skrb.PANELS, {}, lines)
    assert "Built-in immutable sequence" not in " ".join(lines)


def test_inherited_framework_members_are_skipped_and_sklearn_api_kept():
    import keras
    from sklearn.base import BaseEstimator

    from skrb.preprocessing import StampStacker

    skip = _apigen.skip_inherited_machinery
    assert skip(None, "class", "add_weight", keras.layers.Layer.add_weight, False, {}) is True
    assert skip(None, "class", "set_output", StampStacker.set_output, False, {}) is True
    assert skip(None, "class", "set_transform_request", None, False, {}) is True
    assert skip(None, "class", "fit", StampStacker.fit, False, {}) is None
    assert skip(None, "class", "get_params", BaseEstimator.get_params, False, {}) is None
    assert skip(None, "module", "add_weight", keras.layers.Layer.add_weight, False, {}) is None


@pytest.mark.parametrize(
    ("command", "expected"),
    [((), "compare"), (("compare",), "--protocol"), (("score",), "--checkpoint")],
)
def test_cli_help_comes_from_the_parser(command, expected):
    text = _clihelp.command_help(*command)
    assert text.startswith("usage: skrb")
    assert expected in text


def test_gallery_reading_order_puts_known_examples_first_then_by_name():
    key = _gallery_order.ReadingOrder("examples")
    names = ["plot_zzz_new.py", "plot_score_ztf_alerts.py", "plot_aaa_new.py"]
    names += ["plot_dia_vs_nodia_cv.py", "plot_simulated_stamps.py"]
    assert sorted(names, key=key) == [
        "plot_simulated_stamps.py",
        "plot_dia_vs_nodia_cv.py",
        "plot_score_ztf_alerts.py",
        "plot_aaa_new.py",
        "plot_zzz_new.py",
    ]


@pytest.mark.parametrize("present", [True, False])
def test_gallery_runs_the_shared_data_examples_only_where_the_data_are(present):
    import re

    pattern = re.compile(_gallery_order.executed_pattern(present))
    folder = "/repo/examples/"
    assert pattern.search(folder + "plot_dia_vs_nodia_cv.py")
    assert pattern.search(folder + "plot_score_ztf_alerts_extra.py")
    assert not pattern.search(folder + "README.rst")
    for name in _gallery_order.NEEDS_SHARED_DATA:
        assert bool(pattern.search(folder + name)) is present


def test_api_reference_file_holds_the_rendered_page(tmp_path):
    class App:
        srcdir = tmp_path

    _apigen.write_api_reference(App())
    assert (tmp_path / "api.rst").read_text(encoding="utf-8") == _apigen.render_api_reference()
