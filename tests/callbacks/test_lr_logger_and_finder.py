import os

import keras
import numpy as np
import pytest

from keras_recipes import callbacks
from keras_recipes import schedules
from keras_recipes.datasets import digits
from keras_recipes.optimizers import Lookahead
from keras_recipes.testing import TestCase

BACKEND = keras.backend.backend()
JIT = False if BACKEND == "torch" else True


def _mlp(inputs=8, outputs=4, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(outputs, activation="softmax"),
    ])


def _data(n=64, inputs=8, outputs=4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, inputs)).astype("float32")
    y = rng.integers(0, outputs, size=(n,))
    return x, y


class LearningRateLoggerTest(TestCase):
    def test_schedule_rate_in_history(self):
        x, y = _data()
        schedule = schedules.OneCycle(0.1, total_steps=24, pct_start=0.3)
        model = _mlp()
        model.compile(optimizer=keras.optimizers.Adam(schedule),
                      loss="sparse_categorical_crossentropy",
                      jit_compile=JIT)
        history = model.fit(x, y, batch_size=16, epochs=5, verbose=0,
                            callbacks=[callbacks.LearningRateLogger()])
        steps = 64 // 16
        expected = [float(schedule(min((e + 1) * steps, 23)))
                    for e in range(5)]
        self.assertAllClose(np.array(history.history["learning_rate"]),
                            np.array(expected), rtol=1e-6)

    def test_float_rate_changed_by_other_callback(self):
        x, y = _data()
        model = _mlp()
        model.compile(optimizer=Lookahead(keras.optimizers.SGD(0.1)),
                      loss="sparse_categorical_crossentropy")
        halve = keras.callbacks.LearningRateScheduler(
            lambda epoch, lr: 0.1 * 0.5 ** epoch)
        history = model.fit(
            x, y, batch_size=32, epochs=3, verbose=0,
            callbacks=[halve, callbacks.LearningRateLogger(key="lr")])
        self.assertAllClose(np.array(history.history["lr"]),
                            np.array([0.1, 0.05, 0.025]))

    def test_multi_optimizer_keys(self):
        x, y = _data()
        model = _mlp()
        opt_map = keras.optimizers.OptimizerMap(
            default_optimizer=keras.optimizers.SGD(0.01))
        opt_map[model.layers[0].kernel.path] = keras.optimizers.SGD(0.001)
        model.compile(optimizer=keras.optimizers.MultiOptimizer(opt_map),
                      loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, epochs=1, verbose=0,
                            callbacks=[callbacks.LearningRateLogger()])
        self.assertEqual(
            sorted(k for k in history.history if k.startswith("learning")),
            ["learning_rate/0", "learning_rate/1"])

    def test_validation_and_config(self):
        with self.assertRaisesRegex(ValueError, "key"):
            callbacks.LearningRateLogger(key="")
        self.run_serialization_test(callbacks.LearningRateLogger(key="lr"))


def _digits():
    (x, y), (x_test, y_test) = digits.load_data()
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255.0
    return x, y, x_test, y_test


class LRFinderTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_suggestion_beats_100x_higher_and_lower_on_digits(self):
        x, y, x_test, y_test = _digits()

        def make():
            model = _mlp(64, 10, seed=1)
            return model

        model = make()
        model.compile(optimizer=keras.optimizers.SGD(0.01),
                      loss="sparse_categorical_crossentropy")
        finder = callbacks.find_learning_rate(
            model, x, y, batch_size=32, start_lr=1e-5, end_lr=100.0,
            num_steps=60, verbose=0)
        lr = finder.suggested_learning_rate
        self.assertGreater(lr, 1e-5)
        self.assertLess(lr, 100.0)
        accuracies = {}
        for factor in (0.01, 1.0, 100.0):
            model = make()
            model.compile(optimizer=keras.optimizers.SGD(lr * factor),
                          loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"], jit_compile=JIT)
            model.fit(x, y, batch_size=32, epochs=2, verbose=0)
            accuracies[factor] = model.evaluate(x_test, y_test, verbose=0)[1]
        self.assertGreater(accuracies[1.0], accuracies[0.01] + 0.1,
                           msg=f"lr={lr}, {accuracies}")
        self.assertGreater(accuracies[1.0], accuracies[100.0] + 0.1,
                           msg=f"lr={lr}, {accuracies}")

    @pytest.mark.filterwarnings("ignore")
    def test_restores_weights_and_optimizer_state(self):
        x, y = _data(n=96)
        model = _mlp()
        model.compile(optimizer=keras.optimizers.Adam(0.003),
                      loss="sparse_categorical_crossentropy",
                      jit_compile=JIT)
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # real state
        weights = [keras.ops.convert_to_numpy(v.value) for v in model.weights]
        state = [keras.ops.convert_to_numpy(v.value)
                 for v in model.optimizer.variables]
        finder = callbacks.LRFinder(start_lr=1e-4, end_lr=1.0, num_steps=8)
        model.fit(x, y, batch_size=16, epochs=3, verbose=0,
                  callbacks=[finder])
        self.assertEqual(len(finder.losses), 8)
        expected = 1e-4 * (1e4) ** (np.arange(8) / 7)
        self.assertAllClose(np.array(finder.learning_rates), expected,
                            rtol=1e-9)
        for v, w in zip(model.weights, weights):
            self.assertAllEqual(v.value, w)
        for v, s in zip(model.optimizer.variables, state):
            self.assertAllEqual(v.value, s)
        # Losses are per batch: the bias-corrected average of the first
        # batch is its loss.
        self.assertAllClose(finder.smoothed_losses[0], finder.losses[0])

    @pytest.mark.filterwarnings("ignore")
    def test_stops_when_loss_explodes_and_plots(self):
        x, y = _data(n=256)
        model = _mlp()
        model.compile(optimizer=keras.optimizers.SGD(0.01),
                      loss="sparse_categorical_crossentropy")
        path = os.path.join(self.get_temp_dir(), "finder.png")
        finder = callbacks.find_learning_rate(
            model, x, y, batch_size=8, start_lr=1e-3, end_lr=1e6,
            num_steps=40, plot_path=path, verbose=0)
        self.assertLess(len(finder.losses), 40)
        with open(path, "rb") as f:
            self.assertEqual(f.read(4), b"\x89PNG")

    def test_suggest_learning_rate_on_known_curve(self):
        from keras_recipes.callbacks.lr_finder import suggest_learning_rate

        lrs = np.logspace(-5, 1, 61)
        # Falls fastest (per decade) at 1e-2, minimum at 1e-0.5.
        loss = 2.0 - np.tanh(2 * (np.log10(lrs) + 2)) + np.where(
            lrs > 10 ** -0.5, 5 * (np.log10(lrs) + 0.5) ** 2, 0.0)
        self.assertAllClose(suggest_learning_rate(lrs, loss), 1e-2,
                            rtol=1e-6)

    def test_validation(self):
        with self.assertRaisesRegex(ValueError, "end_lr"):
            callbacks.LRFinder(start_lr=1.0, end_lr=0.1)
        with self.assertRaisesRegex(ValueError, "num_steps"):
            callbacks.LRFinder(num_steps=1)
        model = _mlp()
        with self.assertRaisesRegex(ValueError, "compiled"):
            callbacks.find_learning_rate(model, *_data())
        model.compile(
            optimizer=keras.optimizers.SGD(
                keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)),
            loss="sparse_categorical_crossentropy")
        with self.assertRaisesRegex(ValueError, "float `learning_rate`"):
            callbacks.find_learning_rate(model, *_data(), verbose=0)
        with self.assertRaisesRegex(ValueError, "plotting"):
            callbacks.LRFinder().plot("x.png")
        self.run_serialization_test(callbacks.LRFinder(num_steps=7))
