"""scikit-learn's bundled 8x8 digits, split like a Keras dataset."""

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.optional import import_optional


@keras_recipes_export("keras_recipes.datasets.digits.load_data")
def load_data(test_split=0.2, seed=0):
    """Load the 1,797 8x8 digits: `((x_train, y_train), (x_test, y_test))`.

    Ships with scikit-learn (extra `sklearn`), so it works offline; the
    fastest real dataset for tests. Images are uint8 of shape `(N, 8, 8)`
    scaled from the original 0-16 to 0-255; labels are uint8 0-9. The split
    is stratified and fixed by `seed`.

    Args:
        test_split: Fraction of each class held out for test, in `(0, 1)`.
            Defaults to `0.2`.
        seed: Seed of the split. Defaults to `0`.

    Example:

    >>> (x, y), (x_test, y_test) = keras_recipes.datasets.digits.load_data()
    >>> x.shape, x_test.shape, int(y.max())
    ((1438, 8, 8), (359, 8, 8), 9)
    """
    if not 0.0 < float(test_split) < 1.0:
        raise ValueError(
            "Expected `test_split` in the range (0, 1). "
            f"Received: test_split={test_split!r}"
        )
    datasets = import_optional("sklearn.datasets", "sklearn")
    bunch = datasets.load_digits()
    x = np.round(bunch.images * (255.0 / 16.0)).astype("uint8")
    y = bunch.target.astype("uint8")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: int(round(len(idx) * test_split))]] = True
    train_idx = rng.permutation(np.flatnonzero(~test))
    test_idx = np.flatnonzero(test)
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])
__all__ = ["load_data"]
