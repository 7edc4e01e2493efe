import keras
import numpy as np
import pytest

from keras_recipes import callbacks
from keras_recipes import data
from keras_recipes.callbacks.progressive_resizing import resize_batch
from keras_recipes.testing import TestCase

BACKEND = keras.backend.backend()
JIT = False if BACKEND == "torch" else True


def documented_sizes(epochs, full, initial_scale, finetune_fraction,
                     delay_fraction, size_increment):
    """The schedule as the docstring states it, re-derived independently."""
    sizes = []
    for epoch in range(epochs):
        f = epoch / epochs
        ramp = 1 - finetune_fraction - delay_fraction
        if f < delay_fraction:
            scale = initial_scale
        else:
            scale = initial_scale + (1 - initial_scale) * min(
                (f - delay_fraction) / ramp, 1.0)
        width = round(full * scale / size_increment) * size_increment
        sizes.append(min(width, full))
    return sizes


class PixelCount(keras.layers.Layer):
    """Outputs H * W of its input for every sample: a loss of exactly the
    image area, so History["loss"] shows the size the compiled step saw."""

    def call(self, images):
        ones = keras.ops.ones_like(images[..., :1])
        return keras.ops.sum(ones, axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


def _area_model(inputs, resize_layer=None):
    h = inputs if resize_layer is None else resize_layer(inputs)
    area = PixelCount()(h)
    pooled = keras.layers.GlobalAveragePooling2D()(
        keras.layers.Conv2D(2, 3, padding="same")(h))
    zero = keras.layers.Dense(1, kernel_initializer="zeros",
                              use_bias=False, trainable=False)(pooled)
    return keras.Model(inputs, keras.layers.Add()([area, zero]))


class ProgressiveResizingTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_documented_size_each_epoch_with_batches_pipeline(self):
        x = np.random.default_rng(0).uniform(size=(12, 32, 32, 3))
        x = x.astype("float32")
        y = np.zeros((12, 1), "float32")
        resizer = callbacks.ProgressiveResizing(
            initial_scale=0.5, finetune_fraction=0.25, delay_fraction=0.25,
            size_increment=4)
        pipeline = data.batches(x, y, batch_size=4, augment=[resizer],
                                seed=0)
        model = _area_model(keras.Input((None, None, 3)))
        model.compile(optimizer="sgd", loss="mae", jit_compile=JIT)
        history = model.fit(pipeline, epochs=8, verbose=0,
                            callbacks=[resizer])
        sizes = documented_sizes(8, 32, 0.5, 0.25, 0.25, 4)
        self.assertEqual(sizes, [16, 16, 16, 20, 24, 28, 32, 32])
        self.assertEqual(history.history["progressive_resizing/height"],
                         sizes)
        self.assertEqual(history.history["progressive_resizing/width"],
                         sizes)
        # Every batch the compiled step saw had the documented size.
        self.assertAllClose(np.array(history.history["loss"]),
                            np.square(np.array(sizes, "float64")))

    @pytest.mark.filterwarnings("ignore")
    def test_documented_size_each_epoch_with_resizing_layer(self):
        x = np.random.default_rng(0).uniform(size=(8, 40, 40, 3))
        x = x.astype("float32")
        y = np.zeros((8, 1), "float32")
        model = _area_model(keras.Input((40, 40, 3)),
                            keras.layers.Resizing(40, 40, name="resize"))
        model.compile(optimizer="sgd", loss="mae", jit_compile=JIT)
        resizer = callbacks.ProgressiveResizing(
            initial_scale=0.4, finetune_fraction=0.2, delay_fraction=0.3,
            size_increment=8, layer="resize")
        history = model.fit(x, y, batch_size=4, epochs=10, verbose=0,
                            validation_data=(x, y), callbacks=[resizer])
        sizes = documented_sizes(10, 40, 0.4, 0.2, 0.3, 8)
        self.assertEqual(history.history["progressive_resizing/height"],
                         sizes)
        self.assertAllClose(np.array(history.history["loss"]),
                            np.square(np.array(sizes, "float64")))
        self.assertAllClose(np.array(history.history["val_loss"]),
                            np.square(np.array(sizes, "float64")))
        # Full size restored at the end, so the saved model predicts at it.
        layer = model.get_layer("resize")
        self.assertEqual((layer.height, layer.width), (40, 40))
        self.assertAllClose(model.predict(x[:2], verbose=0),
                            np.full((2, 1), 1600.0))

    def test_resize_and_crop_batch(self):
        rng = np.random.default_rng(1)
        images = rng.uniform(size=(2, 12, 10, 3)).astype("float32")
        out = resize_batch(images, (6, 5), mode="resize")
        self.assertEqual(tuple(out.shape), (2, 6, 5, 3))
        self.assertAllClose(
            out, keras.ops.image.resize(images, (6, 5)))
        crop = keras.ops.convert_to_numpy(
            resize_batch(images, (6, 5), mode="crop", seed=3))
        matches = [(t, c) for t in range(7) for c in range(6)
                   if np.array_equal(images[:, t:t + 6, c:c + 5], crop)]
        self.assertLen(matches, 1)  # one window, the same for the batch
        again = resize_batch(images, (6, 5), mode="crop", seed=3)
        self.assertAllEqual(again, crop)
        first = resize_batch(np.moveaxis(images, -1, 1), (6, 5),
                             mode="resize", data_format="channels_first")
        self.assertEqual(tuple(first.shape), (2, 3, 6, 5))

    def test_callable_and_validation(self):
        resizer = callbacks.ProgressiveResizing(initial_scale=0.5,
                                                mode="crop", seed=1)
        resizer.on_train_begin()  # inside fit
        images, labels = resizer(np.ones((3, 16, 16, 1), "float32"),
                                 np.arange(3))
        self.assertEqual(tuple(images.shape), (3, 8, 8, 1))
        self.assertAllEqual(labels, np.arange(3))
        self.assertEqual(resizer.size, (8, 8))
        with self.assertRaisesRegex(ValueError, "delay_fraction"):
            callbacks.ProgressiveResizing(delay_fraction=0.9,
                                          finetune_fraction=0.2)
        with self.assertRaisesRegex(ValueError, "mode"):
            callbacks.ProgressiveResizing(mode="pad")
        with self.assertRaisesRegex(ValueError, "initial_scale"):
            callbacks.ProgressiveResizing(initial_scale=0.0)
        with self.assertRaisesRegex(TypeError, "layer"):
            callbacks.ProgressiveResizing(layer=keras.layers.Dense(2))
        self.run_serialization_test(
            callbacks.ProgressiveResizing(layer="resize", seed=2))
