"""Multi-Similarity loss with its pair-mining step."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import distances as distances_lib
from keras_recipes.losses import miners
from keras_recipes.losses._metric_base import MetricLearningLoss
from keras_recipes.losses._metric_base import masked_log1p_sum_exp
from keras_recipes.losses._metric_base import prepare
from keras_recipes.utils.validation import check_number


def _check(alpha, beta, base, epsilon):
    check_number("alpha", alpha, min_value=0.0, min_inclusive=False)
    check_number("beta", beta, min_value=0.0, min_inclusive=False)
    check_number("base", base)
    check_number("epsilon", epsilon, min_value=0.0, allow_none=True)


@keras_recipes_export("keras_recipes.losses.multi_similarity_loss")
def multi_similarity_loss(y_true, y_pred, alpha=2.0, beta=50.0, base=0.5,
                          epsilon=0.1, distance="cosine"):
    """Multi-Similarity loss; one value per anchor.

    Pairs are first mined with `keras_recipes.losses.miners.
    multi_similarity_pair_masks(epsilon)` (all pairs when `epsilon=None`).
    Then, for a similarity `S`, anchor `a` costs
    `1/alpha log(1 + sum_p exp(-alpha (S_ap - base)))
    + 1/beta log(1 + sum_n exp(beta (S_an - base)))` over its kept pairs
    (for a distance the signs flip, as in pytorch-metric-learning). The
    batch loss is the mean over all anchors.

    Args:
        y_true: Integer labels, shape `(B,)` or `(B, 1)`.
        y_pred: Embeddings, shape `(B, D)`.
        alpha: Positive-pair scale. Defaults to `2.0`.
        beta: Negative-pair scale. Defaults to `50.0`.
        base: Similarity offset `lambda`. Defaults to `0.5`.
        epsilon: Mining margin, or `None` to keep every pair. Defaults to
            `0.1`.
        distance: A string or `keras_recipes.losses.distances.Distance`.
            Defaults to `"cosine"`.

    Returns:
        A `(B,)` tensor whose mean is the batch loss.

    Example:

    >>> y = np.array([0, 0, 1, 1])
    >>> x = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], "float32")
    >>> l = keras_recipes.losses.multi_similarity_loss(y, x)
    >>> round(float(keras.ops.mean(l)), 4)
    0.0
    """
    _check(alpha, beta, base, epsilon)
    distance = distances_lib.get(distance)
    labels, y_pred = prepare(y_true, y_pred)
    mat = distance(y_pred)
    if epsilon is None:
        pos, neg = miners.pair_masks(labels)
    else:
        pos, neg = miners.multi_similarity_pair_masks(
            ops.stop_gradient(mat), labels, distance, epsilon
        )
    pos_term = masked_log1p_sum_exp(alpha * distance.margin(mat, base), pos)
    neg_term = masked_log1p_sum_exp(beta * distance.margin(base, mat), neg)
    return pos_term / alpha + neg_term / beta


@keras_recipes_export("keras_recipes.losses.MultiSimilarityLoss")
class MultiSimilarityLoss(MetricLearningLoss):
    """Multi-Similarity loss (Wang et al. 2019), with its pair mining.

    Weighs every positive and negative pair of an anchor by its
    self-similarity and by its relative similarity to the other pairs.
    Mining keeps negatives closer than the hardest positive plus
    `epsilon`, and positives farther than the hardest negative minus
    `epsilon`. `y_true` holds integer labels `(B,)` or `(B, 1)`,
    `y_pred` embeddings `(B, D)`.

    Args:
        alpha: Positive-pair scale. Defaults to `2.0`.
        beta: Negative-pair scale. Defaults to `50.0`.
        base: Similarity offset (the paper's `lambda`). Defaults to `0.5`.
        epsilon: Mining margin; `None` keeps every pair (the loss alone,
            like pytorch-metric-learning's loss without its miner).
            Defaults to `0.1`.
        distance: `"cosine"`, `"dot_product"`, `"euclidean"`,
            `"squared_euclidean"` or a `Distance` object. Defaults to
            `"cosine"`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Name of the loss. Defaults to `"multi_similarity_loss"`.
        dtype: Dtype of the computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.MultiSimilarityLoss()
    >>> y = np.array([0, 0, 1, 1])
    >>> x = np.array([[1, 0], [0, 1], [1, 0.1], [0.1, 1]], "float32")
    >>> round(float(loss(y, x)), 3)
    1.083

    Reference:
        Wang et al., Multi-Similarity Loss with General Pair Weighting for
        Deep Metric Learning, https://arxiv.org/abs/1904.06627
    """

    def __init__(self, alpha=2.0, beta=50.0, base=0.5, epsilon=0.1,
                 distance="cosine", reduction="sum_over_batch_size",
                 name="multi_similarity_loss", dtype=None):
        _check(alpha, beta, base, epsilon)
        super().__init__(
            distance=distance, name=name, reduction=reduction, dtype=dtype
        )
        self.alpha = alpha
        self.beta = beta
        self.base = base
        self.epsilon = epsilon

    def call(self, y_true, y_pred):
        return multi_similarity_loss(
            y_true, y_pred, alpha=self.alpha, beta=self.beta, base=self.base,
            epsilon=self.epsilon, distance=self._distance,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            alpha=self.alpha, beta=self.beta, base=self.base,
            epsilon=self.epsilon,
        )
        return config
