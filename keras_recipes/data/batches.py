"""Batches of NumPy arrays with vectorized augmentation, for `model.fit`."""

import keras
import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.backend.capabilities import pydataset_stalls_with_one_worker
from keras_recipes.utils.seeding import check_seed
from keras_recipes.utils.seeding import derive_seed
from keras_recipes.utils.seeding import draw_seed
from keras_recipes.utils.validation import check_number


def _to_numpy(x):
    if isinstance(x, np.ndarray):
        return x
    return np.asarray(keras.ops.convert_to_numpy(x))


def _check_augment(augment):
    if augment is None:
        return []
    items = augment if isinstance(augment, (list, tuple)) else [augment]
    for item in items:
        if isinstance(item, (keras.layers.MixUp, keras.layers.CutMix)):
            raise ValueError(
                f"Expected `keras_recipes.augment.{type(item).__name__}` "
                f"instead of `keras.layers.{type(item).__name__}`, which "
                "does not mix integer labels. Received: augment item "
                f"{item!r}"
            )
        if not callable(item):
            raise TypeError(
                "Expected every item of `augment` to be a layer or a "
                "callable `fn(images, labels) -> (images, labels)`. "
                f"Received: {item!r} of type {type(item).__name__}"
            )
    return list(items)


def pydataset_options(kwargs):
    """`keras.utils.PyDataset` options with our default for `workers`.

    On the TensorFlow backend Keras feeds a single-worker `PyDataset`
    through `tf.data.Dataset.from_generator(...).prefetch(AUTOTUNE)`, which
    stalls for about 5 s at the start of some epochs (3 epochs in 9 on a
    2-core CPU with Keras 3.15; see `docs/benchmarks.md`). With two worker
    threads Keras uses its own queue instead and no epoch stalled, so that
    is the default there. Every batch's draws depend only on
    `(seed, epoch, batch index)`, so any number of workers gives the same
    batches. An explicit `workers` is kept.
    """
    kwargs = dict(kwargs)
    if "workers" not in kwargs and pydataset_stalls_with_one_worker():
        kwargs["workers"] = 2
    return kwargs


class _AugmentedBatches(keras.utils.PyDataset):
    """The `keras.utils.PyDataset` returned by `keras_recipes.data.batches`.
    """

    def __init__(self, x, y, batch_size, augment, shuffle, seed, **kwargs):
        super().__init__(**pydataset_options(kwargs))
        self.x = x
        self.y = y
        self.batch_size = batch_size
        self.augment = augment
        self.shuffle = shuffle
        self.seed = draw_seed() if seed is None else seed
        self.epoch = 0
        self._order = self._make_order()

    def _make_order(self):
        n = len(self.x)
        if not self.shuffle:
            return np.arange(n)
        generator = keras.random.SeedGenerator(
            derive_seed(self.seed, self.epoch, -1)
        )
        keys = keras.random.uniform((n,), seed=generator)
        return np.argsort(_to_numpy(keys), kind="stable")

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    @property
    def num_batches(self):
        return len(self)

    def __getitem__(self, index):
        if index < 0 or index >= len(self):
            raise IndexError(
                f"Expected a batch index in [0, {len(self)}). "
                f"Received: index={index}"
            )
        idx = self._order[index * self.batch_size:(index + 1) *
                          self.batch_size]
        images, labels = self.x[idx], self.y[idx]
        if self.augment:
            generator = keras.random.SeedGenerator(
                derive_seed(self.seed, self.epoch, index)
            )
            for item in self.augment:
                images, labels = self._apply(item, images, labels, generator)
            images, labels = _to_numpy(images), _to_numpy(labels)
        return images, labels

    @staticmethod
    def _apply(item, images, labels, generator):
        from keras_recipes.augment._base import BaseAugmentation

        if isinstance(item, BaseAugmentation):
            if item.mixes_labels:
                return item((images, labels), training=True, seed=generator)
            return item(images, training=True, seed=generator), labels
        if isinstance(item, keras.layers.Layer):
            return item(images, training=True), labels
        out = item(images, labels)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError(
                "Expected an augment callable to return (images, labels). "
                f"Received: {type(out).__name__} from {item!r}"
            )
        return tuple(out)

    def on_epoch_end(self):
        self.epoch += 1
        self._order = self._make_order()


