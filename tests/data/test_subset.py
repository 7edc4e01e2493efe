"""data.stratified_subset: per-class counts, seeding, errors."""

import numpy as np
import pytest

from keras_recipes.data import stratified_subset


def test_keeps_the_fraction_of_every_class_seeded():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, size=6000)
    idx = stratified_subset(y, 0.01, seed=3)
    counts = np.bincount(y, minlength=10)
    np.testing.assert_array_equal(
        np.bincount(y[idx], minlength=10),
        np.maximum(1, np.round(0.01 * counts)).astype(int))
    assert np.all(np.diff(idx) > 0)  # sorted, no repeats
    np.testing.assert_array_equal(idx, stratified_subset(y, 0.01, seed=3))
    assert not np.array_equal(idx, stratified_subset(y, 0.01, seed=4))
    one_hot = np.eye(10)[y]
    np.testing.assert_array_equal(idx, stratified_subset(one_hot, 0.01, 3))


def test_rare_classes_keep_one_and_fraction_one_keeps_all():
    y = np.array([0] * 200 + [1] * 3)
    idx = stratified_subset(y, 0.01)
    assert np.bincount(y[idx]).tolist() == [2, 1]
    np.testing.assert_array_equal(stratified_subset(y, 1.0), np.arange(203))


@pytest.mark.parametrize("fraction", [0, 1.5, -0.1])
def test_bad_fraction_names_itself(fraction):
    with pytest.raises(ValueError, match="fraction"):
        stratified_subset(np.arange(10) % 2, fraction)
