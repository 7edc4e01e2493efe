"""LDAMLoss, LogitAdjustedLoss and DeferredReweighting against NumPy
references written here, eager and inside the compiled `fit` step."""

import keras
import numpy as np
import pytest

from keras_recipes import callbacks
from keras_recipes import datasets
from keras_recipes import losses
from keras_recipes.testing import TestCase

COUNTS = [500, 120, 30, 6]
# Eager, then the compiled step (torch.compile is too slow for CI; torch
# keeps Keras's non-eager train function).
MODES = (dict(run_eagerly=True),
         dict(jit_compile=keras.backend.backend() != "torch"))


def np_log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def np_ldam(targets, logits, counts, max_margin, scale, weights=None):
    """Cao et al. (2019), from the authors' definition: margins
    1 / n^(1/4) scaled to `max_margin`, subtracted from the true logit."""
    counts = np.asarray(counts, "float64")
    margins = 1.0 / np.sqrt(np.sqrt(counts))
    margins = margins * (max_margin / margins.max())
    out = np.zeros(len(targets))
    for i in range(len(targets)):
        z = logits[i].astype("float64").copy()
        z = z - targets[i] * margins
        out[i] = -(targets[i] * np_log_softmax(scale * z)).sum()
        if weights is not None:
            out[i] *= (targets[i] * np.asarray(weights)).sum()
    return out


def np_logit_adjusted(targets, logits, counts, tau, weights=None):
    prior = np.asarray(counts, "float64") / np.sum(counts)
    out = np.zeros(len(targets))
    for i in range(len(targets)):
        z = logits[i].astype("float64") + tau * np.log(prior)
        out[i] = -(targets[i] * np_log_softmax(z)).sum()
        if weights is not None:
            out[i] *= (targets[i] * np.asarray(weights)).sum()
    return out


def effective_number_weights(counts, beta):
    w = np.array([(1 - beta) / (1 - beta ** n) for n in counts])
    return w / w.sum() * len(counts)


class LongTailLossTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.logits = rng.normal(size=(12, 4)).astype("float32")
        self.ids = rng.integers(0, 4, size=(12,))
        self.onehot = np.eye(4, dtype="float32")[self.ids]
        self.soft = rng.dirichlet(np.ones(4), size=12).astype("float32")

    def test_ldam_matches_reference_for_every_label_format(self):
        loss = losses.LDAMLoss(COUNTS, max_margin=0.4, scale=7.0,
                               reduction=None)
        ref = np_ldam(self.onehot, self.logits, COUNTS, 0.4, 7.0)
        self.assertAllClose(loss(self.ids, self.logits), ref, rtol=1e-5)
        self.assertAllClose(loss(self.ids[:, None], self.logits), ref,
                            rtol=1e-5)
        self.assertAllClose(loss(self.onehot, self.logits), ref, rtol=1e-5)
        soft_ref = np_ldam(self.soft, self.logits, COUNTS, 0.4, 7.0)
        self.assertAllClose(loss(self.soft, self.logits), soft_ref,
                            rtol=1e-5)
        functional = losses.ldam_loss(self.ids, self.logits, COUNTS,
                                      max_margin=0.4, scale=7.0)
        self.assertAllClose(functional, ref, rtol=1e-5)
        mean = losses.LDAMLoss(COUNTS, max_margin=0.4, scale=7.0)
        self.assertAllClose(mean(self.ids, self.logits), ref.mean(),
                            rtol=1e-5)
        # Rarest class gets max_margin; margins fall as n^(-1/4).
        margins = np.array(loss.margins)
        self.assertAllClose(margins[-1], 0.4)
        self.assertAllClose(margins[0] / margins[-1], (6 / 500) ** 0.25)

    def test_ldam_class_weight(self):
        w = [0.5, 1.0, 2.0, 4.0]
        loss = losses.LDAMLoss(COUNTS, scale=3.0, class_weight=w,
                               reduction=None)
        ref = np_ldam(self.onehot, self.logits, COUNTS, 0.5, 3.0, w)
        self.assertAllClose(loss(self.ids, self.logits), ref, rtol=1e-5)
        soft_ref = np_ldam(self.soft, self.logits, COUNTS, 0.5, 3.0, w)
        self.assertAllClose(loss(self.soft, self.logits), soft_ref,
                            rtol=1e-5)

    def test_logit_adjusted_matches_reference(self):
        loss = losses.LogitAdjustedLoss(COUNTS, tau=1.5, reduction=None)
        ref = np_logit_adjusted(self.onehot, self.logits, COUNTS, 1.5)
        self.assertAllClose(loss(self.ids, self.logits), ref, rtol=1e-5)
        self.assertAllClose(loss(self.onehot, self.logits), ref, rtol=1e-5)
        soft_ref = np_logit_adjusted(self.soft, self.logits, COUNTS, 1.5)
        self.assertAllClose(loss(self.soft, self.logits), soft_ref,
                            rtol=1e-5)
        self.assertAllClose(
            losses.logit_adjusted_loss(self.ids, self.logits, COUNTS,
                                       tau=1.5), ref, rtol=1e-5)
        # tau=0 is plain softmax cross-entropy.
        plain = losses.LogitAdjustedLoss(COUNTS, tau=0.0, reduction=None)
        ce = keras.losses.sparse_categorical_crossentropy(
            self.ids, self.logits, from_logits=True)
        self.assertAllClose(plain(self.ids, self.logits), ce, rtol=1e-5)
        # Probabilities: their log serves as the logits.
        probs = np.exp(np_log_softmax(self.logits)).astype("float32")
        from_probs = losses.LogitAdjustedLoss(COUNTS, tau=1.5,
                                              from_logits=False,
                                              reduction=None)
        self.assertAllClose(from_probs(self.ids, probs), ref, rtol=1e-4)
        weighted = losses.LogitAdjustedLoss(
            COUNTS, class_weight=[1, 2, 3, 4], reduction=None)
        self.assertAllClose(
            weighted(self.ids, self.logits),
            np_logit_adjusted(self.onehot, self.logits, COUNTS, 1.0,
                              [1, 2, 3, 4]), rtol=1e-5)

    def test_bad_arguments_name_the_argument(self):
        with pytest.raises(ValueError, match="class_counts"):
            losses.LDAMLoss([10])
        with pytest.raises(ValueError, match="class_counts"):
            losses.LogitAdjustedLoss([10, 0, 3])
        with pytest.raises(TypeError, match="class_counts"):
            losses.LDAMLoss(10)
        with pytest.raises(ValueError, match="class_counts"):
            losses.LDAMLoss({0: 5, 2: 3})
        with pytest.raises(ValueError, match="tau"):
            losses.LogitAdjustedLoss(COUNTS, tau=-1.0)
        with pytest.raises(ValueError, match="scale"):
            losses.LDAMLoss(COUNTS, scale=0.0)
        with pytest.raises(ValueError, match="class_weight"):
            losses.LDAMLoss(COUNTS, class_weight=[1.0, 2.0])
        with pytest.raises(ValueError, match="y_pred"):
            losses.LDAMLoss(COUNTS)(self.ids, self.logits[:, :3])
        with pytest.raises(TypeError, match="from_logits"):
            losses.LogitAdjustedLoss(COUNTS, from_logits="yes")

    def test_compiled_fit_matches_eager_value(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(32, 5)).astype("float32")
        y = rng.integers(0, 4, size=(32,))
        for loss in (losses.LDAMLoss(COUNTS, scale=4.0),
                     losses.LogitAdjustedLoss(COUNTS)):
            values = []
            for mode in MODES:
                keras.utils.set_random_seed(3)
                model = keras.Sequential(
                    [keras.Input((5,)), keras.layers.Dense(4)])
                model.compile(optimizer=keras.optimizers.SGD(0.0),
                              loss=loss, **mode)
                values.append(model.evaluate(x, y, batch_size=32,
                                             verbose=0))
                logits = keras.ops.convert_to_numpy(model(x))
            self.assertAllClose(values[0], values[1], rtol=1e-5)
            self.assertAllClose(values[1], float(np.mean(
                keras.ops.convert_to_numpy(loss.call(y, logits)))),
                rtol=1e-5)


