import numpy as np
import pytest
from sklearn.metrics import recall_score, roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from skrb.metrics import (
    false_positive_rate,
    fpr_at_mdr,
    mdr_at_fpr,
    missed_detection_rate,
    real_bogus_confusion_matrix,
    real_bogus_report,
    real_bogus_scorers,
)


@pytest.fixture
def scored(rng):
    y = rng.integers(0, 2, 300)
    y[:2] = [0, 1]
    score = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.3, y.size), 0, 1)
    return y, score


def test_mdr_and_fpr_match_sklearn_recall(scored):
    y, score = scored
    pred = (score >= 0.5).astype(int)
    assert missed_detection_rate(y, pred) == pytest.approx(1 - recall_score(y, pred))
    assert false_positive_rate(y, pred) == pytest.approx(1 - recall_score(y, pred, pos_label=0))


def test_pos_label_string_labels():
    y = np.array(["real", "real", "bogus", "bogus"])
    pred = np.array(["real", "bogus", "real", "bogus"])
    assert missed_detection_rate(y, pred, pos_label="real") == 0.5
    assert false_positive_rate(y, pred, pos_label="real") == 0.5


def test_rates_are_nan_without_the_class():
    assert np.isnan(missed_detection_rate([0, 0], [1, 0]))
    assert np.isnan(false_positive_rate([1, 1], [1, 0]))


def test_confusion_matrix_orientation_is_real_first(scored):
    y, score = scored
    pred = (score >= 0.5).astype(int)
    cm = real_bogus_confusion_matrix(y, pred)
    assert cm.sum() == y.size
    assert cm[0].sum() == np.sum(y == 1)
    assert cm[0, 1] / cm[0].sum() == pytest.approx(missed_detection_rate(y, pred))
    assert cm[1, 0] / cm[1].sum() == pytest.approx(false_positive_rate(y, pred))


def _brute_force_mdr_at_fpr(y, score, level):
    best = 1.0
    for t in np.r_[np.unique(score), np.inf]:
        pred = (score >= t).astype(int)
        if false_positive_rate(y, pred) <= level:
            best = min(best, missed_detection_rate(y, pred))
    return best


@pytest.mark.parametrize("level", [0.0, 0.01, 0.03, 0.1, 0.5])
def test_mdr_at_fpr_equals_best_threshold(scored, level):
    y, score = scored
    assert mdr_at_fpr(y, score, level) == pytest.approx(_brute_force_mdr_at_fpr(y, score, level))


def test_mdr_at_fpr_decreases_with_fpr_budget(scored):
    y, score = scored
    values = [mdr_at_fpr(y, score, f) for f in np.linspace(0, 1, 21)]
    assert np.all(np.diff(values) <= 0)
    assert values[-1] == 0.0


def test_fpr_at_mdr_is_consistent_with_mdr_at_fpr(scored):
    y, score = scored
    f = fpr_at_mdr(y, score, 0.05)
    assert mdr_at_fpr(y, score, f) <= 0.05 + 1e-12


def test_perfect_scores():
    y = [0, 0, 1, 1]
    assert mdr_at_fpr(y, [0.1, 0.2, 0.8, 0.9], 0.0) == 0.0
    assert fpr_at_mdr(y, [0.1, 0.2, 0.8, 0.9], 0.0) == 0.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mdr_at_fpr([1, 1], [0.2, 0.3]), "both real and bogus"),
        (lambda: mdr_at_fpr([0, 1], [0.2, np.nan]), "NaN"),
        (
            lambda: mdr_at_fpr([0, 1], [0.2, 0.3], fpr=1.5),
            r"'fpr' parameter of mdr_at_fpr must be a float in the range \[0.0, 1.0\]",
        ),
        (lambda: missed_detection_rate([0, 1], [1]), "1 values"),
        (lambda: missed_detection_rate([], []), "empty"),
        (lambda: real_bogus_report([0, 1, 2], [0.1, 0.2, 0.3]), "binary"),
        (lambda: real_bogus_report([3, 5], [0.1, 0.2]), "1 = real"),
    ],
)
def test_bad_input_gets_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_report_is_consistent(scored):
    y, score = scored
    rep = real_bogus_report(y, score, threshold=0.5, fpr_levels=(0.01, 0.03))
    assert rep["roc_auc"] == pytest.approx(roc_auc_score(y, score))
    assert rep["tp"] + rep["fn"] + rep["fp"] + rep["tn"] == y.size
    assert rep["accuracy"] == pytest.approx((rep["tp"] + rep["tn"]) / y.size)
    assert rep["mdr@fpr=1%"] >= rep["mdr@fpr=3%"]


