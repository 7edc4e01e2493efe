"""Triplet loss with in-batch semi-hard, batch-hard or batch-all mining."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import distances as distances_lib
from keras_recipes.losses import miners
from keras_recipes.losses._metric_base import MetricLearningLoss
from keras_recipes.losses._metric_base import batch_size_as
from keras_recipes.losses._metric_base import masked_max
from keras_recipes.losses._metric_base import masked_min
from keras_recipes.losses._metric_base import prepare
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_number

MINING = ("semi_hard", "hard", "all")


def _check(margin, mining, soft):
    check_number("margin", margin, min_value=0.0)
    check_choice("mining", mining, MINING)
    if not isinstance(soft, bool):
        raise TypeError(
            f"Expected `soft` to be a bool. Received: soft={soft!r}"
        )


@keras_recipes_export("keras_recipes.losses.triplet_loss")
def triplet_loss(y_true, y_pred, margin=1.0, mining="semi_hard",
                 distance="euclidean", soft=False):
    """Triplet loss with in-batch mining; one value per anchor.

    The returned vector's mean is the batch loss, so the Keras reduction
    `"sum_over_batch_size"` gives exactly TensorFlow Addons' values:

    - `mining="semi_hard"` is TFA's `triplet_semihard_loss`: for every
      positive pair `(a, p)` the negative is the closest one farther than
      `p` (`d_an > d_ap`), else the farthest negative of `a`, else (no
      negative at all) the row minimum of `d`; the hinge
      `max(margin + d_ap - d_an, 0)` is averaged over all positive pairs.
      With no positive pair in the batch the loss is 0 (TFA returns NaN).
    - `mining="hard"` is TFA's `triplet_hard_loss`: for every anchor the
      farthest positive (else the row minimum) and the closest negative
      (else the row maximum), averaged over all anchors.
    - `mining="all"`: every valid triplet, averaged over those with a
      positive loss (PML's `AvgNonZeroReducer`); with `soft=True` over all
      valid triplets.

    With `soft=True` the hinge becomes `softplus(d_ap - d_an)` (no margin).
    For similarities (`distance="cosine"`) `d` is the negated similarity.

    Args:
        y_true: Integer labels, shape `(B,)` or `(B, 1)`.
        y_pred: Embeddings, shape `(B, D)`.
        margin: Non-negative margin. Defaults to `1.0`.
        mining: `"semi_hard"`, `"hard"` or `"all"`. Defaults to
            `"semi_hard"`.
        distance: A string or `keras_recipes.losses.distances.Distance`.
            Defaults to `"euclidean"`.
        soft: Whether to use the soft-margin form. Defaults to `False`.

    Returns:
        A `(B,)` tensor whose mean is the batch loss.

    Example:

    >>> y = np.array([0, 0, 1, 1])
    >>> x = np.array([[0, 0], [0, 1], [2, 0], [2, 1]], "float32")
    >>> loss = keras_recipes.losses.triplet_loss(y, x, mining="hard")
    >>> round(float(keras.ops.mean(loss)), 4)
    0.0
    """
    _check(margin, mining, soft)
    distance = distances_lib.get(distance)
    labels, y_pred = prepare(y_true, y_pred)
    d = distance.dissimilarity(distance(y_pred))
    pos, neg = miners.pair_masks(labels)
    dtype = d.dtype
    n = batch_size_as(d)

    def hinge(x):
        if soft:
            return ops.softplus(x)
        return ops.relu(x + margin)

    if mining == "hard":
        hardest_pos = masked_max(d, pos)
        hardest_neg = masked_min(d, neg)
        return ops.squeeze(hinge(hardest_pos - hardest_neg), -1)

    if mining == "semi_hard":
        outside = miners.semi_hard_negative_mask(d, labels)  # [a, p, n]
        has_outside = ops.any(outside, axis=-1)  # [a, p]
        d_tiled = ops.broadcast_to(d[:, None, :], ops.shape(outside))
        neg_outside = ops.squeeze(masked_min(d_tiled, outside), -1)
        neg_inside = masked_max(d, neg)  # [a, 1]
        semi_hard = ops.where(has_outside, neg_outside, neg_inside)
        pos_f = ops.cast(pos, dtype)
        per_pair = hinge(d - semi_hard) * pos_f
        num_pos = ops.maximum(ops.sum(pos_f), 1.0)
        return ops.sum(per_pair, axis=1) * n / num_pos

    # mining == "all"
    valid = ops.cast(miners.triplet_mask(labels), dtype)
    per_triplet = hinge(d[:, :, None] - d[:, None, :]) * valid
    if soft:
        count = ops.sum(valid)
    else:
        count = ops.sum(ops.cast(ops.greater(per_triplet, 0.0), dtype))
    count = ops.maximum(count, 1.0)
    return ops.sum(per_triplet, axis=(1, 2)) * n / count


@keras_recipes_export("keras_recipes.losses.TripletLoss")
class TripletLoss(MetricLearningLoss):
    """Triplet loss with semi-hard, batch-hard or batch-all in-batch mining.

    Pulls each anchor closer to its positives than to its negatives by at
    least `margin`. `y_true` holds integer class labels `(B,)` or `(B, 1)`
    and `y_pred` the embeddings `(B, D)`; triplets are mined inside the
    batch, so use batches with several examples per class
    (`keras_recipes.data.MPerClassBatches`).

    It reproduces TensorFlow Addons (end of life May 2024):
    `TripletLoss(margin, distance="squared_euclidean")` equals
    `tfa.losses.TripletSemiHardLoss(margin)` (TFA's default `"L_2"` is the
    squared distance) and `distance="euclidean"` equals TFA's
    `distance_metric="L_1"`; `mining="hard"` equals
    `tfa.losses.TripletHardLoss(margin, soft)` in the same two pairings,
    corner cases included. One deviation: a batch without any positive
    pair gives 0 where TFA's semi-hard loss gives NaN. See
    `keras_recipes.losses.triplet_loss` for the exact definitions.

    Args:
        margin: Non-negative margin. Defaults to `1.0`.
        mining: `"semi_hard"`, `"hard"` (batch-hard) or `"all"`
            (batch-all). Defaults to `"semi_hard"`.
        distance: `"euclidean"`, `"squared_euclidean"`, `"cosine"`,
            `"dot_product"` or a `keras_recipes.losses.distances.Distance`.
            Defaults to `"euclidean"`.
        soft: Whether to replace the hinge by `softplus(d_ap - d_an)`.
            Defaults to `False`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Name of the loss. Defaults to `"triplet_loss"`.
        dtype: Dtype of the computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.TripletLoss(margin=1.0)
    >>> y = np.array([0, 0, 1, 1])
    >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")
    >>> round(float(loss(y, x)), 4)
    0.5858
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile("adam", loss=keras_recipes.losses.TripletLoss())

    Reference:
        Schroff et al., FaceNet, https://arxiv.org/abs/1503.03832;
        Hermans et al., In Defense of the Triplet Loss,
        https://arxiv.org/abs/1703.07737
    """

    def __init__(self, margin=1.0, mining="semi_hard", distance="euclidean",
                 soft=False, reduction="sum_over_batch_size",
                 name="triplet_loss", dtype=None):
        _check(margin, mining, soft)
        super().__init__(
            distance=distance, name=name, reduction=reduction, dtype=dtype
        )
        self.margin = margin
        self.mining = mining
        self.soft = soft

    def call(self, y_true, y_pred):
        return triplet_loss(
            y_true, y_pred, margin=self.margin, mining=self.mining,
            distance=self._distance, soft=self.soft,
        )

    def get_config(self):
        config = super().get_config()
        config.update(margin=self.margin, mining=self.mining, soft=self.soft)
        return config
