"""SnapshotEnsemble: the paper's learning rate recomputed here, the rate
actually used by the compiled step (plain SGD replayed in NumPy), the
snapshot files and the loaded ensemble."""

import math
import os

import keras
import numpy as np
import pytest

from keras_recipes import callbacks
from keras_recipes import ensembles
from keras_recipes import schedules
from keras_recipes.testing import TestCase

JIT = False if keras.backend.backend() == "torch" else True
MODES = (dict(run_eagerly=True), dict(jit_compile=JIT))


def paper_rate(t, total, cycles, lr0):
    """Huang et al. (2017), eq. (2), t from 1."""
    length = math.ceil(total / cycles)
    return lr0 / 2 * (math.cos(math.pi * ((t - 1) % length) / length) + 1)


def linear_model():
    inputs = keras.Input((3,))
    out = keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")(
        inputs)
    return keras.Model(inputs, out)


class SnapshotEnsembleTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_rates_are_used_by_the_train_step(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(12, 3)).astype("float32")
        y = rng.normal(size=(12, 1)).astype("float32")
        for mode in MODES:
            keras.backend.clear_session()
            model = linear_model()
            model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse",
                          **mode)
            snap = callbacks.SnapshotEnsemble(2, self.get_temp_dir())
            history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False,
                                callbacks=[snap], verbose=0)
            want = [paper_rate(t, 6, 2, 0.1) for t in range(1, 7)]
            self.assertAllClose(snap.learning_rates, want, atol=1e-7)
            # Replay plain SGD on the MSE with those rates in NumPy.
            w = np.ones((3, 1))
            for t in range(6):
                xb = x[(t % 3) * 4:(t % 3) * 4 + 4].astype("float64")
                yb = y[(t % 3) * 4:(t % 3) * 4 + 4]
                grad = 2 * xb.T @ (xb @ w - yb) / len(xb)
                w = w - want[t] * grad
            self.assertAllClose(model.get_weights()[0], w, atol=1e-5)
            self.assertEqual(history.history["snapshot/cycle"], [1, 2])
            self.assertAllClose(history.history["snapshot/learning_rate"],
                                [want[2], want[5]], atol=1e-7)

    @pytest.mark.filterwarnings("ignore")
    def test_snapshots_and_ensemble(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(30, 3)).astype("float32")
        y = rng.integers(0, 2, size=(30,))
        folder = os.path.join(self.get_temp_dir(), "snaps")
        inputs = keras.Input((3,))
        model = keras.Model(inputs, keras.layers.Dense(2, "softmax")(inputs))
        model.compile(optimizer=keras.optimizers.Adam(0.05),
                      loss="sparse_categorical_crossentropy",
                      jit_compile=JIT)
        snap = callbacks.SnapshotEnsemble(3, folder, learning_rate=0.02)
        model.fit(x, y, batch_size=10, epochs=3, callbacks=[snap],
                  verbose=0)
        self.assertEqual(sorted(os.listdir(folder)),
                         [f"snapshot_{k}.keras" for k in (1, 2, 3)])
        self.assertAllClose(snap.learning_rates[:3],
                            [paper_rate(t, 9, 3, 0.02) for t in (1, 2, 3)])
        members = [keras.saving.load_model(p) for p in snap.snapshot_paths]
        probs = np.stack([m.predict(x, verbose=0) for m in members])
        self.assertFalse(np.allclose(probs[0], probs[2]))
        ensemble = snap.ensemble()
        self.assertIsInstance(ensemble, ensembles.AveragingEnsemble)
        self.assertAllClose(ensemble.predict(x, verbose=0),
                            probs.mean(axis=0), atol=1e-6)
        # The last snapshot is the final model.
        self.assertAllClose(probs[-1], model.predict(x, verbose=0))
        last_two = ensembles.load_snapshots(folder, last=2)
        self.assertAllClose(last_two.predict(x, verbose=0),
                            probs[1:].mean(axis=0), atol=1e-6)
        self.run_model_saving_test(ensemble, x)

    def test_uneven_cycles(self):
        # T = 10 iterations, M = 3 cycles: L = ceil(10/3) = 4, snapshots
        # after iterations 4, 8 and 10.
        x = np.ones((10, 3), "float32")
        y = np.zeros((10, 1), "float32")
        model = linear_model()
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        snap = callbacks.SnapshotEnsemble(3, self.get_temp_dir())
        model.fit(x, y, batch_size=1, epochs=1, callbacks=[snap], verbose=0)
        self.assertEqual(snap.cycle_length, 4)
        self.assertAllClose(snap.learning_rates,
                            [paper_rate(t, 10, 3, 0.01)
                             for t in range(1, 11)], atol=1e-9)
        self.assertEqual([os.path.basename(p) for p in snap.snapshot_paths],
                         ["snapshot_1.keras", "snapshot_2.keras",
                          "snapshot_3.keras"])

    def test_config_round_trip(self):
        snap = callbacks.SnapshotEnsemble(4, "/tmp/x", learning_rate=0.1,
                                          total_iterations=100)
        revived = callbacks.SnapshotEnsemble.from_config(snap.get_config())
        self.assertEqual(revived.get_config(), snap.get_config())
        self.run_serialization_test(snap)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`cycles`"):
            callbacks.SnapshotEnsemble(0, "/tmp/x")
        with self.assertRaisesRegex(TypeError, "`save_dir`"):
            callbacks.SnapshotEnsemble(2, None)
        with self.assertRaisesRegex(ValueError, "`learning_rate`"):
            callbacks.SnapshotEnsemble(2, "/tmp/x", learning_rate=-1.0)
        with self.assertRaisesRegex(ValueError, "snapshot_<k>.keras"):
            ensembles.load_snapshots(self.get_temp_dir())
        model = linear_model()
        model.compile(optimizer=keras.optimizers.SGD(
            schedules.WarmupCosineDecay(0.1, total_steps=10)), loss="mse")
        snap = callbacks.SnapshotEnsemble(2, self.get_temp_dir())
        with self.assertRaisesRegex(ValueError, "float `learning_rate`"):
            model.fit(np.ones((4, 3)), np.zeros((4, 1)), callbacks=[snap],
                      verbose=0)
        model = linear_model()
        model.compile(optimizer="sgd", loss="mse")
        snap = callbacks.SnapshotEnsemble(8, self.get_temp_dir())
        with self.assertRaisesRegex(ValueError, "one iteration per cycle"):
            model.fit(np.ones((4, 3)), np.zeros((4, 1)), batch_size=2,
                      callbacks=[snap], verbose=0)
