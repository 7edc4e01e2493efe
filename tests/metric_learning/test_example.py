"""Smoke run of examples/metric_learning_fashion_mnist.py on a tiny subset
of real Fashion-MNIST (the one test of this family that reads it)."""

import importlib.util
import os
import pathlib

from keras_recipes.testing import TestCase

EXAMPLE = (pathlib.Path(__file__).parents[2] / "examples"
           / "metric_learning_fashion_mnist.py")


class ExampleTest(TestCase):
    def test_tiny_run(self):
        spec = importlib.util.spec_from_file_location("ml_example", EXAMPLE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out = self.get_temp_dir()
        reports = module.main([
            "--epochs", "1", "--train-per-class", "32",
            "--test-per-class", "8", "--batch-size", "32", "--m", "8",
            "--out", out, "--seeds", "2",
        ])
        self.assertEqual(len(reports), 2)
        for seed, report in enumerate(reports):
            for name in ("triplet", "softmax"):
                self.assertEqual(report[name]["num_queries"], 40)
                for key in ("recall@1", "map@r"):
                    self.assertTrue(0.0 <= report[name][key] <= 1.0)
                self.assertTrue(os.path.isfile(os.path.join(
                    out, f"seed{seed}", f"{name}_unseen_pca.png")))
