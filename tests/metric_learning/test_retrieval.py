"""retrieval_report and RecallAtK against brute-force NumPy loops."""

import math

import keras
import numpy as np

from keras_recipes import evaluation
from keras_recipes import losses
from keras_recipes import metrics
from keras_recipes.testing import TestCase


def _dist(a, b, distance):
    if distance == "euclidean":
        return math.sqrt(float(np.sum((a - b) ** 2)))
    if distance == "squared_euclidean":
        return float(np.sum((a - b) ** 2))
    cos = float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return -cos  # smaller = closer


def brute_force_report(q, ql, g=None, gl=None, ks=(1, 5), distance="euclidean"):
    same = g is None
    if same:
        g, gl = q, ql
    out = {f"recall@{k}": [] for k in ks}
    out.update({"precision@1": [], "r_precision": [], "map@r": []})
    for i in range(len(q)):
        ranked = sorted(
            (_dist(q[i], g[j], distance), j)
            for j in range(len(g)) if not (same and j == i)
        )
        rel = [gl[j] == ql[i] for _, j in ranked]
        r = sum(rel)
        if r == 0:
            continue
        for k in ks:
            out[f"recall@{k}"].append(float(any(rel[:k])))
        out["precision@1"].append(float(rel[0]))
        out["r_precision"].append(sum(rel[:r]) / r)
        ap, hits = 0.0, 0
        for pos in range(r):
            if rel[pos]:
                hits += 1
                ap += hits / (pos + 1)
        out["map@r"].append(ap / r)
    report = {k: float(np.mean(v)) for k, v in out.items()}
    report["num_queries"] = len(out["precision@1"])
    return report


class RetrievalReportTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(3)
        self.q = rng.normal(size=(37, 6))
        # Label 9 occurs once: a lone query, left out of every metric.
        self.ql = np.concatenate([rng.integers(0, 4, size=36), [9]])
        self.g = rng.normal(size=(23, 6))
        self.gl = rng.integers(0, 5, size=23)

    def assertReportClose(self, got, want):
        self.assertEqual(sorted(got), sorted(want))
        self.assertEqual(got["num_queries"], want["num_queries"])
        for key in want:
            self.assertAllClose(got[key], want[key], atol=1e-9, rtol=1e-9,
                                msg=key)

    def test_leave_one_out_equals_brute_force_for_every_chunk(self):
        for distance in ("euclidean", "squared_euclidean", "cosine"):
            want = brute_force_report(self.q, self.ql, distance=distance)
            self.assertEqual(want["num_queries"], 36)
            for chunk in (1, 5, 36, 1000):
                got = evaluation.retrieval_report(
                    self.q, self.ql, k=(1, 5), distance=distance,
                    chunk_size=chunk)
                self.assertReportClose(got, want)

    def test_separate_gallery_equals_brute_force(self):
        want = brute_force_report(self.q, self.ql, self.g, self.gl)
        for chunk in (4, 512):
            got = evaluation.retrieval_report(
                self.q, self.ql, self.g, self.gl[:, None], k=(1, 5),
                chunk_size=chunk)
            self.assertReportClose(got, want)

    def test_accepts_tensors_and_int_k(self):
        got = evaluation.retrieval_report(
            keras.ops.convert_to_tensor(self.q.astype("float32")),
            keras.ops.convert_to_tensor(self.ql), k=3)
        self.assertIn("recall@3", got)
        want = brute_force_report(self.q.astype("float32"), self.ql, ks=(3,))
        self.assertAllClose(got["map@r"], want["map@r"], atol=1e-6)

    def test_perfect_and_hand_computed(self):
        x = np.array([[0.0], [0.1], [1.0], [1.2], [0.15]])
        y = np.array([0, 0, 1, 1, 1])
        r = evaluation.retrieval_report(x, y, k=(1, 2))
        # AP@R per query: 1, 0 (its neighbour is query 4), 1, 1, and 0
        # for query 4 (ranking 1, 0, 2, 3 with R = 2).
        self.assertAllClose(r["precision@1"], 3 / 5)
        self.assertAllClose(r["map@r"], 3 / 5)
        self.assertAllClose(r["r_precision"], 3 / 5)
        self.assertAllClose(r["recall@2"], 4 / 5)
        sep = np.array([[0.0], [10.0]])
        r = evaluation.retrieval_report(sep, [0, 1], sep + 0.1, [0, 1])
        self.assertEqual(r["map@r"], 1.0)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "k"):
            evaluation.retrieval_report(self.q, self.ql, k=0)
        with self.assertRaisesRegex(ValueError, "gallery_labels"):
            evaluation.retrieval_report(self.q, self.ql, self.g)
        with self.assertRaisesRegex(ValueError, "query_embeddings"):
            evaluation.retrieval_report(self.q[0], self.ql)
        with self.assertRaisesRegex(ValueError, "chunk_size"):
            evaluation.retrieval_report(self.q, self.ql, chunk_size=0)