class DeferredReweightingTest(TestCase):
    def _fit(self, loss, drw, mode):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(40, 3)).astype("float32")
        y = np.array([0] * 25 + [1] * 10 + [2] * 5)
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
        # Learning rate 0: the weights stay put, so each epoch's loss is a
        # closed form of the (fixed) logits and the class weights.
        model.compile(optimizer=keras.optimizers.SGD(0.0), loss=loss,
                      **mode)
        history = model.fit(x, y, batch_size=40, epochs=3, callbacks=[drw],
                            verbose=0)
        logits = keras.ops.convert_to_numpy(model(x))
        return history.history, np.eye(3)[y], logits

    def test_weights_switch_inside_compiled_fit(self):
        counts = [25, 10, 5]
        beta = 0.9
        expected_w = effective_number_weights(counts, beta)
        for mode in MODES:
            loss = losses.LDAMLoss(counts, scale=2.0)
            drw = callbacks.DeferredReweighting(start_epoch=2, beta=beta)
            history, targets, logits = self._fit(loss, drw, mode)
            plain = np_ldam(targets, logits, counts, 0.5, 2.0).mean()
            weighted = np_ldam(targets, logits, counts, 0.5, 2.0,
                               expected_w).mean()
            self.assertAllClose(history["loss"],
                                [plain, plain, weighted], rtol=1e-5)
            self.assertEqual(history["drw/active"], [0.0, 0.0, 1.0])
            self.assertAllClose(loss.class_weight, expected_w, rtol=1e-6)

    def test_class_weighted_loss_and_logit_adjusted(self):
        counts = [25, 10, 5]
        expected_w = effective_number_weights(counts, 0.99)
        loss = losses.LogitAdjustedLoss(counts)
        drw = callbacks.DeferredReweighting(start_epoch=1, beta=0.99)
        history, targets, logits = self._fit(loss, drw, MODES[1])
        self.assertAllClose(
            history["loss"][1:],
            [np_logit_adjusted(targets, logits, counts, 1.0,
                               expected_w).mean()] * 2, rtol=1e-5)
        cw = losses.ClassWeightedLoss(
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            [1.0, 1.0, 1.0])
        drw = callbacks.DeferredReweighting(start_epoch=1, beta=0.99,
                                            class_counts=counts)
        history, targets, logits = self._fit(cw, drw, MODES[1])
        ce = -(targets * np_log_softmax(logits)).sum(axis=1)
        self.assertAllClose(history["loss"][0], ce.mean(), rtol=1e-5)
        self.assertAllClose(history["loss"][2],
                            (ce * (targets @ expected_w)).mean(), rtol=1e-5)
        with pytest.raises(ValueError, match="class_counts"):
            self._fit(cw, callbacks.DeferredReweighting(1), MODES[1])

    def test_unsupported_loss_and_bad_arguments(self):
        with pytest.raises(TypeError, match="LDAMLoss"):
            self._fit("sparse_categorical_crossentropy",
                      callbacks.DeferredReweighting(1), MODES[0])
        with pytest.raises(ValueError, match="beta"):
            callbacks.DeferredReweighting(1, beta=1.0)
        with pytest.raises(ValueError, match="start_epoch"):
            callbacks.DeferredReweighting(-1)
        drw = callbacks.DeferredReweighting(3, beta=0.5, class_counts=[4, 2])
        self.assertEqual(
            callbacks.DeferredReweighting.from_config(drw.get_config())
            .get_config(), drw.get_config())


def test_long_tailed_profile_and_seed():
    x = np.arange(2000).reshape(1000, 2)
    y = np.repeat(np.arange(10), 100)
    x_lt, y_lt = datasets.long_tailed(x, y, imbalance_ratio=100, seed=1)
    expected = [int(100 * 0.01 ** (i / 9) + 1e-9) for i in range(10)]
    assert np.bincount(y_lt).tolist() == expected
    assert expected[0] == 100 and expected[-1] == 1
    # Rows stay paired with their labels and keep their original order.
    np.testing.assert_array_equal(y[x_lt[:, 0] // 2], y_lt)
    assert np.all(np.diff(x_lt[:, 0]) > 0)
    again = datasets.long_tailed(x, y, imbalance_ratio=100, seed=1)[0]
    other = datasets.long_tailed(x, y, imbalance_ratio=100, seed=2)[0]
    np.testing.assert_array_equal(x_lt, again)
    assert not np.array_equal(x_lt, other)
    assert datasets.long_tailed(x, y[:, None])[1].shape[1] == 1
    with pytest.raises(ValueError, match="imbalance_ratio"):
        datasets.long_tailed(x, y, imbalance_ratio=0.5)
    with pytest.raises(ValueError, match="same number"):
        datasets.long_tailed(x[:10], y)
    with pytest.raises(ValueError, match="class"):
        datasets.long_tailed(x[:200], y[:200] * 2)
