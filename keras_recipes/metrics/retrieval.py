"""Streaming in-batch retrieval metric: recall@k."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import distances as distances_lib
from keras_recipes.losses import miners
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.metrics.RecallAtK")
class RecallAtK(keras.metrics.Metric):
    """Recall@k of in-batch retrieval, averaged over the batches seen.

    Every example of a batch is a query against the other examples of the
    same batch: it is a hit when at least one of its `k` nearest
    neighbours (itself excluded) has its label. Queries with no other
    example of their class in the batch are left out, as
    pytorch-metric-learning leaves out "lone" queries. Use it in
    `compile(metrics=[...])` next to a metric-learning loss; it is a cheap
    training signal. For the exact figure over a whole gallery use
    `keras_recipes.evaluation.retrieval_report`.

    Ties count against the query: a negative exactly as close as the
    nearest positive ranks ahead of it, so a collapsed embedding (all
    points equal) scores 0, not 1.

    Args:
        k: Number of neighbours. Defaults to `1`.
        distance: `"euclidean"`, `"squared_euclidean"`, `"cosine"`,
            `"dot_product"` or a `keras_recipes.losses.distances.Distance`.
            Defaults to `"euclidean"`.
        name: Name of the metric. Defaults to `"recall_at_{k}"`.
        dtype: Dtype of the metric's variables. Defaults to `None`.

    Example:

    >>> m = keras_recipes.metrics.RecallAtK(k=1)
    >>> y = np.array([0, 0, 1, 1])
    >>> x = np.array([[0.0], [0.1], [1.0], [0.3]], "float32")
    >>> m.update_state(y, x)
    >>> round(float(m.result()), 4)
    0.75
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile("adam", keras_recipes.losses.TripletLoss(),
    ...               metrics=[keras_recipes.metrics.RecallAtK(k=1)])

    Reference:
        Musgrave et al., A Metric Learning Reality Check,
        https://arxiv.org/abs/2003.08505
    """

    def __init__(self, k=1, distance="euclidean", name=None, dtype=None):
        check_number("k", k, min_value=1, integer=True)
        super().__init__(name=name or f"recall_at_{k}", dtype=dtype)
        if isinstance(distance, dict):
            distance = distances_lib.get(distance)
        self._distance = distances_lib.get(distance)
        self.k = k
        self.distance = distance
        self.hits = self.add_variable(
            shape=(), initializer="zeros", name="hits"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", name="count"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        labels = miners.flat_labels(y_true)
        d = self._distance.dissimilarity(self._distance(y_pred))
        d = ops.stop_gradient(d)
        pos, neg = miners.pair_masks(labels)
        inf = ops.convert_to_tensor(float("inf"), d.dtype)
        nearest_pos = ops.min(ops.where(pos, d, inf), axis=1, keepdims=True)
        # Negatives at most as far as the nearest positive rank ahead of it.
        ahead = ops.logical_and(ops.less_equal(d, nearest_pos), neg)
        num_ahead = ops.sum(ops.cast(ahead, "int32"), axis=1)
        hit = ops.cast(ops.less(num_ahead, self.k), self.dtype)
        valid = ops.cast(ops.any(pos, axis=1), self.dtype)
        if sample_weight is not None:
            w = ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
            valid = valid * w
        self.hits.assign_add(ops.sum(hit * valid))
        self.count.assign_add(ops.sum(valid))

    def result(self):
        return ops.divide_no_nan(self.hits, self.count)

    def reset_state(self):
        self.hits.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return {
            "k": self.k,
            "distance": distances_lib.serialize(self.distance),
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("distance"), dict):
            config["distance"] = keras.saving.deserialize_keras_object(
                config["distance"]
            )
        return cls(**config)
