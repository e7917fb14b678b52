"""The command line's plumbing: help, errors, data sources, scoring with any saved model."""

import joblib
import numpy as np
import pytest
from _stamps import stamp_set
from astropy.table import Table
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skrb.cli._simulate
from skrb.cli import CLIError, build_parser, main

COMMANDS = ["compare", "train", "score", "explain", "simulate"]


def _flatten(X):
    return np.nan_to_num(np.asarray(X).reshape(len(X), -1))


@pytest.fixture
def stamp_file(tmp_path):
    X, y = stamp_set("point", n=20, size=7)  # separable: one bright difference pixel
    path = tmp_path / "stamps.npz"
    np.savez(path, X=X, y=y)
    return path, X, y


@pytest.fixture
def model_file(tmp_path, stamp_file):
    """Any scikit-learn pipeline, pickled: read by the command line with --allow-pickle only."""
    _, X, y = stamp_file
    model = make_pipeline(FunctionTransformer(_flatten), LogisticRegression()).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    return tmp_path / "model.joblib"


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: skrb {command}" in out
    assert "examples:" in out or "example:" in out


def test_bare_skrb_prints_its_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: skrb") and "compare" in out and "simulate" in out


def test_missing_command_after_options_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--traceback"])
    assert exc.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def _one_line_error(capsys, argv, match):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert err, "expected an error message"
    assert "Traceback" not in captured.err
    assert err[-1].startswith("skrb ")
    assert match in err[-1]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["score", "nowhere.npz", "--model-file", "m.joblib", "-o", "x.csv"], "no such model"),
        (["compare", "--stamps", "nowhere.npz"], "no such stamp file"),
        (["compare", "--alerts", "nowhere/"], "no such file or directory"),
        (["compare", "--label", "drb>=0.5"], "--label only applies to --alerts"),
        (["train", "--model", "dia", "-o", "model.pkl"], ".skrb"),
        (["simulate", "-o", "stamps.txt"], ".npz"),
        (["compare", "--epochs", "0", "--stamps", "nowhere.npz"], "--epochs must be at least 1"),
        (["compare", "--n-samples", "1"], "--n-samples must be at least 2"),
    ],
)
def test_bad_paths_and_options_end_with_one_line(capsys, tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)
    _one_line_error(capsys, argv, match)


