"""Shared plumbing of the metric-learning losses (private)."""

import keras
from keras import ops

from keras_recipes.losses import distances as distances_lib
from keras_recipes.losses import miners


def prepare(y_true, y_pred):
    """Flatten labels to (B,), check embeddings are (B, D)."""
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) != 2:
        raise ValueError(
            "Expected `y_pred` to be embeddings of shape (batch_size, dim). "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_true is None:  # self-supervised losses: pairs from the layout
        return None, y_pred
    labels = miners.flat_labels(y_true)
    n_labels, n_embeddings = labels.shape[0], y_pred.shape[0]
    if (n_labels is not None and n_embeddings is not None
            and n_labels != n_embeddings):
        raise ValueError(
            "Expected one label per embedding. Received: "
            f"{n_labels} labels (y_true.shape={tuple(ops.shape(y_true))}) "
            f"for {n_embeddings} embeddings "
            f"(y_pred.shape={tuple(y_pred.shape)})"
        )
    return labels, y_pred


def batch_size_as(x):
    return ops.cast(ops.shape(x)[0], x.dtype)


def masked_max(data, mask):
    """TFA's `_masked_maximum`: max over `mask` per row, else the row min.

    Written as a product so gradients stay finite when a row is empty.
    """
    mask = ops.cast(mask, data.dtype)
    row_min = ops.min(data, axis=-1, keepdims=True)
    return ops.max((data - row_min) * mask, axis=-1, keepdims=True) + row_min


def masked_min(data, mask):
    """TFA's `_masked_minimum`: min over `mask` per row, else the row max."""
    mask = ops.cast(mask, data.dtype)
    row_max = ops.max(data, axis=-1, keepdims=True)
    return ops.min((data - row_max) * mask, axis=-1, keepdims=True) + row_max


def masked_log1p_sum_exp(x, mask, axis=-1):
    """`log(1 + sum_{mask} exp(x))`, stable, with finite gradients."""
    mask = ops.cast(mask, "bool")
    x = ops.where(mask, x, ops.zeros_like(x))
    m = ops.maximum(ops.max(ops.where(mask, x, -1e30), axis=axis), 0.0)
    m = ops.stop_gradient(m)
    e = ops.where(mask, ops.exp(x - ops.expand_dims(m, axis)), 0.0)
    return ops.log(ops.exp(-m) + ops.sum(e, axis=axis)) + m


class MetricLearningLoss(keras.losses.Loss):
    """`keras.losses.Loss` with a `distance=` strategy in its config."""

    def __init__(self, distance, name=None, reduction="sum_over_batch_size",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if isinstance(distance, dict):
            distance = distances_lib.get(distance)
        self._distance = distances_lib.get(distance)
        self.distance = distance

    def get_config(self):
        config = super().get_config()
        config["distance"] = distances_lib.serialize(self.distance)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("distance"), dict):
            config["distance"] = keras.saving.deserialize_keras_object(
                config["distance"]
            )
        return cls(**config)
