"""Focal, label-smoothing and Poly-1 losses against slow NumPy references."""

import keras
import numpy as np
import pytest

from keras_recipes import losses
from keras_recipes.testing import TestCase

EPS = 1e-7


# ---------------------------------------------------------------- references
def np_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def np_dense_targets(y_true, num_classes, smoothing):
    y_true = np.asarray(y_true)
    if y_true.ndim >= 1 and y_true.shape[-1:] == (num_classes,) and (
        y_true.dtype.kind == "f"
    ):
        t = y_true.astype("float64")
    else:
        ids = y_true.reshape(-1).astype(int)
        t = np.zeros((ids.size, num_classes))
        for i, c in enumerate(ids):
            t[i, c] = 1.0
    return t * (1 - smoothing) + smoothing / num_classes


def np_focal_categorical(y_true, y_pred, gamma, alpha, smoothing, logits):
    """Explicit loops: sum_c alpha_c (1 - p_c)^gamma * (-t_c log p_c)."""
    y_pred = np.asarray(y_pred, "float64")
    n, c = y_pred.shape
    t = np_dense_targets(y_true, c, smoothing)
    p = np_softmax(y_pred) if logits else y_pred / y_pred.sum(-1, keepdims=1)
    p = np.clip(p, EPS, 1 - EPS)
    out = np.zeros(n)
    for i in range(n):
        for k in range(c):
            a = 1.0 if alpha is None else (
                alpha[k] if isinstance(alpha, list) else alpha
            )
            out[i] += a * (1 - p[i, k]) ** gamma * -t[i, k] * np.log(p[i, k])
    return out


def np_focal_binary(y_true, y_pred, gamma, alpha, smoothing, logits):
    """Per element: alpha_t (1 - p_t)^gamma BCE, mean over the last axis."""
    y_pred = np.asarray(y_pred, "float64")
    t = np.asarray(y_true, "float64").reshape(y_pred.shape)
    t = t * (1 - smoothing) + 0.5 * smoothing
    p = 1 / (1 + np.exp(-y_pred)) if logits else y_pred
    p = np.clip(p, EPS, 1 - EPS)
    out = np.zeros(y_pred.shape)
    for idx in np.ndindex(*y_pred.shape):
        pi, ti = p[idx], t[idx]
        bce = -(ti * np.log(pi) + (1 - ti) * np.log(1 - pi))
        pt = ti * pi + (1 - ti) * (1 - pi)
        if alpha is None:
            a = 1.0
        elif isinstance(alpha, list) and y_pred.shape[-1] == 1:
            a = ti * alpha[1] + (1 - ti) * alpha[0]
        elif isinstance(alpha, list):
            a = ti * alpha[idx[-1]] + (1 - ti) * (1 - alpha[idx[-1]])
        else:
            a = ti * alpha + (1 - ti) * (1 - alpha)
        out[idx] = a * (1 - pt) ** gamma * bce
    return out.mean(axis=-1)


def np_poly(y_true, y_pred, epsilon, smoothing, logits):
    y_pred = np.asarray(y_pred, "float64")
    t = np_dense_targets(y_true, y_pred.shape[1], smoothing)
    p = np_softmax(y_pred) if logits else y_pred / y_pred.sum(-1, keepdims=1)
    p = np.clip(p, EPS, 1 - EPS)
    ce = np.array([-sum(t[i] * np.log(p[i])) for i in range(len(p))])
    pt = np.array([sum(t[i] * p[i]) for i in range(len(p))])
    return ce + epsilon * (1 - pt)


def data(n=6, c=4, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, c)).astype("float32")
    probs = np_softmax(logits.astype("float64")).astype("float32")
    ids = rng.integers(0, c, size=(n,))
    return ids, logits, probs


def to_np(x):
    return keras.ops.convert_to_numpy(x)


class FocalLossTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_matches_reference_all_label_formats(self):
        ids, logits, probs = data()
        onehot = np.eye(4, dtype="float32")[ids]
        rng = np.random.default_rng(1)
        soft = rng.dirichlet(np.ones(4), size=6).astype("float32")
        for gamma in (0.0, 0.5, 2.0):
            for alpha in (None, 0.25, [0.1, 0.2, 0.3, 0.4]):
                for ls in (0.0, 0.1):
                    for logits_mode, pred in ((True, logits), (False, probs)):
                        fn = lambda y: to_np(losses.focal_loss(  # noqa: E731
                            y, pred, gamma=gamma, alpha=alpha,
                            label_smoothing=ls, from_logits=logits_mode))
                        ref = np_focal_categorical(
                            ids, pred, gamma, alpha, ls, logits_mode)
                        self.assertAllClose(fn(ids), ref, atol=1e-5, rtol=1e-4)
                        self.assertAllClose(fn(ids[:, None]), ref, atol=1e-5,
                                            rtol=1e-4)
                        self.assertAllClose(fn(onehot), ref, atol=1e-5,
                                            rtol=1e-4)
                ref = np_focal_categorical(soft, probs, gamma, alpha, 0.0,
                                           False)
                self.assertAllClose(
                    losses.focal_loss(soft, probs, gamma=gamma, alpha=alpha),
                    ref, atol=1e-5, rtol=1e-4)

    def test_batch_equal_to_num_classes(self):
        # Keras's CategoricalFocalCrossentropy silently returns a wrong value
        # here; the label format must come from rank, not from sizes.
        rng = np.random.default_rng(3)
        probs = np_softmax(rng.normal(size=(3, 3)))
        ids = np.array([2, 0, 1])
        loss = losses.FocalLoss(alpha=0.25)
        self.assertAllClose(loss(ids, probs), loss(np.eye(3)[ids], probs),
                            atol=1e-7)
        self.assertAllClose(
            loss(ids, probs),
            np_focal_categorical(ids, probs, 2.0, 0.25, 0.0, False).mean(),
            atol=1e-6)

    def test_matches_keras_categorical_focal_on_one_hot(self):
        ids, logits, probs = data()
        onehot = np.eye(4, dtype="float32")[ids]
        for ls in (0.0, 0.2):
            for from_logits, pred in ((False, probs), (True, logits)):
                ours = losses.FocalLoss(gamma=2.0, alpha=0.25,
                                        label_smoothing=ls,
                                        from_logits=from_logits)
                ref = keras.losses.CategoricalFocalCrossentropy(
                    alpha=0.25, gamma=2.0, label_smoothing=ls,
                    from_logits=from_logits)
                self.assertAllClose(ours(onehot, pred), ref(onehot, pred),
                                    atol=1e-6, rtol=1e-5)

    def test_gamma_zero_is_cross_entropy(self):
        ids, logits, probs = data()
        ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.assertAllClose(
            losses.FocalLoss(gamma=0.0, from_logits=True)(ids, logits),
            ce(ids, logits), atol=1e-6, rtol=1e-6)

    def test_binary_single_unit_and_multi_label(self):
        rng = np.random.default_rng(2)
        z = rng.normal(size=(8, 1)).astype("float32")
        y = rng.integers(0, 2, size=(8,))
        for alpha in (None, 0.25, [0.3, 2.0]):
            for ls in (0.0, 0.1):
                ref = np_focal_binary(y, z, 2.0, alpha, ls, True)
                got = losses.focal_loss(y, z, alpha=alpha, label_smoothing=ls,
                                        from_logits=True)
                self.assertAllClose(got, ref, atol=1e-6, rtol=1e-5)
                self.assertAllClose(
                    losses.focal_loss(y[:, None], z, alpha=alpha,
                                      label_smoothing=ls, from_logits=True),
                    ref, atol=1e-6, rtol=1e-5)
        keras_ref = keras.losses.BinaryFocalCrossentropy(
            apply_class_balancing=True, alpha=0.25, gamma=2.0,
            from_logits=True)
        self.assertAllClose(
            losses.FocalLoss(alpha=0.25, from_logits=True)(y[:, None], z),
            keras_ref(y[:, None].astype("float32"), z), atol=1e-6)

        zm = rng.normal(size=(5, 3)).astype("float32")
        ym = rng.integers(0, 2, size=(5, 3)).astype("float32")
        for alpha in (None, 0.25, [0.2, 0.5, 0.9]):
            self.assertAllClose(
                losses.focal_loss(ym, zm, alpha=alpha, multi_label=True,
                                  from_logits=True),
                np_focal_binary(ym, zm, 2.0, alpha, 0.0, True),
                atol=1e-6, rtol=1e-5)

    def test_segmentation_labels(self):
        rng = np.random.default_rng(4)
        z = rng.normal(size=(2, 3, 3, 4)).astype("float32")
        y = rng.integers(0, 4, size=(2, 3, 3))
        got = losses.focal_loss(y, z, from_logits=True, alpha=[1, 2, 3, 4])
        ref = np_focal_categorical(
            y.reshape(-1), z.reshape(-1, 4), 2.0, [1, 2, 3, 4], 0.0, True
        ).reshape(2, 3, 3)
        self.assertAllClose(got, ref, atol=1e-6, rtol=1e-5)
        self.assertAllClose(
            losses.focal_loss(y[..., None], z, from_logits=True), 
            np_focal_categorical(y.reshape(-1), z.reshape(-1, 4), 2.0, None,
                                 0.0, True).reshape(2, 3, 3),
            atol=1e-6, rtol=1e-5)

    def test_reductions_and_sample_weight(self):
        ids, logits, _ = data()
        ref = np_focal_categorical(ids, logits, 2.0, None, 0.0, True)
        sw = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0])
        mk = lambda r: losses.FocalLoss(  # noqa: E731
            from_logits=True, reduction=r)
        self.assertAllClose(mk(None)(ids, logits), ref, atol=1e-6, rtol=1e-5)
        self.assertAllClose(mk("sum")(ids, logits), ref.sum(), rtol=1e-5)
        self.assertAllClose(mk("sum_over_batch_size")(ids, logits, sw),
                            (ref * sw).mean(), rtol=1e-5)
        self.assertAllClose(
            mk("sum_over_batch_size")(ids, logits, np.zeros(6)), 0.0)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "gamma"):
            losses.FocalLoss(gamma=-1.0)
        for ls in (1.0, -0.1):
            with self.assertRaisesRegex(ValueError, "label_smoothing"):
                losses.FocalLoss(label_smoothing=ls)
        with self.assertRaisesRegex(ValueError, "alpha"):
            losses.FocalLoss(alpha=[0.5])
        with self.assertRaisesRegex(ValueError, "alpha"):
            losses.FocalLoss(alpha=[0.5, -1.0])
        with self.assertRaisesRegex(ValueError, "alpha"):
            losses.FocalLoss(alpha={0: 1.0, 2: 1.0})
        with self.assertRaisesRegex(TypeError, "gamma"):
            losses.FocalLoss(gamma="2")
        ids, logits, _ = data()
        # Wrong number of per-class weights: raised at trace time with sizes.
        with self.assertRaisesRegex(ValueError, "alpha.*length 4"):
            losses.FocalLoss(alpha=[1.0, 2.0, 3.0])(ids, logits)
        with self.assertRaisesRegex(ValueError, r"\(6, 4\)"):
            losses.FocalLoss()(np.zeros((6, 3)), logits)
        with self.assertRaisesRegex(ValueError, r"\(5,\)"):
            losses.FocalLoss()(ids[:5], logits)


