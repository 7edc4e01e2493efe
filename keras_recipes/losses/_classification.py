"""Shared core of the classification losses: label-format resolution and
numerically stable log-probabilities.

The label format is decided from ranks, never from a coincidence of sizes:

- `y_pred` of rank 1, or with a last axis of size 1: a binary problem with
  one output unit. `y_true` holds 0/1 labels or probabilities, of shape
  `y_pred.shape` or `y_pred.shape[:-1]`.
- otherwise `C = y_pred.shape[-1]` classes, and `y_true` either has one rank
  less than `y_pred` (class ids), the same rank with a last axis of 1 (class
  ids, `(N, 1)`), or the same shape as `y_pred` (one-hot or soft labels).
- `multi_label=True`: one independent sigmoid per class; `y_true` is multi-hot
  with the shape of `y_pred`.

Keras's `Loss.__call__` casts `y_true` to the loss dtype before `call`, so
integer labels arrive as floats; the rule above does not need their dtype.
"""

import keras
from keras import ops

from keras_recipes.backend.values import host_value
from keras_recipes.utils.labels import check_class_ids
from keras_recipes.utils.validation import check_per_class

BINARY = "binary"
CATEGORICAL = "categorical"


def _shape_str(x):
    return str(tuple(x.shape))


def _compatible(a, b):
    if len(a) != len(b):
        return False
    return all(i is None or j is None or i == j for i, j in zip(a, b))


def compute_dtype(y_pred):
    """float64 for float64 predictions, float32 for everything else
    (half precision is upcast: the loss is computed in float32)."""
    dtype = keras.backend.standardize_dtype(
        getattr(y_pred, "dtype", None) or "float32"
    )
    return "float64" if dtype == "float64" else "float32"


def resolve_targets(y_true, y_pred, *, label_smoothing=0.0,
                    multi_label=False):
    """Return `(targets, y_pred, mode)` with dense float targets shaped like
    `y_pred`, label smoothing applied: `(1 - eps) * y + eps / C` (C = 2 for
    binary and multi-label problems)."""
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    y_pred = ops.cast(y_pred, dtype)
    y_true = ops.cast(ops.convert_to_tensor(y_true), dtype)
    if len(y_pred.shape) == 0:
        raise ValueError(
            "Expected `y_pred` to have at least rank 1. "
            f"Received: y_pred.shape={_shape_str(y_pred)}"
        )
    if len(y_pred.shape) == 1:
        y_pred = ops.expand_dims(y_pred, -1)
    num_classes = y_pred.shape[-1]
    if num_classes is None:
        raise ValueError(
            "Expected the last axis of `y_pred` (the classes) to have a "
            f"static size. Received: y_pred.shape={_shape_str(y_pred)}"
        )
    rank_t, rank_p = len(y_true.shape), len(y_pred.shape)

    def mismatch(expected):
        return ValueError(
            f"Labels and predictions do not match: expected `y_true` of "
            f"shape {expected}. Received: y_true.shape={_shape_str(y_true)}, "
            f"y_pred.shape={_shape_str(y_pred)}"
        )

    if multi_label or num_classes == 1:
        if rank_t == rank_p - 1 and num_classes == 1:
            y_true = ops.expand_dims(y_true, -1)
        if not _compatible(tuple(y_true.shape), tuple(y_pred.shape)):
            raise mismatch(_shape_str(y_pred) + " (multi-hot or 0/1 labels)")
        targets = y_true
        if label_smoothing:
            targets = targets * (1.0 - label_smoothing) + 0.5 * label_smoothing
        return targets, y_pred, BINARY

    if rank_t == rank_p - 1 or (rank_t == rank_p and y_true.shape[-1] == 1):
        ids = y_true if rank_t == rank_p - 1 else ops.squeeze(y_true, -1)
        if not _compatible(tuple(ids.shape), tuple(y_pred.shape[:-1])):
            raise mismatch(
                f"{tuple(y_pred.shape[:-1])} or {tuple(y_pred.shape[:-1])}+(1,)"
                " (class ids)"
            )
        targets = _one_hot_checked(ids, num_classes, dtype)
    elif rank_t == rank_p:
        if not _compatible(tuple(y_true.shape), tuple(y_pred.shape)):
            raise mismatch(
                f"{_shape_str(y_pred)} (one-hot or soft labels) or "
                f"{tuple(y_pred.shape[:-1])} (class ids)"
            )
        targets = y_true
    else:
        raise mismatch(
            f"{tuple(y_pred.shape[:-1])} (class ids) or {_shape_str(y_pred)}"
            " (one-hot or soft labels)"
        )
    if label_smoothing:
        targets = (
            targets * (1.0 - label_smoothing) + label_smoothing / num_classes
        )
    return targets, y_pred, CATEGORICAL


