"""MultiTaskLoss / MultiTaskModel against NumPy references written here,
eager and inside the compiled `fit` step."""

import os

import keras
import numpy as np
import pytest

from keras_recipes import multitask
from keras_recipes import tracking
from keras_recipes.testing import TestCase

JIT = False if keras.backend.backend() == "torch" else True
# Eager, then the compiled step (torch.compile is too slow for CI; torch
# keeps Keras's non-eager train function).
MODES = (dict(run_eagerly=True), dict(jit_compile=JIT))


# ----------------------------------------------------------- references
def np_log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def np_sparse_ce(labels, logits, weights=None):
    """Keras's sum_over_batch_size: sum_i w_i l_i / N."""
    per = np.array([-np_log_softmax(logits[i].astype("float64"))[labels[i]]
                    for i in range(len(labels))])
    w = np.ones(len(labels)) if weights is None else np.asarray(weights)
    return float(np.sum(per * w) / len(labels))


def np_mse(y, p, weights=None):
    per = np.array([np.mean((y[i] - p[i]) ** 2) for i in range(len(y))])
    w = np.ones(len(y)) if weights is None else np.asarray(weights)
    return float(np.sum(per * w) / len(y))


def np_uncertainty(losses, log_vars, scales):
    total = 0.0
    for loss, s, c in zip(losses, log_vars, scales):
        total += c * np.exp(-s) * loss + s / 2.0
    return total


def np_dwa(prev, earlier, temperature):
    k = len(prev)
    r = [prev[i] / earlier[i] for i in range(k)]
    e = [np.exp(r[i] / temperature) for i in range(k)]
    return np.array([k * e[i] / sum(e) for i in range(k)])


def backend_grad(fn, value):
    """d fn / d value with the backend's own autodiff (tests only)."""
    backend = keras.backend.backend()
    value = np.asarray(value, "float32")
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(jax.numpy.asarray(value)))
    if backend == "tensorflow":
        import tensorflow as tf

        v = tf.Variable(value)
        with tf.GradientTape() as tape:
            out = fn(v)
        return tape.gradient(out, v).numpy()
    import torch

    t = torch.tensor(value, requires_grad=True)
    fn(t).backward()
    return t.grad.detach().cpu().numpy()


# ----------------------------------------------------------- fixtures
def data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = {"label": rng.integers(0, 3, size=(n,)).astype("int32"),
         "value": (x[:, :1] * 2.0 + 1.0).astype("float32")}
    return x, y


def net(list_outputs=False, seed=0):
    inputs = keras.Input((5,))
    init = keras.initializers.GlorotUniform(seed=seed)
    h = keras.layers.Dense(8, activation="tanh", kernel_initializer=init)(
        inputs)
    label = keras.layers.Dense(3, name="label", kernel_initializer=init)(h)
    value = keras.layers.Dense(1, name="value", kernel_initializer=init)(h)
    outputs = [label, value] if list_outputs else {"label": label,
                                                   "value": value}
    return keras.Model(inputs, outputs)


def losses():
    return {"label": keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), "value": "mse"}


def reference_task_losses(model, x, y, sample_weight=None):
    pred = model.model(x, training=False)
    pred = keras.tree.map_structure(keras.ops.convert_to_numpy, pred)
    if isinstance(pred, list):
        pred = {"label": pred[0], "value": pred[1]}
    sw = {} if sample_weight is None else sample_weight
    if not isinstance(sw, dict):
        sw = {"label": sw, "value": sw}
    return np.array([
        np_sparse_ce(y["label"], pred["label"], sw.get("label")),
        np_mse(y["value"], pred["value"], sw.get("value")),
    ])


