"""Per-class weights applied inside the loss."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.backend.values import host_value
from keras_recipes.losses import _classification as core
from keras_recipes.utils.labels import check_class_ids


def _per_sample_loss(loss, y_true, y_pred):
    if isinstance(loss, keras.losses.Loss):
        return loss.call(y_true, y_pred)
    return loss(y_true, y_pred)


def _weights_for_labels(y_true, y_pred, weights):
    """Per-sample weights with the shape of the unreduced loss."""
    num_classes = int(weights.shape[0])
    rank_t, rank_p = len(y_true.shape), len(y_pred.shape)
    if rank_t == rank_p and y_true.shape[-1] not in (1, None):
        # One-hot, soft or multi-hot labels: the weight expected under the
        # label distribution; for multi-hot rows, the mean weight of the
        # positive classes (1.0 for a row with no positive class).
        if y_true.shape[-1] != num_classes:
            raise ValueError(
                f"Expected the labels' last axis to have {num_classes} "
                f"classes, one per `class_weight` entry. Received: "
                f"y_true.shape={tuple(y_true.shape)}"
            )
        mass = ops.sum(y_true, axis=-1)
        weighted = ops.sum(y_true * weights, axis=-1)
        return ops.where(mass > 0, weighted / ops.maximum(mass, 1e-12), 1.0)
    ids = y_true
    if rank_t == rank_p:
        ids = ops.squeeze(ids, -1)
    values = host_value(ids)
    if values is not None:
        check_class_ids(values, num_classes, name="y_true")
    valid = ops.logical_and(
        ops.greater_equal(ids, 0), ops.less(ids, num_classes)
    )
    safe = ops.where(valid, ops.cast(ids, "int32"), 0)
    picked = ops.take(weights, safe, axis=0)
    # In a traced step an out-of-range id gives a NaN weight, never a
    # plausible one.
    return ops.where(valid, picked, ops.full_like(picked, float("nan")))


@keras_recipes_export("keras_recipes.losses.ClassWeightedLoss")
class ClassWeightedLoss(keras.losses.Loss):
    """Wraps any per-sample Keras loss and weights each sample by its class.

    `fit(class_weight=...)` is refused for multi-output models, Python
    generators and torch DataLoaders, fails for per-pixel labels, and crashes
    inside tf.data when a class is missing from the dict. Applying the
    weights inside the loss works everywhere a loss works: one
    `ClassWeightedLoss` per output of a multi-output model, any data source,
    and per-pixel (segmentation) labels, where each pixel gets the weight of
    its class.

    The weight of a sample is `class_weight[y]` for integer labels; for
    one-hot or soft labels it is `sum_c y_c * class_weight[c]` (for one-hot
    labels, the weight of the class); for multi-hot labels, the mean weight
    of the positive classes.

    Args:
        loss: The wrapped loss: a `keras.losses.Loss` instance, a loss
            function, or a name understood by `keras.losses.get`. Its
            per-sample values are used, before reduction.
        class_weight: One weight per class, for every class id from 0 to
            C - 1: a `{class_id: weight}` dict (e.g. from
            `keras_recipes.data.class_weights`), a list or an array.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"class_weighted_loss"`.
        dtype: Dtype of the loss computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.ClassWeightedLoss(
    ...     keras.losses.SparseCategoricalCrossentropy(),
    ...     class_weight={0: 1.0, 1: 3.0})
    >>> y_pred = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> round(float(loss(np.array([0, 1]), y_pred)), 4)
    0.3874
    """

    def __init__(self, loss, class_weight, reduction="sum_over_batch_size",
                 name="class_weighted_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if isinstance(loss, dict):
            loss = keras.saving.deserialize_keras_object(loss)
        resolved = keras.losses.get(loss) if isinstance(loss, str) else loss
        if resolved is None or not callable(resolved):
            raise TypeError(
                "Expected `loss` to be a keras.losses.Loss, a loss function "
                f"or a loss name. Received: loss={loss!r}"
            )
        self.loss = resolved
        weights = core.standardize_alpha(class_weight, name="class_weight")
        if not isinstance(weights, list):
            raise TypeError(
                "Expected `class_weight` to hold one weight per class (a "
                f"dict, list or array). Received: class_weight={class_weight!r}"
            )
        self.class_weight = weights

    def call(self, y_true, y_pred):
        dtype = core.compute_dtype(y_pred)
        weights = ops.convert_to_tensor(self.class_weight, dtype=dtype)
        num_classes = y_pred.shape[-1]
        if num_classes not in (None, 1, len(self.class_weight)):
            raise ValueError(
                f"Expected `class_weight` to have one weight for each of the "
                f"{num_classes} classes of y_pred. Received: "
                f"{len(self.class_weight)} weights"
            )
        # The weights first: they check the class ids (a clear ValueError on
        # the host) before the wrapped loss can fail deep in the backend.
        sample_weights = _weights_for_labels(y_true, y_pred, weights)
        values = _per_sample_loss(self.loss, y_true, y_pred)
        if len(sample_weights.shape) != len(values.shape):
            sample_weights = ops.reshape(sample_weights, ops.shape(values))
        return values * ops.cast(sample_weights, values.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            loss=keras.saving.serialize_keras_object(self.loss),
            class_weight=self.class_weight,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = keras.saving.deserialize_keras_object(config["loss"])
        return cls(**config)