def test_unreadable_stamp_file(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not numpy")
    _one_line_error(capsys, ["compare", "--stamps", str(bad)], "not a readable .npz")


def test_stamp_file_without_labels_for_training(capsys, tmp_path, point_stamps):
    path = tmp_path / "unlabelled.npz"
    np.savez(path, X=point_stamps[0][:4])
    _one_line_error(capsys, ["train", "--stamps", str(path), "-o", "m.skrb"], "no labels")


def test_alerts_need_a_label_rule_to_compare(capsys, ztf_alert_dir):
    _one_line_error(capsys, ["compare", "--alerts", str(ztf_alert_dir)], "--label")


@pytest.mark.parametrize(
    ("rule", "match"),
    [("drb>>0.5", "cannot read the label rule"), ("nope>=1", "not in the alert metadata")],
)
def test_bad_label_rules(capsys, kowalski_alert_dir, rule, match):
    argv = ["compare", "--alerts", str(kowalski_alert_dir), "--label", rule]
    _one_line_error(capsys, argv, match)


def test_score_stamp_file_with_saved_model(capsys, tmp_path, stamp_file, model_file):
    path, X, y = stamp_file
    out = tmp_path / "scores.ecsv"
    assert (
        main(
            ["score", str(path), "--model-file", str(model_file), "-o", str(out), "--allow-pickle"]
        )
        == 0
    )
    assert "scored 20 candidates" in capsys.readouterr().out
    table = Table.read(out)
    assert len(table) == len(X)
    np.testing.assert_array_equal(table["index"], np.arange(len(X)))
    np.testing.assert_array_equal(table["label"], y)
    # P(real) is the model's own probability of class 1, computed here in-process
    expected = joblib.load(model_file).predict_proba(X)[:, 1]
    np.testing.assert_allclose(table["p_real"], expected, rtol=1e-6)
    np.testing.assert_array_equal(table["real"], table["p_real"] >= 0.5)
    # the separable toy data are scored well above chance
    assert np.mean(table["real"] == (table["label"] == 1)) > 0.8


def test_score_a_npy_stamp_file(capsys, tmp_path, stamp_file, model_file):
    _, X, _ = stamp_file
    path = tmp_path / "stamps.npy"
    np.save(path, X)
    out = tmp_path / "scores.ecsv"
    assert (
        main(
            ["score", str(path), "--model-file", str(model_file), "-o", str(out), "--allow-pickle"]
        )
        == 0
    )
    table = Table.read(out)
    assert len(table) == len(X) and "label" not in table.colnames


def test_score_to_stdout_as_csv(capsys, stamp_file, model_file):
    path, X, _ = stamp_file
    assert (
        main(["score", str(path), "--model-file", str(model_file), "-o", "-", "--allow-pickle"])
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split(",")[:3] == ["file", "index", "label"]
    assert len(lines) == len(X) + 1


def test_score_rejects_model_with_model_file(capsys, stamp_file, model_file):
    path, _, _ = stamp_file
    argv = ["score", str(path), "--model-file", str(model_file), "--model", "dia", "-o", "x.csv"]
    _one_line_error(capsys, argv, "--model applies to --checkpoint only")


def test_score_needs_a_model(capsys, stamp_file):
    path, _, _ = stamp_file
    with pytest.raises(SystemExit) as exc:
        main(["score", str(path), "-o", "x.csv"])
    assert exc.value.code == 2
    assert "--model-file" in capsys.readouterr().err


def test_traceback_flag_reraises(tmp_path):
    with pytest.raises(Exception, match="no such stamp file"):
        main(["--traceback", "compare", "--stamps", str(tmp_path / "none.npz")])


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "x.npz", "--model-file", "m.joblib", "-o", "x.csv", "--threshold", "2"],
        ["compare", "--threshold", "-0.1"],
        ["simulate", "-o", "x.npz", "--real-fraction", "lots"],
    ],
)
def test_probabilities_outside_0_1_are_usage_errors(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "expected a number in [0, 1]" in capsys.readouterr().err


def test_python_dash_m_skrb_runs_the_command_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "skrb", "score", "missing.npz", "--model-file", "m.joblib"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "the following arguments are required: -o/--output" in proc.stderr


def test_cli_errors_are_one_line_with_status_2_or_a_traceback_on_request(capsys, monkeypatch):
    args = build_parser().parse_args(["simulate", "-o", "x.npz"])
    assert args.command == "simulate" and callable(args.run)

    def fail(args):
        raise CLIError("no such\nfile: x.npz")

    monkeypatch.setattr(skrb.cli._simulate, "run", fail)  # read when the parser is built
    assert main(["simulate", "-o", "x.npz"]) == 2
    assert capsys.readouterr().err == "skrb simulate: error: no such file: x.npz\n"
    with pytest.raises(CLIError, match="no such"):
        main(["--traceback", "simulate", "-o", "x.npz"])


def test_read_warnings_are_one_skrb_line(capsys):
    import warnings

    from skrb.cli import _one_line_read_warnings
    from skrb.io import ReadWarning

    shown = []
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _one_line_read_warnings(
            "score", lambda message, *args: shown.append(str(message))
        )
        warnings.warn("Skipped 1 unreadable file:\n bad.avro: truncated", ReadWarning, stacklevel=1)
        warnings.warn("something else", UserWarning, stacklevel=1)
    assert capsys.readouterr().err.splitlines() == [
        "skrb score: warning: Skipped 1 unreadable file: bad.avro: truncated"
    ]
    assert shown == ["something else"]  # other warnings keep their usual display


def test_skrbs_own_warnings_are_notes(capsys):
    import warnings

    import skrb.report
    from skrb.cli import _one_line_read_warnings

    inside = skrb.report.__file__  # a warning raised by skrb's own code
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _one_line_read_warnings("compare", lambda *args: None)
        message = "5 sample(s) have all-zero\n attributions"
        warnings.warn_explicit(message, RuntimeWarning, inside, 1)
    assert capsys.readouterr().err == "skrb compare: note: 5 sample(s) have all-zero attributions\n"


def test_tensorflow_startup_lines_are_dropped_and_real_warnings_kept(capfd):
    import os

    from skrb.cli._quiet import startup_noise_filtered

    noise = (
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        b"I0000 port.cc:153] oneDNN custom operations are on. You may see ...\n"
        b"I0000 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use ...\n"
    )
    with startup_noise_filtered():
        os.write(2, noise + b"W0000 something real went wrong\n")
    err = capfd.readouterr().err
    assert err == "W0000 something real went wrong\n"
