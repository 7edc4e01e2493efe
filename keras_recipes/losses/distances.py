"""Distance strategies for the metric-learning losses and retrieval tools.

A distance object turns embeddings into a pairwise matrix and carries the
flag `is_inverted`: `False` for distances (smaller means closer), `True` for
similarities (bigger means closer). Losses use `margin()` and
`dissimilarity()` so that they never special-case cosine.

Strings accepted everywhere a `distance=` argument is taken:
`"euclidean"`, `"squared_euclidean"`, `"cosine"` and `"dot_product"`.
"""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export

__all__ = [
    "CosineSimilarity",
    "Distance",
    "DotProductSimilarity",
    "EuclideanDistance",
    "get",
]


def safe_sqrt(x):
    """`sqrt(max(x, 0))` whose gradient is 0 (not inf or NaN) where x <= 0."""
    x = ops.maximum(x, 0.0)
    positive = ops.greater(x, 0.0)
    return ops.where(positive, ops.sqrt(ops.where(positive, x, 1.0)), 0.0)


def l2_normalize(x, axis=-1, epsilon=1e-12):
    """Divide by the L2 norm; all-zero rows stay zero with finite gradients."""
    squared = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(squared, epsilon))


@keras_recipes_export("keras_recipes.losses.distances.Distance")
class Distance:
    """Base class of the pairwise distance strategies.

    Subclasses implement `compute(x, y)`, which returns the `(N, M)` matrix
    between the rows of `x` (N, D) and `y` (M, D), and set the class
    attribute `is_inverted`: `False` when smaller values mean closer
    (distances), `True` when bigger values mean closer (similarities).

    Args:
        normalize: Whether to L2-normalize the embeddings before comparing
            them. Defaults to `False`.

    Example:

    >>> d = keras_recipes.losses.distances.EuclideanDistance()
    >>> x = np.array([[0.0, 0.0], [3.0, 4.0]], dtype="float32")
    >>> keras.ops.convert_to_numpy(d(x)).astype("float64").round(3).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    >>> d.is_inverted
    False

    Reference:
        PyTorch Metric Learning's `BaseDistance(is_inverted=...)`,
        https://kevinmusgrave.github.io/pytorch-metric-learning/distances/
    """

    is_inverted = False

    def __init__(self, normalize=False):
        if not isinstance(normalize, bool):
            raise TypeError(
                "Expected `normalize` to be a bool. "
                f"Received: normalize={normalize!r}"
            )
        self.normalize = normalize

    def __call__(self, x, y=None):
        """Pairwise matrix between `x` and `y` (or `x` and itself)."""
        x = ops.convert_to_tensor(x)
        same = y is None
        y = x if same else ops.convert_to_tensor(y, dtype=x.dtype)
        if self.normalize:
            x = l2_normalize(x)
            y = x if same else l2_normalize(y)
        return self.compute(x, y, same=same)

    def compute(self, x, y, same=False):
        raise NotImplementedError

    def margin(self, x, y):
        """How much farther apart `x` is than `y`: `x - y` for a distance,
        `y - x` for a similarity (PML's `BaseDistance.margin`)."""
        return y - x if self.is_inverted else x - y

    def dissimilarity(self, matrix):
        """A matrix in which smaller always means closer (`-matrix` for a
        similarity). Differences of it are what triplet margins compare."""
        return -matrix if self.is_inverted else matrix

    def get_config(self):
        return {"normalize": self.normalize}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and (
            self.get_config() == other.get_config()
        )

    def __hash__(self):
        return hash((type(self).__name__, tuple(self.get_config().items())))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@keras_recipes_export("keras_recipes.losses.distances.EuclideanDistance")