class UncertaintyTest(TestCase):
    def test_total_matches_numpy(self):
        rng = np.random.default_rng(3)
        x, y = data()
        logits = rng.normal(size=(32, 3)).astype("float32")
        value = rng.normal(size=(32, 1)).astype("float32")
        mtl = multitask.MultiTaskLoss(losses())
        self.assertEqual(mtl.task_types, ["classification", "regression"])
        s = np.array([0.7, -0.4], "float32")
        mtl.log_variance.assign(s)
        task = [np_sparse_ce(y["label"], logits), np_mse(y["value"], value)]
        ref = np_uncertainty(task, s, [1.0, 0.5])
        y_pred = {"label": logits, "value": value}
        self.assertAllClose(mtl(y, y_pred), ref, rtol=1e-5)
        self.assertAllClose(mtl.compute_task_losses(y, y_pred), task,
                            rtol=1e-5)
        self.assertAllClose(
            multitask.uncertainty_weighting(np.array(task, "float32"), s,
                                            [1.0, 0.5]), ref, rtol=1e-5)
        self.assertAllClose(
            list(mtl.current_weights().values()),
            [np.exp(-0.7), 0.5 * np.exp(0.4)], rtol=1e-5)
        # task_types override the inference.
        both = multitask.MultiTaskLoss(
            losses(), task_types={"label": "regression",
                                  "value": "regression"})
        both.log_variance.assign(s)
        self.assertAllClose(both(y, y_pred),
                            np_uncertainty(task, s, [0.5, 0.5]), rtol=1e-5)

    def test_gradient_is_closed_form(self):
        task = np.array([1.7, 0.3, 2.2], "float32")
        scales = [1.0, 0.5, 0.5]
        s = np.array([0.2, -1.0, 0.8], "float32")

        def fn(v):
            return multitask.uncertainty_weighting(task, v, scales)

        grad = backend_grad(fn, s)
        closed = [-c * np.exp(-si) * li + 0.5
                  for c, si, li in zip(scales, s, task)]
        self.assertAllClose(grad, closed, rtol=1e-5, atol=1e-6)

    def test_one_sgd_step_updates_log_variances_by_the_gradient(self):
        """Through `fit`: one full-batch SGD step moves s_i by
        -lr * (-c_i exp(-s_i) L_i + 1/2), eager and compiled."""
        x, y = data()
        s0 = np.array([0.3, -0.5], "float32")
        for mode in MODES:
            keras.backend.clear_session()
            model = multitask.MultiTaskModel(net(), losses())
            model.multitask_loss.log_variance.assign(s0)
            model.compile(optimizer=keras.optimizers.SGD(0.1), **mode)
            task = reference_task_losses(model, x, y)
            history = model.fit(x, y, batch_size=32, epochs=1, verbose=0,
                                shuffle=False)
            grad = [-c * np.exp(-si) * li + 0.5
                    for c, si, li in zip([1.0, 0.5], s0, task)]
            self.assertAllClose(model.multitask_loss.log_variance,
                                s0 - 0.1 * np.array(grad), rtol=1e-5,
                                atol=1e-6, msg=str(mode))
            self.assertAllClose(history.history["loss"][0],
                                np_uncertainty(task, s0, [1.0, 0.5]),
                                rtol=1e-5)
            self.assertAllClose(history.history["loss_label"][0], task[0],
                                rtol=1e-5)
            self.assertAllClose(history.history["weight_value"][0],
                                0.5 * np.exp(0.5), rtol=1e-5)
            self.assertIn(model.multitask_loss.log_variance.path,
                          [v.path for v in model.trainable_variables])

    def test_log_variances_learn_and_are_restored(self):
        x, y = data()
        model = multitask.MultiTaskModel(net(), losses())
        model.compile(optimizer=keras.optimizers.Adam(0.05), jit_compile=JIT)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        learned = keras.ops.convert_to_numpy(
            model.multitask_loss.log_variance)
        self.assertGreater(np.abs(learned).min(), 1e-3)
        loaded = self.run_model_saving_test(model, x, y, atol=1e-5)
        self.assertAllClose(loaded.multitask_loss.log_variance, learned)
        self.assertEqual(loaded.multitask_loss.task_types,
                         ["classification", "regression"])
        # The loaded model keeps training.
        loaded.fit(x, y, batch_size=32, epochs=1, verbose=0)


