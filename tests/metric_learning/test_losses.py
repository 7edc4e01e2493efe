"""Metric-learning losses against slow NumPy references and TFA's algorithm."""

import keras
import numpy as np

from keras_recipes import losses
from keras_recipes.losses import distances
from keras_recipes.losses import miners
from keras_recipes.testing import TestCase
from tests.metric_learning import refs


def _batches():
    # Every batch is (8, 4) so that JAX compiles each op once.
    rng = np.random.default_rng(42)
    far = rng.uniform(-1.0, 1.0, size=(8, 4))
    far[0] = 0.0
    far[1] = [10.0, 0.0, 0.0, 0.0]
    return {
        "random": (np.array([0, 0, 0, 1, 1, 1, 2, 2]),
                   rng.normal(size=(8, 4))),
        # Class 2 has a single sample.
        "single_sample_class": (np.array([0, 0, 0, 1, 1, 2, 3, 3]),
                                rng.normal(size=(8, 4))),
        # (0, 1): every negative is closer to 0 than its positive 1.
        "no_semi_hard_negative": (np.array([0, 0, 1, 1, 2, 2, 3, 3]), far),
        "all_labels_equal": (np.zeros(8, "int64"), rng.normal(size=(8, 4))),
        "all_labels_distinct": (np.arange(8), rng.normal(size=(8, 4))),
        "all_zero_embeddings": (np.array([0, 0, 1, 1, 2, 2, 3, 3]),
                                np.zeros((8, 4))),
    }


BATCHES = _batches()
DEGENERATE = ["all_labels_equal", "all_labels_distinct", "all_zero_embeddings"]


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float64")


def _make_losses():
    """Every loss in several configurations (for the degenerate batches)."""
    out = []
    # Euclidean (square root at 0) and cosine (normalization at 0) are the
    # risky ones; squared Euclidean is a polynomial.
    for dist in ("euclidean", "cosine"):
        for mining in ("semi_hard", "hard", "all"):
            out.append(losses.TripletLoss(mining=mining, distance=dist))
        out.append(
            losses.TripletLoss(mining="hard", distance=dist, soft=True))
        out.append(losses.ContrastiveLoss(distance=dist))
        out.append(losses.SupervisedContrastiveLoss(distance=dist))
        out.append(losses.NTXentLoss(distance=dist))
        out.append(losses.MultiSimilarityLoss(distance=dist))
        out.append(losses.MultiSimilarityLoss(distance=dist, epsilon=None))
    return out


class TripletTest(TestCase):
    def test_matches_tfa_algorithm(self):
        for case, (y, x) in BATCHES.items():
            for ours, tfa_metric in (("squared_euclidean", "L_2"),
                                     ("euclidean", "L_1")):
                for margin in (1.0, 0.3):
                    got = float(losses.TripletLoss(
                        margin=margin, distance=ours)(y, x.astype("float32")))
                    want = refs.tfa_triplet_semihard_loss(
                        y, x, margin=margin, distance_metric=tfa_metric)
                    if case == "all_labels_distinct":
                        # No positive pair: TFA divides 0 by 0; we return 0.
                        self.assertTrue(np.isnan(want))
                        self.assertEqual(got, 0.0)
                    else:
                        self.assertAllClose(got, want, atol=1e-4, rtol=1e-4)
                    for soft in (False, True):
                        got = float(losses.TripletLoss(
                            margin=margin, mining="hard", distance=ours,
                            soft=soft)(y, x.astype("float32")))
                        want = refs.tfa_triplet_hard_loss(
                            y, x, margin=margin, soft=soft,
                            distance_metric=tfa_metric)
                        self.assertAllClose(got, want, atol=1e-4, rtol=1e-4)

    def test_tfa_corner_values(self):
        # Hand-checked values that pin TFA's fallbacks.
        y, x = BATCHES["no_semi_hard_negative"]
        # Anchor 0, positive 1 at distance 10: every negative is closer,
        # so TFA falls back to the farthest negative of anchor 0.
        d = refs.tfa_pairwise_distance(x, squared=False)
        self.assertLess(d[0, 2:].max(), d[0, 1])
        per = losses.triplet_loss(y, x.astype("float32"), margin=1.0)
        # Positive pairs: 4 classes x 2 ordered pairs = 8; anchor 0 holds
        # the (0, 1) term 1 + 10 - max_n d(0, n) (anchor 1 holds its own).
        term = 1.0 + d[0, 1] - d[0, 2:].max()
        self.assertAllClose(_np(per)[0] * 8 / 8, term, atol=1e-4, rtol=1e-4)
        y, x = BATCHES["all_labels_equal"]
        # No negative at all: the hard loss is exactly the margin.
        got = float(losses.TripletLoss(margin=0.7, mining="hard")(y, x))
        self.assertAllClose(got, 0.7, atol=1e-6)

    def test_matches_loops(self):
        for case, (y, x) in BATCHES.items():
            for dist in ("euclidean", "squared_euclidean", "cosine"):
                for mining in ("semi_hard", "hard", "all"):
                    for soft in (False, True):
                        want = refs.loop_triplet(y, x, 0.5, mining, dist, soft)
                        got = losses.triplet_loss(
                            y, x.astype("float32"), margin=0.5, mining=mining,
                            distance=dist, soft=soft)
                        self.assertEqual(tuple(got.shape), (len(y),))
                        self.assertAllClose(
                            float(keras.ops.mean(got)), want, atol=2e-4,
                            rtol=2e-4,
                            msg=f"{case} {dist} {mining} soft={soft}")

    def test_semi_hard_mask_and_labels_shape(self):
        y, x = BATCHES["random"]
        x = x.astype("float32")
        a = losses.TripletLoss()(y, x)
        b = losses.TripletLoss()(y[:, None], x)
        self.assertAllClose(a, b)
        d = _np(distances.EuclideanDistance()(x))
        m = _np(miners.semi_hard_negative_mask(d, y)).astype(bool)
        for i in range(len(y)):
            for p in range(len(y)):
                for n in range(len(y)):
                    want = (i != p and y[i] == y[p] and y[n] != y[i]
                            and d[i, n] > d[i, p])
                    self.assertEqual(bool(m[i, p, n]), want)


