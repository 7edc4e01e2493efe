"""Focal loss (Lin et al., 2017) for every label format."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import _classification as core
from keras_recipes.losses.base import RecipeLoss
from keras_recipes.losses.base import check_label_smoothing
from keras_recipes.utils.validation import check_number


def _modulating(base, gamma):
    # (base)^gamma with a finite gradient at base == 0 for any gamma >= 0.
    if gamma == 0:
        return None
    return ops.power(ops.maximum(base, 1e-12), gamma)


@keras_recipes_export("keras_recipes.losses.focal_loss")
def focal_loss(y_true, y_pred, gamma=2.0, alpha=None, label_smoothing=0.0,
               from_logits=False, multi_label=False):
    """Per-sample focal loss: `sum_c alpha_c (1 - p_c)^gamma (-t_c log p_c)`.

    Accepts integer class ids, one-hot or soft labels, binary problems with a
    single output unit, and multi-label problems (`multi_label=True`); see
    `keras_recipes.losses.FocalLoss` for the argument semantics. Returns the
    loss with the class axis reduced: shape `y_pred.shape[:-1]`.

    Example:

    >>> y_true = np.array([0, 2])
    >>> y_pred = np.array([[0.8, 0.1, 0.1], [0.2, 0.2, 0.6]])
    >>> loss = keras_recipes.losses.focal_loss(y_true, y_pred, gamma=2.0)
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(loss)]
    [0.0089, 0.0817]
    """
    targets, y_pred, mode = core.resolve_targets(
        y_true, y_pred, label_smoothing=label_smoothing,
        multi_label=multi_label,
    )
    log_p, log_1mp, p = core.log_probabilities(y_pred, mode, from_logits)
    num_classes = y_pred.shape[-1]
    if mode == core.CATEGORICAL:
        loss = -targets * log_p
        if from_logits:
            one_minus_p = -ops.expm1(log_p)
        else:
            one_minus_p = 1.0 - p
        factor = _modulating(one_minus_p, gamma)
        if factor is not None:
            loss = loss * factor
        if isinstance(alpha, list):
            loss = loss * core.alpha_vector(
                alpha, num_classes, mode, y_pred.dtype
            )
        elif alpha is not None:
            loss = loss * alpha
        return ops.sum(loss, axis=-1)

    # Binary and multi-label: one sigmoid (or probability) per unit, in the
    # form of keras.losses.BinaryFocalCrossentropy / torchvision.
    bce = -(targets * log_p + (1.0 - targets) * log_1mp)
    p_t = targets * p + (1.0 - targets) * (1.0 - p)
    factor = _modulating(1.0 - p_t, gamma)
    loss = bce if factor is None else bce * factor
    if isinstance(alpha, list):
        a = core.alpha_vector(alpha, num_classes, mode, y_pred.dtype)
        if num_classes == 1:
            alpha_t = targets * a[1] + (1.0 - targets) * a[0]
        else:
            alpha_t = targets * a + (1.0 - targets) * (1.0 - a)
        loss = loss * alpha_t
    elif alpha is not None:
        loss = loss * (targets * alpha + (1.0 - targets) * (1.0 - alpha))
    return ops.mean(loss, axis=-1)


@keras_recipes_export("keras_recipes.losses.FocalLoss")
class FocalLoss(RecipeLoss):
    """Focal loss for any label format, numerically stable, float32 inside.

    Down-weights well-classified examples by the factor `(1 - p_t)^gamma`
    so training focuses on hard examples. With `gamma=0` and `alpha=None` it
    equals cross-entropy. The label format is decided from the ranks of
    `y_true` and `y_pred`, never from their sizes:

    - integer class ids of shape `(N,)` or `(N, 1)`, also with spatial axes
      for segmentation (`(N, H, W)` against `y_pred` of `(N, H, W, C)`);
    - one-hot or soft labels of shape `(N, C)`: the soft targets produced by
      MixUp / CutMix are accepted;
    - a binary problem with a single output unit (`y_pred` of shape
      `(N, 1)`), with 0/1 labels;
    - multi-label problems (one sigmoid per class) with `multi_label=True`
      and multi-hot labels of shape `(N, C)`.

    On one-hot labels it equals `keras.losses.CategoricalFocalCrossentropy`
    with the same `alpha`; for binary and multi-label problems it equals
    `keras.losses.BinaryFocalCrossentropy` (with `apply_class_balancing=True`
    when `alpha` is a float). Unlike those, integer labels work, including
    when the batch size happens to equal the number of classes.

    Args:
        gamma: Focusing parameter, `>= 0`. Defaults to `2.0`.
        alpha: Class balancing. `None` (no weighting); a float: for softmax
            problems a constant factor (as in Keras), for binary and
            multi-label problems the weight of positives, negatives getting
            `1 - alpha`; or one weight per class (list, array or a
            `{class_id: weight}` dict such as the output of
            `keras_recipes.data.class_weights`). For a binary problem with
            one output unit, the per-class form is `[w_0, w_1]`; for
            multi-label problems it is one positive weight per class.
            Defaults to `None`.
        label_smoothing: Float in `[0, 1)`. Targets become
            `(1 - label_smoothing) * y + label_smoothing / C` (C = 2 for binary
            and multi-label). Defaults to `0.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        multi_label: Whether each class is an independent sigmoid output.
            Defaults to `False`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"focal_loss"`.
        dtype: Dtype of the loss computation; under a mixed-precision
            policy the computation still runs in float32. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.FocalLoss(gamma=2.0)
    >>> y_true = np.array([0, 2])
    >>> y_pred = np.array([[0.8, 0.1, 0.1], [0.2, 0.2, 0.6]])
    >>> round(float(loss(y_true, y_pred)), 4)
    0.0453
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> model.compile(
    ...     optimizer="adam",
    ...     loss=keras_recipes.losses.FocalLoss(from_logits=True),
    ... )

    Reference:
        - [Lin et al., 2017](https://arxiv.org/abs/1708.02002)
    """

    fn = staticmethod(focal_loss)
    _fn_args = ("gamma", "alpha", "label_smoothing", "from_logits",
                "multi_label")

    def __init__(self, gamma=2.0, alpha=None, label_smoothing=0.0,
                 from_logits=False, multi_label=False,
                 reduction="sum_over_batch_size", name="focal_loss",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.gamma = float(check_number("gamma", gamma, min_value=0.0))
        self.alpha = core.standardize_alpha(alpha)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.from_logits = bool(from_logits)
        self.multi_label = bool(multi_label)
        if (
            isinstance(self.alpha, float)
            and self.alpha > 1.0
            and self.multi_label
        ):
            raise ValueError(
                "Expected `alpha` in [0, 1] for multi-label problems (the "
                f"weight of positives). Received: alpha={alpha!r}"
            )