class DWATest(TestCase):
    def test_dwa_weights_function(self):
        prev, earlier = [0.9, 0.4, 2.0], [1.0, 0.5, 1.5]
        for t in (2.0, 0.5):
            self.assertAllClose(multitask.dwa_weights(prev, earlier, t),
                                np_dwa(prev, earlier, t), rtol=1e-10)
        self.assertAllClose(
            np.sum(multitask.dwa_weights(prev, earlier)), 3.0)

    def test_weights_of_each_epoch_follow_the_formula(self):
        """Weights used in epoch t (logged `weight_<task>`, and the total
        `loss` they produce) equal K softmax(r/T) from the recorded epoch
        losses of t-1 and t-2; 1 for the first two epochs."""
        x, y = data()
        temperature = 0.05  # sharp, so the weights move away from 1
        for mode in MODES:
            keras.backend.clear_session()
            model = multitask.MultiTaskModel(net(), losses(),
                                             weighting="dwa",
                                             temperature=temperature)
            model.compile(optimizer=keras.optimizers.Adam(0.02), **mode)
            h = model.fit(x, y, batch_size=16, epochs=5, verbose=0).history
            loss = np.stack([h["loss_label"], h["loss_value"]], axis=1)
            used = np.stack([h["weight_label"], h["weight_value"]], axis=1)
            self.assertAllClose(used[:2], np.ones((2, 2)), msg=str(mode))
            for t in range(2, 5):
                expected = np_dwa(loss[t - 1], loss[t - 2], temperature)
                self.assertAllClose(used[t], expected, rtol=1e-5,
                                    msg=f"{mode} epoch {t}")
                self.assertAllClose(h["loss"][t], used[t] @ loss[t],
                                    rtol=1e-5, msg=f"{mode} epoch {t}")
            self.assertGreater(np.abs(used[2:] - 1).max(), 0.05)
            # After fit, the weights for the next epoch are set.
            nxt = np_dwa(loss[4], loss[3], temperature)
            self.assertAllClose(
                list(model.multitask_loss.current_weights().values()), nxt,
                rtol=1e-5)
            # A second fit continues from the recorded epochs.
            h2 = model.fit(x, y, batch_size=16, epochs=1, verbose=0).history
            self.assertAllClose(
                [h2["weight_label"][0], h2["weight_value"][0]], nxt,
                rtol=1e-5)

    def test_dwa_state_is_saved(self):
        x, y = data()
        model = multitask.MultiTaskModel(net(), losses(), weighting="dwa",
                                         temperature=0.1)
        model.compile(optimizer="adam", jit_compile=JIT)
        model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        loaded = self.run_model_saving_test(model, x, y, atol=1e-5)
        src, dst = model.multitask_loss, loaded.multitask_loss
        for name in ("dwa_weight_variable", "loss_history", "epochs_seen"):
            self.assertAllClose(getattr(dst, name), getattr(src, name))
        self.assertEqual(float(keras.ops.convert_to_numpy(dst.epochs_seen)),
                         3.0)

    def test_update_dwa_by_hand(self):
        mtl = multitask.MultiTaskLoss(["mse", "mae"], weighting="dwa")
        self.assertEqual(mtl.update_dwa([1.0, 2.0]), [1.0, 1.0])
        w = mtl.update_dwa({"task_0": 0.5, "task_1": 1.9})
        self.assertAllClose(w, np_dwa([0.5, 1.9], [1.0, 2.0], 2.0),
                            rtol=1e-6)