class PairLossesTest(TestCase):
    def test_contrastive(self):
        for case, (y, x) in BATCHES.items():
            for dist, pm, nm in (("euclidean", 0.0, 1.0),
                                 ("squared_euclidean", 0.2, 2.0),
                                 ("cosine", 0.9, 0.3)):
                want = refs.loop_contrastive(y, x, pm, nm, dist)
                got = losses.ContrastiveLoss(
                    pos_margin=pm, neg_margin=nm, distance=dist)(y, x)
                self.assertAllClose(got, want, atol=2e-4, rtol=2e-4,
                                    msg=f"{case} {dist}")

    def test_supervised_contrastive(self):
        for case, (y, x) in BATCHES.items():
            for dist, t in (("cosine", 0.1), ("cosine", 0.5),
                            ("euclidean", 1.0)):
                want = refs.loop_supcon(y, x, t, dist)
                got = losses.SupervisedContrastiveLoss(
                    temperature=t, distance=dist)(y, x)
                self.assertAllClose(got, want, atol=2e-4, rtol=2e-4,
                                    msg=f"{case} {dist}")

    def test_ntxent(self):
        for case, (_, x) in BATCHES.items():
            for dist, t in (("cosine", 0.5), ("cosine", 0.1),
                            ("squared_euclidean", 1.0)):
                want = refs.loop_ntxent(x, t, dist)
                got = losses.NTXentLoss(temperature=t, distance=dist)(
                    np.zeros(len(x)), x)
                self.assertAllClose(got, want, atol=2e-4, rtol=2e-4,
                                    msg=f"{case} {dist}")

    def test_multi_similarity(self):
        for case, (y, x) in BATCHES.items():
            for dist, base, eps in (("cosine", 0.5, 0.1),
                                    ("cosine", 0.5, None),
                                    ("cosine", 0.2, 0.5),
                                    ("euclidean", 1.0, 0.1)):
                want = refs.loop_multi_similarity(y, x, 2.0, 10.0, base, eps,
                                                  dist)
                got = losses.MultiSimilarityLoss(
                    alpha=2.0, beta=10.0, base=base, epsilon=eps,
                    distance=dist)(y, x)
                self.assertAllClose(got, want, atol=2e-4, rtol=2e-4,
                                    msg=f"{case} {dist} {eps}")

    def test_multi_similarity_default_beta_stable(self):
        y, x = BATCHES["random"]
        want = refs.loop_multi_similarity(y, x, 2.0, 50.0, 0.5, 0.1, "cosine")
        self.assertAllClose(
            losses.MultiSimilarityLoss()(y, x), want, atol=2e-4, rtol=2e-4)

    def test_ntxent_rejects_odd_batch(self):
        with self.assertRaisesRegex(ValueError, "even batch size"):
            losses.NTXentLoss()(np.zeros(3), np.ones((3, 2)))


