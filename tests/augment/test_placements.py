"""The three placements (tf.data, data.batches, AugmentedModel), jit, and
training with soft-target losses."""

import os

import keras
import numpy as np
import pytest

import keras_recipes
from keras_recipes import augment
from keras_recipes.testing import TestCase

BACKEND = keras.backend.backend()


def np_(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def toy_data(n=64, size=8, classes=3, seed=0):
    """Images whose mean brightness tells the class: learnable in steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = rng.uniform(0, 60, (n, size, size, 3)) + 90.0 * y[:, None, None,
                                                            None]
    return x.astype("float32"), y


def small_net(size=8, classes=3, inner=None):
    inputs = keras.Input((size, size, 3))
    h = inputs if inner is None else inner(inputs)
    h = keras.layers.Rescaling(1 / 255.0)(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(classes, activation="softmax")(h)
    return keras.Model(inputs, outputs)


def all_layers():
    return [
        augment.MixUp(num_classes=3, seed=1),
        augment.CutMix(num_classes=3, seed=1),
        augment.MixUpOrCutMix(num_classes=3, seed=1, mode="elem"),
        augment.RandAugment(seed=1),
        augment.TrivialAugment(seed=1),
        augment.RandomErasing(probability=1.0, max_count=2, seed=1),
        augment.CutOut(3, count=2, value="random", seed=1),
        augment.RandomResizedCrop(6, 6, seed=1),
    ]


class TFDataTest(TestCase):
    @pytest.mark.requires_tf_data
    def test_every_layer_in_dataset_map(self):
        import tensorflow as tf

        x, y = toy_data(16)
        for layer in all_layers():
            name = type(layer).__name__
            ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
            ds = ds.map(layer)
            xb, yb = next(iter(ds))
            self.assertIsInstance(xb, tf.Tensor, name)
            self.assertEqual(xb.shape[0], 8)
            if layer.mixes_labels:
                self.assertEqual(tuple(yb.shape), (8, 3))
                self.assertAllClose(yb.numpy().sum(1), np.ones(8), atol=1e-5)
            if name not in ("MixUpOrCutMix", "RandAugment", "RandomErasing",
                            "RandomResizedCrop"):
                continue  # the others share these layers' code
            # Same fixed transformation -> same output on TF tensors and on
            # backend tensors (the tf.data path runs backend/tf_ops.py).
            t = layer.get_random_transformation((x[:8], y[:8]))
            t = {k: np_(v) for k, v in t.items()}
            data_tf = (tf.constant(x[:8]), tf.constant(y[:8]))
            out_tf = layer.apply_transformation(
                data_tf if layer.mixes_labels else data_tf[0], t
            )
            out = layer.apply_transformation(
                (x[:8], y[:8]) if layer.mixes_labels else x[:8], t
            )
            self.assertAllClose(out_tf, out, atol=1e-3, msg=name)
        # Unbatched elements work for the label-free layers.
        ds = tf.data.Dataset.from_tensor_slices(x).map(
            augment.RandAugment(seed=0)
        )
        self.assertEqual(tuple(next(iter(ds)).shape), (8, 8, 3))

    @pytest.mark.requires_tf_data
    def test_tf_data_trains_and_is_seeded(self):
        import tensorflow as tf

        x, y = toy_data(32)

        def pipeline(seed):
            return tf.data.Dataset.from_tensor_slices((x, y)).batch(16).map(
                augment.MixUpOrCutMix(num_classes=3, seed=seed)
            )

        a = [b[1].numpy() for b in pipeline(3)]
        b = [b[1].numpy() for b in pipeline(3)]
        self.assertAllClose(np.concatenate(a), np.concatenate(b))
        model = small_net()
        model.compile("adam", "categorical_crossentropy")
        history = model.fit(pipeline(0), epochs=2, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"]).all())


class BatchesTest(TestCase):
    def test_workers_default_and_seeded_fit(self):
        # Two worker threads on TensorFlow (a one-worker PyDataset stalls
        # there, see docs/benchmarks.md), also with host-side random
        # augmentation (each batch's draws derive from the seed, epoch and
        # index); an explicit `workers` is kept.
        x, y = toy_data(40)
        expected = 2 if BACKEND == "tensorflow" else 1
        self.assertEqual(keras_recipes.data.batches(x, y, 8).workers,
                         expected)
        self.assertEqual(
            keras_recipes.data.batches(
                x, y, 8, augment=[augment.MixUp(num_classes=3)]).workers,
            expected)
        self.assertEqual(
            keras_recipes.data.batches(x, y, 8, workers=1).workers, 1)
        self.assertEqual(
            keras_recipes.data.MPerClassBatches(x, y, m=2, batch_size=6)
            .workers, expected)

        def train(layers):
            keras.utils.set_random_seed(1)
            model = keras.Sequential([
                keras.Input((8, 8, 3)), keras.layers.Flatten(),
                keras.layers.Dense(3, activation="softmax"),
            ])
            model.compile("sgd", "categorical_crossentropy" if layers
                          else "sparse_categorical_crossentropy")
            data = keras_recipes.data.batches(x, y, 8, seed=3, augment=layers)
            model.fit(data, epochs=3, verbose=0)
            return model.get_weights()

        # Same seed, same batches in the same order: the same weights (two
        # worker threads on TensorFlow, one elsewhere), with and without
        # host-side MixUp.
        for layers in (None, [augment.MixUp(num_classes=3)]):
            for a, b in zip(train(layers), train(layers)):
                self.assertAllClose(a, b, atol=1e-6)

    def test_partial_batch_seed_and_fit(self):
        x, y = toy_data(37)
        calls = []

        def plain(images, labels):
            calls.append(tuple(images.shape))
            return images, labels

        def make(seed):
            return keras_recipes.data.batches(
                x, y, 8, seed=seed,
                augment=[augment.CutOut(3), plain,
                         augment.MixUp(num_classes=3)],
            )

        data = make(5)
        self.assertIsInstance(data, keras.utils.PyDataset)
        self.assertEqual(len(data), 5)
        self.assertEqual(data[4][0].shape, (5, 8, 8, 3))
        self.assertEqual(data[4][1].shape, (5, 3))
        self.assertEqual(calls[0], (5, 8, 8, 3))  # the whole batch at once
        again = make(5)
        self.assertAllClose(data[1][0], again[1][0])
        self.assertAllClose(data[1][1], again[1][1])
        other = make(6)
        self.assertFalse(np.allclose(data[1][0], other[1][0]))
        first = data[0][0]
        data.on_epoch_end()
        self.assertFalse(np.allclose(first, data[0][0]))
        plain_batches = keras_recipes.data.batches(x, y, 8, shuffle=False)
        self.assertAllClose(
            np.concatenate([plain_batches[i][0] for i in range(5)]), x
        )
        model = small_net()
        model.compile("adam", "categorical_crossentropy")
        history = model.fit(make(None), epochs=2, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"]).all())

    def test_progressive_resizing_as_callable(self):
        resizing = keras_recipes.callbacks.ProgressiveResizing(
            initial_scale=0.5
        )
        x, y = toy_data(16, size=16)
        data = keras_recipes.data.batches(x, y, 8, augment=[resizing])
        images, _ = data[0]
        # Before training starts the callable uses `initial_scale`.
        self.assertEqual(tuple(images.shape[1:3]), (8, 8))

    def test_errors(self):
        x, y = toy_data(8)
        with self.assertRaisesRegex(ValueError, "same length"):
            keras_recipes.data.batches(x, y[:4], 4)
        with self.assertRaisesRegex(TypeError, "callable"):
            keras_recipes.data.batches(x, y, 4, augment=[3])
        with self.assertRaisesRegex(ValueError, "keras_recipes.augment"):
            keras_recipes.data.batches(x, y, 4,
                                       augment=[keras.layers.MixUp()])
        with self.assertRaisesRegex(ValueError, "batch_size"):
            keras_recipes.data.batches(x, y, 0)


class AugmentedModelTest(TestCase):
    def _jit(self):
        return False if BACKEND == "torch" else True

    def test_trains_saves_loads_and_inner_model_predicts(self):
        x, y = toy_data(64)
        net = small_net()
        model = augment.AugmentedModel(
            net, augment=[augment.RandAugment(seed=0),
                          augment.MixUpOrCutMix(num_classes=3, seed=0)]
        )
        model.compile(keras.optimizers.Adam(0.05),
                      "categorical_crossentropy",
                      metrics=["categorical_accuracy"],
                      jit_compile=self._jit())
        seed_before = [np_(v) for v in model.non_trainable_variables]
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        loss = history.history["loss"]
        self.assertTrue(np.isfinite(loss).all())
        self.assertLess(loss[-1], loss[0])
        seed_after = [np_(v) for v in model.non_trainable_variables]
        self.assertTrue(any(not np.array_equal(a, b)
                            for a, b in zip(seed_before, seed_after)))
        # evaluate: integer labels become one-hot, no augmentation.
        result = model.evaluate(x, y, verbose=0)
        self.assertTrue(np.isfinite(result).all())
        self.assertAllClose(model.predict(x, verbose=0),
                            net.predict(x, verbose=0), atol=1e-6)
        path = os.path.join(self.get_temp_dir(), "m.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        self.assertIsInstance(loaded, augment.AugmentedModel)
        self.assertAllClose(loaded.model.predict(x, verbose=0),
                            net.predict(x, verbose=0), atol=1e-5)

    def test_augment_batch_mixes_labels(self):
        x, y = toy_data(8)
        model = augment.AugmentedModel(
            small_net(), augment=augment.MixUp(alpha=1.0, num_classes=3,
                                               seed=0))
        xb, yb = model.augment_batch((x, y))
        self.assertEqual(tuple(yb.shape), (8, 3))
        self.assertTrue(((np_(yb) > 0) & (np_(yb) < 1)).any())
        with self.assertRaisesRegex(TypeError, "layer"):
            augment.AugmentedModel(small_net(), augment=[lambda a, b: a])
        with self.assertRaisesRegex(TypeError, "model"):
            augment.AugmentedModel("net", augment=augment.RandAugment())


class JitTest(TestCase):
    def test_label_free_layers_keep_the_model_compiled(self):
        # Keras resolves jit_compile="auto" to True only when every layer
        # has `supports_jit` (and, on TensorFlow, only with a GPU; torch
        # never). Check that flag on every backend, and compile for real
        # where XLA is available.
        x, y = toy_data(32)
        for layer in all_layers()[3:]:
            name = type(layer).__name__
            model = small_net(inner=layer)
            self.assertTrue(
                all(sub.supports_jit for sub in model._flatten_layers()),
                name,
            )
            jit = {"jax": "auto", "tensorflow": True}.get(BACKEND, False)
            model.compile("adam", "sparse_categorical_crossentropy",
                          jit_compile=jit)
            history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
            self.assertTrue(np.isfinite(history.history["loss"]).all(), name)
            if BACKEND == "jax":
                self.assertIs(model.jit_compile, True, name)
        # Keras's own RandAugment turns jit off (the trap we avoid).
        model = small_net(inner=keras.layers.RandAugment())
        self.assertFalse(
            all(sub.supports_jit for sub in model._flatten_layers())
        )
        if BACKEND == "jax":
            model.compile("adam", "sparse_categorical_crossentropy",
                          jit_compile="auto")
            self.assertIs(model.jit_compile, False)


class SoftTargetLossesTest(TestCase):
    def test_soft_targets_train_with_soft_target_losses(self):
        x, y = toy_data(48)
        losses = [keras.losses.CategoricalCrossentropy()]
        for name in ("FocalLoss", "LabelSmoothingCrossentropy", "PolyLoss"):
            losses.append(getattr(keras_recipes.losses, name)())
        data = keras_recipes.data.batches(
            x, y, 16, seed=0,
            augment=[augment.MixUpOrCutMix(num_classes=3, seed=0)],
        )
        for loss in losses:
            keras.utils.set_random_seed(0)
            model = small_net()
            model.compile(keras.optimizers.Adam(0.05), loss)
            history = model.fit(data, epochs=4, verbose=0)
            values = history.history["loss"]
            self.assertTrue(np.isfinite(values).all(), type(loss).__name__)
            self.assertLess(values[-1], values[0], type(loss).__name__)
