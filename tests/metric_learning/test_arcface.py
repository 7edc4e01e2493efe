"""ArcFace logits against a NumPy reference written with arccos."""

import keras
import numpy as np

from keras_recipes import losses
from keras_recipes.testing import TestCase
from tests.metric_learning import refs


def arcface_reference(emb, centers, labels, margin, scale):
    en = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    cn = centers / np.linalg.norm(centers, axis=0, keepdims=True)
    cos = np.clip(en @ cn, -1.0, 1.0)
    out = scale * cos
    if labels is None:
        return out
    for i, t in enumerate(labels):
        theta = np.arccos(cos[i, t])
        if theta + margin < np.pi:
            out[i, t] = scale * np.cos(theta + margin)
        else:
            out[i, t] = scale * (cos[i, t] - margin * np.sin(margin))
    return out


class ArcFaceTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.centers = rng.normal(size=(4, 3)).astype("float32")
        emb = rng.normal(size=(6, 4)).astype("float32")
        # Row 5 points away from its center: theta + m > pi (fallback).
        emb[5] = -self.centers[:, 1] * 2.0
        self.emb = emb
        self.labels = np.array([0, 1, 2, 0, 2, 1])

    def make(self, margin=0.5, scale=64.0):
        head = losses.ArcFace(3, 4, margin=margin, scale=scale)
        head.centers.assign(self.centers)
        return head

    def test_matches_reference(self):
        for margin, scale in ((0.5, 64.0), (0.2, 16.0), (0.0, 1.0)):
            head = self.make(margin, scale)
            want = arcface_reference(self.emb, self.centers, self.labels,
                                     margin, scale)
            self.assertAllClose(head([self.emb, self.labels]), want,
                                atol=2e-4 * scale, rtol=1e-4)
            self.assertAllClose(head(self.emb, labels=self.labels[:, None]),
                                want, atol=2e-4 * scale, rtol=1e-4)
            self.assertAllClose(
                head(self.emb),
                arcface_reference(self.emb, self.centers, None, margin,
                                  scale),
                atol=1e-4 * scale, rtol=1e-4)

    def test_finite_gradients_on_degenerate_embeddings(self):
        head = self.make()
        ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        aligned = self.centers.T.copy()  # each row exactly on a center
        for emb in (np.zeros((3, 4)), aligned, -aligned):
            value, grad = refs.value_and_grad(
                lambda t: ce(np.arange(3), head([t, np.arange(3)])), emb)
            self.assertTrue(np.isfinite(value))
            self.assertTrue(np.all(np.isfinite(grad)))

    def test_bad_inputs(self):
        head = self.make()
        with self.assertRaisesRegex(ValueError, "inputs"):
            head([self.emb, self.labels, self.labels])
        with self.assertRaisesRegex(ValueError, "scale"):
            losses.ArcFace(3, 4, scale=0.0)
