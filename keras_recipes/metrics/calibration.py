"""Expected calibration error (ECE) and reliability-diagram bins."""

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.labels import class_ids

# The bins of the ECE that `EvaluationReport` reports (Guo et al. use 15).
ECE_BINS = 15


def _check_inputs(y_true, y_prob, num_bins):
    if (isinstance(num_bins, bool)
            or not isinstance(num_bins, (int, np.integer)) or num_bins < 1):
        raise ValueError(
            "Expected `num_bins` to be a positive integer. "
            f"Received: num_bins={num_bins!r}"
        )
    y_prob = np.asarray(y_prob, dtype="float64")
    if y_prob.ndim != 2:
        raise ValueError(
            "Expected `y_prob` of shape (num_samples, num_classes). "
            f"Received: y_prob.shape={y_prob.shape}"
        )
    y_true = class_ids(y_true, y_prob.shape[1], name="y_true")
    if y_true.shape[0] != y_prob.shape[0]:
        raise ValueError(
            "Expected `y_true` and `y_prob` to have the same number of "
            f"samples. Received: y_true.shape={y_true.shape}, "
            f"y_prob.shape={y_prob.shape}"
        )
    return y_true, y_prob


@keras_recipes_export("keras_recipes.metrics.reliability_bins")
def reliability_bins(y_true, y_prob, num_bins=15):
    """Per-bin confidence and accuracy of top-1 predictions.

    Each prediction's confidence is its largest probability; bin `m` holds
    the confidences in `((m - 1) / M, m / M]` (a confidence of exactly 0
    goes to the first bin), as in Guo et al. (2017).

    Args:
        y_true: integer labels of shape `(N,)` or `(N, 1)`, or one-hot
            labels `(N, C)`.
        y_prob: class probabilities of shape `(N, C)`.
        num_bins: int, number of equal-width bins. Defaults to `15`.

    Returns:
        A dict of NumPy arrays: `edges` (M + 1,), `count`, `confidence`
        (mean confidence per bin, 0 for empty bins) and `accuracy` (M,).

    Example:

    >>> bins = keras_recipes.metrics.reliability_bins(
    ...     [0, 1], [[0.9, 0.1], [0.6, 0.4]], num_bins=2)
    >>> bins["count"].tolist(), bins["accuracy"].tolist()
    ([0, 2], [0.0, 0.5])
    """
    y_true, y_prob = _check_inputs(y_true, y_prob, num_bins)
    confidence = y_prob.max(axis=-1)
    correct = (y_prob.argmax(axis=-1) == y_true).astype("float64")
    index = np.clip(np.ceil(confidence * num_bins) - 1, 0, num_bins - 1)
    index = index.astype("int64")
    count = np.bincount(index, minlength=num_bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=num_bins)
    acc_sum = np.bincount(index, weights=correct, minlength=num_bins)
    safe = np.maximum(count, 1)
    return {
        "edges": np.linspace(0.0, 1.0, num_bins + 1),
        "count": count,
        "confidence": np.where(count > 0, conf_sum / safe, 0.0),
        "accuracy": np.where(count > 0, acc_sum / safe, 0.0),
    }


@keras_recipes_export("keras_recipes.metrics.expected_calibration_error")
def expected_calibration_error(y_true, y_prob, num_bins=15):
    """Expected calibration error of top-1 predictions (Guo et al., 2017).

    `ECE = sum_m |B_m| / N * |accuracy(B_m) - confidence(B_m)|` over
    `num_bins` equal-width confidence bins (see `reliability_bins`). 0 is
    perfectly calibrated. Computed with NumPy on predictions already made.

    Args:
        y_true: integer labels of shape `(N,)` or `(N, 1)`, or one-hot
            labels `(N, C)`.
        y_prob: class probabilities of shape `(N, C)`.
        num_bins: int, number of equal-width bins. Defaults to `15`.

    Returns:
        The ECE as a Python float in [0, 1].

    Example:

    >>> ece = keras_recipes.metrics.expected_calibration_error(
    ...     [0, 1], [[0.9, 0.1], [0.6, 0.4]], num_bins=2)
    >>> round(ece, 4)
    0.25

    Reference:
        - [Guo et al., 2017, On Calibration of Modern Neural Networks](
          https://arxiv.org/abs/1706.04599)
    """
    bins = reliability_bins(y_true, y_prob, num_bins)
    total = bins["count"].sum()
    if total == 0:
        return 0.0
    gaps = np.abs(bins["accuracy"] - bins["confidence"])
    return float(np.sum(bins["count"] / total * gaps))