@keras_recipes_export("keras_recipes.data.batches")
def batches(x, y, batch_size, augment=None, shuffle=True, seed=None,
            **kwargs):
    """Batch NumPy arrays, augmenting each whole batch, for `model.fit`.

    Returns a `keras.utils.PyDataset`, which `model.fit` accepts on every
    backend. Each epoch the order is reshuffled (when `shuffle`), every
    batch goes through the `augment` items at once (vectorized, no loop
    over images), and the final partial batch is kept. The shuffling and the
    random draws of `keras_recipes.augment` layers depend only on
    `(seed, epoch, batch index)`, so a given `seed` reproduces the same
    batches, also with `workers > 1`. Pass `shuffle=False` to `model.fit`
    for a reproducible run: otherwise Keras visits the batches of a
    `PyDataset` in an order drawn from Python's unseeded `random` module.
    A fixed `workers` reproduces the weights on every backend. On
    TensorFlow `workers=1` and `workers=2` also give the same weights; on
    JAX and torch they do not, because of Keras 3.15's `PyDataset`
    adapter: before training it reads a few batches to peek at their
    shapes and then calls `on_epoch_end`; with worker threads it has by
    then prefetched a whole epoch of batches drawn for epoch 0, and the
    stream it trains on differs from one worker's (seen: the same batch
    for every `(epoch, index)`, different weights). The batch for a given
    `(epoch, index)` is the same whichever thread builds it.

    `augment` items are applied in order:
    - label-mixing layers (`keras_recipes.augment.MixUp`, `CutMix`,
      `MixUpOrCutMix`) get `(images, labels)` and return float soft targets,
      so compile with a loss that accepts them
      (`keras.losses.CategoricalCrossentropy`,
      `keras_recipes.losses.FocalLoss`, ...);
    - other Keras layers (`keras_recipes.augment.RandAugment`,
      `keras.layers.RandomFlip`, ...) get the images only;
    - any other callable is called as `fn(images, labels)` and must return
      `(images, labels)`, e.g. `keras_recipes.callbacks.ProgressiveResizing`.

    Args:
        x: images, a NumPy array (N, ...).
        y: labels, a NumPy array (N, ...).
        batch_size: batch size.
        augment: a layer/callable or a list of them. Defaults to `None`.
        shuffle: reshuffle every epoch. Defaults to `True`.
        seed: integer seed for the order and the augmentation draws.
            Defaults to `None` (drawn from Keras's global seed, so
            `keras.utils.set_random_seed` makes it reproducible too).
        **kwargs: passed to `keras.utils.PyDataset` (`workers`,
            `use_multiprocessing`, `max_queue_size`). On the TensorFlow
            backend `workers` defaults to 2: with one worker Keras's
            `tf.data` prefetch stalls for seconds at the start of some
            epochs. Any number of workers gives the same batches.

    Returns:
        A `keras.utils.PyDataset` yielding `(images, labels)` NumPy batches.

    Example:

    >>> x = np.zeros((10, 8, 8, 3), dtype="uint8")
    >>> y = np.arange(10) % 2
    >>> data = keras_recipes.data.batches(
    ...     x, y, batch_size=4, seed=0,
    ...     augment=[keras_recipes.augment.MixUp(num_classes=2)])
    >>> len(data), data[2][0].shape, data[0][1].shape
    (3, (2, 8, 8, 3), (4, 2))
    """
    x = np.asarray(x)
    y = np.asarray(y)
    check_number("batch_size", batch_size, integer=True, min_value=1)
    if len(x) != len(y):
        raise ValueError(
            "Expected `x` and `y` to have the same length. Received: "
            f"len(x)={len(x)}, len(y)={len(y)}"
        )
    if len(x) == 0:
        raise ValueError("Expected a non-empty `x`. Received: len(x)=0")
    if not isinstance(shuffle, bool):
        raise TypeError(
            f"Expected `shuffle` to be a bool. Received: shuffle={shuffle!r}"
        )
    check_seed(seed)
    return _AugmentedBatches(
        x, y, batch_size, _check_augment(augment), shuffle, seed, **kwargs
    )
