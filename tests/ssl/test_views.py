"""The default view pipeline: per-image and per-view draws, seeded,
value ranges, and its colour / flip layers against NumPy."""

import keras
import numpy as np
import pytest

from keras_recipes import ssl
from keras_recipes.ssl.views import ColorJitter
from keras_recipes.ssl.views import HorizontalFlip
from keras_recipes.testing import TestCase


def apply(views, x):
    for layer in views:
        x = layer(x, training=True)
    return keras.ops.convert_to_numpy(x)


def np_blend(degenerate, x, f):
    return np.clip(degenerate + f * (x - degenerate), 0.0, 255.0)


def np_gray(x):
    return (x[..., 0:1] * 0.299 + x[..., 1:2] * 0.587
            + x[..., 2:3] * 0.114)


class DefaultViewsTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.gray = rng.uniform(0, 255, (6, 16, 16, 1)).astype("float32")
        self.rgb = rng.uniform(0, 255, (6, 12, 12, 3)).astype("float32")

    def test_layers_per_image_kind(self):
        names = [type(v).__name__ for v in ssl.default_views((16, 16, 1))]
        self.assertEqual(names, ["RandomResizedCrop", "HorizontalFlip",
                                 "ColorJitter", "RandomErasing"])
        views = ssl.default_views((12, 12, 3))
        self.assertEqual([type(v).__name__ for v in views],
                         ["RandomResizedCrop", "HorizontalFlip",
                          "ColorJitter"])
        self.assertEqual(views[2].grayscale_probability, 0.2)
        for layer in views:
            self.assertTrue(layer.supports_jit)

    def test_shapes_and_value_range(self):
        out = apply(ssl.default_views((16, 16, 1), seed=0), self.gray)
        self.assertEqual(out.shape, self.gray.shape)
        self.assertTrue(out.min() >= 0.0 and out.max() <= 255.0)
        unit = self.rgb / 255.0
        out = apply(ssl.default_views((12, 12, 3), seed=0,
                                      value_range=(0, 1)), unit)
        self.assertEqual(out.shape, unit.shape)
        self.assertTrue(out.min() >= 0.0 and out.max() <= 1.0 + 1e-6)
        self.assertGreater(np.abs(out - unit).max(), 0.05)

    def test_views_differ_per_image_and_per_view(self):
        same = np.repeat(self.rgb[:1], 8, axis=0)
        out = apply(ssl.default_views((12, 12, 3), seed=1), same)
        flat = out.reshape(8, -1)
        for i in range(8):
            for j in range(i + 1, 8):
                self.assertGreater(np.abs(flat[i] - flat[j]).max(), 1e-3)
        # A second call draws new views.
        again = apply(ssl.default_views((12, 12, 3), seed=1), same)
        views = ssl.default_views((12, 12, 3), seed=1)
        first = apply(views, same)
        second = apply(views, same)
        self.assertGreater(np.abs(first - second).max(), 1e-3)
        # Same seed, same views; another seed, other views.
        self.assertAllClose(out, again, atol=1e-2, rtol=1e-4)
        other = apply(ssl.default_views((12, 12, 3), seed=2), same)
        self.assertGreater(np.abs(out - other).max(), 1e-3)

    def test_training_false_is_identity_for_same_size(self):
        views = ssl.default_views((16, 16, 1), seed=0)
        x = self.gray
        for layer in views:
            x = layer(x, training=False)
        self.assertAllClose(x, self.gray, atol=1e-4)

    def test_flip_fixed_transformation(self):
        layer = HorizontalFlip(seed=0)
        flip = np.array([True, False, True, False, False, True])
        out = layer.apply_transformation(self.gray, {"flip": flip})
        expected = np.where(flip[:, None, None, None],
                            self.gray[:, :, ::-1], self.gray)
        self.assertAllClose(out, expected)
        drawn = layer.get_random_transformation(self.gray)
        self.assertEqual(tuple(drawn["flip"].shape), (6,))

    def test_color_jitter_fixed_transformation(self):
        layer = ColorJitter(seed=0)
        t = {
            "brightness": np.array([1.2, 0.8, 1.0, 1.0, 1.3, 0.7], "float32"),
            "contrast": np.array([1.0, 1.3, 0.6, 1.0, 1.1, 0.9], "float32"),
            "saturation": np.array([1.0, 1.0, 1.0, 1.4, 0.6, 1.2],
                                   "float32"),
            "grayscale": np.array([False, False, False, False, True,
                                   False]),
        }
        out = keras.ops.convert_to_numpy(
            layer.apply_transformation(self.rgb, t))
        for i in range(6):
            x = self.rgb[i].astype("float64")
            x = np_blend(0.0, x, t["brightness"][i])
            x = np_blend(np_gray(x).mean(), x, t["contrast"][i])
            x = np_blend(np_gray(x), x, t["saturation"][i])
            if t["grayscale"][i]:
                x = np.repeat(np_gray(x), 3, axis=-1)
            self.assertAllClose(out[i], x, atol=1e-3, rtol=1e-4)
        # [0, 1] images: same result on the [0, 1] scale.
        unit = ColorJitter(seed=0, value_range=(0, 1))
        out_unit = unit.apply_transformation(self.rgb / 255.0, t)
        self.assertAllClose(out_unit, out / 255.0, atol=1e-5)

    def test_serialization(self):
        for layer in ssl.default_views((12, 12, 3), seed=4):
            self.run_serialization_test(layer)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="image_shape"):
            ssl.default_views((28, 28))
        with pytest.raises(ValueError, match="image_shape"):
            ssl.default_views((28, 28, 2))
        with pytest.raises(ValueError, match="value_range"):
            ssl.default_views((28, 28, 1), value_range=(1, 0))
        with pytest.raises(ValueError, match="seed"):
            ssl.default_views((28, 28, 1), seed=-1)
        with pytest.raises(ValueError, match="probability"):
            HorizontalFlip(probability=1.5)
        with pytest.raises(ValueError, match="brightness"):
            ColorJitter(brightness=2.0)
