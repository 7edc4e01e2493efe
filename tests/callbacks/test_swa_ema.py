import keras
import numpy as np
import pytest

from keras_recipes import callbacks
from keras_recipes.testing import TestCase

BACKEND = keras.backend.backend()
JIT = False if BACKEND == "torch" else True


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = rng.integers(0, 3, size=(n,))
    return x, y


def _model(batch_norm=False, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, name="hidden")(inputs)
    if batch_norm:
        h = keras.layers.BatchNormalization(momentum=0.5, name="bn")(h)
    h = keras.layers.Activation("relu")(h)
    outputs = keras.layers.Dense(3, activation="softmax")(h)
    return keras.Model(inputs, outputs)


class Recorder(keras.callbacks.Callback):
    """Records the trainable weights at chosen epoch ends / after batches."""

    def __init__(self, epochs=None, every_batch=False, all_weights=False):
        super().__init__()
        self.epochs = epochs
        self.every_batch = every_batch
        self.all_weights = all_weights
        self.snapshots = []

    def _take(self):
        model = self.model
        variables = (model.weights if self.all_weights
                     else model.trainable_variables)
        self.snapshots.append(
            [keras.ops.convert_to_numpy(v.value).copy() for v in variables])

    def on_epoch_end(self, epoch, logs=None):
        if self.epochs is not None and epoch in self.epochs:
            self._take()

    def on_train_batch_end(self, batch, logs=None):
        if self.every_batch:
            self._take()


class SWATest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_average_is_exactly_numpy_mean_of_snapshots(self):
        x, y = _data()
        model = _model()
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                      loss="sparse_categorical_crossentropy",
                      jit_compile=JIT)
        recorder = Recorder(epochs=(1, 3, 5))
        swa = callbacks.SWA(start_epoch=1, swa_freq=2)
        history = model.fit(x, y, batch_size=16, epochs=6, verbose=0,
                            callbacks=[recorder, swa])
        self.assertEqual(swa.num_averaged, 3)
        self.assertEqual(history.history["swa/num_averaged"],
                         [0, 1, 1, 2, 2, 3])
        for i, v in enumerate(model.trainable_variables):
            stacked = np.stack([s[i] for s in recorder.snapshots])
            expected = np.mean(stacked.astype("float64"), axis=0)
            self.assertAllEqual(v.value, expected.astype("float32"))
        # The snapshots really differ, so the mean is not trivially one.
        self.assertGreater(
            np.abs(recorder.snapshots[0][0] - recorder.snapshots[2][0]).max(),
            1e-3)

    @pytest.mark.filterwarnings("ignore")
    def test_batch_norm_statistics_recomputed(self):
        x, y = _data()
        model = _model(batch_norm=True)
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss="sparse_categorical_crossentropy",
                      jit_compile=JIT)
        swa = callbacks.SWA(start_epoch=0, bn_data=x, bn_batch_size=16)
        model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[swa])
        kernel, bias = (keras.ops.convert_to_numpy(w.value)
                        for w in model.get_layer("hidden").weights)
        h = x.astype("float64") @ kernel + bias
        batches = [h[i:i + 16] for i in range(0, 64, 16)]
        mean = np.mean([b.mean(axis=0) for b in batches], axis=0)
        var = np.mean([b.var(axis=0) for b in batches], axis=0)
        bn = model.get_layer("bn")
        self.assertAllClose(bn.moving_mean.value, mean, atol=1e-5, rtol=1e-5)
        self.assertAllClose(bn.moving_variance.value, var, atol=1e-5,
                            rtol=1e-5)
        self.assertEqual(bn.momentum, 0.5)  # restored

    @pytest.mark.filterwarnings("ignore")
    def test_swa_lr_and_validation(self):
        x, y = _data()
        model = _model()
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, verbose=0,
                  callbacks=[callbacks.SWA(start_epoch=1, swa_lr=0.02)])
        self.assertAllClose(model.optimizer.learning_rate, 0.02)
        with self.assertRaisesRegex(ValueError, "bn_data"):
            bn_model = _model(batch_norm=True)
            bn_model.compile(optimizer="sgd",
                             loss="sparse_categorical_crossentropy")
            bn_model.fit(x, y, epochs=1, verbose=0,
                         callbacks=[callbacks.SWA(start_epoch=0)])
        with self.assertRaisesRegex(ValueError, "start_epoch"):
            callbacks.SWA(start_epoch=-1)
        with self.assertRaisesRegex(TypeError, "swa_freq"):
            callbacks.SWA(start_epoch=0, swa_freq=1.5)
        self.run_serialization_test(callbacks.SWA(start_epoch=3, swa_lr=0.1))


