"""`keras_recipes.data.resample` / `resample_features` with imbalanced-learn.

imbalanced-learn is the `imbalance` extra; CI installs it. The guard below
only keeps a bare install from failing at import time.
"""

import keras
import numpy as np
import pytest

from keras_recipes.data import resample
from keras_recipes.data import resample_features

imblearn = pytest.importorskip("imblearn")
from imblearn.combine import SMOTEENN  # noqa: E402
from imblearn.over_sampling import ADASYN  # noqa: E402
from imblearn.over_sampling import SMOTE  # noqa: E402
from imblearn.over_sampling import BorderlineSMOTE  # noqa: E402
from imblearn.over_sampling import RandomOverSampler  # noqa: E402
from imblearn.under_sampling import RandomUnderSampler  # noqa: E402
from imblearn.under_sampling import TomekLinks  # noqa: E402


def blobs(counts=(120, 40, 20), dims=4, seed=0):
    """Overlapping Gaussian blobs, so every sampler has work to do."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(counts)), counts)
    x = rng.normal(size=(len(y), dims)) + 0.8 * y[:, None]
    return x.astype("float32"), y


SAMPLERS = {
    "SMOTE": lambda: SMOTE(random_state=0),
    "ADASYN": lambda: ADASYN(random_state=0),
    "BorderlineSMOTE": lambda: BorderlineSMOTE(random_state=0),
    "RandomUnderSampler": lambda: RandomUnderSampler(random_state=0),
    "SMOTEENN": lambda: SMOTEENN(random_state=0),
    "TomekLinks": lambda: TomekLinks(),
}


def test_2d_equals_imblearn():
    x, y = blobs()
    for name, make in SAMPLERS.items():
        expected_x, expected_y = make().fit_resample(x, y)
        got_x, got_y = resample(x, y, make())
        np.testing.assert_array_equal(got_x, expected_x, err_msg=name)
        np.testing.assert_array_equal(got_y, expected_y, err_msg=name)
        assert got_x.dtype == x.dtype, name
        if name in ("SMOTE", "BorderlineSMOTE", "RandomUnderSampler"):
            assert len(set(np.bincount(got_y))) == 1, name


def test_rank4_matches_flattened_run():
    x, y = blobs(dims=2 * 3 * 3)
    images = x.reshape(-1, 2, 3, 3)
    got_x, got_y = resample(images, y, SMOTE(random_state=0))
    flat_x, flat_y = SMOTE(random_state=0).fit_resample(x, y)
    assert got_x.shape == (len(flat_x), 2, 3, 3)
    np.testing.assert_array_equal(got_x.reshape(len(flat_x), -1), flat_x)
    np.testing.assert_array_equal(got_y, flat_y)
    assert np.bincount(got_y).tolist() == [120, 120, 120]


def test_uint8_images_rounded_not_truncated():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], [40, 10])
    images = rng.integers(0, 256, size=(50, 4, 4, 3)).astype("uint8")
    got_x, got_y = resample(images, y, SMOTE(k_neighbors=3, random_state=0))
    assert got_x.dtype == np.uint8 and got_x.shape == (80, 4, 4, 3)
    rows = images.reshape(50, -1).astype("float32")
    float_x, _ = SMOTE(k_neighbors=3, random_state=0).fit_resample(rows, y)
    expected = np.clip(np.rint(float_x), 0, 255).astype("uint8")
    np.testing.assert_array_equal(got_x.reshape(80, -1), expected)
    np.testing.assert_array_equal(got_x[:50], images)  # originals kept
    # imbalanced-learn on the uint8 rows truncates the synthetic values.
    trunc_x, _ = SMOTE(k_neighbors=3, random_state=0).fit_resample(
        images.reshape(50, -1), y)
    assert np.any(trunc_x != expected)


class _Overshoot:
    """A duck-typed sampler whose values leave the uint8 range."""

    def fit_resample(self, x, y):
        return np.concatenate([x, x * 3.0 - 200.0]), np.concatenate([y, y])


def test_integer_clipping_and_labels_shapes():
    images = np.array([[[0, 100]], [[200, 255]]], dtype="uint8")
    got_x, got_y = resample(images, np.array([[0], [1]]), _Overshoot())
    np.testing.assert_array_equal(
        got_x[2:], [[[0, 100]], [[255, 255]]])
    assert got_y.shape == (4, 1) and got_y[:, 0].tolist() == [0, 1, 0, 1]
    # int16 keeps its own range.
    small = np.array([[-30000], [30000]], dtype="int16")
    got, _ = resample(small, np.array([0, 1]), _Overshoot())
    assert got.dtype == np.int16 and got[2:, 0].tolist() == [-32768, 32767]


def test_one_hot_labels_round_trip():
    x, y = blobs()
    one_hot = np.eye(3, dtype="float32")[y]
    got_x, got_y = resample(x, one_hot, SMOTE(random_state=0))
    ref_x, ref_y = SMOTE(random_state=0).fit_resample(x, y)
    np.testing.assert_array_equal(got_x, ref_x)
    np.testing.assert_array_equal(got_y, np.eye(3, dtype="float32")[ref_y])
    assert got_y.dtype == np.float32
    with pytest.raises(ValueError, match="one-hot"):
        resample(x, one_hot * 0.5, SMOTE(random_state=0))


def test_errors():
    x, y = blobs()
    with pytest.raises(TypeError, match="sampler"):
        resample(x, y, "smote")
    with pytest.raises(TypeError, match="not the class.*sampler=<class"):
        resample(x, y, SMOTE)
    with pytest.raises(ValueError, match="non-empty"):
        resample(x[:0], y[:0], SMOTE())
    with pytest.raises(ValueError, match="same length"):
        resample(x[:-1], y, SMOTE())
    with pytest.raises(ValueError, match=r"y\.shape"):
        resample(x, y.reshape(-1, 1, 1), SMOTE())


def feature_model():
    inputs = keras.Input((6, 6, 1))
    h = keras.layers.Conv2D(3, 3, name="conv")(inputs)
    h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    return keras.Model(inputs, keras.layers.Dense(3, name="head")(h))


def test_resample_features_on_tiny_model():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [40, 12, 8])
    x = rng.normal(size=(60, 6, 6, 1)).astype("float32")
    model = feature_model()
    features, labels = resample_features(
        model, "pool", x, y, SMOTE(k_neighbors=3, random_state=0),
        batch_size=16)
    assert features.shape == (120, 3)
    assert np.bincount(labels).tolist() == [40, 40, 40]
    extractor = keras.Model(model.inputs, model.get_layer("pool").output)
    direct = extractor.predict(x, verbose=0)
    np.testing.assert_allclose(features[:60], direct, atol=1e-5)
    # Features of any rank: the conv maps come back (M, 4, 4, 3).
    maps, _ = resample_features(model, "conv", x, y,
                                RandomOverSampler(random_state=0))
    assert maps.shape == (120, 4, 4, 3)
    # A head trains on the resampled features.
    head = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    head.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    history = head.fit(features, labels, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_resample_features_errors():
    x = np.zeros((4, 6, 6, 1), dtype="float32")
    y = np.array([0, 0, 1, 1])
    model = feature_model()
    with pytest.raises(ValueError, match=r"layer_name.*'pool'"):
        resample_features(model, "features", x, y, SMOTE())
    with pytest.raises(TypeError, match="model"):
        resample_features("model", "pool", x, y, SMOTE())
    with pytest.raises(TypeError, match="sampler"):
        resample_features(model, "pool", x, y, object())
    with pytest.raises(ValueError, match="batch_size"):
        resample_features(model, "pool", x, y, SMOTE(), batch_size=0)