class StaticWeightingTest(TestCase):
    def test_equal_and_static_match_keras_loss_weights(self):
        """`weighting=` equal / dict gives Keras's own multi-output total
        (`compile(loss=dict, loss_weights=dict)`), eager and compiled."""
        x, y = data()
        rng = np.random.default_rng(5)
        sw = rng.uniform(0, 2, size=(32,)).astype("float32")
        cases = (("equal", {"label": 1.0, "value": 1.0}, MODES[1]),
                 ({"label": 0.3, "value": 2.0}, {"label": 0.3, "value": 2.0},
                  MODES[1]),
                 ([0.3, 2.0], {"label": 0.3, "value": 2.0}, MODES[0]))
        for weighting, kw, mode in cases:
            keras.backend.clear_session()
            base = net()
            model = multitask.MultiTaskModel(base, losses(),
                                             weighting=weighting)
            model.compile(optimizer="sgd", **mode)
            plain = keras.models.clone_model(base)
            plain.set_weights(base.get_weights())
            plain.compile(optimizer="sgd", loss=losses(), loss_weights=kw,
                          **mode)
            got = model.evaluate(x, y, sample_weight=sw, verbose=0,
                                 return_dict=True, batch_size=32)
            ref = plain.evaluate(x, y, sample_weight=sw, verbose=0,
                                 return_dict=True, batch_size=32)
            self.assertAllClose(got["loss"], ref["loss"], rtol=1e-5)
            task = reference_task_losses(model, x, y, sw)
            self.assertAllClose(got["loss_label"], task[0], rtol=1e-5)
            self.assertAllClose(got["loss_value"], task[1], rtol=1e-5)
            self.assertAllClose(
                got["loss"], kw["label"] * task[0] + kw["value"] * task[1],
                rtol=1e-5)
            self.assertAllClose(got["weight_value"], kw["value"])
        history = model.fit(x, y, batch_size=16, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))

    def test_per_task_sample_weight_and_list_outputs(self):
        x, y = data()
        rng = np.random.default_rng(6)
        sw = {"label": rng.uniform(size=32).astype("float32"),
              "value": np.zeros(32, "float32")}
        for mode in MODES:
            keras.backend.clear_session()
            # List outputs with a dict of losses: matched by output name.
            model = multitask.MultiTaskModel(net(list_outputs=True),
                                             losses(), weighting="equal")
            model.compile(optimizer="sgd", **mode)
            ys = [y["label"], y["value"]]
            got = model.evaluate(x, ys, sample_weight=[sw["label"],
                                                       sw["value"]],
                                 verbose=0, return_dict=True)
            task = reference_task_losses(model, x, y, sw)
            self.assertAllClose(task[1], 0.0)
            self.assertAllClose(got["loss"], task.sum(), rtol=1e-5)
            history = model.fit(x, ys, batch_size=16, verbose=0)
            self.assertIn("loss_value", history.history)
        # A list of losses takes the output names.
        keras.backend.clear_session()
        listed = multitask.MultiTaskModel(
            net(list_outputs=True),
            [keras.losses.SparseCategoricalCrossentropy(from_logits=True),
             "mse"], weighting="equal")
        self.assertEqual(listed.multitask_loss.task_names, ["label", "value"])
        listed.compile(optimizer="sgd", jit_compile=JIT)
        got = listed.evaluate(x, ys, verbose=0, return_dict=True)
        task = reference_task_losses(listed, x, y)
        self.assertAllClose(got["loss"], task.sum(), rtol=1e-5)

    def test_regularization_losses_are_added(self):
        x, y = data()
        inputs = keras.Input((5,))
        h = keras.layers.Dense(
            4, kernel_regularizer=keras.regularizers.L2(0.5))(inputs)
        base = keras.Model(inputs, {"label": keras.layers.Dense(
            3, name="label")(h), "value": keras.layers.Dense(
            1, name="value")(h)})
        model = multitask.MultiTaskModel(base, losses(), weighting="equal")
        model.compile(optimizer="sgd", jit_compile=JIT)
        got = model.evaluate(x, y, verbose=0, return_dict=True)
        kernel = keras.ops.convert_to_numpy(base.layers[1].kernel)
        reg = 0.5 * np.sum(kernel ** 2)
        self.assertAllClose(got["loss"],
                            got["loss_label"] + got["loss_value"] + reg,
                            rtol=1e-5)


