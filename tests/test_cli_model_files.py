"""The command line reads and writes skrb model files; pickles only with --allow-pickle."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from _stamps import stamp_set

from skrb.cli import build_parser, main


class _CreatesFile:
    """A pickle payload: loading it creates a folder (as any code could)."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (os.mkdir, (self.target,))  # (open() would leave an unclosed file behind)


@pytest.fixture
def stamps(tmp_path):
    path = tmp_path / "stamps.npz"
    X, y = stamp_set("dia", n=4, size=51)  # the published models' 51-pixel stamps
    np.savez(path, X=X, y=y)
    return path


@pytest.mark.parametrize("command", ["score", "explain"])
@pytest.mark.parametrize("name", ["model.joblib", "model.skrb"])
def test_a_pickle_payload_leaves_no_file_without_allow_pickle(
    command, name, tmp_path, stamps, capsys
):
    target = tmp_path / "pwned"
    model = tmp_path / name
    model.write_bytes(pickle.dumps(_CreatesFile(target)))
    data = [str(stamps)] if command == "score" else ["--stamps", str(stamps)]
    out = tmp_path / ("s.csv" if command == "score" else "explained")
    argv = [command, *data, "--model-file", str(model), "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a Python pickle" in err[0] and "--allow-pickle" in err[0]
    assert str(model) in err[0]
    assert not target.exists() and not out.exists()


def test_allow_pickle_is_explicit_and_says_why_it_is_dangerous(tmp_path, stamps, capsys):
    help_text = build_parser()._subparsers._group_actions[0].choices["score"].format_help()
    assert "--allow-pickle" in help_text and "DANGEROUS" in help_text
    assert "runs any code" in " ".join(help_text.split())
    target = tmp_path / "pwned"
    model = tmp_path / "model.joblib"
    model.write_bytes(pickle.dumps(_CreatesFile(target)))
    argv = ["score", str(stamps), "--model-file", str(model), "-o", str(tmp_path / "s.csv")]
    assert main([*argv, "--allow-pickle"]) == 2  # the user said yes: the pickle ran
    assert target.exists()
    assert "not a classifier" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", "it is empty"), (b"PK\x05\x06" + bytes(18), "no skrb-model.json")],
)
def test_damaged_model_files_are_one_line_errors(tmp_path, stamps, capsys, content, match):
    model = tmp_path / "model.skrb"
    model.write_bytes(content)
    argv = ["score", str(stamps), "--model-file", str(model), "-o", str(tmp_path / "s.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0] and str(model) in err[0]


def test_train_checks_its_output_before_reading_data(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    argv = ["train", "--stamps", str(tmp_path / "missing.npz"), "-o", str(blocker / "m.skrb")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is not a folder" in err and "missing.npz" not in err
    folder = tmp_path / "model.skrb"
    folder.mkdir()
    assert main(["train", "--stamps", str(tmp_path / "missing.npz"), "-o", str(folder)]) == 2
    assert "is a folder; a file is needed" in capsys.readouterr().err