class StabilityTest(TestCase):
    def _extreme_model(self, num_outputs):
        model = keras.Sequential([
            keras.Input((2,)),
            keras.layers.Dense(
                num_outputs,
                kernel_initializer=keras.initializers.Constant(
                    [[5e3] * num_outputs, [-5e3] * num_outputs]
                    if num_outputs == 1 else
                    np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]]) / 2 * 2
                ),
            ),
        ])
        return model

    @pytest.mark.filterwarnings("ignore")
    def test_extreme_logits_give_finite_loss_and_gradients(self):
        x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], "float32")
        cases = [
            (losses.FocalLoss(from_logits=True), np.array([1, 0, 2]), 3),
            (losses.FocalLoss(gamma=0.5, from_logits=True),
             np.array([0, 1, 0]), 3),
            (losses.LabelSmoothingCrossentropy(from_logits=True),
             np.array([1, 0, 2]), 3),
            (losses.PolyLoss(from_logits=True), np.array([1, 0, 2]), 3),
            (losses.FocalLoss(from_logits=True), np.array([0, 1, 0]), 1),
            (losses.FocalLoss(gamma=0.5, from_logits=True),
             np.array([1, 0, 1]), 1),
        ]
        for loss, y, units in cases:
            keras.backend.clear_session()
            model = self._extreme_model(units)
            logits = to_np(model(x))
            self.assertGreaterEqual(np.abs(logits).max(), 5e3)
            self.assertTrue(np.isfinite(to_np(loss(y, logits))))
            model.compile(optimizer=keras.optimizers.SGD(1e-6), loss=loss)
            model.fit(x, y, epochs=1, verbose=0)
            for w in model.weights:
                self.assertTrue(np.all(np.isfinite(to_np(w))), loss.name)

    def test_mixed_precision_computes_in_float32(self):
        ids, logits, _ = data()
        try:
            keras.config.set_dtype_policy("mixed_bfloat16")
            low = keras.ops.cast(logits, "bfloat16")
            for loss in (losses.FocalLoss(from_logits=True),
                         losses.PolyLoss(from_logits=True),
                         losses.LabelSmoothingCrossentropy(from_logits=True)):
                value = loss(ids, low)
                self.assertEqual(
                    keras.backend.standardize_dtype(value.dtype), "float32")
                ref = loss(ids, to_np(keras.ops.cast(low, "float32")))
                self.assertAllClose(value, ref, atol=1e-6, rtol=1e-6)
            model = keras.Sequential([keras.Input((4,)),
                                      keras.layers.Dense(4)])
            model.compile(optimizer="adam",
                          loss=losses.FocalLoss(from_logits=True))
            h = model.fit(logits, ids, epochs=1, verbose=0)
            self.assertTrue(np.isfinite(h.history["loss"][0]))
        finally:
            keras.config.set_dtype_policy("float32")


