"""The command line end to end, driven in-process as a user would: tiny data, one epoch."""

import json

import numpy as np
import pytest
from astropy.table import Table

from skrb import load_model
from skrb.cli import main

N_SAMPLES = 48


@pytest.fixture(scope="module")
def sim_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "stamps.npz"
    argv = ["simulate", "-o", str(path), "--n-samples", str(N_SAMPLES), "--random-state", "1"]
    assert main(argv) == 0
    return path


def test_simulate_writes_stamps_labels_and_meta(sim_file):
    with np.load(sim_file) as data:
        X, y = data["X"], data["y"]
    assert X.shape == (N_SAMPLES, 3, 51, 51)
    assert X.dtype == np.float32
    assert set(np.unique(y)) == {0, 1}
    assert not np.isinf(X).any()  # NaN marks masked pixels, as in real data
    meta = Table.read(sim_file.with_suffix(".meta.ecsv"))
    assert len(meta) == N_SAMPLES


@pytest.mark.slow
def test_compare_end_to_end_with_report(sim_file, tmp_path, capsys):
    report = tmp_path / "report"
    argv = [
        "compare",
        "--stamps",
        str(sim_file),
        "--cv",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--n-examples",
        "1",
        "--report",
        str(report),
        "-q",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "DIA" in out and "noDIA" in out and "McNemar" in out
    assert "mdr@fpr=1%" in out

    payload = json.loads((report / "metrics.json").read_text())
    assert set(payload["models"]) == {"DIA", "noDIA"}
    assert payload["n_samples"] == N_SAMPLES and payload["n_folds"] == 2
    for model in payload["models"].values():
        summary, folds = model["summary"], model["folds"]
        assert len(folds) == 2
        # the summary is the mean over the folds; the folds have 24 samples each, so the mean
        # accuracy is also that of the pooled confusion matrix
        for key in ("accuracy", "roc_auc", "mdr", "fpr", "mdr@fpr=3%"):
            assert summary[f"{key}_mean"] == pytest.approx(np.mean([f[key] for f in folds]))
        matrix = np.array(model["confusion_matrix"])
        assert matrix.sum() == N_SAMPLES
        assert summary["accuracy_mean"] == pytest.approx(np.trace(matrix) / N_SAMPLES)
    test = payload["paired_tests"][0]
    assert test["models"] == ["DIA", "noDIA"]
    assert 0.0 <= test["mcnemar"]["pvalue"] <= 1.0

    summary = Table.read(report / "metrics.csv", format="ascii.csv")
    assert list(summary["model"]) == ["DIA", "noDIA"]
    assert len(Table.read(report / "folds.csv", format="ascii.csv")) == 4

    figures = sorted(p.name for p in (report / "figures").glob("*.png"))
    assert figures == [
        "confusion_matrices.png",
        "learning_curves.png",
        "panel_share_distributions.png",
        "panel_shares.png",
        "roc_curves.png",
        "saliency_dia.png",
        "saliency_nodia.png",
    ]
    page = (report / "report.md").read_text()
    for name in figures:
        assert f"figures/{name}" in page
        assert (report / "figures" / name).stat().st_size > 5000
    assert "<img" in (report / "report.html").read_text()
    assert "loss and accuracy per epoch" in page
    assert set(payload["models"]["DIA"]["histories"][0]) >= {"loss", "val_loss", "accuracy"}
    for name in ("dia", "nodia"):
        outcomes = Table.read(report / f"panel_outcomes_{name}.csv", format="ascii.csv")
        assert outcomes["n"].sum() == N_SAMPLES // 2
    nodia = Table.read(report / "panel_outcomes_nodia.csv", format="ascii.csv")
    assert "difference" not in nodia.colnames  # the noDIA model never sees it
    seen = nodia["n"] > 0
    np.testing.assert_allclose(
        (nodia["search_mean_share"] + nodia["template_mean_share"])[seen], 1, atol=1e-6
    )


@pytest.mark.slow
def test_train_score_explain_round_trip(sim_file, tmp_path, capsys):
    model = tmp_path / "nodia.skrb"
    argv = ["train", "--model", "nodia", "--stamps", str(sim_file), "--epochs", "1", "-q"]
    assert main([*argv, "-o", str(model)]) == 0
    assert "trained noDIA on 48 stamp sets" in capsys.readouterr().out

    scores = tmp_path / "scores.csv"
    assert main(["score", str(sim_file), "--model-file", str(model), "-o", str(scores)]) == 0
    table = Table.read(scores, format="ascii.csv")
    assert len(table) == N_SAMPLES
    # P(real) is the saved model's own probability of class 1, computed here in-process
    with np.load(sim_file) as data:
        expected = load_model(model).predict_proba(data["X"])[:, 1]
    np.testing.assert_allclose(table["p_real"], expected, atol=1e-6)

    out = tmp_path / "explain"
    argv = ["explain", "--model-file", str(model), "--stamps", str(sim_file), "-o", str(out)]
    assert main([*argv, "--n-examples", "2"]) == 0
    shares = Table.read(out / "panel_shares.csv", format="ascii.csv")
    assert len(shares) == N_SAMPLES
    np.testing.assert_allclose(shares["share_search"] + shares["share_template"], 1, atol=1e-6)
    # explain and score agree on P(real)
    np.testing.assert_allclose(shares["p_real"], table["p_real"], atol=1e-5)
    outcomes = Table.read(out / "outcome_table.csv", format="ascii.csv")
    assert outcomes["n"].sum() == N_SAMPLES
    for name in ("saliency.png", "panel_shares.png"):
        assert (out / name).stat().st_size > 5000


@pytest.mark.shared_data
def test_score_ztf_alerts_with_braai_checkpoint(
    ztf_alert_dir, kowalski_alert_dir, checkpoint_dir, tmp_path, capsys
):
    out = tmp_path / "braai.ecsv"
    argv = ["score", str(ztf_alert_dir), str(kowalski_alert_dir)]
    argv += ["--checkpoint", str(checkpoint_dir / "braai_d6_m7"), "--model", "braai"]
    assert main([*argv, "-o", str(out)]) == 0
    table = Table.read(out)
    n_files = sum(len(list(d.glob("*.avro"))) for d in (ztf_alert_dir, kowalski_alert_dir))
    assert len(table) == n_files  # one row per alert (one alert per file here)
    assert f"scored {n_files} candidates" in capsys.readouterr().out
    assert len(np.unique(table["candid"])) == len(table)
    assert np.all((table["p_real"] >= 0) & (table["p_real"] <= 1))
    # the kowalski alerts carry braai's own score (drb): the checkpoint reproduces every one,
    # the alerts whose templates hold ZTF's -3.4e38 mask sentinel included (braai's float32
    # row normalisation zeroed those rows; skrb score gives braai the packets' own values)
    known = ~np.ma.getmaskarray(table["drb"])
    assert known.sum() >= 30
    error = np.abs(table["p_real"][known] - np.ma.getdata(table["drb"])[known])
    assert error.max() < 0.01, np.sort(error)[-3:]


@pytest.mark.shared_data
def test_explain_alerts_without_labels(kowalski_alert_dir, checkpoint_dir, tmp_path, capsys):
    out = tmp_path / "explain"
    argv = ["explain", "--checkpoint", str(checkpoint_dir / "braai_d6_m7"), "--model", "braai"]
    argv += ["--alerts", str(kowalski_alert_dir), "-o", str(out)]
    assert main(argv) == 0
    shares = Table.read(out / "panel_shares.csv", format="ascii.csv")
    assert "candid" in shares.colnames and "label" not in shares.colnames
    outcomes = Table.read(out / "outcome_table.csv", format="ascii.csv")
    assert list(outcomes["outcome"]) == ["predicted real", "predicted bogus"]
    assert outcomes["n"].sum() == len(shares)