class ReductionAndGradientTest(TestCase):
    def test_reductions_and_sample_weight(self):
        y, x = BATCHES["single_sample_class"]
        x = x.astype("float32")
        w = np.linspace(0.0, 2.0, len(y)).astype("float32")
        for make in (lambda **k: losses.TripletLoss(**k),
                     lambda **k: losses.ContrastiveLoss(**k),
                     lambda **k: losses.SupervisedContrastiveLoss(**k),
                     lambda **k: losses.MultiSimilarityLoss(**k)):
            per = _np(make(reduction=None)(y, x))
            self.assertEqual(per.shape, (len(y),))
            mean = float(make()(y, x))
            self.assertAllClose(per.mean(), mean, atol=1e-5, rtol=1e-5)
            self.assertAllClose(make(reduction="sum")(y, x), per.sum(),
                                atol=1e-4, rtol=1e-5)
            self.assertAllClose(
                make()(y, x, sample_weight=w), np.sum(per * w) / len(y),
                atol=1e-5, rtol=1e-5)
            self.assertAllClose(
                make()(y, x, sample_weight=np.zeros(len(y))), 0.0)
            low = make(dtype="bfloat16")(y, x)
            self.assertEqual(keras.backend.standardize_dtype(low.dtype),
                             "bfloat16")
            self.assertAllClose(_np(keras.ops.cast(low, "float32")), mean,
                                 atol=0.1, rtol=0.1)

    def test_finite_gradients_on_degenerate_batches(self):
        for case in DEGENERATE:
            y, x = BATCHES[case]
            for loss in _make_losses():
                value, grad = refs.value_and_grad(
                    lambda t, loss=loss: loss(y, t), x)
                msg = f"{case} {loss.name} {loss.get_config()}"
                self.assertTrue(np.isfinite(value), msg)
                self.assertTrue(np.all(np.isfinite(grad)), msg)

    def test_compiled_loss_equals_reference(self):
        y, x = BATCHES["random"]
        x = x.astype("float32")
        inputs = keras.Input((x.shape[1],))
        model = keras.Model(inputs, keras.layers.Identity()(inputs))
        jit = keras.backend.backend() in ("tensorflow", "jax")
        checks = [
            (losses.TripletLoss(margin=0.5),
             refs.loop_triplet(y, x, 0.5, "semi_hard", "euclidean")),
            (losses.TripletLoss(margin=0.5, mining="hard",
                                distance="squared_euclidean"),
             refs.tfa_triplet_hard_loss(y, x, 0.5)),
            (losses.SupervisedContrastiveLoss(),
             refs.loop_supcon(y, x, 0.1, "cosine")),
            (losses.MultiSimilarityLoss(),
             refs.loop_multi_similarity(y, x, 2.0, 50.0, 0.5, 0.1,
                                        "cosine")),
        ]
        for loss, want in checks:
            model.compile(loss=loss, jit_compile=jit)
            got = model.evaluate(x, y, batch_size=len(y), verbose=0)
            self.assertAllClose(got, want, atol=2e-4, rtol=2e-4,
                                msg=loss.name)


class ConfigTest(TestCase):
    def test_distance_objects_round_trip_inside_losses(self):
        loss = losses.TripletLoss(
            distance=distances.EuclideanDistance(squared=True, normalize=True))
        revived = self.run_serialization_test(loss)
        self.assertEqual(revived._distance, loss._distance)
        self.assertTrue(distances.get("cosine").is_inverted)
        self.assertFalse(distances.get("euclidean").is_inverted)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "mining"):
            losses.TripletLoss(mining="hardest")
        with self.assertRaisesRegex(ValueError, "margin"):
            losses.TripletLoss(margin=-1.0)
        with self.assertRaisesRegex(TypeError, "soft"):
            losses.TripletLoss(soft=1)
        with self.assertRaisesRegex(ValueError, "distance"):
            losses.ContrastiveLoss(distance="manhattan")
        with self.assertRaisesRegex(TypeError, "distance"):
            losses.ContrastiveLoss(distance=3)
        with self.assertRaisesRegex(ValueError, "temperature"):
            losses.SupervisedContrastiveLoss(temperature=0.0)
        with self.assertRaisesRegex(ValueError, "temperature"):
            losses.NTXentLoss(temperature=-1.0)
        with self.assertRaisesRegex(ValueError, "beta"):
            losses.MultiSimilarityLoss(beta=0)
        with self.assertRaisesRegex(ValueError, "y_pred"):
            losses.TripletLoss()(np.zeros(2), np.zeros((2, 2, 2)))
        with self.assertRaisesRegex(ValueError, "margin"):
            losses.ArcFace(3, 4, margin=2.0)
        with self.assertRaisesRegex(TypeError, "num_classes"):
            losses.ArcFace(3.5, 4)
