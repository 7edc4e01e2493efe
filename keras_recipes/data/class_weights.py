"""Class weights from label counts."""

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_number

METHODS = ("balanced", "inverse_sqrt", "effective_number")


def _class_ids(y):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if not np.all((y == 0) | (y == 1)) or not np.all(y.sum(axis=1) == 1):
            raise ValueError(
                "Expected `y` to hold integer class ids of shape (N,) or "
                "(N, 1), or one-hot rows of shape (N, C). Received: y of shape "
                f"{y.shape} whose rows are not one-hot"
            )
        return np.argmax(y, axis=1), y.shape[1]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            "Expected `y` of shape (N,), (N, 1) or (N, C). Received: "
            f"y.shape={y.shape}"
        )
    if y.size == 0:
        raise ValueError("Expected `y` to hold at least one label. Received: "
                         "an empty array")
    if not np.all(np.equal(np.mod(y, 1), 0)) or np.min(y) < 0:
        raise ValueError(
            "Expected `y` to hold non-negative integer class ids. "
            f"Received: values such as {y[:5].tolist()}"
        )
    return y.astype("int64"), None


@keras_recipes_export("keras_recipes.data.class_weights")
def class_weights(y, method="balanced", beta=0.999, num_classes=None):
    """Per-class weights that counter class imbalance.

    - `"balanced"`: scikit-learn's `compute_class_weight("balanced")`,
      `n_samples / (n_classes * count_c)`.
    - `"inverse_sqrt"`: `1 / sqrt(count_c)`, scaled so the weights sum to the
      number of classes.
    - `"effective_number"`: Cui et al. (2019),
      `(1 - beta) / (1 - beta^count_c)`, scaled so the weights sum to the
      number of classes.

    The result is a `{class_id: weight}` dict covering every class id from 0
    to C - 1. It works as `model.fit(class_weight=...)`, as
    `keras_recipes.losses.FocalLoss(alpha=...)` and as
    `keras_recipes.losses.ClassWeightedLoss(loss, class_weight=...)`.

    Args:
        y: Integer class ids of shape `(N,)` or `(N, 1)`, or one-hot labels
            of shape `(N, C)`.
        method: One of `"balanced"`, `"inverse_sqrt"`, `"effective_number"`.
            Defaults to `"balanced"`.
        beta: For `"effective_number"`, in `[0, 1)`. Defaults to `0.999`.
        num_classes: Number of classes C. Defaults to `None`: the width of
            one-hot labels, or `max(y) + 1`. Every class must occur in `y`.

    Returns:
        A dict `{class_id: float weight}`.

    Example:

    >>> w = keras_recipes.data.class_weights([0, 0, 0, 1])
    >>> {k: round(v, 4) for k, v in w.items()}
    {0: 0.6667, 1: 2.0}

    Reference:
        - [Cui et al., 2019](https://arxiv.org/abs/1901.05555)
    """
    check_choice("method", method, METHODS)
    check_number("beta", beta, min_value=0.0, max_value=1.0,
                 max_inclusive=False)
    ids, width = _class_ids(y)
    if num_classes is None:
        num_classes = width or int(ids.max()) + 1
    check_number("num_classes", num_classes, min_value=1, integer=True)
    if ids.max() >= num_classes:
        raise ValueError(
            f"Expected class ids below num_classes={num_classes}. Received: "
            f"a label {int(ids.max())}"
        )
    counts = np.bincount(ids, minlength=num_classes).astype("float64")
    missing = np.flatnonzero(counts == 0).tolist()
    if missing:
        raise ValueError(
            "Expected every class from 0 to num_classes - 1 to occur in `y`; "
            "a class without samples has no finite weight. Received: no "
            f"samples of classes {missing}"
        )
    if method == "balanced":
        weights = ids.size / (num_classes * counts)
    elif method == "inverse_sqrt":
        weights = 1.0 / np.sqrt(counts)
        weights = weights * num_classes / weights.sum()
    else:
        weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
        weights = weights * num_classes / weights.sum()
    return {int(c): float(w) for c, w in enumerate(weights)}
