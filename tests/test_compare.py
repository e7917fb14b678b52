import json
import threading

import joblib
import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from skrb.model_selection import (
    ComparisonResult,
    compare_models,
    corrected_resampled_ttest,
    make_cv,
    mcnemar_test,
)
from skrb.report import format_comparison


@pytest.fixture
def data(rng):
    y = np.repeat([0, 1], 30)
    X = rng.normal(size=(60, 4)) + 1.5 * y[:, None]
    return X, y


class HistoryClassifier(ClassifierMixin, BaseEstimator):
    """A stand-in for a SciKeras model: records a Keras-like history_."""

    def __init__(self, epochs=3):
        self.epochs = epochs

    def fit(self, X, y):
        self.model = LogisticRegression().fit(X, y)
        self.classes_ = self.model.classes_
        self.history_ = {"loss": list(np.linspace(1, 0.5, self.epochs)), "val_loss": [0.9] * 3}
        return self

    def predict_proba(self, X):
        return self.model.predict_proba(X)


def test_models_share_folds_and_folds_partition_the_data(data):
    X, y = data
    res = compare_models(
        {"logreg": LogisticRegression(), "dummy": DummyClassifier()},
        X,
        y,
        cv=3,
        random_state=0,
        progress=False,
    )
    assert isinstance(res, ComparisonResult)
    tested = np.sort(np.concatenate([te for _, te in res.splits]))
    np.testing.assert_array_equal(tested, np.arange(y.size))
    for train, test in res.splits:
        assert not set(train) & set(test)
    y_true, score = res.out_of_fold("logreg")
    assert y_true.size == score.size == y.size
    assert res.confusion_matrix("logreg").sum() == y.size
    summary = res.summary()
    assert list(summary["model"]) == ["logreg", "dummy"]
    assert summary["accuracy_mean"][0] > 0.8 > summary["accuracy_mean"][1]
    assert summary["roc_auc_mean"][1] == pytest.approx(0.5)
    folds = res.fold_table()
    assert len(folds) == 6
    # the summary's spread is the sample standard deviation over the folds, per model
    for i, name in enumerate(summary["model"]):
        accuracy = folds["accuracy"][folds["model"] == name]
        assert summary["accuracy_std"][i] == pytest.approx(np.std(accuracy, ddof=1))


def test_paired_test_detects_the_better_model(data):
    X, y = data
    res = compare_models(
        {"logreg": LogisticRegression(), "dummy": DummyClassifier()},
        X,
        y,
        cv=5,
        random_state=1,
        progress=False,
    )
    test = res.paired_test("logreg", "dummy")
    assert test["test"] == "Nadeau-Bengio corrected resampled t-test"
    assert test["mean_difference"] > 0.3
    assert test["t_pvalue"] < 0.01
    assert test["mcnemar"]["only_a_correct"] > test["mcnemar"]["only_b_correct"]
    json.dumps(res.to_dict())
    text = format_comparison(res)
    assert "logreg" in text and "±" in text and "McNemar" in text


def test_holdout_split_is_the_paper_protocol(data):
    X, y = data
    models = {"a": LogisticRegression(), "b": DummyClassifier()}  # they disagree on the reals
    res = compare_models(
        models,
        X,
        y,
        cv=0.2,
        random_state=0,
        progress=False,
    )
    assert res.n_folds == 1
    assert len(res.splits[0][1]) == 12
    assert np.isnan(res.summary()["accuracy_std"][0])
    test = res.paired_test("a", "b")
    assert np.isnan(test["t_pvalue"])
    # McNemar's exact p-value, recomputed from the two models refitted by hand on the split
    train, held_out = res.splits[0]
    right = {
        name: clone(model).fit(X[train], y[train]).predict(X[held_out]) == y[held_out]
        for name, model in models.items()
    }
    only_a, only_b = int(np.sum(right["a"] & ~right["b"])), int(np.sum(~right["a"] & right["b"]))
    assert only_a + only_b > 0
    mcnemar = test["mcnemar"]
    assert (mcnemar["only_a_correct"], mcnemar["only_b_correct"]) == (only_a, only_b)
    assert mcnemar["pvalue"] == pytest.approx(stats.binomtest(only_a, only_a + only_b).pvalue)
    payload = res.to_dict()
    assert payload["models"]["a"]["summary"]["accuracy_std"] is None
    json.dumps(payload)


