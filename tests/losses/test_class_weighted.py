"""ClassWeightedLoss: per-class weights inside the loss, where
fit(class_weight=...) is refused."""

import keras
import numpy as np

from keras_recipes import losses
from keras_recipes.testing import TestCase


def np_sparse_ce(ids, probs):
    return np.array([-np.log(probs[i, c]) for i, c in enumerate(ids)])


class ClassWeightedLossTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.probs = rng.dirichlet(np.ones(3), size=8).astype("float32")
        self.ids = rng.integers(0, 3, size=(8,))
        self.weights = {0: 0.5, 1: 2.0, 2: 4.0}

    def test_matches_reference_for_every_label_format(self):
        ref = np.array([self.weights[c] for c in self.ids]) * np_sparse_ce(
            self.ids, self.probs)
        sparse = losses.ClassWeightedLoss(
            keras.losses.SparseCategoricalCrossentropy(), self.weights,
            reduction=None)
        self.assertAllClose(sparse(self.ids, self.probs), ref, rtol=1e-5)
        self.assertAllClose(sparse(self.ids[:, None], self.probs), ref,
                            rtol=1e-5)
        dense = losses.ClassWeightedLoss("categorical_crossentropy",
                                         [0.5, 2.0, 4.0], reduction=None)
        onehot = np.eye(3, dtype="float32")[self.ids]
        self.assertAllClose(dense(onehot, self.probs), ref, rtol=1e-5)
        # Soft labels: expected weight under the label distribution.
        soft = np.full((8, 3), 1 / 3, "float32")
        ce = -np.log(self.probs).mean(axis=1)
        self.assertAllClose(dense(soft, self.probs), ce * (6.5 / 3),
                            rtol=1e-5)
        total = losses.ClassWeightedLoss(
            keras.losses.SparseCategoricalCrossentropy(), self.weights)
        self.assertAllClose(total(self.ids, self.probs), ref.mean(),
                            rtol=1e-5)

    def test_per_pixel_labels(self):
        rng = np.random.default_rng(1)
        probs = rng.dirichlet(np.ones(3), size=(2, 4, 4)).astype("float32")
        ids = rng.integers(0, 3, size=(2, 4, 4))
        loss = losses.ClassWeightedLoss(
            keras.losses.SparseCategoricalCrossentropy(), self.weights,
            reduction=None)
        ref = np.zeros((2, 4, 4))
        for idx in np.ndindex(2, 4, 4):
            c = ids[idx]
            ref[idx] = -self.weights[c] * np.log(probs[idx][c])
        self.assertAllClose(loss(ids, probs), ref, rtol=1e-5)

    def test_multi_output_model_with_generator(self):
        # fit(class_weight=...) refuses both multi-output models and Python
        # generators; the loss-side weights train the same model.
        rng = np.random.default_rng(2)
        x = rng.normal(size=(64, 5)).astype("float32")
        y1 = (x[:, 0] > 0.8).astype("int32")  # rare class 1
        y2 = rng.normal(size=(64, 1)).astype("float32")
        inputs = keras.Input((5,))
        out1 = keras.layers.Dense(2, activation="softmax", name="cls")(inputs)
        out2 = keras.layers.Dense(1, name="reg")(inputs)
        model = keras.Model(inputs, {"cls": out1, "reg": out2})
        weights = keras_weights = {0: 1.0, 1: 5.0}
        model.compile(
            optimizer="adam",
            loss={"cls": losses.ClassWeightedLoss(
                      "sparse_categorical_crossentropy", weights),
                  "reg": "mse"},
            jit_compile="auto",
        )

        def gen():
            for _ in range(100):
                for i in range(0, 64, 16):
                    yield x[i:i + 16], {"cls": y1[i:i + 16],
                                        "reg": y2[i:i + 16]}

        h = model.fit(gen(), steps_per_epoch=4, epochs=2, verbose=0,
                      shuffle=False)
        self.assertTrue(np.all(np.isfinite(h.history["loss"])))
        # The compiled total loss equals the weighted reference + MSE.
        out = model.predict(x, verbose=0)
        expected = np.mean(
            np.array([keras_weights[c] for c in y1])
            * np_sparse_ce(y1, out["cls"].astype("float64"))
        ) + np.mean((out["reg"] - y2) ** 2)
        result = model.evaluate(x, {"cls": y1, "reg": y2}, batch_size=64,
                                verbose=0, return_dict=True)
        self.assertAllClose(result["loss"], expected, rtol=1e-4)
        self.run_model_saving_test(model, x)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "class_weight"):
            losses.ClassWeightedLoss("mse", {0: 1.0, 2: 2.0})
        with self.assertRaisesRegex(TypeError, "class_weight"):
            losses.ClassWeightedLoss("mse", 2.0)
        with self.assertRaisesRegex(TypeError, "loss"):
            losses.ClassWeightedLoss(3, [1.0, 2.0])
        loss = losses.ClassWeightedLoss("sparse_categorical_crossentropy",
                                        [1.0, 2.0])
        with self.assertRaisesRegex(ValueError, "class_weight.*3 classes"):
            loss(self.ids, self.probs)
