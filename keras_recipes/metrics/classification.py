"""Classification metrics from NumPy labels and predictions: accuracy,
per-class precision/recall/F1, the confusion matrix, fairness across groups.

The arithmetic behind `keras_recipes.evaluation.EvaluationReport`; every
value equals scikit-learn's (and fairlearn's for the group differences).
"""

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.labels import class_ids


def softmax(z):
    """A numerically stable softmax over the last axis (NumPy)."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def as_probabilities(y_pred, from_logits=None):
    """Class probabilities `(N, C)` (C >= 2) from a model's outputs:
    logits get a softmax (`from_logits=None`: when the rows are not
    probabilities), one sigmoid column becomes two columns."""
    y_pred = np.asarray(y_pred, dtype="float64")
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_pred.ndim != 2:
        raise ValueError(
            "Expected the model to output one vector of class scores per "
            f"sample. Received predictions of shape {y_pred.shape}"
        )
    if y_pred.shape[1] == 1:  # one sigmoid output: binary problem
        p = y_pred[:, 0]
        outside = p.min() < 0 or p.max() > 1
        if from_logits or (from_logits is None and outside):
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1)
    if from_logits is None:
        sums = y_pred.sum(axis=1)
        from_logits = bool(
            y_pred.min() < 0 or np.abs(sums - 1.0).max() > 1e-3
        )
    if from_logits:
        return softmax(y_pred)
    return y_pred / y_pred.sum(axis=1, keepdims=True)


def safe_divide(a, b):
    """`a / b` elementwise, 0 where `b` is 0 (scikit-learn's
    `zero_division=0`)."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


@keras_recipes_export("keras_recipes.metrics.classification_metrics")
def classification_metrics(y_true, y_pred, num_classes):
    """Accuracy, per-class precision/recall/F1, macro and weighted F1 and
    the confusion matrix, from integer labels and predictions (NumPy).

    Zero divisions count as 0, like scikit-learn's `zero_division=0`; every
    value equals scikit-learn's `precision_recall_fscore_support`,
    `f1_score` and `confusion_matrix`.

    Args:
        y_true: integer class ids `(N,)`.
        y_pred: predicted class ids `(N,)`.
        num_classes: int, the number of classes.

    Returns:
        A dict: `accuracy`, `precision`, `recall`, `f1`, `support` (arrays
        of one value per class), `macro_precision`, `macro_recall`,
        `macro_f1`, `weighted_f1` and `confusion_matrix` (rows: true).

    Example:

    >>> m = keras_recipes.metrics.classification_metrics(
    ...     np.array([0, 1, 1]), np.array([0, 0, 1]), 2)
    >>> round(m["accuracy"], 4), m["confusion_matrix"].tolist()
    (0.6667, [[1, 0], [1, 1]])
    """
    y_true = class_ids(y_true, num_classes, name="y_true")
    y_pred = class_ids(y_pred, num_classes, name="y_pred")
    check_same_length("y_true", y_true, "y_pred", y_pred)
    cm = np.zeros((num_classes, num_classes), dtype="int64")
    np.add.at(cm, (y_true, y_pred), 1)
    tp = np.diag(cm).astype("float64")
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = safe_divide(tp, predicted)
    recall = safe_divide(tp, support)
    f1 = safe_divide(2 * precision * recall, precision + recall)
    total = max(int(support.sum()), 1)
    return {
        "accuracy": float(tp.sum() / total),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "weighted_f1": float(np.sum(f1 * support) / total),
        "confusion_matrix": cm,
    }


