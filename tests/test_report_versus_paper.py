"""The report sets the paper beside the results, warns about unsound models, reads the tests."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from skrb.model_selection import compare_models
from skrb.report import PAPER, Document, write_report
from skrb.report._diagnostics import expected_calibration_error, model_warnings
from skrb.report._versus_paper import disagreements


class Overconfident(ClassifierMixin, BaseEstimator):
    """Right 75 % of the time, always with P = 0.99 for its choice: badly calibrated."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = np.where(X[:, 0] > 0, 0.99, 0.01)
        return np.column_stack([1 - p, p])


@pytest.fixture
def data(rng):
    y = np.repeat([0, 1], 60)
    X = rng.normal(size=(120, 2)) + 1.2 * (2 * y[:, None] - 1)
    return X, y


def test_paper_numbers_are_the_published_confusion_matrices():
    dia, nodia = PAPER["DIA"], PAPER["noDIA"]
    assert (round(dia.accuracy, 3), round(dia.mdr, 3), round(dia.fpr, 3)) == (0.959, 0.051, 0.031)
    assert (round(nodia.accuracy, 4), round(nodia.fpr, 3)) == (0.9155, 0.078)
    assert nodia.roc_auc == 0.973 and dia.roc_auc is None
    assert dia.winner("bogus > bogus") == "difference"
    assert nodia.winner("real > real") == "template"


def test_disagreements_name_metric_and_ordering(data):
    X, y = data
    models = {"DIA": DummyClassifier(), "noDIA": LogisticRegression()}
    result = compare_models(models, X, y, cv=3, random_state=0, progress=False)
    found = disagreements(result)
    assert any(s.startswith("DIA: accuracy 0.500 here, 0.959 in the paper") for s in found)
    assert any("ordering does not hold" in s for s in found)


def test_warnings_for_degenerate_and_miscalibrated_models(data):
    X, y = data
    models = {
        "flat": DummyClassifier(),
        "always real": DummyClassifier(strategy="constant", constant=1),
        "overconfident": Overconfident(),
        "sound": LogisticRegression(),
    }
    result = compare_models(models, X, y, cv=3, random_state=0, progress=False)
    found = model_warnings(result)
    assert any(s.startswith("flat is degenerate") for s in found)
    assert any(s.startswith("always real is degenerate") for s in found)
    assert any(s.startswith("overconfident is badly calibrated") for s in found)
    assert not any(s.startswith("sound") for s in found)


def test_expected_calibration_error_of_a_calibrated_score(rng):
    p = rng.uniform(size=20000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.02
    assert expected_calibration_error(y, np.where(p > 0.5, 1.0, 0.0)) > 0.2


def test_report_has_the_paper_table_warnings_and_plain_reading_of_tests(data, tmp_path):
    X, y = data
    models = {"DIA": LogisticRegression(), "noDIA": DummyClassifier()}
    result = compare_models(models, X, y, cv=3, random_state=0, progress=False)
    page = write_report(result, tmp_path, description={"versus the paper": "tiny toy run."})
    text = page.read_text()
    assert "## The paper beside these results" in text
    assert "| DIA | paper | 0.959 | 5.1 % | 3.1 % | n/a |" in text
    assert "| noDIA | paper | 0.9155 | 9.1 % | 7.8 % | 0.973 |" in text
    assert "This run: tiny toy run." in text
    assert "Warning: noDIA is degenerate" in text
    assert "would the accuracy difference hold if the models were trained again" in text
    assert "DIA vs noDIA: on these test stamps DIA is significantly more accurate" in text
    assert "mdr@fpr=1% (fold mean)" in text
    assert "nan" not in text.lower().replace("nadeau", "")
    html = (tmp_path / "report.html").read_text()
    assert '<a href="metrics.json">metrics.json</a>' in html
    assert '<div class="table-wrap"><table>' in html


def test_document_links_render_in_both_formats():
    doc = Document("t").paragraph("see [a.csv](a.csv) & more")
    assert "see [a.csv](a.csv) & more" in doc.to_markdown()
    assert 'see <a href="a.csv">a.csv</a> &amp; more' in doc.to_html()


def test_single_split_report_says_test_set_not_folds(rng, tmp_path):
    y = np.repeat([0, 1], 60)
    X = rng.normal(size=(120, 2)) + 4 * (2 * y[:, None] - 1)  # separable: accuracy 1.0
    result = compare_models(
        {"DIA": LogisticRegression()}, X, y, cv=0.25, random_state=0, progress=False
    )
    gap = "12 training stamps per fit, on skrb's simulated stamps."
    text = write_report(result, tmp_path, description={"versus the paper": gap}).read_text()
    assert "Confusion matrices on the test set" in text
    assert "pooled over" not in text and "fold mean" not in text
    assert "Fit time (s, wall clock)" in text
    assert "DIA beats the paper's accuracy: on simulated stamps" in text


@pytest.mark.parametrize("names", [("DIA",), ("DIA", "noDIA")])
def test_agreement_claims_the_ordering_only_when_both_models_ran(data, names, monkeypatch):
    import skrb.report._versus_paper as versus

    monkeypatch.setattr(versus, "disagreements", lambda result: [])  # everything agrees
    X, y = data
    models = {name: LogisticRegression() for name in names}
    result = compare_models(models, X, y, cv=2, random_state=0, progress=False)
    doc = Document("test")
    versus.paper_section(doc, result)
    text = doc.to_markdown()
    assert "agrees with the paper's" in text
    assert ("DIA leads noDIA" in text) == (len(names) == 2)