class LabelSmoothingAndPolyTest(TestCase):
    def test_label_smoothing_matches_reference_and_keras(self):
        ids, logits, probs = data()
        onehot = np.eye(4, dtype="float32")[ids]
        for ls in (0.0, 0.1, 0.3):
            ref = np_focal_categorical(ids, logits, 0.0, None, ls, True)
            loss = losses.LabelSmoothingCrossentropy(ls, from_logits=True,
                                                     reduction=None)
            self.assertAllClose(loss(ids, logits), ref, atol=1e-6, rtol=1e-5)
            self.assertAllClose(loss(ids[:, None], logits), ref, atol=1e-6,
                                rtol=1e-5)
            keras_ref = keras.losses.CategoricalCrossentropy(
                label_smoothing=ls, from_logits=True, reduction=None)
            self.assertAllClose(loss(onehot, logits),
                                keras_ref(onehot, logits), atol=1e-6,
                                rtol=1e-5)

    def test_poly_matches_reference(self):
        ids, logits, probs = data()
        rng = np.random.default_rng(5)
        soft = rng.dirichlet(np.ones(4), size=6).astype("float32")
        for eps in (-1.0, 0.0, 1.0, 2.5):
            for ls in (0.0, 0.1):
                loss = losses.PolyLoss(eps, label_smoothing=ls,
                                       from_logits=True, reduction=None)
                self.assertAllClose(loss(ids, logits),
                                    np_poly(ids, logits, eps, ls, True),
                                    atol=1e-5, rtol=1e-5)
            self.assertAllClose(
                losses.poly_loss(soft, probs, epsilon=eps),
                np_poly(soft, probs, eps, 0.0, False), atol=1e-5, rtol=1e-5)
        ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.assertAllClose(
            losses.PolyLoss(0.0, from_logits=True)(ids, logits),
            ce(ids, logits), atol=1e-6)

    def test_poly_binary(self):
        rng = np.random.default_rng(6)
        z = rng.normal(size=(7, 1)).astype("float32")
        y = rng.integers(0, 2, size=(7,))
        p = 1 / (1 + np.exp(-z[:, 0].astype("float64")))
        bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        pt = y * p + (1 - y) * (1 - p)
        self.assertAllClose(
            losses.poly_loss(y, z, epsilon=2.0, from_logits=True),
            bce + 2.0 * (1 - pt), atol=1e-6, rtol=1e-5)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "label_smoothing"):
            losses.LabelSmoothingCrossentropy(1.5)
        with self.assertRaisesRegex(ValueError, "epsilon"):
            losses.PolyLoss(epsilon=-2.0)
        with self.assertRaisesRegex(ValueError, "label_smoothing"):
            losses.PolyLoss(label_smoothing=1.0)

    def test_train_in_compiled_fit(self):
        ids, logits, _ = data(n=32)
        for loss in (losses.FocalLoss(label_smoothing=0.1, from_logits=True),
                     losses.LabelSmoothingCrossentropy(from_logits=True),
                     losses.PolyLoss(from_logits=True)):
            for jit in (False, "auto"):
                keras.backend.clear_session()
                model = keras.Sequential([keras.Input((4,)),
                                          keras.layers.Dense(4)])
                model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss,
                              jit_compile=jit)
                before = model.evaluate(logits, ids, verbose=0)
                model.fit(logits, ids, epochs=5, batch_size=8, verbose=0)
                after = model.evaluate(logits, ids, verbose=0)
                self.assertLess(after, before)