@keras_recipes_export("keras_recipes.metrics.fairness_metrics")
def fairness_metrics(y_true, y_pred, groups, num_classes):
    """Per-group accuracy and recall, demographic-parity and equalized-odds
    differences (fairlearn's definitions), from NumPy labels.

    For two classes the positive class is 1, as in fairlearn. For more
    classes each class is taken one-vs-rest and the largest difference over
    classes is reported (the per-class values are kept too).

    Args:
        y_true: integer class ids `(N,)`.
        y_pred: predicted class ids `(N,)`.
        groups: array `(N,)` of group ids (a sensitive attribute).
        num_classes: int, the number of classes.

    Returns:
        A dict: `groups` (per group: `count`, `accuracy`, `recall`,
        `per_class_recall`), `demographic_parity_difference`,
        `equalized_odds_difference` and their per-class values.

    Example:

    >>> f = keras_recipes.metrics.fairness_metrics(
    ...     np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]),
    ...     np.array(["a", "b", "a", "b"]), 2)
    >>> f["demographic_parity_difference"], f["groups"]["a"]["accuracy"]
    (0.5, 1.0)
    """
    y_true = class_ids(y_true, num_classes, name="y_true")
    y_pred = class_ids(y_pred, num_classes, name="y_pred")
    check_same_length("y_true", y_true, "y_pred", y_pred)
    groups = np.asarray(groups).reshape(-1)
    check_same_length("groups", groups, "y_true", y_true)
    names = sorted(np.unique(groups).tolist(), key=str)
    per_group = {}
    selection = []  # (groups, classes): P(pred = c | g)
    tpr = []  # P(pred = c | y = c, g)
    fpr = []  # P(pred = c | y != c, g)
    classes = np.arange(num_classes)
    for g in names:
        m = groups == g
        yt, yp = y_true[m], y_pred[m]
        metrics = classification_metrics(yt, yp, num_classes)
        present = np.unique(yt)
        per_group[str(g)] = {
            "count": int(m.sum()),
            "accuracy": metrics["accuracy"],
            # Mean recall over the classes present in the group
            # (= scikit-learn's balanced_accuracy_score).
            "recall": float(metrics["recall"][present].mean()),
            "per_class_recall": metrics["recall"].tolist(),
        }
        pred_is = yp[:, None] == classes[None, :]
        true_is = yt[:, None] == classes[None, :]
        selection.append(pred_is.mean(axis=0))
        pos = true_is.sum(axis=0)
        neg = (~true_is).sum(axis=0)
        tpr.append(np.where(pos > 0, (pred_is & true_is).sum(0) / np.maximum(
            pos, 1), np.nan))
        fpr.append(np.where(neg > 0, (pred_is & ~true_is).sum(0) / np.maximum(
            neg, 1), np.nan))
    selection, tpr, fpr = map(np.array, (selection, tpr, fpr))

    def spread(values):
        out = []
        for column in values.T:
            column = column[~np.isnan(column)]
            out.append(float(column.max() - column.min()) if column.size
                       else 0.0)
        return np.array(out)

    dp = spread(selection)
    eo = np.maximum(spread(tpr), spread(fpr))
    considered = [1] if num_classes == 2 else list(range(num_classes))
    return {
        "groups": per_group,
        "demographic_parity_difference": float(dp[considered].max()),
        "equalized_odds_difference": float(eo[considered].max()),
        "per_class_demographic_parity_difference": dp.tolist(),
        "per_class_equalized_odds_difference": eo.tolist(),
    }


def most_confused_pairs(confusion_matrix, class_names, k=5):
    """The `k` largest off-diagonal cells of a confusion matrix, largest
    first, as dicts `true`, `predicted`, `count`, `fraction_of_true`."""
    cm = np.asarray(confusion_matrix)
    c = cm.shape[0]
    support = cm.sum(axis=1)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    pairs = []
    for flat in np.argsort(-off, axis=None, kind="stable")[:k]:
        t, p = divmod(int(flat), c)
        if off[t, p] == 0:
            break
        pairs.append({
            "true": class_names[t], "predicted": class_names[p],
            "count": int(off[t, p]),
            "fraction_of_true": float(off[t, p] / max(support[t], 1)),
        })
    return pairs