class LoggingAndSerializationTest(TestCase):
    def test_history_and_tracker_see_task_losses_and_weights(self):
        x, y = data()
        model = multitask.MultiTaskModel(net(), losses(), weighting="dwa")
        model.compile(optimizer="adam", jit_compile=JIT)
        path = os.path.join(self.get_temp_dir(), "run.jsonl")
        tracker = tracking.JSONLTracker(path)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                            validation_data=(x, y), callbacks=[tracker])
        for key in ("loss_label", "loss_value", "weight_label",
                    "weight_value", "val_loss_label", "val_weight_value"):
            self.assertEqual(len(history.history[key]), 2, key)
        metrics = [e["metrics"] for e in tracking.read_jsonl(path)
                   if "metrics" in e]
        self.assertTrue(metrics)
        self.assertAllClose(metrics[-1]["loss_value"],
                            history.history["loss_value"][-1])
        self.assertIn("weight_label", metrics[-1])

    def test_config_round_trip(self):
        for mtl in (
            multitask.MultiTaskLoss(losses()),
            multitask.MultiTaskLoss(["mse", keras.losses.Huber(delta=2.0)],
                                    weighting=[1.0, 3.0],
                                    task_names=["a", "b"]),
            multitask.MultiTaskLoss({"a": "mae", "b": "mse"},
                                    weighting="dwa", temperature=1.5),
            multitask.MultiTaskLoss(
                [keras.losses.CosineSimilarity()],
                task_types=["regression"]),
        ):
            revived = self.run_serialization_test(mtl)
            self.assertEqual(revived.task_names, mtl.task_names)
            self.assertEqual(revived.weighting, mtl.weighting)
            self.assertEqual(revived.task_types, mtl.task_types)
        revived = multitask.MultiTaskLoss.from_config(
            multitask.MultiTaskLoss(losses()).get_config())
        self.assertTrue(revived.loss_fns[0].get_config()["from_logits"])
        model = multitask.MultiTaskModel(net(), losses(), weighting="dwa",
                                         temperature=0.5)
        clone = multitask.MultiTaskModel.from_config(model.get_config())
        self.assertEqual(clone.multitask_loss.temperature, 0.5)
        self.assertEqual(clone.weighting, "dwa")

    def test_bad_arguments_name_the_argument(self):
        with pytest.raises(ValueError, match="weighting"):
            multitask.MultiTaskLoss(losses(), weighting="softmax")
        with pytest.raises(TypeError, match="weighting"):
            multitask.MultiTaskLoss(losses(), weighting=2.0)
        with pytest.raises(ValueError, match="weighting"):
            multitask.MultiTaskLoss(losses(), weighting={"label": 1.0})
        with pytest.raises(ValueError, match="weighting"):
            multitask.MultiTaskLoss(losses(), weighting=[1.0, -1.0])
        with pytest.raises(ValueError, match="temperature"):
            multitask.MultiTaskLoss(losses(), weighting="dwa",
                                    temperature=-1)
        with pytest.raises(ValueError, match="task_types"):
            multitask.MultiTaskLoss(losses(), task_types=["a", "b"])
        with pytest.raises(ValueError, match="task_types"):
            multitask.MultiTaskLoss([keras.losses.CosineSimilarity()])
        with pytest.raises(TypeError, match="losses"):
            multitask.MultiTaskLoss("mse")
        with pytest.raises(ValueError, match="losses"):
            multitask.MultiTaskLoss([])
        with pytest.raises(ValueError, match="not_a_loss"):
            multitask.MultiTaskLoss(["not_a_loss"])
        with pytest.raises(TypeError, match="task 'task_0'"):
            multitask.MultiTaskLoss([3])
        with pytest.raises(ValueError, match="task_names"):
            multitask.MultiTaskLoss(["mse", "mae"], task_names=["a"])
        with pytest.raises(ValueError, match="weighting='dwa'"):
            multitask.MultiTaskLoss(["mse"]).update_dwa([1.0])
        with pytest.raises(ValueError, match="y_true"):
            multitask.MultiTaskLoss(losses())(
                {"label": np.zeros(2)}, {"label": np.zeros((2, 3)),
                                         "value": np.zeros((2, 1))})
        with pytest.raises(TypeError, match="model"):
            multitask.MultiTaskModel("net", losses())
        with pytest.raises(ValueError, match="one loss per output"):
            multitask.MultiTaskModel(net(), {"label": "mse"})
        model = multitask.MultiTaskModel(net(), losses())
        with pytest.raises(ValueError, match="loss=None"):
            model.compile(optimizer="adam", loss="mse")
        with pytest.raises(ValueError, match="weighting"):
            multitask.MultiTaskModel(
                net(), multitask.MultiTaskLoss(losses()), weighting="dwa")
