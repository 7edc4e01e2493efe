"""A stratified, seeded subset of a labelled dataset (e.g. 1% labels)."""

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.data.stratified_subset")
def stratified_subset(y, fraction, seed=0):
    """Indices of a stratified random subset holding `fraction` of `y`.

    Each class keeps `round(fraction * n_c)` of its `n_c` examples, and at
    least one, so every class is represented; which examples is drawn with
    `seed`. This is how the semi-supervised benchmarks take "1% of the
    labels" (600 of Fashion-MNIST's 60,000 training images, 60 per class).
    The indices are sorted, so the subset keeps the data's order.

    Args:
        y: Labels, class ids `(N,)` or one-hot rows `(N, C)`.
        fraction: The share to keep, in `(0, 1]`.
        seed: Seed of the draw. Defaults to `0`.

    Returns:
        A sorted int64 NumPy array of indices into `y`.

    Example:

    >>> y = np.repeat([0, 1, 2], 100)
    >>> idx = keras_recipes.data.stratified_subset(y, 0.05, seed=0)
    >>> len(idx), np.bincount(y[idx]).tolist()
    (15, [5, 5, 5])
    """
    check_number("fraction", fraction, min_value=0.0, max_value=1.0,
                 min_inclusive=False)
    check_number("seed", seed, min_value=0, integer=True)
    ids = class_ids(y)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(ids):
        members = np.flatnonzero(ids == c)
        n = max(1, int(round(fraction * len(members))))
        keep.append(rng.choice(members, size=n, replace=False))
    return np.sort(np.concatenate(keep)).astype("int64")
