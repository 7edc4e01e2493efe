"""VICReg loss (Bardes et al., 2022): variance, invariance, covariance."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


def _check_weights(sim_weight, var_weight, cov_weight, epsilon):
    for name, value in (("sim_weight", sim_weight),
                        ("var_weight", var_weight),
                        ("cov_weight", cov_weight)):
        check_number(name, value, min_value=0.0)
    check_number("epsilon", epsilon, min_value=0.0, min_inclusive=False)


def _check_pair(z_a, z_b):
    if len(z_a.shape) != 2 or len(z_b.shape) != 2:
        raise ValueError(
            "Expected `z_a` and `z_b` of rank 2 (batch, dim). Received: "
            f"z_a.shape={tuple(z_a.shape)}, z_b.shape={tuple(z_b.shape)}"
        )
    if tuple(z_a.shape) != tuple(z_b.shape) and None not in (
            tuple(z_a.shape) + tuple(z_b.shape)):
        raise ValueError(
            "Expected `z_a` and `z_b` of the same shape. Received: "
            f"z_a.shape={tuple(z_a.shape)}, z_b.shape={tuple(z_b.shape)}"
        )
    n = z_a.shape[0]
    if n is not None and n < 2:
        raise ValueError(
            "Expected a batch of at least 2 examples: VICReg's variance "
            "and covariance are batch statistics (unbiased, divided by "
            f"N - 1). Received: batch size {n}"
        )


def vicreg_terms(z_a, z_b, epsilon=1e-4):
    """The three unweighted VICReg terms `(sim, var, cov)` as scalars.

    `sim` is the plain mean of `(z_a - z_b) ** 2` over every entry;
    `var` is `mean(relu(1 - std(z_a))) / 2 + mean(relu(1 - std(z_b))) / 2`
    with `std = sqrt(unbiased variance + epsilon)` per dimension; `cov`
    is the sum of squared off-diagonal entries of each view's covariance
    matrix (divided by `N - 1`), divided by the dimension `D`, summed over
    the two views. See `keras_recipes.losses.vicreg_loss`.
    """
    z_a = ops.convert_to_tensor(z_a)
    z_b = ops.convert_to_tensor(z_b)
    _check_pair(z_a, z_b)
    dtype = keras.backend.result_type(z_a.dtype, "float32")
    z_a = ops.cast(z_a, dtype)
    z_b = ops.cast(z_b, dtype)
    n = ops.cast(ops.shape(z_a)[0], dtype)
    d = ops.cast(ops.shape(z_a)[1], dtype)
    sim = ops.mean(ops.square(z_a - z_b))
    var = 0.0
    cov = 0.0
    for z in (z_a, z_b):
        z = z - ops.mean(z, axis=0, keepdims=True)
        variance = ops.sum(ops.square(z), axis=0) / (n - 1.0)
        std = ops.sqrt(variance + epsilon)
        var = var + ops.mean(ops.relu(1.0 - std)) / 2.0
        c = ops.matmul(ops.transpose(z), z) / (n - 1.0)
        off = ops.sum(ops.square(c)) - ops.sum(ops.square(ops.diagonal(c)))
        cov = cov + off / d
    return sim, var, cov


@keras_recipes_export("keras_recipes.losses.vicreg_loss")
def vicreg_loss(z_a, z_b, sim_weight=25.0, var_weight=25.0, cov_weight=1.0,
                epsilon=1e-4):
    """VICReg loss of two batches of embeddings; a scalar.

    Computed as in the authors' code (facebookresearch/vicreg): the
    invariance term is the plain mean squared difference
    `mean((z_a - z_b) ** 2)`; the variance term is
    `mean(relu(1 - std(z_a))) / 2 + mean(relu(1 - std(z_b))) / 2` with
    `std = sqrt(unbiased variance + epsilon)` per dimension; the
    covariance term is, for each view, the sum of the squared off-diagonal
    entries of `z.T @ z / (N - 1)` (of the centred `z`) divided by the
    dimension `D`, summed over the two views. The loss is
    `sim_weight * sim + var_weight * var + cov_weight * cov`. The variance
    and covariance are statistics of the batch, so VICReg is not a
    per-example loss (no `sample_weight`).

    Args:
        z_a: Embeddings of the first views, `(N, D)`, `N >= 2`.
        z_b: Embeddings of the second views, `(N, D)`; row `i` is the
            other view of the example of row `i` of `z_a`.
        sim_weight: Weight of the invariance term (the paper's lambda).
            Defaults to `25.0`.
        var_weight: Weight of the variance term (mu). Defaults to `25.0`.
        cov_weight: Weight of the covariance term (nu). Defaults to `1.0`.
        epsilon: Added to the variance before the square root. Defaults to
            `1e-4`.

    Returns:
        A scalar tensor.

    Example:

    >>> z_a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> z_b = np.array([[1.0, 0.5], [0.0, 1.0], [1.0, 0.0]])
    >>> round(float(keras_recipes.losses.vicreg_loss(z_a, z_b)), 4)
    16.346

    Reference:
        Bardes, Ponce and LeCun, VICReg: Variance-Invariance-Covariance
        Regularization for Self-Supervised Learning, ICLR 2022,
        https://arxiv.org/abs/2105.04906
    """
    _check_weights(sim_weight, var_weight, cov_weight, epsilon)
    sim, var, cov = vicreg_terms(z_a, z_b, epsilon=epsilon)
    return sim_weight * sim + var_weight * var + cov_weight * cov


def split_views(y_pred):
    """Interleaved `(2N, D)` embeddings -> `(z_a, z_b)`: rows `2i` and
    `2i + 1` are the two views of example `i` (the `NTXentLoss` layout)."""
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) != 2:
        raise ValueError(
            "Expected `y_pred` of rank 2 (2N, dim), the two views "
            "interleaved (rows 2i and 2i + 1 are views of example i). "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    n = y_pred.shape[0]
    if n is not None and n % 2:
        raise ValueError(
            "Expected an even number of rows in `y_pred` (rows 2i and "
            "2i + 1 are two views of one example). Received: "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    pairs = ops.reshape(y_pred, (-1, 2, y_pred.shape[-1]))
    return pairs[:, 0], pairs[:, 1]


@keras_recipes_export("keras_recipes.losses.VICRegLoss")
class VICRegLoss(keras.losses.Loss):
    """VICReg: variance-invariance-covariance regularization (SSL loss).

    Self-supervised, with the layout of `keras_recipes.losses.NTXentLoss`:
    `y_pred` holds the embeddings of the two views interleaved, `(2N, D)`,
    rows `2i` and `2i + 1` being the two views of example `i`; `y_true`
    is ignored (pass anything, e.g. zeros). The value is
    `keras_recipes.losses.vicreg_loss(y_pred[0::2], y_pred[1::2], ...)`
    (see it for the formula, which follows the authors' code). The
    variance and covariance terms are statistics of the whole batch (of
    one replica's batch under data parallelism), so the loss is one value
    per batch: `sample_weight` and `reduction` do not apply and are not
    accepted. `keras_recipes.ssl.VICReg` uses this loss and logs its
    three terms.

    Args:
        sim_weight: Weight of the invariance term. Defaults to `25.0`.
        var_weight: Weight of the variance term. Defaults to `25.0`.
        cov_weight: Weight of the covariance term. Defaults to `1.0`.
        epsilon: Added to the variance before the square root. Defaults to
            `1e-4`.
        name: Name of the loss. Defaults to `"vicreg_loss"`.
        dtype: Dtype of the computation. Defaults to `None`.

    Example:

    >>> loss = keras_recipes.losses.VICRegLoss()
    >>> z = np.array([[1.0, 0.0], [1.0, 0.5], [0.0, 1.0], [0.0, 1.0],
    ...               [1.0, 1.0], [1.0, 0.0]])
    >>> round(float(loss(np.zeros(6), z)), 4)
    16.346

    Reference:
        Bardes, Ponce and LeCun, VICReg: Variance-Invariance-Covariance
        Regularization for Self-Supervised Learning, ICLR 2022,
        https://arxiv.org/abs/2105.04906
    """

    def __init__(self, sim_weight=25.0, var_weight=25.0, cov_weight=1.0,
                 epsilon=1e-4, name="vicreg_loss", dtype=None):
        _check_weights(sim_weight, var_weight, cov_weight, epsilon)
        super().__init__(name=name, reduction="sum_over_batch_size",
                         dtype=dtype)
        self.sim_weight = sim_weight
        self.var_weight = var_weight
        self.cov_weight = cov_weight
        self.epsilon = epsilon

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                "VICRegLoss is a statistic of the whole batch and takes no "
                "per-example weights. Expected `sample_weight=None`. "
                f"Received: sample_weight of type "
                f"{type(sample_weight).__name__}"
            )
        return super().__call__(y_true, y_pred)

    def call(self, y_true, y_pred):
        z_a, z_b = split_views(y_pred)
        return vicreg_loss(
            z_a, z_b, sim_weight=self.sim_weight,
            var_weight=self.var_weight, cov_weight=self.cov_weight,
            epsilon=self.epsilon,
        )

    def get_config(self):
        config = {
            "name": self.name,
            "dtype": self.dtype,
            "sim_weight": self.sim_weight,
            "var_weight": self.var_weight,
            "cov_weight": self.cov_weight,
            "epsilon": self.epsilon,
        }
        return config
