"""End to end on real Fashion-MNIST: FocalLoss with integer labels trains a
small CNN, and the model round-trips through `.keras` in safe mode."""

import keras
import pytest

from keras_recipes.datasets import fashion_mnist
from keras_recipes.losses import FocalLoss
from keras_recipes.testing import TestCase

pytestmark = pytest.mark.skipif(
    fashion_mnist.find_local_copy() is None,
    reason="dataset-fashion-mnist is not installed (scripts/test.sh does)",
)


class FashionMNISTTest(TestCase):
    def test_focal_loss_trains_cnn_with_integer_labels(self):
        (x, y), (xt, yt) = fashion_mnist.load_data()
        x, y = x[:3000, ..., None], y[:3000]
        xt, yt = xt[:1000, ..., None], yt[:1000]
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Conv2D(16, 3, strides=2, activation="relu"),
            keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ])
        model.compile(
            optimizer=keras.optimizers.Adam(2e-3),
            loss=FocalLoss(label_smoothing=0.1, from_logits=True),
            metrics=["sparse_categorical_accuracy"],
            jit_compile="auto",
        )
        _, before = model.evaluate(xt, yt, verbose=0)
        model.fit(x, y, batch_size=64, epochs=2, verbose=0)
        loss, accuracy = model.evaluate(xt, yt, verbose=0)
        # Chance is 10%; two epochs on 3,000 images reach about 75%.
        self.assertGreater(accuracy, 0.65)
        self.assertGreater(accuracy, before + 0.4)
        self.run_model_saving_test(model, xt[:200], yt[:200])
