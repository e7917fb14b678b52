"""Public functions validate their parameters before any work, the scikit-learn way.

Every public function of the data, scoring and cluster packages decorated with
``sklearn.utils._param_validation.validate_params`` names a constraint for each of its
parameters, and a value of the wrong type or out of range raises ``InvalidParameterError``
(a ValueError and a TypeError) naming the parameter and the function, before any file is read,
any stamp simulated or any cluster started (the required paths given here do not exist).
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    generate_valid_param,
    make_constraint,
)

# (module, function): the public functions that replaced hand-written checks by validate_params.
FUNCTIONS = [
    ("skrb.datasets", "make_stamps"),
    ("skrb.datasets", "load_autoscan"),
    ("skrb.io", "read_alerts"),
    ("skrb.io", "iter_alerts"),
    ("skrb.io", "alerts_from_records"),
    ("skrb.io", "read_fits_stamps"),
    ("skrb.scoring", "score_alerts"),
    ("skrb.scoring", "score_files"),
    ("skrb.distributed", "score_files_dask"),
    ("skrb.distributed", "score_files_spark"),
    ("skrb.distributed", "make_spark_udf"),
    ("skrb.distributed", "tf_thread_env"),
    ("skrb.distributed", "set_tf_threads"),
]

_MISSING = "no-such-file.avro"  # never read: validation comes first


class _BadType:
    """An object no constraint accepts."""


def _function(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def _parameters(func) -> dict[str, inspect.Parameter]:
    return {
        name: parameter
        for name, parameter in inspect.signature(func).parameters.items()
        if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    }


def _required(func, constraints) -> dict:
    """Valid values of the required parameters (a path that does not exist where unchecked)."""
    values = {}
    for name, parameter in _parameters(func).items():
        if parameter.default is not parameter.empty:
            continue
        if constraints[name] == "no_validation":
            values[name] = _MISSING
        else:
            values[name] = generate_valid_param(make_constraint(constraints[name][0]))
    return values


@pytest.mark.parametrize(("module", "name"), FUNCTIONS, ids=[name for _, name in FUNCTIONS])
def test_every_parameter_has_a_constraint(module, name):
    func = _function(module, name)
    constraints = getattr(func, "_skl_parameter_constraints", None)
    assert constraints is not None, f"{name} is not decorated with validate_params"
    assert set(_parameters(func)) == set(constraints), name


@pytest.mark.parametrize(("module", "name"), FUNCTIONS, ids=[name for _, name in FUNCTIONS])
def test_bad_values_raise_before_any_work(module, name):
    func = _function(module, name)
    constraints = func._skl_parameter_constraints
    required = _required(func, constraints)
    checked = 0
    for param, options in constraints.items():
        if options == "no_validation" or param not in _parameters(func):
            continue
        match = rf"The '{param}' parameter of {name} must be .* Got .* instead\."
        with pytest.raises(InvalidParameterError, match=match):
            func(**{**required, param: _BadType()})
        for constraint in map(make_constraint, options):
            try:
                bad = generate_invalid_param_val(constraint)
            except NotImplementedError:
                continue
            with pytest.raises(InvalidParameterError, match=match):
                func(**{**required, param: bad})
        checked += 1
    assert checked, f"{name} validates none of its parameters"


def test_invalid_parameter_error_keeps_old_callers_working():
    """Callers catching ValueError (or TypeError, for types) still catch a bad parameter."""
    from skrb.datasets import make_stamps

    for error in (ValueError, TypeError):
        with pytest.raises(error, match="'n_samples' parameter of make_stamps"):
            make_stamps(0)


def test_nested_read_options_are_still_checked(tmp_path):
    """score_files forwards **read_options to iter_alerts, which checks them (not skipped).

    scikit-learn names the outer function in the message: the one the user called.
    """
    from skrb.scoring import score_files

    with pytest.raises(InvalidParameterError, match="'pad' parameter of score_files must be a str"):
        score_files(tmp_path, None, pad="left")


def test_the_command_line_shows_a_bad_parameter_on_one_line(monkeypatch, tmp_path, capsys):
    """An InvalidParameterError reaching skrb's main is one line, naming parameter and function."""
    import skrb.datasets
    from skrb.cli import main

    make_stamps = skrb.datasets.make_stamps

    def with_a_bad_fraction(*args, **kwargs):  # as if a command passed on a value unchecked
        return make_stamps(*args, **{**kwargs, "real_fraction": 2.0})

    monkeypatch.setattr(skrb.datasets, "make_stamps", with_a_bad_fraction)
    assert main(["simulate", "-o", str(tmp_path / "x.npz"), "--n-samples", "4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("skrb simulate: error: The 'real_fraction' parameter of make_stamps")
    assert "Got 2.0 instead." in err
    assert not (tmp_path / "x.npz").exists()


def test_read_options_for_dask_workers_are_checked_at_the_call(tmp_path):
    """score_files_dask ships **read_options to workers: they are checked before any cluster."""
    from skrb.distributed import score_files_dask

    with pytest.raises(InvalidParameterError, match="'pad' parameter of score_files_dask"):
        score_files_dask(tmp_path, None, pad="left")
    with pytest.raises(TypeError, match=r"unknown read option\(s\) \['on_eror'\]"):
        score_files_dask(tmp_path, None, on_eror="skip")


def test_read_options_for_spark_are_checked_at_the_call(tmp_path):
    """score_files_spark checks its **read_options (a subset of the readers') before Spark."""
    pytest.importorskip("pyspark")
    pytest.importorskip("pandas")
    from skrb.distributed import score_files_spark

    with pytest.raises(InvalidParameterError, match="'pad' parameter of score_files_spark"):
        score_files_spark(tmp_path, None, pad="left")
    with pytest.raises(TypeError, match=r"spark got unknown read option\(s\) \['psf'\]"):
        score_files_spark(tmp_path, None, psf=True)  # the readers take it; Spark does not carry it


def test_score_files_dask_wants_an_output_folder_for_partitions_before_any_work(tmp_path):
    from skrb.distributed import score_files_dask

    # A missing input folder and no model: the refusal comes before the files are listed or
    # the model prepared (or a cluster started).
    with pytest.raises(ValueError, match=r"partitioned=True needs an output folder"):
        score_files_dask(tmp_path / "missing", None, partitioned=True)