def _one_hot_checked(ids, num_classes, dtype):
    """One-hot rows for class ids; ids outside `[0, C)` never pass silently.

    Where the ids are visible on the host (NumPy inputs, eager calls) an
    out-of-range id raises a `ValueError`. Inside a traced step it gives a
    row of NaN targets, so the loss of that sample (and of the batch) is NaN
    instead of the 0 or small positive number `one_hot` would produce.
    """
    values = host_value(ids)
    if values is not None:
        check_class_ids(values, num_classes, name="y_true")
    targets = ops.one_hot(ops.cast(ids, "int32"), num_classes, dtype=dtype)
    valid = ops.logical_and(
        ops.greater_equal(ids, 0), ops.less(ids, num_classes)
    )
    nan = ops.full_like(targets, float("nan"))
    return ops.where(ops.expand_dims(valid, -1), targets, nan)


def log_probabilities(y_pred, mode, from_logits):
    """Return `(log_p, log_1mp, p)`; `log_1mp` is None for categorical."""
    eps = keras.config.epsilon()
    if mode == BINARY:
        if from_logits:
            log_p = -ops.softplus(-y_pred)
            log_1mp = -ops.softplus(y_pred)
            p = ops.sigmoid(y_pred)
        else:
            p = ops.clip(y_pred, eps, 1.0 - eps)
            log_p, log_1mp = ops.log(p), ops.log(1.0 - p)
        return log_p, log_1mp, p
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=-1)
        p = ops.exp(log_p)
    else:
        p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        p = ops.clip(p, eps, 1.0 - eps)
        log_p = ops.log(p)
    return log_p, None, p


def alpha_vector(alpha, num_classes, mode, dtype="float32"):
    """Per-class alpha as a float32 tensor, checked against `num_classes`."""
    expected = 2 if (mode == BINARY and num_classes == 1) else num_classes
    if len(alpha) != expected:
        what = (
            "2 (weights of class 0 and class 1) for a binary problem with "
            "one output unit"
            if expected == 2 and num_classes == 1
            else f"{expected} (one weight per class)"
        )
        raise ValueError(
            f"Expected `alpha` to have length {what}. Received: alpha of "
            f"length {len(alpha)} for y_pred with {num_classes} classes"
        )
    return ops.convert_to_tensor(alpha, dtype=dtype)


def standardize_alpha(alpha, name="alpha"):
    """Validate `alpha` (or `name`) at construction: None, a float, or per-class
    weights (list, tuple, array or {class_id: weight} dict)."""
    import numbers

    import numpy as np

    if alpha is None:
        return None
    if isinstance(alpha, bool):
        raise TypeError(
            f"Expected `{name}` to be None, a float or one weight per class. "
            f"Received: {name}={alpha!r}"
        )
    if isinstance(alpha, numbers.Real):
        alpha = float(alpha)
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(
                f"Expected `{name}` to be a finite number >= 0. "
                f"Received: {name}={alpha!r}"
            )
        return alpha
    return check_per_class(name, alpha, what="weight", min_value=0.0)
