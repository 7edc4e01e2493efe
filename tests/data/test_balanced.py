"""`keras_recipes.data.BalancedBatches`: plans, frequencies, augment, fit."""

import math

import keras
import numpy as np
import pytest

from keras_recipes import augment
from keras_recipes.data import BalancedBatches
from keras_recipes.data.balanced import target_counts

# Five classes, 160 examples, strongly imbalanced.
COUNTS = np.array([80, 40, 20, 12, 8])


def toy(counts=COUNTS, shape=(6, 6, 1), dtype="float32"):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(len(counts)), counts)
    x = rng.uniform(0, 255, size=(len(y), *shape)).astype(dtype)
    return x, y


def chi2_sf_df4(stat):
    """P(X > stat) for X ~ chi-square with 4 degrees of freedom, in closed
    form (even df: exp(-s/2) * sum_{i<2} (s/2)^i / i!), so no scipy."""
    return math.exp(-stat / 2) * (1 + stat / 2)


def test_targets_per_sampling():
    assert target_counts(COUNTS, "oversample").tolist() == [80] * 5
    assert target_counts(COUNTS, "undersample").tolist() == [8] * 5
    sqrt = target_counts(COUNTS, "sqrt")
    assert sqrt.sum() == COUNTS.sum()
    np.testing.assert_allclose(
        sqrt, np.sqrt(COUNTS) / np.sqrt(COUNTS).sum() * COUNTS.sum(),
        atol=1)
    assert target_counts(COUNTS, {4: 30}, np.arange(5)).tolist() == [
        80, 40, 20, 12, 30]
    assert target_counts(COUNTS, lambda c: np.minimum(c, 20)).tolist() == [
        20, 20, 20, 12, 8]


