"""Contrastive (pair) loss over every in-batch pair."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import distances as distances_lib
from keras_recipes.losses import miners
from keras_recipes.losses._metric_base import MetricLearningLoss
from keras_recipes.losses._metric_base import batch_size_as
from keras_recipes.losses._metric_base import prepare
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.losses.contrastive_loss")
def contrastive_loss(y_true, y_pred, pos_margin=0.0, neg_margin=1.0,
                     distance="euclidean"):
    """Contrastive loss over all in-batch pairs; one value per anchor.

    For a distance `d`: each positive pair costs `max(d - pos_margin, 0)`
    and each negative pair `max(neg_margin - d, 0)`; for a similarity `s`
    the signs flip (`max(pos_margin - s, 0)`, `max(s - neg_margin, 0)`).
    As in pytorch-metric-learning, the positive and the negative costs are
    each averaged over the pairs with a non-zero cost, and the two means
    are added. The returned vector's mean is that value.

    Args:
        y_true: Integer labels, shape `(B,)` or `(B, 1)`.
        y_pred: Embeddings, shape `(B, D)`.
        pos_margin: Positive pairs closer than this cost nothing.
            Defaults to `0.0`.
        neg_margin: Negative pairs farther than this cost nothing.
            Defaults to `1.0`.
        distance: A string or `keras_recipes.losses.distances.Distance`.
            Defaults to `"euclidean"`.

    Returns:
        A `(B,)` tensor whose mean is the batch loss.

    Example:

    >>> y = np.array([0, 0, 1])
    >>> x = np.array([[0, 0], [0, 0.5], [0, 0.75]], "float32")
    >>> l = keras_recipes.losses.contrastive_loss(y, x)
    >>> round(float(keras.ops.mean(l)), 4)
    1.0
    """
    distance = distances_lib.get(distance)
    labels, y_pred = prepare(y_true, y_pred)
    mat = distance(y_pred)
    pos, neg = miners.pair_masks(labels)
    dtype = mat.dtype
    pos_cost = ops.relu(distance.margin(mat, pos_margin))
    neg_cost = ops.relu(distance.margin(neg_margin, mat))
    pos_cost = pos_cost * ops.cast(pos, dtype)
    neg_cost = neg_cost * ops.cast(neg, dtype)

    def nonzero(x):
        return ops.maximum(ops.sum(ops.cast(ops.greater(x, 0.0), dtype)), 1.0)

    n = batch_size_as(mat)
    return n * (
        ops.sum(pos_cost, axis=1) / nonzero(pos_cost)
        + ops.sum(neg_cost, axis=1) / nonzero(neg_cost)
    )


@keras_recipes_export("keras_recipes.losses.ContrastiveLoss")
class ContrastiveLoss(MetricLearningLoss):
    """Contrastive loss over every in-batch pair (Hadsell et al. 2006).

    Pulls positive pairs within `pos_margin` and pushes negative pairs
    beyond `neg_margin`. `y_true` holds integer labels `(B,)` or `(B, 1)`,
    `y_pred` embeddings `(B, D)`. The positive and negative costs are each
    averaged over the pairs that still cost something, as in
    pytorch-metric-learning's `ContrastiveLoss` (not squared).

    Args:
        pos_margin: Distance under which a positive pair is free. Defaults
            to `0.0`.
        neg_margin: Distance beyond which a negative pair is free. Defaults
            to `1.0`.
        distance: `"euclidean"`, `"squared_euclidean"`, `"cosine"`,
            `"dot_product"` or a `keras_recipes.losses.distances.Distance`
            (for a similarity the margins are similarity thresholds).
            Defaults to `"euclidean"`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Name of the loss. Defaults to `"contrastive_loss"`.
        dtype: Dtype of the computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.ContrastiveLoss(neg_margin=1.0)
    >>> y = np.array([0, 0, 1])
    >>> x = np.array([[0, 0], [0, 0.5], [0, 0.75]], "float32")
    >>> round(float(loss(y, x)), 4)
    1.0

    Reference:
        Hadsell, Chopra & LeCun, Dimensionality Reduction by Learning an
        Invariant Mapping, CVPR 2006,
        http://yann.lecun.com/exdb/publis/pdf/hadsell-chopra-lecun-06.pdf
    """

    def __init__(self, pos_margin=0.0, neg_margin=1.0, distance="euclidean",
                 reduction="sum_over_batch_size", name="contrastive_loss",
                 dtype=None):
        check_number("pos_margin", pos_margin)
        check_number("neg_margin", neg_margin)
        super().__init__(
            distance=distance, name=name, reduction=reduction, dtype=dtype
        )
        self.pos_margin = pos_margin
        self.neg_margin = neg_margin

    def call(self, y_true, y_pred):
        return contrastive_loss(
            y_true, y_pred, pos_margin=self.pos_margin,
            neg_margin=self.neg_margin, distance=self._distance,
        )

    def get_config(self):
        config = super().get_config()
        config.update(pos_margin=self.pos_margin, neg_margin=self.neg_margin)
        return config
