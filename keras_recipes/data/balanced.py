"""Class-balanced, augmented batches of NumPy arrays, for `model.fit`."""

import numbers

import numpy as np

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.data.batches import _AugmentedBatches
from keras_recipes.data.batches import _check_augment
from keras_recipes.utils.labels import check_same_length
from keras_recipes.utils.labels import class_ids
from keras_recipes.utils.seeding import check_seed
from keras_recipes.utils.seeding import derive_seed
from keras_recipes.utils.validation import check_number

SAMPLINGS = ("oversample", "undersample", "sqrt")


def _round_to_total(weights, total):
    """Non-negative integers proportional to `weights` that sum to `total`
    (largest-remainder rounding; ties go to the lower class index)."""
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype("int64")
    short = int(total - counts.sum())
    if short:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def target_counts(counts, sampling, classes=None):
    """Samples of each class in one epoch.

    Args:
        counts: int array `(C,)`, the examples of each class present.
        sampling: `"oversample"`, `"undersample"`, `"sqrt"`, a dict
            `{class_id: count}` or a callable `counts -> targets`.
        classes: the class ids that `counts` refers to (for a dict).

    Returns:
        An int64 array `(C,)` of non-negative counts with a positive sum.
    """
    counts = np.asarray(counts, dtype="int64")
    classes = np.arange(len(counts)) if classes is None else classes
    if isinstance(sampling, str):
        if sampling not in SAMPLINGS:
            raise ValueError(
                f"Expected `sampling` to be one of {list(SAMPLINGS)}, a dict "
                "{class_id: count} or a callable. Received: "
                f"sampling={sampling!r}"
            )
        if sampling == "oversample":
            return np.full_like(counts, counts.max())
        if sampling == "undersample":
            return np.full_like(counts, counts.min())
        return _round_to_total(np.sqrt(counts), int(counts.sum()))
    if isinstance(sampling, dict):
        unknown = sorted(set(sampling) - set(classes.tolist()))
        if unknown:
            raise ValueError(
                "Expected the keys of `sampling` to be class ids present in "
                f"`y` ({classes.tolist()}). Received: sampling keys "
                f"{unknown} not in `y`"
            )
        targets = counts.copy()
        position = {c: i for i, c in enumerate(classes.tolist())}
        for c, value in sampling.items():
            targets[position[c]] = check_number(
                f"sampling[{c!r}]", value, integer=True, min_value=0)
    elif callable(sampling):
        targets = np.asarray(sampling(counts.copy()))
        if targets.shape != counts.shape or not all(
            isinstance(v, numbers.Integral) or float(v).is_integer()
            for v in targets.tolist()
        ):
            raise ValueError(
                f"Expected the `sampling` callable to return {len(counts)} "
                "whole-number counts, one per class in `np.unique` order of "
                f"`y`. Received: {targets!r} for counts {counts.tolist()}"
            )
        targets = targets.astype("int64")
    else:
        raise TypeError(
            f"Expected `sampling` to be one of {list(SAMPLINGS)}, a dict "
            "{class_id: count} or a callable. Received: "
            f"sampling={sampling!r} of type {type(sampling).__name__}"
        )
    if np.any(targets < 0) or targets.sum() == 0:
        raise ValueError(
            "Expected `sampling` to give non-negative counts with a positive "
            f"sum. Received: counts {targets.tolist()} for the classes "
            f"{classes.tolist()}"
        )
    return targets


def balanced_indices(inverse, counts, targets, rng, shuffle=True):
    """One epoch's index plan: `targets[k]` indices of each class `k`.

    Each example of class `k` appears `targets[k] // counts[k]` times, and a
    random `targets[k] % counts[k]` of them once more (drawn without
    replacement), so an oversampled epoch sees every example and an
    undersampled one sees no example twice. No loop over examples: a
    random key orders the examples within each class, and an example is
    repeated once more if its rank is below the remainder.

    Args:
        inverse: int array `(N,)`, the class index `0..C-1` of each example.
        counts: int array `(C,)`, examples of each class.
        targets: int array `(C,)`, samples of each class to draw.
        rng: a `numpy.random.Generator`.
        shuffle: shuffle the plan (else it is in the order of the examples).

    Returns:
        An int64 array of `targets.sum()` example indices.
    """
    n = len(inverse)
    order = np.lexsort((rng.random(n), inverse))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(n) - starts[inverse[order]]
    repeats = targets[inverse] // counts[inverse]
    repeats += rank < (targets % counts)[inverse]
    plan = np.repeat(np.arange(n, dtype="int64"), repeats)
    return rng.permutation(plan) if shuffle else plan


