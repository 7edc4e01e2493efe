"""Poly-1 loss (Leng et al., 2022)."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import _classification as core
from keras_recipes.losses.base import RecipeLoss
from keras_recipes.losses.base import check_label_smoothing
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.losses.poly_loss")
def poly_loss(y_true, y_pred, epsilon=1.0, label_smoothing=0.0,
              from_logits=False):
    """Per-sample Poly-1 loss: `CE(t, p) + epsilon * (1 - sum_c t_c p_c)`.

    `t` are the (smoothed) targets, so `1 - p_t` uses the smoothed labels as
    in the paper's appendix. Binary problems with one output unit use the
    binary cross-entropy and `p_t = t p + (1 - t)(1 - p)`.

    Example:

    >>> loss = keras_recipes.losses.poly_loss(
    ...     np.array([1]), np.array([[0.2, 0.8]]), epsilon=1.0)
    >>> round(float(loss[0]), 4)
    0.4231
    """
    targets, y_pred, mode = core.resolve_targets(
        y_true, y_pred, label_smoothing=label_smoothing
    )
    log_p, log_1mp, p = core.log_probabilities(y_pred, mode, from_logits)
    if mode == core.CATEGORICAL:
        ce = -ops.sum(targets * log_p, axis=-1)
        p_t = ops.sum(targets * p, axis=-1)
        return ce + epsilon * (1.0 - p_t)
    bce = -(targets * log_p + (1.0 - targets) * log_1mp)
    p_t = targets * p + (1.0 - targets) * (1.0 - p)
    return ops.mean(bce + epsilon * (1.0 - p_t), axis=-1)


@keras_recipes_export("keras_recipes.losses.PolyLoss")
class PolyLoss(RecipeLoss):
    """Poly-1 loss: cross-entropy plus `epsilon * (1 - p_t)`.

    Adjusts the weight of the leading polynomial term of the cross-entropy
    expansion; `epsilon=0` gives cross-entropy. Accepts the same label formats
    as `keras_recipes.losses.FocalLoss`: integer class ids, one-hot or soft
    labels (e.g. MixUp targets), and binary problems with one output unit.

    Args:
        epsilon: Coefficient of the first polynomial term, `>= -1`.
            Defaults to `1.0`.
        label_smoothing: Float in `[0, 1)`. Defaults to `0.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"poly_loss"`.
        dtype: Dtype of the loss computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.PolyLoss(epsilon=1.0)
    >>> y_pred = np.array([[0.2, 0.8], [0.6, 0.4]])
    >>> round(float(loss(np.array([1, 0]), y_pred)), 4)
    0.667

    Reference:
        - [Leng et al., 2022](https://arxiv.org/abs/2204.12511)
    """

    fn = staticmethod(poly_loss)
    _fn_args = ("epsilon", "label_smoothing", "from_logits")

    def __init__(self, epsilon=1.0, label_smoothing=0.0, from_logits=False,
                 reduction="sum_over_batch_size", name="poly_loss",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.epsilon = float(check_number("epsilon", epsilon, min_value=-1.0))
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.from_logits = bool(from_logits)
