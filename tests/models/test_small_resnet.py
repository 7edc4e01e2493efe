"""small_resnet: layout, parameter count by hand, training, saving."""

import keras
import numpy as np

from keras_recipes.models import small_resnet
from keras_recipes.testing import TestCase


def count_params_by_hand(channels, width, depth, classes):
    """Weights of the CIFAR-style ResNet, counted layer by layer."""
    conv = lambda k, cin, cout: k * k * cin * cout  # noqa: E731
    bn = lambda c: 4 * c  # noqa: E731  (gamma, beta, mean, variance)
    total = conv(3, channels, width) + bn(width)
    blocks = (depth - 2) // 6
    cin = width
    for multiplier in (1, 2, 4):
        cout = width * multiplier
        for _ in range(blocks):
            total += conv(3, cin, cout) + bn(cout) + conv(3, cout, cout)
            total += bn(cout)
            if cin != cout:
                total += conv(1, cin, cout) + bn(cout)
            cin = cout
    return total + cin * classes + classes


class SmallResNetTest(TestCase):
    def test_layout_and_parameter_count(self):
        for shape, width, depth, pooled in (((28, 28, 1), 8, 8, (4, 4)),
                                            ((8, 8, 1), 4, 14, (2, 2))):
            model = small_resnet(shape, 10, width=width, depth=depth)
            self.assertEqual(model.output_shape, (None, 10))
            self.assertEqual(
                model.count_params(),
                count_params_by_hand(shape[-1], width, depth, 10),
            )
            adds = [l for l in model.layers
                    if isinstance(l, keras.layers.Add)]
            self.assertEqual(len(adds), 3 * (depth - 2) // 6)
            # From 28 px on the stem has stride 2: 28 -> 14 -> 7 -> 4;
            # smaller images keep it at 1: 8 -> 8 -> 4 -> 2.
            self.assertEqual(model.get_layer("pool").input.shape[1:3],
                             pooled)
        model = small_resnet((3, 16, 16), 5, width=4,
                             data_format="channels_first")
        self.assertEqual(model.get_layer("pool").input.shape[2:], (4, 4))
        self.assertEqual(model.output_shape, (None, 5))

    def test_trains_and_saves(self):
        rng = np.random.default_rng(0)
        y = np.arange(64) % 2
        x = rng.uniform(0, 80, size=(64, 8, 8, 1)).astype("float32")
        x[y == 1, :4] += 150.0
        model = small_resnet((8, 8, 1), 2, width=4, dropout=0.1)
        model.compile(keras.optimizers.Adam(1e-2),
                      "sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile="auto")
        history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
        self.assertLess(history.history["loss"][-1],
                        history.history["loss"][0])
        probs = model.predict(x, verbose=0)
        self.assertAllClose(probs.sum(axis=1), np.ones(64), atol=1e-5)
        self.run_model_saving_test(model, x, y, atol=1e-5)

    def test_bad_arguments(self):
        cases = [
            (dict(input_shape=(28, 28)), ValueError, "input_shape"),
            (dict(num_classes=1), ValueError, "num_classes"),
            (dict(width=0), ValueError, "width"),
            (dict(depth=10), ValueError, "6 \\* n \\+ 2"),
            (dict(depth=2), ValueError, "depth"),
            (dict(dropout=1.0), ValueError, "dropout"),
            (dict(stem_strides=0), ValueError, "stem_strides"),
            (dict(data_format="nhwc"), ValueError, "data_format"),
        ]
        for kwargs, error, pattern in cases:
            args = dict(input_shape=(8, 8, 1), num_classes=3)
            args.update(kwargs)
            with self.assertRaisesRegex(error, pattern, msg=str(kwargs)):
                small_resnet(**args)
