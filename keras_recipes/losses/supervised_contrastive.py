"""Supervised contrastive loss (SupCon) and the shared softmax core."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import distances as distances_lib
from keras_recipes.losses import miners
from keras_recipes.losses._metric_base import MetricLearningLoss
from keras_recipes.losses._metric_base import batch_size_as
from keras_recipes.losses._metric_base import prepare
from keras_recipes.utils.validation import check_number


def contrastive_softmax(labels, y_pred, temperature, distance):
    """Per-anchor `-mean_p log softmax_{j != a}(s_aj / T)[p]`, scaled so
    that the mean over the batch is the average over anchors that have at
    least one positive."""
    distance = distances_lib.get(distance)
    mat = distance(y_pred)
    logits = -distance.dissimilarity(mat) / temperature
    pos, _ = miners.pair_masks(labels)
    dtype = logits.dtype
    n = ops.shape(logits)[0]
    others = ops.logical_not(ops.cast(ops.eye(n), "bool"))
    masked = ops.where(others, logits, -1e9)
    row_max = ops.stop_gradient(ops.max(masked, axis=1, keepdims=True))
    lse = ops.log(
        ops.sum(
            ops.where(others, ops.exp(masked - row_max), 0.0),
            axis=1, keepdims=True,
        ) + 1e-30
    ) + row_max
    log_prob = logits - lse
    pos_f = ops.cast(pos, dtype)
    num_pos = ops.sum(pos_f, axis=1)
    has_pos = ops.cast(ops.greater(num_pos, 0.0), dtype)
    per_anchor = -ops.sum(
        ops.where(pos, log_prob, 0.0), axis=1
    ) / ops.maximum(num_pos, 1.0)
    count = ops.maximum(ops.sum(has_pos), 1.0)
    return per_anchor * has_pos * batch_size_as(logits) / count


def _check_temperature(temperature):
    check_number("temperature", temperature, min_value=0.0,
                 min_inclusive=False)


@keras_recipes_export("keras_recipes.losses.supervised_contrastive_loss")
def supervised_contrastive_loss(y_true, y_pred, temperature=0.1,
                                distance="cosine"):
    """Supervised contrastive loss; one value per anchor.

    For anchor `a` with positives `P(a)`:
    `l_a = -1/|P(a)| sum_{p in P(a)} log(exp(s_ap/T) / sum_{j != a}
    exp(s_aj/T))`. The batch loss is the mean of `l_a` over anchors that
    have at least one positive (0 if none has); the returned vector's mean
    is that value. For a distance `d` the logits are `-d/T`.

    Args:
        y_true: Integer labels, shape `(B,)` or `(B, 1)`.
        y_pred: Embeddings, shape `(B, D)`.
        temperature: Positive softmax temperature. Defaults to `0.1`.
        distance: A string or `keras_recipes.losses.distances.Distance`.
            Defaults to `"cosine"`.

    Returns:
        A `(B,)` tensor whose mean is the batch loss.

    Example:

    >>> y = np.array([0, 0, 1, 1])
    >>> x = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], "float32")
    >>> l = keras_recipes.losses.supervised_contrastive_loss(y, x)
    >>> round(float(keras.ops.mean(l)), 4)
    0.0003
    """
    _check_temperature(temperature)
    labels, y_pred = prepare(y_true, y_pred)
    return contrastive_softmax(labels, y_pred, temperature, distance)


@keras_recipes_export("keras_recipes.losses.SupervisedContrastiveLoss")
class SupervisedContrastiveLoss(MetricLearningLoss):
    """Supervised contrastive loss (Khosla et al. 2020).

    A softmax over the batch in which every other example of the anchor's
    class counts as a positive. `y_true` holds integer labels `(B,)` or
    `(B, 1)` and `y_pred` embeddings `(B, D)` (normalized by the default
    cosine similarity). Anchors without a positive in the batch are left
    out of the mean, as in pytorch-metric-learning's `SupConLoss`.

    Args:
        temperature: Positive softmax temperature. Defaults to `0.1`.
        distance: `"cosine"`, `"dot_product"`, `"euclidean"`,
            `"squared_euclidean"` or a `Distance` object. Defaults to
            `"cosine"`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Name of the loss. Defaults to `"supervised_contrastive_loss"`.
        dtype: Dtype of the computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.SupervisedContrastiveLoss()
    >>> y = np.array([0, 0, 1, 1])
    >>> x = np.array([[1, 0], [0, 1], [1, 0.1], [0.1, 1]], "float32")
    >>> round(float(loss(y, x)), 3)
    8.961

    Reference:
        Khosla et al., Supervised Contrastive Learning,
        https://arxiv.org/abs/2004.11362
    """

    def __init__(self, temperature=0.1, distance="cosine",
                 reduction="sum_over_batch_size",
                 name="supervised_contrastive_loss", dtype=None):
        _check_temperature(temperature)
        super().__init__(
            distance=distance, name=name, reduction=reduction, dtype=dtype
        )
        self.temperature = temperature

    def call(self, y_true, y_pred):
        labels, y_pred = prepare(y_true, y_pred)
        return contrastive_softmax(
            labels, y_pred, self.temperature, self._distance
        )

    def get_config(self):
        config = super().get_config()
        config.update(temperature=self.temperature)
        return config
