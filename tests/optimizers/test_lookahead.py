import keras
import numpy as np
import pytest

from keras_recipes.optimizers import Lookahead
from keras_recipes.testing import TestCase

BACKEND = keras.backend.backend()


def numpy_sgd_momentum(lr, momentum):
    state = {}

    def step(w, g):
        m = state.get("m", np.zeros_like(w))
        m = momentum * m - lr * g
        state["m"] = m
        return w + m

    return step


def numpy_adam(lr, b1=0.9, b2=0.999, eps=1e-7):
    state = {"t": 0}

    def step(w, g):
        state["t"] += 1
        t = state["t"]
        m = b1 * state.get("m", np.zeros_like(w)) + (1 - b1) * g
        v = b2 * state.get("v", np.zeros_like(w)) + (1 - b2) * g * g
        state["m"], state["v"] = m, v
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - alpha * m / (np.sqrt(v) + eps)

    return step


def numpy_lookahead(w0, grad_fn, inner_step, steps, k, alpha):
    """Algorithm 1 of Zhang et al. (2019), written out literally."""
    slow = w0.copy()
    fast = w0.copy()
    for t in range(1, steps + 1):
        fast = inner_step(fast, grad_fn(fast))
        if t % k == 0:
            slow = slow + alpha * (fast - slow)
            fast = slow.copy()
    return fast, slow


def _problem():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    w0 = rng.normal(size=(3, 1)).astype("float32")
    return x, y, w0


def _grad_fn(x, y):
    x64, y64 = x.astype("float64"), y.astype("float64")

    def grad(w):  # d/dw mean((x w - y)^2)
        return 2.0 / len(x64) * x64.T @ (x64 @ w - y64)

    return grad


def _linear_model(w0):
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1, use_bias=False)(inputs)
    model = keras.Model(inputs, outputs)
    model.layers[-1].kernel.assign(w0)
    return model


class LookaheadTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_matches_numpy_reference_in_compiled_fit(self):
        x, y, w0 = _problem()
        cases = [
            (lambda: keras.optimizers.SGD(0.05, momentum=0.9),
             lambda: numpy_sgd_momentum(0.05, 0.9), 5, 0.5),
            (lambda: keras.optimizers.Adam(0.1),
             lambda: numpy_adam(0.1), 3, 0.8),
        ]
        jits = [False, "auto"] if BACKEND != "torch" else [False]
        for make_inner, make_ref, k, alpha in cases:
            ref_fast, ref_slow = numpy_lookahead(
                w0.astype("float64"), _grad_fn(x, y), make_ref(), 13, k,
                alpha)
            for jit in jits:
                keras.backend.clear_session()
                model = _linear_model(w0)
                opt = Lookahead(make_inner(), sync_period=k,
                                slow_step_size=alpha)
                model.compile(optimizer=opt, loss="mse", jit_compile=jit)
                model.fit(x, y, batch_size=16, epochs=13, shuffle=False,
                          verbose=0)
                self.assertAllClose(model.layers[-1].kernel.value, ref_fast,
                                    rtol=1e-4, atol=1e-5)
                self.assertAllClose(opt._slow_weights[0].value, ref_slow,
                                    rtol=1e-4, atol=1e-5)
                self.assertEqual(int(opt.iterations), 13)

    def test_lookahead_differs_from_inner_alone(self):
        # Guards against a wrapper that silently only runs the inner step.
        x, y, w0 = _problem()
        ref_fast, _ = numpy_lookahead(w0.astype("float64"), _grad_fn(x, y),
                                      numpy_sgd_momentum(0.05, 0.9), 6, 3,
                                      0.5)
        plain, _ = numpy_lookahead(w0.astype("float64"), _grad_fn(x, y),
                                   numpy_sgd_momentum(0.05, 0.9), 6, 10 ** 9,
                                   0.5)
        self.assertGreater(np.abs(ref_fast - plain).max(), 1e-3)
        model = _linear_model(w0)
        model.compile(optimizer=Lookahead(
            keras.optimizers.SGD(0.05, momentum=0.9), sync_period=3),
            loss="mse")
        model.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
        self.assertAllClose(model.layers[-1].kernel.value, ref_fast, rtol=1e-4,
                            atol=1e-5)

    def test_learning_rate_delegates_to_inner(self):
        inner = keras.optimizers.Adam(0.01)
        opt = Lookahead(inner)
        self.assertAllClose(opt.learning_rate, 0.01)
        opt.learning_rate = 0.002
        self.assertAllClose(inner.learning_rate, 0.002)

    def test_serialization_and_saving(self):
        opt = Lookahead(keras.optimizers.AdamW(0.01, weight_decay=0.1),
                        sync_period=4, slow_step_size=0.3)
        revived = self.run_serialization_test(opt)
        self.assertIsInstance(revived.optimizer, keras.optimizers.AdamW)
        self.assertEqual(revived.sync_period, 4)
        x, y, w0 = _problem()
        model = _linear_model(w0)
        model.compile(optimizer=opt, loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        loaded = self.run_model_saving_test(model, x, y)
        self.assertIsInstance(loaded.optimizer, Lookahead)
        for a, b in zip(loaded.optimizer.variables, opt.variables):
            self.assertAllClose(a.value, b.value)

    def test_validation(self):
        with self.assertRaisesRegex(TypeError, "optimizer"):
            Lookahead(3)
        with self.assertRaisesRegex(ValueError, "sync_period"):
            Lookahead("sgd", sync_period=0)
        with self.assertRaisesRegex(ValueError, "slow_step_size"):
            Lookahead("sgd", slow_step_size=1.5)
        with self.assertRaisesRegex(ValueError, "inner optimizer"):
            Lookahead("sgd", clipnorm=1.0)
