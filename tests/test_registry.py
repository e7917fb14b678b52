"""The model registry: one entry per model, from which pipelines, checkpoints and CLI derive."""

import dataclasses
import inspect
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import is_classifier

import skrb
from skrb.cli._models import CHECKPOINT_MODELS, DISPLAY_NAMES, MODELS
from skrb.models import (
    StampKerasClassifier,
    _registry,  # the registry's own test edits its table
    get_model_spec,
    load_checkpoint,
    model_names,
)
from skrb.pipeline import make_pipeline


def test_names_and_errors():
    assert model_names()[:3] == ("dia", "nodia", "braai")
    with pytest.raises(ValueError, match="Unknown model 'vgg'; choose from 'dia', 'nodia'"):
        get_model_spec("vgg")
    with pytest.raises(ValueError, match="Unknown model"):
        make_pipeline("vgg")


@pytest.mark.parametrize("name", model_names())
def test_spec_is_consistent(name):
    spec = get_model_spec(name)
    assert spec.name == name
    cls = spec.classifier
    assert is_classifier(cls())
    assert cls.layout == spec.layout
    pipe = make_pipeline(name, verbose=0)
    assert [step for step, _ in pipe.steps] == ["scaler", "stacker", "classifier"]
    assert type(pipe.named_steps["classifier"]) is cls
    assert pipe.named_steps["stacker"].layout == spec.layout
    assert type(pipe.named_steps["scaler"]) is type(spec.scaler())
    assert pipe.named_steps["scaler"].get_params() == spec.scaler().get_params()
    factory = getattr(skrb, f"make_{name}_pipeline", None)
    if factory is not None:  # the documented factory is the registry's pipeline
        assert factory(verbose=0).named_steps["scaler"].get_params() == spec.scaler().get_params()


@pytest.mark.parametrize("name", model_names())
def test_input_shape_in_messages(name):
    spec = get_model_spec(name)
    if not issubclass(spec.classifier, StampKerasClassifier):
        pytest.skip(f"{spec.classifier_name} is not a StampKerasClassifier")
    clf = spec.classifier(verbose=0)
    with pytest.raises(ValueError, match=rf"images of shape {re_escape(spec.input_shape)}"):
        clf.fit(np.zeros((4, 5, 5), dtype=np.float32), [0, 1, 0, 1])


def re_escape(text):
    import re

    return re.escape(text)


def test_cli_choices_come_from_the_registry():
    assert MODELS == model_names()
    assert DISPLAY_NAMES == {n: get_model_spec(n).display_name for n in model_names()}
    assert CHECKPOINT_MODELS == tuple(n for n in MODELS if get_model_spec(n).checkpoint)
    assert {"dia", "nodia", "braai"} <= set(CHECKPOINT_MODELS)


def test_model_without_checkpoint(monkeypatch, tmp_path):
    spec = dataclasses.replace(get_model_spec("dia"), name="nockpt", checkpoint=None)
    monkeypatch.setitem(_registry._SPECS, "nockpt", spec)
    with pytest.raises(ValueError, match="'nockpt' has no published Keras HDF5 checkpoint"):
        load_checkpoint(tmp_path / "x.h5", "nockpt")
    assert make_pipeline("nockpt", verbose=0).named_steps["stacker"].layout == "dia"


def test_registry_does_not_import_tensorflow():
    code = (
        "import sys; from skrb.models import get_model_spec, model_names; "
        "import skrb.cli._models; "
        "[get_model_spec(n) for n in model_names()]; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_pipeline_factories_document_the_registry():
    # every make_<name>_pipeline of skrb is make_pipeline(name, ...)
    for name in model_names():
        factory = getattr(skrb, f"make_{name}_pipeline", None)
        if factory is not None:
            assert f'make_pipeline("{name}"' in inspect.getsource(factory)