class ModelEMATest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_matches_numpy_reference(self):
        x, y = _data()
        model = _model(batch_norm=True)
        initial = [keras.ops.convert_to_numpy(v.value).astype("float64")
                   for v in model.weights]
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy",
                      jit_compile=JIT)
        recorder = Recorder(every_batch=True, all_weights=True)
        ema = callbacks.ModelEMA(decay=0.8, keep_ema_weights=False)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                            callbacks=[recorder, ema])
        expected = initial
        for n, snapshot in enumerate(recorder.snapshots):
            d = min(0.8, (1 + n) / (10 + n))
            expected = [d * e + (1 - d) * w
                        for e, w in zip(expected, snapshot)]
        self.assertEqual(ema.num_updates, 8)
        for v, e in zip(ema.ema_variables, expected):
            self.assertAllClose(v.value, e, atol=1e-6, rtol=1e-5)
        # Warmup: the 8th update used min(0.8, (1 + 7) / (10 + 7)).
        self.assertAllClose(history.history["ema/decay"][-1], 8 / 17)
        # keep_ema_weights=False: the model keeps its raw weights.
        for v, w in zip(model.weights, recorder.snapshots[-1]):
            self.assertAllClose(v.value, w)

    @pytest.mark.filterwarnings("ignore")
    def test_validation_uses_ema_and_training_is_untouched(self):
        x, y = _data()
        x_val, y_val = x[:24], y[:24]

        def run(with_ema):
            model = _model(batch_norm=True, seed=3)
            model.compile(optimizer=keras.optimizers.SGD(0.2),
                          loss="sparse_categorical_crossentropy",
                          jit_compile=JIT)
            ema = callbacks.ModelEMA(decay=0.9, keep_ema_weights=False)
            history = model.fit(
                x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                validation_data=(x_val, y_val),
                callbacks=[ema] if with_ema else [])
            return model, ema, history

        plain, _, plain_history = run(False)
        model, ema, history = run(True)
        # Swapping the average in for validation never leaks into training.
        for a, b in zip(model.weights, plain.weights):
            self.assertAllClose(a.value, b.value, atol=1e-6, rtol=1e-6)
        self.assertAllClose(history.history["loss"],
                            plain_history.history["loss"], atol=1e-6)
        # The last val_loss was computed with the (final) EMA weights.
        for v, e in zip(model.weights, ema.ema_variables):
            v.assign(e.value)
        self.assertAllClose(
            model.evaluate(x_val, y_val, verbose=0),
            history.history["val_loss"][-1], rtol=1e-5, atol=1e-6)
        self.assertGreater(
            abs(history.history["val_loss"][-1]
                - plain_history.history["val_loss"][-1]), 1e-4)

    @pytest.mark.filterwarnings("ignore")
    def test_keep_ema_weights(self):
        x, y = _data()
        model = _model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        ema = callbacks.ModelEMA(decay=0.5, warmup=False)
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[ema])
        for v, e in zip(model.weights, ema.ema_variables):
            self.assertAllEqual(v.value, e.value)

    def test_validation(self):
        with self.assertRaisesRegex(ValueError, "decay"):
            callbacks.ModelEMA(decay=1.0)
        with self.assertRaisesRegex(TypeError, "warmup"):
            callbacks.ModelEMA(warmup="yes")
        self.run_serialization_test(callbacks.ModelEMA(decay=0.99))