@keras_recipes_export("keras_recipes.data.BalancedBatches")
class BalancedBatches(_AugmentedBatches):
    """A `keras.utils.PyDataset` of class-balanced, augmented batches.

    Each epoch draws a fresh index plan that gives every class its target
    number of samples, then batches it exactly like
    `keras_recipes.data.batches`: each whole batch goes through the
    `augment` items at once (label-mixing layers such as
    `keras_recipes.augment.MixUp` or `CutMix` get the labels too), and the
    final partial batch is kept. `x` may have any rank (images, sequences,
    tabular rows); only `y` decides the plan.

    Targets per epoch (`sampling`), with C classes present in `y`:
    - `"oversample"`: `max(count)` of every class (C * max_count samples);
    - `"undersample"`: `min(count)` of every class (C * min_count samples);
    - `"sqrt"`: in proportion to `sqrt(count)`, N samples in all (halfway
      between the natural and the balanced frequencies);
    - a dict `{class_id: count}`; classes left out keep their count;
    - a callable `fn(counts) -> targets`, both arrays of the C classes in
      increasing class id order.

    A class with target `t` and `n` examples shows each example `t // n`
    times and a random `t % n` of them once more, so an oversampled epoch
    sees every example and an undersampled one never repeats one. The plan
    is drawn on the host with `numpy.random.default_rng` from `(seed,
    epoch)` only, and redrawn at each epoch end; augmentation draws depend
    on `(seed, epoch, batch index)`, as in `keras_recipes.data.batches`, so
    a seed gives the same batches with any number of workers. Pass
    `shuffle=False` to `model.fit` for a reproducible run (Keras otherwise
    visits the batches in an unseeded order).

    Args:
        x: inputs, a NumPy array `(N, ...)` of any rank.
        y: labels, integer ids `(N,)` or `(N, 1)`, or one-hot `(N, C)`
            (soft rows count for their argmax class). Batches carry `y` as
            given.
        batch_size: batch size.
        sampling: `"oversample"`, `"undersample"`, `"sqrt"`, a dict or a
            callable (see above). Defaults to `"oversample"`.
        augment: a layer/callable or a list of them, applied as in
            `keras_recipes.data.batches`. Defaults to `None`.
        shuffle: shuffle the plan each epoch; when `False` the drawn
            examples come in the order of `x` (the draw is still random).
            Defaults to `True`.
        seed: integer seed of the plans and the augmentation draws.
            Defaults to `None` (drawn from Keras's global seed, so
            `keras.utils.set_random_seed` makes it reproducible).
        steps_per_epoch: batches per epoch. The targets are then rescaled
            to `steps_per_epoch * batch_size` samples with the same class
            proportions. Defaults to `None` (the targets as they are).
        **kwargs: `keras.utils.PyDataset` arguments (`workers`,
            `use_multiprocessing`, `max_queue_size`). `workers` defaults
            to 2 on TensorFlow, as in `keras_recipes.data.batches`.

    Example:

    >>> x = np.zeros((12, 8, 8, 3), dtype="uint8")
    >>> y = np.array([0] * 9 + [1] * 3)
    >>> data = keras_recipes.data.BalancedBatches(x, y, batch_size=6,
    ...                                           seed=0)
    >>> len(data), data.class_counts.tolist()
    (3, [9, 9])
    >>> xb, yb = data[0]
    >>> xb.shape, yb.shape
    ((6, 8, 8, 3), (6,))
    >>> mixed = keras_recipes.data.BalancedBatches(
    ...     x, y, batch_size=6, sampling="undersample", seed=0,
    ...     augment=keras_recipes.augment.MixUp(num_classes=2))
    >>> len(mixed), mixed[0][1].shape
    (1, (6, 2))

    Reference:
        imbalanced-learn's `BalancedBatchGenerator` (2-D arrays, no
        augmentation),
        https://imbalanced-learn.org/stable/references/generated/imblearn.keras.BalancedBatchGenerator.html
    """

    def __init__(self, x, y, batch_size, sampling="oversample", augment=None,
                 shuffle=True, seed=None, steps_per_epoch=None, **kwargs):
        x = np.asarray(x)
        y = np.asarray(y)
        check_number("batch_size", batch_size, integer=True, min_value=1)
        check_number("steps_per_epoch", steps_per_epoch, integer=True,
                     min_value=1, allow_none=True)
        check_same_length("x", x, "y", y)
        if len(x) == 0:
            raise ValueError("Expected a non-empty `x`. Received: len(x)=0")
        if not isinstance(shuffle, bool):
            raise TypeError(
                "Expected `shuffle` to be a bool. Received: "
                f"shuffle={shuffle!r}"
            )
        check_seed(seed)
        classes, inverse, counts = np.unique(
            class_ids(y), return_inverse=True, return_counts=True)
        targets = target_counts(counts, sampling, classes)
        if steps_per_epoch is not None:
            targets = _round_to_total(
                targets.astype("float64"), steps_per_epoch * batch_size)
        self.sampling = sampling
        self.steps_per_epoch = steps_per_epoch
        self.classes = classes
        self.class_counts = targets
        self._inverse = inverse.reshape(-1)
        self._counts = counts
        super().__init__(x, y, batch_size, _check_augment(augment), shuffle,
                         seed, **kwargs)

    def _make_order(self):
        rng = np.random.default_rng(derive_seed(self.seed, self.epoch, -1))
        return balanced_indices(self._inverse, self._counts,
                                self.class_counts, rng, self.shuffle)

    def __len__(self):
        return -(-len(self._order) // self.batch_size)

    def get_config(self):
        """The sampling arguments (not the data `x`, `y`, nor `augment`)."""
        return {
            "batch_size": self.batch_size,
            "sampling": self.sampling,
            "shuffle": self.shuffle,
            "seed": self.seed,
            "steps_per_epoch": self.steps_per_epoch,
        }
