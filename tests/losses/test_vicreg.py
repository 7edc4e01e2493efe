"""vicreg_loss / VICRegLoss against a slow NumPy reference of the authors'
formula (facebookresearch/vicreg), eager and inside the compiled step."""

import keras
import numpy as np
import pytest

from keras_recipes import losses
from keras_recipes.testing import TestCase

MODES = (dict(run_eagerly=True),
         dict(jit_compile=keras.backend.backend() != "torch"))


def np_terms(a, b, eps=1e-4, unbiased=True):
    """Element by element: invariance (plain mean), variance (hinge on the
    std, unbiased), covariance (squared off-diagonals / D)."""
    a = np.asarray(a, "float64")
    b = np.asarray(b, "float64")
    n, d = a.shape
    sim = 0.0
    for i in range(n):
        for j in range(d):
            sim += (a[i, j] - b[i, j]) ** 2
    sim /= n * d
    var = 0.0
    cov = 0.0
    denom = n - 1 if unbiased else n
    for z in (a, b):
        mean = [sum(z[i, j] for i in range(n)) / n for j in range(d)]
        for j in range(d):
            v = sum((z[i, j] - mean[j]) ** 2 for i in range(n)) / denom
            var += max(0.0, 1.0 - np.sqrt(v + eps)) / d / 2.0
        for j in range(d):
            for k in range(d):
                if j == k:
                    continue
                c = sum((z[i, j] - mean[j]) * (z[i, k] - mean[k])
                        for i in range(n)) / denom
                cov += c * c / d
    return sim, var, cov


def np_vicreg(a, b, sim_w=25.0, var_w=25.0, cov_w=1.0, eps=1e-4,
              unbiased=True):
    sim, var, cov = np_terms(a, b, eps, unbiased)
    return sim_w * sim + var_w * var + cov_w * cov


def interleave(a, b):
    return np.stack([a, b], axis=1).reshape(-1, a.shape[1])


class VICRegLossTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.a = rng.normal(scale=0.7, size=(10, 5)).astype("float32")
        self.b = (self.a + rng.normal(scale=0.3, size=(10, 5))).astype(
            "float32")

    def test_matches_reference(self):
        ref = np_vicreg(self.a, self.b)
        self.assertAllClose(losses.vicreg_loss(self.a, self.b), ref,
                            rtol=1e-5)
        ref = np_vicreg(self.a, self.b, 2.0, 3.0, 0.5, 1e-3)
        self.assertAllClose(
            losses.vicreg_loss(self.a, self.b, sim_weight=2.0,
                               var_weight=3.0, cov_weight=0.5,
                               epsilon=1e-3), ref, rtol=1e-5)

    def test_each_term_separately(self):
        sim, var, cov = np_terms(self.a, self.b)
        self.assertGreater(var, 0.0)
        for weights, expected in (((1, 0, 0), sim), ((0, 1, 0), var),
                                  ((0, 0, 1), cov)):
            value = losses.vicreg_loss(
                self.a, self.b, sim_weight=weights[0],
                var_weight=weights[1], cov_weight=weights[2])
            self.assertAllClose(value, expected, rtol=1e-5, atol=1e-7)

    def test_unbiased_variance(self):
        # N = 2 rows at +-0.6: the unbiased std is 0.85, the biased 0.6, so
        # the variance hinge differs (0.076 against 0.2 per dimension).
        a = np.array([[0.6, -0.6], [-0.6, 0.6]], "float32")
        b = np.array([[0.6, 0.6], [-0.6, -0.6]], "float32")
        unbiased = np_terms(a, b, unbiased=True)
        biased = np_terms(a, b, unbiased=False)
        value = losses.vicreg_loss(a, b, sim_weight=0.0, var_weight=1.0,
                                   cov_weight=0.0)
        self.assertAllClose(value, unbiased[1], rtol=1e-5)
        self.assertGreater(abs(biased[1] - unbiased[1]), 0.1)
        value = losses.vicreg_loss(a, b, sim_weight=0.0, var_weight=0.0,
                                   cov_weight=1.0)
        self.assertAllClose(value, unbiased[2], rtol=1e-5)
        self.assertGreater(abs(biased[2] - unbiased[2]), 0.1)

    def test_collapse_is_penalised(self):
        # Identical constant embeddings: invariance 0, variance at its
        # maximum 1 - sqrt(eps), covariance 0.
        z = np.ones((6, 4), "float32")
        self.assertAllClose(
            losses.vicreg_loss(z, z, sim_weight=1.0, var_weight=1.0,
                               cov_weight=1.0), 1.0 - np.sqrt(1e-4),
            rtol=1e-5)

    def test_loss_class_uses_interleaved_rows(self):
        loss = losses.VICRegLoss(sim_weight=5.0, var_weight=10.0,
                                 cov_weight=2.0)
        z = interleave(self.a, self.b)
        self.assertAllClose(loss(np.zeros(20), z),
                            np_vicreg(self.a, self.b, 5.0, 10.0, 2.0),
                            rtol=1e-5)
        revived = losses.VICRegLoss.from_config(loss.get_config())
        self.assertEqual(revived.get_config(), loss.get_config())
        self.assertAllClose(revived(np.zeros(20), z), loss(np.zeros(20), z))

    def test_compiled_fit_matches_reference(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(16, 3)).astype("float32")
        values = []
        for mode in MODES:
            keras.utils.set_random_seed(2)
            model = keras.Sequential([keras.Input((3,)),
                                      keras.layers.Dense(4)])
            model.compile(optimizer=keras.optimizers.SGD(0.0),
                          loss=losses.VICRegLoss(), **mode)
            history = model.fit(x, np.zeros(16), batch_size=16, epochs=1,
                                shuffle=False,
                                verbose=0)
            values.append(history.history["loss"][0])
            z = keras.ops.convert_to_numpy(model(x))
            self.assertAllClose(values[-1], np_vicreg(z[0::2], z[1::2]),
                                rtol=1e-4)
        self.assertAllClose(values[0], values[1], rtol=1e-5)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="sim_weight"):
            losses.VICRegLoss(sim_weight=-1.0)
        with pytest.raises(ValueError, match="cov_weight"):
            losses.vicreg_loss(self.a, self.b, cov_weight=-0.5)
        with pytest.raises(TypeError, match="var_weight"):
            losses.VICRegLoss(var_weight="25")
        with pytest.raises(ValueError, match="epsilon"):
            losses.VICRegLoss(epsilon=0.0)
        with pytest.raises(ValueError, match="at least 2"):
            losses.vicreg_loss(self.a[:1], self.b[:1])
        with pytest.raises(ValueError, match="same shape"):
            losses.vicreg_loss(self.a, self.b[:, :3])
        with pytest.raises(ValueError, match="rank 2"):
            losses.vicreg_loss(self.a[0], self.b[0])
        with pytest.raises(ValueError, match="even number"):
            losses.VICRegLoss()(np.zeros(5), self.a[:5])
        with pytest.raises(ValueError, match="sample_weight"):
            losses.VICRegLoss()(np.zeros(10), self.a, sample_weight=np.ones(10))