def test_histories_and_estimators_are_kept(data):
    X, y = data
    res = compare_models(
        {"keras-like": HistoryClassifier(epochs=4), "plain": LogisticRegression()},
        X,
        y,
        cv=2,
        return_estimators=True,
        progress=False,
    )
    assert res.histories["keras-like"][0]["loss"][0] == 1.0
    assert len(res.histories["keras-like"][1]["loss"]) == 4
    assert res.histories["plain"] == [None, None]
    assert len(res.estimators["plain"]) == 2
    assert hasattr(res.estimators["plain"][0], "coef_")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimators": {}}, "at least one model"),
        ({"y": np.r_[np.zeros(58), 1, 1]}, "Too few samples per class"),
        ({"y": np.repeat([1, 2], 30)}, "1 = real, 0 = bogus"),
        ({"y": np.zeros(60)}, "single class"),
        ({"cv": 1}, "at least 2 folds"),
        ({"cv": 1.5}, "hold-out test fraction"),
        ({"fit_params": {"nope": {}}}, "unknown models"),
        ({"threshold": 1.5}, "'threshold' parameter of compare_models must be a float"),
        ({"threshold": -0.1}, "'threshold' parameter of compare_models"),
        ({"fpr_levels": [0.01, 3]}, "'fpr_levels' parameter of compare_models must be rates"),
        ({"estimators": [LogisticRegression()]}, "'estimators' parameter of compare_models"),
        ({"return_estimators": "no"}, "'return_estimators' parameter of compare_models"),
    ],
)
def test_bad_arguments_get_clear_errors(data, kwargs, match):
    X, y = data
    args = {"estimators": {"m": LogisticRegression()}, "y": y}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        compare_models(args.pop("estimators"), X, args.pop("y"), progress=False, **args)


def test_unstratified_splitter_with_a_missing_class_in_a_fold_is_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="Too few samples per class"):
        compare_models({"m": LogisticRegression()}, X, y, cv=KFold(2), progress=False)


def test_corrected_ttest_is_more_conservative_than_paired_ttest(rng):
    a = 0.9 + rng.normal(0, 0.02, 10)
    b = 0.88 + rng.normal(0, 0.02, 10)
    corrected = corrected_resampled_ttest(a, b, n_train=90, n_test=10)
    plain = stats.ttest_rel(a, b)
    assert abs(corrected["statistic"]) < abs(plain.statistic)
    assert corrected["pvalue"] > plain.pvalue
    expected_t = plain.statistic / np.sqrt(1 + 10 * 10 / 90)
    assert corrected["statistic"] == pytest.approx(expected_t)
    with pytest.raises(ValueError, match="at least 2 folds"):
        corrected_resampled_ttest([0.9], [0.8], n_train=8, n_test=2)


def test_mcnemar_matches_binomial_test(rng):
    y = rng.integers(0, 2, 200)
    a = np.where(rng.random(200) < 0.9, y, 1 - y)
    b = np.where(rng.random(200) < 0.8, y, 1 - y)
    res = mcnemar_test(y, a, b)
    n01 = int(np.sum((a == y) & (b != y)))
    n10 = int(np.sum((a != y) & (b == y)))
    assert (res["only_a_correct"], res["only_b_correct"]) == (n01, n10)
    assert res["pvalue"] == pytest.approx(stats.binomtest(n01, n01 + n10).pvalue)
    assert mcnemar_test(y, y, y)["pvalue"] == 1.0


def test_make_cv_passes_splitters_through():
    splitter = KFold(4)
    assert make_cv(splitter) is splitter


def test_progress_names_model_and_fold_before_each_fit(data, capsys):
    X, y = data
    compare_models({"logreg": LogisticRegression()}, X, y, cv=3, random_state=0)
    out = capsys.readouterr().out.splitlines()
    headers = [line for line in out if "training on" in line]
    assert [h.split(":")[0] for h in headers] == [f"logreg fold {i}/3" for i in (1, 2, 3)]
    assert any(line.startswith("logreg fold 3/3: test accuracy") for line in out)
    compare_models({"m": LogisticRegression()}, X, y, cv=0.25, random_state=0)
    assert "m hold-out split: training on" in capsys.readouterr().out


def test_fits_run_through_the_active_joblib_backend(data, capsys):
    X, y = data
    models = {"a": HistoryClassifier(), "b": LogisticRegression(C=0.01)}
    serial = compare_models(models, X, y, cv=3, random_state=0, progress=False)
    fitting_threads = set()

    class ThreadRecorder(LogisticRegression):
        def fit(self, X, y):
            fitting_threads.add(threading.get_ident())
            return super().fit(X, y)

    with joblib.parallel_backend("threading", n_jobs=2):
        parallel = compare_models(
            {**models, "rec": ThreadRecorder()}, X, y, cv=3, random_state=0, return_estimators=True
        )
    for name in models:
        for got, want in zip(parallel.scores[name], serial.scores[name], strict=True):
            np.testing.assert_array_equal(got, want)
        assert parallel.histories[name] == serial.histories[name]
    assert len(parallel.estimators["rec"]) == 3
    assert threading.get_ident() not in fitting_threads  # the fits ran in the backend's threads
    lines = capsys.readouterr().out.splitlines()
    results = [line.split(":")[0] for line in lines if "test accuracy" in line]
    assert results == [f"{m} fold {i}/3" for i in (1, 2, 3) for m in ("a", "b", "rec")]
