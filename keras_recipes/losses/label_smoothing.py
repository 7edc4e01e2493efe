"""Cross-entropy with label smoothing for every label format."""

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses.base import RecipeLoss
from keras_recipes.losses.base import check_label_smoothing
from keras_recipes.losses.focal import focal_loss


@keras_recipes_export("keras_recipes.losses.label_smoothing_crossentropy")
def label_smoothing_crossentropy(y_true, y_pred, label_smoothing=0.1,
                                 from_logits=False):
    """Per-sample cross-entropy against `(1 - eps) * y + eps / C` targets.

    Example:

    >>> loss = keras_recipes.losses.label_smoothing_crossentropy(
    ...     np.array([1]), np.array([[0.1, 0.9]]), label_smoothing=0.2)
    >>> round(float(loss[0]), 4)
    0.3251
    """
    return focal_loss(
        y_true, y_pred, gamma=0.0, alpha=None,
        label_smoothing=label_smoothing, from_logits=from_logits,
    )


@keras_recipes_export("keras_recipes.losses.LabelSmoothingCrossentropy")
class LabelSmoothingCrossentropy(RecipeLoss):
    """Cross-entropy with label smoothing, for integer, one-hot and soft
    labels.

    Keras's `SparseCategoricalCrossentropy` has no `label_smoothing`; this loss
    accepts integer class ids of shape `(N,)` or `(N, 1)` (also with spatial
    axes), one-hot or soft labels of shape `(N, C)` (e.g. MixUp targets), and
    binary problems with one output unit. The smoothed target is
    `(1 - label_smoothing) * y + label_smoothing / C`, as in
    `keras.losses.CategoricalCrossentropy(label_smoothing=...)` and timm's
    `LabelSmoothingCrossEntropy`. Computation runs in float32 and is stable
    for extreme logits.

    Args:
        label_smoothing: Float in `[0, 1)`. Defaults to `0.1`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Defaults to `"label_smoothing_crossentropy"`.
        dtype: Dtype of the loss computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.LabelSmoothingCrossentropy(0.1)
    >>> y_pred = np.array([[0.9, 0.1], [0.3, 0.7]])
    >>> round(float(loss(np.array([0, 1]), y_pred)), 4)
    0.3071

    Reference:
        - [Szegedy et al., 2016](https://arxiv.org/abs/1512.00567)
    """

    fn = staticmethod(label_smoothing_crossentropy)
    _fn_args = ("label_smoothing", "from_logits")

    def __init__(self, label_smoothing=0.1, from_logits=False,
                 reduction="sum_over_batch_size",
                 name="label_smoothing_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.from_logits = bool(from_logits)
