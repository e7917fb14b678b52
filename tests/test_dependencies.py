"""Optional dependencies fail with one clear "install skrb[extra]" message."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from skrb._dependencies import EXTRAS, missing_dependency, require

ROOT = Path(__file__).resolve().parents[1]


def _run_without(module, code):
    script = f"import sys; sys.modules[{module!r}] = None\n{code}"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_models_without_tensorflow_name_the_extra():
    out = _run_without(
        "tensorflow",
        "import skrb.models as m; print(m.model_names())\n"
        "try:\n    m.DIAClassifier\nexcept ImportError as e:\n    print('ERR', e)\n"
        "import skrb\n"  # the README's first snippet: the pipeline makers say the same
        "try:\n    skrb.make_dia_pipeline(epochs=5)\nexcept ImportError as e:\n    print('ERR', e)",
    )
    assert out.returncode == 0, out.stderr
    assert "('dia', 'nodia', 'braai'" in out.stdout  # the registry needs no TensorFlow
    message = (
        "ERR skrb's models: needs tensorflow, which is not installed. Install it with: "
        "pip install 'skrb[cpu]' (or 'skrb[gpu]' for an NVIDIA GPU)"
    )
    assert out.stdout.count(message) == 2, out.stdout


def test_shap_without_shap_names_the_extra():
    out = _run_without(
        "shap",
        "from skrb._dependencies import require\n"
        "try:\n    require('shap')\nexcept ImportError as e:\n    print('ERR', e)",
    )
    assert out.returncode == 0, out.stderr
    assert "SHAP values: needs shap, which is not installed" in out.stdout
    assert "pip install 'skrb[shap]'" in out.stdout


def test_other_import_errors_pass_through():
    assert missing_dependency(ModuleNotFoundError("x", name="not_an_extra")) is None
    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        require("no_such_module")


def test_every_extra_named_exists_in_pyproject():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert {extra for extra, _ in EXTRAS.values()} <= set(extras)
    # the test extra installs everything, so the whole suite runs
    assert {"cpu", "shap", "dask", "spark"} <= set(extras["test"][0][5:-1].split(","))
