"""MPerClassBatches, plot_embeddings and export_projector."""

import os

import numpy as np

from keras_recipes import data
from keras_recipes import evaluation
from keras_recipes.evaluation.embeddings import pca_2d
from keras_recipes.testing import TestCase


class MPerClassBatchesTest(TestCase):
    def test_every_batch_holds_m_per_class(self):
        rng = np.random.default_rng(0)
        # Unbalanced classes, one smaller than m (sampled with replacement).
        y = np.concatenate([np.full(n, c) for c, n in
                            enumerate([50, 30, 12, 3, 40, 25])])
        x = rng.normal(size=(len(y), 5)).astype("float32")
        x[:, 0] = np.arange(len(y))  # row id, to check x and y stay paired
        ds = data.MPerClassBatches(x, y[:, None], m=4, batch_size=12, seed=7)
        self.assertEqual(len(ds), len(y) // 12)
        for epoch in range(3):
            for i in range(len(ds)):
                xb, yb = ds[i]
                self.assertEqual(xb.shape, (12, 5))
                yb = yb.reshape(-1)
                classes, counts = np.unique(yb, return_counts=True)
                self.assertEqual(len(classes), 3)
                self.assertTrue(np.all(counts == 4), counts)
                np.testing.assert_array_equal(y[xb[:, 0].astype(int)], yb)
            ds.on_epoch_end()

    def test_seed_and_dict_inputs(self):
        y = np.arange(40) % 5
        x = {"a": np.arange(40), "b": np.arange(40) * 2}
        a = data.MPerClassBatches(x, y, m=2, batch_size=4, seed=3)
        b = data.MPerClassBatches(x, y, m=2, batch_size=4, seed=3,
                                  steps_per_epoch=3)
        self.assertEqual(len(b), 3)
        for i in range(3):
            np.testing.assert_array_equal(a[i][0]["a"], b[i][0]["a"])
            np.testing.assert_array_equal(a[i][0]["b"], 2 * a[i][0]["a"])

    def test_bad_arguments(self):
        x, y = np.zeros((20, 2)), np.arange(20) % 4
        with self.assertRaisesRegex(ValueError, "multiple of `m`"):
            data.MPerClassBatches(x, y, m=3, batch_size=8)
        with self.assertRaisesRegex(ValueError, "number of classes"):
            data.MPerClassBatches(x, y, m=2, batch_size=10)
        with self.assertRaisesRegex(ValueError, "same number"):
            data.MPerClassBatches(x[:5], y, m=2, batch_size=4)
        with self.assertRaisesRegex(TypeError, "m"):
            data.MPerClassBatches(x, y, m=2.0, batch_size=4)


class EmbeddingPlotsTest(TestCase):
    def test_pca_matches_sklearn(self):
        from sklearn.decomposition import PCA

        x = np.random.default_rng(0).normal(size=(50, 6))
        x[:, 2] *= 5.0
        ours = pca_2d(x)
        ref = PCA(n_components=2).fit_transform(x)
        np.testing.assert_allclose(np.abs(ours), np.abs(ref), atol=1e-8)

    def test_plots_are_written(self):
        rng = np.random.default_rng(0)
        y = np.arange(60) % 3
        x = rng.normal(size=(60, 8)) + 4.0 * np.eye(8)[y]
        d = self.get_temp_dir()
        for method in ("pca", "tsne"):
            path = os.path.join(d, f"{method}.png")
            out = evaluation.plot_embeddings(
                x, y, path, method=method, class_names=["a", "b", "c"],
                title=method)
            self.assertEqual(out, path)
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with self.assertRaisesRegex(ValueError, "method"):
            evaluation.plot_embeddings(x, y, path, method="umap")
        with self.assertRaisesRegex(ValueError, "one label per"):
            evaluation.plot_embeddings(x, y[:5], path)

    def test_export_projector(self):
        x = np.array([[1.0, 2.5], [3.0, -4.0], [0.0, 1e-3]])
        d = os.path.join(self.get_temp_dir(), "proj")
        paths = evaluation.export_projector(x, [0, 1, 1], d,
                                            class_names=["cat", "dog"])
        got = np.loadtxt(paths["vectors"], delimiter="\t")
        np.testing.assert_allclose(got, x, rtol=1e-6)
        with open(paths["metadata"]) as f:
            self.assertEqual(f.read().splitlines(), ["cat", "dog", "dog"])
        with open(paths["config"]) as f:
            config = f.read()
        self.assertIn('tensor_path: "vectors.tsv"', config)
        self.assertIn('metadata_path: "metadata.tsv"', config)
        self.assertTrue(config.startswith("embeddings {"))
        paths = evaluation.export_projector(x, None, d + "2")
        self.assertIsNone(paths["metadata"])
