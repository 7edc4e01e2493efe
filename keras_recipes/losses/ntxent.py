"""NT-Xent (SimCLR): consecutive rows are two views of one example."""

from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses._metric_base import MetricLearningLoss
from keras_recipes.losses._metric_base import prepare
from keras_recipes.losses.supervised_contrastive import _check_temperature
from keras_recipes.losses.supervised_contrastive import contrastive_softmax


def _pair_labels(y_pred):
    n = y_pred.shape[0]
    if n is not None and n % 2:
        raise ValueError(
            "Expected an even batch size for NT-Xent (rows 2i and 2i+1 are "
            f"two views of one example). Received: batch size {n}"
        )
    return ops.arange(ops.shape(y_pred)[0]) // 2


@keras_recipes_export("keras_recipes.losses.ntxent_loss")
def ntxent_loss(y_true, y_pred, temperature=0.5, distance="cosine"):
    """NT-Xent loss of SimCLR; one value per row.

    Rows `2i` and `2i + 1` of `y_pred` are two augmented views of the same
    example; `y_true` is ignored (pass anything, e.g. zeros). For row `a`
    with twin `t`: `l_a = -log(exp(s_at/T) / sum_{j != a} exp(s_aj/T))`,
    averaged over the `2N` rows.

    Args:
        y_true: Ignored (kept for the Keras loss signature).
        y_pred: Embeddings `(2N, D)`, views interleaved.
        temperature: Positive softmax temperature. Defaults to `0.5`.
        distance: A string or `keras_recipes.losses.distances.Distance`.
            Defaults to `"cosine"`.

    Returns:
        A `(2N,)` tensor whose mean is the batch loss.

    Example:

    >>> x = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], "float32")
    >>> l = keras_recipes.losses.ntxent_loss(None, x)
    >>> round(float(keras.ops.mean(l)), 4)
    0.2899
    """
    _check_temperature(temperature)
    y_pred = ops.convert_to_tensor(y_pred)
    _, y_pred = prepare(None, y_pred)
    return contrastive_softmax(
        _pair_labels(y_pred), y_pred, temperature, distance
    )


@keras_recipes_export("keras_recipes.losses.NTXentLoss")
class NTXentLoss(MetricLearningLoss):
    """NT-Xent, the normalized temperature-scaled cross-entropy of SimCLR.

    Self-supervised: rows `2i` and `2i + 1` of `y_pred` must be two views
    (augmentations) of the same example, and every other row is a
    negative. `y_true` is ignored, so pass any array of length `2N`
    (e.g. zeros) to `fit`. Equivalent to pytorch-metric-learning's
    `NTXentLoss` with labels `arange(2N) // 2`.

    Args:
        temperature: Positive softmax temperature. Defaults to `0.5`.
        distance: `"cosine"`, `"dot_product"`, `"euclidean"`,
            `"squared_euclidean"` or a `Distance` object. Defaults to
            `"cosine"`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
        name: Name of the loss. Defaults to `"ntxent_loss"`.
        dtype: Dtype of the computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.NTXentLoss(temperature=0.5)
    >>> x = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], "float32")
    >>> round(float(loss(np.zeros(4), x)), 4)
    0.2899

    Reference:
        Chen et al., A Simple Framework for Contrastive Learning of Visual
        Representations (SimCLR), https://arxiv.org/abs/2002.05709
    """

    def __init__(self, temperature=0.5, distance="cosine",
                 reduction="sum_over_batch_size", name="ntxent_loss",
                 dtype=None):
        _check_temperature(temperature)
        super().__init__(
            distance=distance, name=name, reduction=reduction, dtype=dtype
        )
        self.temperature = temperature

    def call(self, y_true, y_pred):
        return ntxent_loss(
            y_true, y_pred, temperature=self.temperature,
            distance=self._distance,
        )

    def get_config(self):
        config = super().get_config()
        config.update(temperature=self.temperature)
        return config