@pytest.mark.parametrize("sampling", ["oversample", "undersample", "sqrt"])
def test_epoch_counts_exact_and_coverage(sampling):
    x, y = toy()
    data = BalancedBatches(x, y, batch_size=16, sampling=sampling, seed=0)
    target = target_counts(COUNTS, sampling)
    plan = data._order
    assert len(data) == -(-target.sum() // 16)
    np.testing.assert_array_equal(np.bincount(y[plan]), target)
    seen = np.bincount(plan, minlength=len(y))
    for k in range(5):
        mine = seen[y == k]
        # Each example q or q + 1 times: an oversampled epoch sees every
        # example, an undersampled one repeats none.
        q = target[k] // COUNTS[k]
        assert mine.min() >= q and mine.max() <= q + 1
    labels = np.concatenate([data[i][1] for i in range(len(data))])
    np.testing.assert_array_equal(np.bincount(labels), target)


@pytest.mark.parametrize("sampling", ["oversample", "sqrt"])
def test_batch_frequencies_chi_square(sampling):
    # The first 4 batches (64 of the epoch's samples) of 25 epochs: their
    # class counts are multivariate hypergeometric, whose spread is below the
    # multinomial's, so Pearson's statistic is at most about chi-square with
    # C - 1 = 4 degrees of freedom. Reject below p = 1e-3.
    x, y = toy()
    data = BalancedBatches(x, y, batch_size=16, sampling=sampling, seed=3)
    target = target_counts(COUNTS, sampling)
    seen = np.zeros(5)
    for _ in range(25):
        seen += np.bincount(y[data._order[:64]], minlength=5)
        data.on_epoch_end()
    expected = target / target.sum() * seen.sum()
    stat = float(((seen - expected) ** 2 / expected).sum())
    assert chi2_sf_df4(stat) > 1e-3, (stat, seen, expected)
    # And the batches really are balanced, not in natural proportions.
    natural = COUNTS / COUNTS.sum() * seen.sum()
    assert float(((seen - natural) ** 2 / natural).sum()) > 50


def test_seed_epochs_and_one_hot():
    x, y = toy()
    a = BalancedBatches(x, y, 16, seed=7)
    b = BalancedBatches(x, y, 16, seed=7)
    c = BalancedBatches(x, y, 16, seed=8)
    np.testing.assert_array_equal(a[3][0], b[3][0])
    assert not np.array_equal(a._order, c._order)
    first = a._order.copy()
    a.on_epoch_end()
    b.on_epoch_end()
    assert not np.array_equal(first, a._order)  # redrawn each epoch
    np.testing.assert_array_equal(a._order, b._order)
    # One-hot labels give the same plan and come back one-hot.
    d = BalancedBatches(x, np.eye(5, dtype="float32")[y], 16, seed=7)
    np.testing.assert_array_equal(d._order, first)
    assert d[0][1].shape == (16, 5)
    # shuffle=False: the drawn examples in the order of x.
    e = BalancedBatches(x, y, 16, sampling="undersample", shuffle=False,
                        seed=0)
    assert np.all(np.diff(e._order) > 0)


def test_steps_per_epoch_keeps_proportions():
    x, y = toy()
    data = BalancedBatches(x, y, 10, seed=0, steps_per_epoch=3)
    assert len(data) == 3 and data.class_counts.tolist() == [6] * 5
    assert data[2][0].shape == (10, 6, 6, 1)
    assert data.get_config() == dict(
        batch_size=10, sampling="oversample", shuffle=True, seed=0,
        steps_per_epoch=3)


def test_augment_with_mixing_layers_and_callables():
    x, y = toy(shape=(8, 8, 3))
    calls = []

    def spy(images, labels):
        calls.append(images.shape)
        return images, labels

    layers = [keras.layers.RandomFlip("horizontal", seed=0), spy,
              augment.MixUp(num_classes=5)]
    data = BalancedBatches(x, y, 16, augment=layers, seed=1)
    xb, yb = data[0]
    assert xb.shape == (16, 8, 8, 3) and yb.shape == (16, 5)
    assert calls == [(16, 8, 8, 3)]  # the whole batch at once
    np.testing.assert_allclose(yb.sum(axis=1), 1, atol=1e-5)
    again = BalancedBatches(x, y, 16, augment=layers[1:], seed=1)
    np.testing.assert_allclose(data[1][1], again[1][1], atol=1e-6)
    with pytest.raises(ValueError, match="keras_recipes.augment.MixUp"):
        BalancedBatches(x, y, 16, augment=keras.layers.MixUp())


def test_fit_with_mixup():
    # Compiled fit ("auto": XLA on JAX and TensorFlow); the battery entry in
    # tests/settings/data.py also fits eagerly.
    x, y = toy(shape=(8, 8, 3))
    data = BalancedBatches(
        x, y, 32, sampling="sqrt", seed=0, steps_per_epoch=2,
        augment=[keras.layers.RandomFlip("horizontal", seed=0),
                 augment.MixUp(num_classes=5)])
    model = keras.Sequential([
        keras.Input((8, 8, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(5, activation="softmax"),
    ])
    model.compile("adam", keras.losses.CategoricalCrossentropy(),
                  jit_compile="auto")
    history = model.fit(data, epochs=2, shuffle=False, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert data.epoch >= 2


ERRORS = [
    (dict(sampling="median"), ValueError, "sampling"),
    (dict(sampling=3), TypeError, "sampling"),
    (dict(sampling={9: 4}), ValueError, "sampling keys"),
    (dict(sampling={0: -1}), ValueError, r"sampling\[0\]"),
    (dict(sampling={0: 1.5}), TypeError, r"sampling\[0\]"),
    (dict(sampling=lambda c: c[:2]), ValueError, "sampling"),
    (dict(sampling=lambda c: c * 0), ValueError, "sampling"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(steps_per_epoch=0), ValueError, "steps_per_epoch"),
    (dict(shuffle="yes"), TypeError, "shuffle"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(augment=[3]), TypeError, "augment"),
]


def test_errors():
    # One test, not one per case: the per-test session reset costs more
    # than the checks.
    x, y = toy()
    for kwargs, error, match in ERRORS:
        args = dict(batch_size=16)
        args.update(kwargs)
        with pytest.raises(error, match=match):
            BalancedBatches(x, y, **args)
    with pytest.raises(ValueError, match="same length"):
        BalancedBatches(x[:-1], y, 16)
    with pytest.raises(ValueError, match="`y`"):
        BalancedBatches(x, y.astype("float32") + 0.5, 16)
    with pytest.raises(IndexError, match="index"):
        BalancedBatches(x, y, 16)[100]
