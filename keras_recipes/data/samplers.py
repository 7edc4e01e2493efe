"""Batches with m examples of each of batch_size / m classes."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.data.batches import pydataset_options
from keras_recipes.utils.validation import check_number


def m_per_class_indices(labels, m, batch_size, num_batches, rng):
    """Index array `(num_batches, batch_size)`: each row holds `m` indices
    of each of `batch_size // m` distinct classes. Classes with fewer than
    `m` examples are sampled with replacement."""
    classes, inverse = np.unique(labels, return_inverse=True)
    by_class = [np.flatnonzero(inverse == c) for c in range(len(classes))]
    per_batch = batch_size // m
    batches = np.empty((num_batches, batch_size), dtype="int64")
    for b in range(num_batches):
        chosen = rng.choice(len(classes), per_batch, replace=False)
        parts = []
        for c in chosen:
            members = by_class[c]
            parts.append(
                rng.choice(members, m, replace=len(members) < m)
            )
        batches[b] = rng.permutation(np.concatenate(parts))
    return batches


@keras_recipes_export("keras_recipes.data.MPerClassBatches")
class MPerClassBatches(keras.utils.PyDataset):
    """A `keras.utils.PyDataset` whose every batch holds m examples of each
    of `batch_size // m` classes.

    In-batch miners (`TripletLoss`, `MultiSimilarityLoss`, ...) need
    positives in each batch; random batches of a many-class dataset rarely
    have them. Each batch draws `batch_size // m` distinct classes, then
    `m` examples of each (without replacement, or with replacement for a
    class smaller than `m`), and shuffles the rows. An epoch has
    `len(y) // batch_size` batches (or `steps_per_epoch`); the plan is
    redrawn at the end of every epoch. The draws use NumPy's seeded
    `default_rng(seed)` on the host, outside the compiled step.

    Args:
        x: Array of inputs (first axis = examples), or a dict of arrays.
        y: Integer labels, shape `(N,)` or `(N, 1)`.
        m: Examples per class in a batch. Defaults to `4`.
        batch_size: Batch size, a multiple of `m` with
            `batch_size // m <= number of classes`. Defaults to `32`.
        steps_per_epoch: Batches per epoch. Defaults to `None`
            (`len(y) // batch_size`).
        seed: Seed of the sampling. Defaults to `None`.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`,
            `use_multiprocessing`, `max_queue_size`). `workers` defaults
            to 2 on TensorFlow, as in `keras_recipes.data.batches`.

    Example:

    >>> x = np.arange(40, dtype="float32").reshape(20, 2)
    >>> y = np.arange(20) % 5
    >>> ds = keras_recipes.data.MPerClassBatches(x, y, m=2, batch_size=6,
    ...                                          seed=0)
    >>> xb, yb = ds[0]
    >>> xb.shape, sorted(np.bincount(yb)[np.bincount(yb) > 0].tolist())
    ((6, 2), [2, 2, 2])

    Reference:
        pytorch-metric-learning's `MPerClassSampler`,
        https://kevinmusgrave.github.io/pytorch-metric-learning/samplers/
    """

    def __init__(self, x, y, m=4, batch_size=32, steps_per_epoch=None,
                 seed=None, **kwargs):
        super().__init__(**pydataset_options(kwargs))
        check_number("m", m, min_value=1, integer=True)
        check_number("batch_size", batch_size, min_value=1, integer=True)
        check_number("steps_per_epoch", steps_per_epoch, min_value=1,
                     integer=True, allow_none=True)
        check_number("seed", seed, integer=True, allow_none=True)
        if batch_size % m:
            raise ValueError(
                "Expected `batch_size` to be a multiple of `m`. "
                f"Received: batch_size={batch_size}, m={m}"
            )
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = y_arr[:, 0]
        if y_arr.ndim != 1:
            raise ValueError(
                "Expected `y` to be integer labels of shape (N,) or (N, 1). "
                f"Received: y.shape={np.shape(y)}"
            )
        lengths = {len(v) for v in (x.values() if isinstance(x, dict)
                                    else [x])}
        if lengths != {len(y_arr)}:
            raise ValueError(
                "Expected `x` and `y` to have the same number of examples. "
                f"Received: {sorted(lengths)} and {len(y_arr)}"
            )
        num_classes = len(np.unique(y_arr))
        if batch_size // m > num_classes:
            raise ValueError(
                f"Expected `batch_size // m` <= the number of classes "
                f"({num_classes}). Received: batch_size={batch_size}, m={m}"
            )
        self.x = x
        self.y = y
        self.m = m
        self.batch_size = batch_size
        self.steps_per_epoch = steps_per_epoch
        self.seed = seed
        self._labels = y_arr
        self._num_batches = steps_per_epoch or max(len(y_arr) // batch_size, 1)
        self._rng = np.random.default_rng(seed)
        self._plan = self._draw()

    def _draw(self):
        return m_per_class_indices(
            self._labels, self.m, self.batch_size, self._num_batches,
            self._rng,
        )

    def __len__(self):
        return self._num_batches

    def __getitem__(self, index):
        if index < 0 or index >= self._num_batches:
            raise IndexError(
                f"Expected `index` in [0, {self._num_batches}). "
                f"Received: index={index}"
            )
        idx = self._plan[index]
        if isinstance(self.x, dict):
            xb = {k: np.asarray(v)[idx] for k, v in self.x.items()}
        else:
            xb = np.asarray(self.x)[idx]
        return xb, np.asarray(self.y)[idx]

    def on_epoch_end(self):
        self._plan = self._draw()

    def get_config(self):
        """The sampling arguments (the data `x`, `y` are not included)."""
        return {
            "m": self.m,
            "batch_size": self.batch_size,
            "steps_per_epoch": self.steps_per_epoch,
            "seed": self.seed,
        }