class EuclideanDistance(Distance):
    """Euclidean (L2) distance, optionally squared; smaller means closer.

    The squared form is `|x|^2 + |y|^2 - 2 x.y`, clipped at 0, with an
    exact 0 on the diagonal when comparing a batch with itself. The
    unsquared form takes a square root whose gradient is 0 at 0, so that
    coincident embeddings (all-zero batches) keep finite gradients.

    `EuclideanDistance(squared=True)` is TensorFlow Addons'
    `distance_metric="L_2"`; `squared=False` is its `"L_1"` (which TFA
    computes as the plain Euclidean distance despite the name).

    Args:
        squared: Whether to return the squared distance. Defaults to
            `False`.
        normalize: Whether to L2-normalize the embeddings first. Defaults
            to `False`.

    Example:

    >>> d = keras_recipes.losses.distances.EuclideanDistance(squared=True)
    >>> x = np.array([[0.0, 0.0], [3.0, 4.0]], dtype="float32")
    >>> keras.ops.convert_to_numpy(d(x)).astype("float64").round(3).tolist()
    [[0.0, 25.0], [25.0, 0.0]]
    """

    is_inverted = False

    def __init__(self, squared=False, normalize=False):
        super().__init__(normalize=normalize)
        if not isinstance(squared, bool):
            raise TypeError(
                "Expected `squared` to be a bool. "
                f"Received: squared={squared!r}"
            )
        self.squared = squared

    def compute(self, x, y, same=False):
        xx = ops.sum(ops.square(x), axis=-1, keepdims=True)
        yy = ops.sum(ops.square(y), axis=-1, keepdims=True)
        sq = xx + ops.transpose(yy) - 2.0 * ops.matmul(x, ops.transpose(y))
        sq = ops.maximum(sq, 0.0)
        if same:
            n = ops.shape(x)[0]
            sq = sq * (1.0 - ops.eye(n, dtype=sq.dtype))
        return sq if self.squared else safe_sqrt(sq)

    def get_config(self):
        return {"squared": self.squared, **super().get_config()}


@keras_recipes_export("keras_recipes.losses.distances.CosineSimilarity")
class CosineSimilarity(Distance):
    """Cosine similarity; bigger means closer (`is_inverted=True`).

    The embeddings are always L2-normalized (all-zero rows give a
    similarity of 0 with finite gradients).

    Example:

    >>> d = keras_recipes.losses.distances.CosineSimilarity()
    >>> x = np.array([[1.0, 0.0], [1.0, 1.0]], dtype="float32")
    >>> keras.ops.convert_to_numpy(d(x)).astype("float64").round(3).tolist()
    [[1.0, 0.707], [0.707, 1.0]]
    >>> d.is_inverted
    True
    """

    is_inverted = True

    def __init__(self):
        super().__init__(normalize=True)

    def compute(self, x, y, same=False):
        return ops.matmul(x, ops.transpose(y))

    def get_config(self):
        return {}


@keras_recipes_export("keras_recipes.losses.distances.DotProductSimilarity")
class DotProductSimilarity(Distance):
    """Dot-product similarity; bigger means closer (`is_inverted=True`).

    Args:
        normalize: Whether to L2-normalize first (which makes it the cosine
            similarity). Defaults to `False`.

    Example:

    >>> d = keras_recipes.losses.distances.DotProductSimilarity()
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    >>> keras.ops.convert_to_numpy(d(x)).tolist()
    [[5.0, 11.0], [11.0, 25.0]]
    """

    is_inverted = True

    def compute(self, x, y, same=False):
        return ops.matmul(x, ops.transpose(y))


_STRINGS = {
    "euclidean": lambda: EuclideanDistance(),
    "squared_euclidean": lambda: EuclideanDistance(squared=True),
    "cosine": lambda: CosineSimilarity(),
    "dot_product": lambda: DotProductSimilarity(),
}


def get(identifier):
    """Resolve a `distance=` argument to a `Distance` object.

    Args:
        identifier: One of `"euclidean"`, `"squared_euclidean"`,
            `"cosine"`, `"dot_product"`, a `Distance` instance, or a
            serialized `Distance` config dict.

    Returns:
        A `Distance` instance.

    Example:
        `get("cosine").is_inverted` is `True`.
    """
    if isinstance(identifier, Distance):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _STRINGS:
            raise ValueError(
                f"Expected `distance` to be one of {sorted(_STRINGS)} or a "
                "`keras_recipes.losses.distances.Distance` instance. "
                f"Received: distance={identifier!r}"
            )
        return _STRINGS[identifier]()
    if isinstance(identifier, dict):
        obj = keras.saving.deserialize_keras_object(identifier)
        if isinstance(obj, Distance):
            return obj
    raise TypeError(
        f"Expected `distance` to be one of {sorted(_STRINGS)} or a "
        "`keras_recipes.losses.distances.Distance` instance. "
        f"Received: distance={identifier!r}"
    )


def serialize(distance):
    """Config value for a `distance=` argument: strings stay strings."""
    if isinstance(distance, str):
        return distance
    return keras.saving.serialize_keras_object(distance)