def brute_force_batch_recall(y, x, k):
    hits, count = 0, 0
    for i in range(len(y)):
        others = sorted(
            (float(np.sum((x[i] - x[j]) ** 2)), j)
            for j in range(len(y)) if j != i
        )
        if not any(y[j] == y[i] for _, j in others):
            continue
        count += 1
        nearest_pos = min(d for d, j in others if y[j] == y[i])
        ahead = sum(1 for d, j in others if y[j] != y[i] and d <= nearest_pos)
        hits += ahead < k
    return hits, count


class RecallAtKTest(TestCase):
    def test_streaming_equals_brute_force(self):
        rng = np.random.default_rng(0)
        batches = [
            (rng.integers(0, 4, size=16), rng.normal(size=(16, 3))),
            (np.concatenate([np.arange(10), [0, 0, 1, 1, 2, 2]]),
             rng.normal(size=(16, 3))),
        ]
        for k in (1, 3):
            m = metrics.RecallAtK(k=k)
            hits = count = 0
            for y, x in batches:
                m.update_state(y, x.astype("float32"))
                h, c = brute_force_batch_recall(y, x, k)
                hits, count = hits + h, count + c
            self.assertAllClose(m.result(), hits / count, atol=1e-6)
            m.reset_state()
            self.assertAllClose(m.result(), 0.0)

    def test_sample_weight(self):
        y = np.array([0, 0, 1, 1])
        x = np.array([[0.0], [0.1], [1.0], [0.3]], "float32")
        m = metrics.RecallAtK()
        # Hits: queries 0, 1, 2 yes; 3 no (query 1 is closer than 2).
        m.update_state(y, x, sample_weight=np.array([1.0, 0.0, 1.0, 2.0]))
        self.assertAllClose(m.result(), 2 / 4)

    def test_in_compiled_evaluate(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(32, 3)).astype("float32")
        y = rng.integers(0, 3, size=32)
        inputs = keras.Input((3,))
        model = keras.Model(inputs, keras.layers.Identity()(inputs))
        jit = keras.backend.backend() in ("tensorflow", "jax")
        model.compile(loss=losses.TripletLoss(), jit_compile=jit,
                      metrics=[metrics.RecallAtK(k=2)])
        got = model.evaluate(x, y, batch_size=16, return_dict=True,
                             verbose=0)
        h1, c1 = brute_force_batch_recall(y[:16], x[:16], 2)
        h2, c2 = brute_force_batch_recall(y[16:], x[16:], 2)
        self.assertAllClose(got["recall_at_2"], (h1 + h2) / (c1 + c2),
                            atol=1e-6)

    def test_ties_count_against_the_query(self):
        m = metrics.RecallAtK(k=1)
        m.update_state(np.array([0, 0, 1, 1]), np.zeros((4, 3)))
        self.assertAllClose(m.result(), 0.0)

    def test_config(self):
        m = metrics.RecallAtK(k=5, distance="cosine")
        revived = metrics.RecallAtK.from_config(m.get_config())
        self.assertEqual(revived.k, 5)
        self.assertTrue(revived._distance.is_inverted)
        with self.assertRaisesRegex(ValueError, "k"):
            metrics.RecallAtK(k=0)
