"""Long-tailed subsets of balanced datasets (Cui et al., 2019)."""

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


def long_tailed_counts(num_per_class, num_classes, imbalance_ratio=100):
    """Class sizes of the exponential profile: `n_i = floor(n_max *
    imbalance_ratio^(-i / (C - 1)))` for classes `i = 0..C-1`."""
    exponents = np.arange(num_classes) / max(num_classes - 1, 1)
    counts = np.floor(num_per_class * imbalance_ratio ** -exponents + 1e-9)
    return np.maximum(counts.astype("int64"), 1)


@keras_recipes_export("keras_recipes.datasets.long_tailed")
def long_tailed(x, y, imbalance_ratio=100, seed=0):
    """A long-tailed subset of a (roughly) balanced dataset.

    Keeps `n_i = floor(n_max * imbalance_ratio^(-i / (C - 1)))` samples of
    class `i`, the exponential profile of Cui et al. (2019) used for
    CIFAR-10-LT and CIFAR-100-LT by them and by LDAM-DRW (Cao et al.,
    2019): class 0 keeps `n_max` samples, the last class `n_max /
    imbalance_ratio`. `n_max` is the size of the smallest class of `y`, so
    every class has enough samples. The kept samples of each class are
    drawn at random (seeded) and returned in their original order.

    Apply it to the training split only: evaluate on the balanced test set
    and report balanced accuracy (the mean of per-class recalls), as the
    long-tail papers do.

    Args:
        x: Array of samples, any shape `(N, ...)`.
        y: Integer class ids of shape `(N,)` or `(N, 1)`, from 0 to C - 1.
        imbalance_ratio: `n_max / n_min`, a number `>= 1`. Defaults to
            `100`.
        seed: Seed of the draw. Defaults to `0`.

    Returns:
        `(x_lt, y_lt)`: the subset, with `y_lt` shaped like `y`.

    Example:

    >>> x = np.arange(400).reshape(100, 4)
    >>> y = np.repeat(np.arange(4), 25)
    >>> x_lt, y_lt = keras_recipes.datasets.long_tailed(
    ...     x, y, imbalance_ratio=10)
    >>> np.bincount(y_lt).tolist()
    [25, 11, 5, 2]

    Reference:
        - [Cui et al., 2019](https://arxiv.org/abs/1901.05555)
    """
    check_number("imbalance_ratio", imbalance_ratio, min_value=1.0)
    check_number("seed", seed, integer=True, allow_none=True)
    x = np.asarray(x)
    y_array = np.asarray(y)
    if y_array.ndim == 2 and y_array.shape[1] == 1:
        ids = y_array[:, 0]
    elif y_array.ndim == 1:
        ids = y_array
    else:
        raise ValueError(
            "Expected `y` to hold integer class ids of shape (N,) or (N, 1). "
            f"Received: y.shape={y_array.shape}"
        )
    if not np.issubdtype(ids.dtype, np.integer):
        if ids.size and not np.all(np.equal(np.mod(ids, 1), 0)):
            raise ValueError(
                "Expected `y` to hold integer class ids. Received: y of "
                f"dtype {ids.dtype} with fractional values"
            )
        ids = ids.astype("int64")
    if x.ndim == 0 or len(x) != len(ids):
        raise ValueError(
            "Expected `x` and `y` to have the same number of samples. "
            f"Received: x.shape={x.shape}, y.shape={y_array.shape}"
        )
    if ids.size == 0 or ids.min() < 0:
        raise ValueError(
            "Expected `y` to hold class ids from 0 to C - 1 (and at least "
            f"one sample). Received: min(y)={ids.min() if ids.size else None}"
        )
    present = np.bincount(ids)
    if np.any(present == 0):
        raise ValueError(
            "Expected every class id from 0 to C - 1 to have samples. "
            f"Received: no samples of class(es) "
            f"{np.flatnonzero(present == 0).tolist()}"
        )
    counts = long_tailed_counts(int(present.min()), len(present),
                                imbalance_ratio)
    rng = np.random.default_rng(seed)
    # One random key per sample; within each class keep the n_i smallest.
    keys = rng.random(len(ids))
    order = np.lexsort((keys, ids))
    starts = np.concatenate([[0], np.cumsum(present)[:-1]])
    rank = np.empty(len(ids), "int64")
    rank[order] = np.arange(len(ids)) - np.repeat(starts, present)
    keep = np.flatnonzero(rank < counts[ids])
    return x[keep], y_array[keep]
