"""Shared core of the long-tail losses (`LDAMLoss`, `LogitAdjustedLoss`):
checks of the class counts, the per-class weights that
`keras_recipes.callbacks.DeferredReweighting` assigns, and the weighted
softmax cross-entropy on logits (private)."""


import keras
import numpy as np
from keras import ops

from keras_recipes.losses import _classification as core
from keras_recipes.utils.validation import check_per_class


def check_class_counts(class_counts, name="class_counts"):
    """`class_counts` as a list of floats: at least 2 finite counts > 0.

    Accepts a list, tuple or array, or a `{class_id: count}` dict covering
    every class id from 0 to C - 1.
    """
    return check_per_class(
        name, class_counts, what="count", min_value=0.0, inclusive=False,
        reason="a class without samples has no prior and no margin")


def check_class_weight(class_weight, num_classes, name="class_weight"):
    """`class_weight` as `num_classes` floats >= 0 (None gives ones)."""
    if class_weight is None:
        return [1.0] * num_classes
    weights = core.standardize_alpha(class_weight, name=name)
    if not isinstance(weights, list):
        raise TypeError(
            f"Expected `{name}` to hold one weight per class (a list, array "
            f"or dict). Received: {name}={class_weight!r}"
        )
    if len(weights) != num_classes:
        raise ValueError(
            f"Expected `{name}` to have {num_classes} weights, one per entry "
            f"of `class_counts`. Received: {len(weights)} weights"
        )
    return weights


def logits_and_targets(y_true, y_pred, num_classes, from_logits=True):
    """Dense float targets and logits of shape `(..., C)`.

    With `from_logits=False`, `y_pred` holds probabilities and the logits
    are their logarithms (clipped at `keras.config.epsilon()`): softmax is
    invariant to a constant shift, so `softmax(log p) == p` and every
    adjustment of the logits applies unchanged.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) < 2 or y_pred.shape[-1] != num_classes:
        raise ValueError(
            f"Expected `y_pred` of shape (..., {num_classes}): one logit per "
            f"entry of `class_counts`. Received: y_pred.shape="
            f"{tuple(y_pred.shape)}"
        )
    targets, y_pred, _ = core.resolve_targets(y_true, y_pred)
    if not from_logits:
        eps = keras.config.epsilon()
        p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        y_pred = ops.log(ops.clip(p, eps, 1.0))
    return targets, y_pred


def weighted_cross_entropy(targets, logits, class_weight=None):
    """`-sum_c t_c log softmax(logits)_c`, times `sum_c t_c w_c` when
    `class_weight` is given (the weight of the class for one-hot labels)."""
    loss = -ops.sum(targets * ops.log_softmax(logits, axis=-1), axis=-1)
    if class_weight is None:
        return loss
    weights = ops.cast(ops.convert_to_tensor(class_weight), logits.dtype)
    return loss * ops.sum(targets * weights, axis=-1)


class ClassWeightMixin:
    """Per-class weights held in a non-trainable `keras.Variable`.

    `loss.class_weight` reads the weights as a list of floats and
    `loss.class_weight = [...]` assigns them (checked), so
    `DeferredReweighting` can change them during `fit`.
    """

    def _init_class_weight(self, class_weight, num_classes):
        weights = check_class_weight(class_weight, num_classes)
        self._class_weight = keras.Variable(
            np.asarray(weights, "float32"), trainable=False, dtype="float32",
            name="class_weight",
        )

    @property
    def class_weight(self):
        values = keras.ops.convert_to_numpy(self._class_weight.value)
        return [float(v) for v in values]

    @class_weight.setter
    def class_weight(self, value):
        weights = check_class_weight(value, len(self.class_counts))
        self._class_weight.assign(np.asarray(weights, "float32"))

    @property
    def class_weight_variable(self):
        """The `keras.Variable` holding the per-class weights."""
        return self._class_weight