def test_scorers_work_in_grid_search(scored):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    y, score = scored
    X = score[:, None]
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, scoring=real_bogus_scorers(), refit="neg_mdr"
    )
    search.fit(X, y)
    res = search.cv_results_
    assert np.all(res["mean_test_neg_mdr@fpr=1%"] <= 0)
    assert np.all(res["mean_test_neg_mdr@fpr=1%"] <= res["mean_test_neg_mdr@fpr=3%"] + 1e-12)


def test_fpr_level_name_names_the_rate_and_rejects_bad_rates():
    from skrb.metrics import fpr_level_name

    assert fpr_level_name(0.03) == "mdr@fpr=3%"
    assert fpr_level_name(0.001) == "mdr@fpr=0.1%"
    with pytest.raises(ValueError):
        fpr_level_name(1.5)


@pytest.mark.parametrize("metric", [missed_detection_rate, false_positive_rate])
def test_label_metrics_refuse_probabilities(metric):
    with pytest.raises(ValueError, match="y_pred holds continuous values.*predict"):
        metric([0, 1, 1, 0], [0.1, 0.9, 0.7, 0.2])
    with pytest.raises(ValueError, match="y_true holds continuous values"):
        metric([0.1, 0.9, 0.7, 0.2], [0, 1, 1, 0])
    with pytest.raises(ValueError, match="NaN"):
        metric([0, 1, 1, 0], [0, 1, np.nan, 0])


@pytest.mark.parametrize(
    "metric", [missed_detection_rate, false_positive_rate, real_bogus_confusion_matrix]
)
def test_label_metrics_refuse_what_they_cannot_mean(metric):
    with pytest.raises(ValueError, match="two classes; y_true and y_pred hold 3 labels: 0, 1, 2"):
        metric([0, 0, 1, 1], [1, 2, 2, 1])
    strings = np.array(["real", "real", "bogus", "bogus"])
    with pytest.raises(ValueError, match="pos_label=1 is not a label .*'bogus', 'real'"):
        metric(strings, strings)
    with pytest.raises(ValueError, match="labels of one kind"):
        metric(strings, [1, 0, 1, 0])
    with pytest.raises(InvalidParameterError, match="'pos_label' parameter"):
        metric([0, 1], [0, 1], pos_label=None)
    # numeric 0/1 labels with only bogus candidates are still meaningful
    metric([0, 0], [0, 0])


@pytest.mark.parametrize("metric", [mdr_at_fpr, fpr_at_mdr])
def test_score_metrics_refuse_bad_rates_and_labels(metric):
    y, score = [0, 1, 1, 0], [0.1, 0.9, 0.7, 0.2]
    name = "fpr" if metric is mdr_at_fpr else "mdr"
    for bad in (1.5, -0.1):
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {metric.__name__}"):
            metric(y, score, bad)
    with pytest.raises(ValueError, match="pos_label=1 is not a label of y_true"):
        metric(["r", "b", "r", "b"], score)
    assert metric(["r", "b", "r", "b"], [0.9, 0.1, 0.8, 0.2], pos_label="r") == 0.0
    with pytest.raises(ValueError, match="y_true holds continuous values"):
        metric(score, score)


def test_report_and_scorers_refuse_bad_levels():
    with pytest.raises(InvalidParameterError, match="'fpr_levels' parameter of real_bogus_report"):
        real_bogus_report([0, 1, 1, 0], [0.1, 0.9, 0.7, 0.2], fpr_levels=[2])
    with pytest.raises(InvalidParameterError, match="'fpr_levels' parameter of real_bogus_scorers"):
        real_bogus_scorers([0.01, -1])
    with pytest.raises(InvalidParameterError, match="'threshold' parameter"):
        real_bogus_report([0, 1, 1, 0], [0.1, 0.9, 0.7, 0.2], threshold=np.nan)
