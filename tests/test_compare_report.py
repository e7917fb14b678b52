"""The report writer on a comparison of plain scikit-learn estimators (no TensorFlow)."""

import json

import matplotlib
import numpy as np
import pytest
from astropy.table import Table
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from skrb.model_selection import compare_models
from skrb.report import (
    Document,
    SaliencySection,
    plot_confusion_matrices,
    plot_learning_curves,
    plot_roc_curves,
    write_report,
)

matplotlib.use("Agg")


class HistoryClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        self.history_ = {"loss": [0.7, 0.5, 0.4], "val_loss": [0.8, 0.6, 0.5]}
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


@pytest.fixture
def result(rng):
    y = np.repeat([0, 1], 40)
    X = rng.normal(size=(80, 3)) + y[:, None]
    models = {"keras-like": HistoryClassifier(), "dummy": DummyClassifier()}
    return compare_models(models, X, y, cv=4, random_state=0, progress=False)


def test_confusion_figure_shows_pooled_counts(result):
    fig = plot_confusion_matrices(result)
    assert len(fig.axes) == 2
    texts = [t.get_text() for t in fig.axes[0].texts]
    (tp, fn), (fp, tn) = result.confusion_matrix("keras-like")
    assert [int(t.split("\n")[0]) for t in texts] == [tp, fn, fp, tn]


def test_roc_figure_has_a_curve_per_model_and_fold(result):
    fig = plot_roc_curves(result)
    roc, mdr = fig.axes
    # 4 thin fold curves + 1 pooled curve per model, plus the chance line
    assert len(roc.lines) == 2 * (4 + 1) + 1
    assert mdr.get_xscale() == "log"
    labels = roc.get_legend_handles_labels()[1]
    assert labels[0].startswith("keras-like (mean AUC")


def test_learning_curves_only_for_models_with_history(result):
    fig = plot_learning_curves(result)
    assert fig is not None
    keras_ax, dummy_ax = fig.axes[:2]
    assert len(keras_ax.lines) == 2 * 4  # train + validation per fold
    assert not dummy_ax.lines
    result.histories = {name: [None] * 4 for name in result.model_names}
    assert plot_learning_curves(result) is None


def test_write_report(result, tmp_path):
    page = write_report(result, tmp_path / "rep", description={"data": "toy"})
    directory = page.parent
    payload = json.loads((directory / "metrics.json").read_text())
    assert payload["description"] == {"data": "toy"}
    assert payload["models"]["keras-like"]["histories"][0]["loss"] == [0.7, 0.5, 0.4]
    assert payload["models"]["dummy"]["summary"]["roc_auc_mean"] == pytest.approx(0.5)
    summary = Table.read(directory / "metrics.csv", format="ascii.csv")
    assert summary["accuracy_mean"][0] == pytest.approx(result.summary()["accuracy_mean"][0])
    text = page.read_text()
    for figure in ("confusion_matrices", "roc_curves", "learning_curves"):
        assert (directory / "figures" / f"{figure}.png").exists()
        assert f"figures/{figure}.png" in text
    assert "| keras-like |" in text and "Nadeau-Bengio" in text
    # writing again replaces the files
    write_report(result, directory)
    assert json.loads((directory / "metrics.json").read_text())["description"] == {}


def test_saliency_section_needs_fitted_estimators(result):
    doc = Document("t")
    SaliencySection(result, np.zeros((80, 3)))(doc, ".")
    assert "return_estimators=True" in doc.to_markdown()


def test_document_escapes_html():
    doc = Document("a < b").paragraph("x & y").table(["h"], [["<td>"]])
    html = doc.to_html()
    assert "<h1>a &lt; b</h1>" in html
    assert "x &amp; y" in html and "&lt;td&gt;" in html


def test_markdown_table_cells_escape_pipes():
    md = Document("t").table(["share of |a|"], [["x|y"]]).to_markdown()
    assert "| share of \\|a\\| |" in md
    assert "| x\\|y |" in md


def test_example_indices_follow_the_papers_outcome_order():
    from skrb.report import example_indices

    y_true = [0, 0, 1, 1, 1, 0, 1]
    y_pred = [0, 1, 0, 1, 1, 0, 0]
    # real>real (3, 4), real>bogus (2, 6), bogus>real (1), bogus>bogus (0, 5)
    assert example_indices(y_true, y_pred, per_outcome=2) == [3, 4, 2, 6, 1, 0, 5]
    assert example_indices(y_true, y_pred, per_outcome=0) == []


def test_write_csv_keeps_full_precision_and_leaves_the_table_alone(tmp_path):
    from astropy.table import Table

    from skrb.report import write_csv

    table = Table({"model": ["DIA"], "mdr": [0.0123456789]})
    table["mdr"].format = "{:.1%}"
    path = write_csv(table, tmp_path / "m.csv")
    assert Table.read(path, format="ascii.csv")["mdr"][0] == pytest.approx(0.0123456789)
    assert table["mdr"].format == "{:.1%}"


def test_preformatted_text_is_kept_verbatim_and_escaped():
    doc = Document("t").preformatted("a  <b>\n  c")
    assert "```\na  <b>\n  c\n```" in doc.to_markdown()
    assert "a  &lt;b&gt;\n  c" in doc.to_html() and "<pre>" in doc.to_html()
