"""`metrics.classification_metrics` / `fairness_metrics` against
scikit-learn, and their argument checks."""

import numpy as np
import pytest
from sklearn import metrics as skm

from keras_recipes import metrics


def test_classification_metrics_equal_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    pred = np.where(rng.uniform(size=200) < 0.6, y, rng.integers(0, 4, 200))
    pred[pred == 3] = 2  # class 3 is never predicted: zero division
    m = metrics.classification_metrics(y, pred, 4)
    p, r, f, s = skm.precision_recall_fscore_support(
        y, pred, labels=range(4), zero_division=0)
    np.testing.assert_allclose(m["precision"], p)
    np.testing.assert_allclose(m["recall"], r)
    np.testing.assert_allclose(m["f1"], f)
    np.testing.assert_array_equal(m["support"], s)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["macro_f1"] == pytest.approx(
        skm.f1_score(y, pred, average="macro", zero_division=0))
    assert m["weighted_f1"] == pytest.approx(
        skm.f1_score(y, pred, average="weighted", zero_division=0))
    np.testing.assert_array_equal(
        m["confusion_matrix"], skm.confusion_matrix(y, pred, labels=range(4)))


def test_fairness_metrics_per_group_accuracy_and_differences():
    y = np.array([1, 1, 0, 0, 1, 0])
    pred = np.array([1, 0, 0, 1, 1, 0])
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    f = metrics.fairness_metrics(y, pred, groups, 2)
    # Selection rate of class 1: a 1/3, b 2/3. TPR: a 1/2, b 1; FPR: a 0,
    # b 1/2 -> equalized odds = max(1/2, 1/2).
    assert f["demographic_parity_difference"] == pytest.approx(1 / 3)
    assert f["equalized_odds_difference"] == pytest.approx(0.5)
    assert f["groups"]["a"]["accuracy"] == pytest.approx(2 / 3)
    assert f["groups"]["b"]["recall"] == pytest.approx(
        skm.balanced_accuracy_score(y[3:], pred[3:]))


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="y_pred"):
        metrics.classification_metrics([0, 1], [0, 5], 2)
    with pytest.raises(ValueError, match="y_true.*y_pred"):
        metrics.classification_metrics([0, 1, 1], [0, 1], 2)
    with pytest.raises(ValueError, match="groups"):
        metrics.fairness_metrics([0, 1], [0, 1], ["a"], 2)
