"""Out-of-range class ids and length mismatches never pass silently.

On the host (NumPy inputs, eager calls) they raise a `ValueError` that names
`y_true` and the bad range; inside a compiled step, where the values cannot
be seen, the loss is NaN, never 0 or a plausible number.
"""

import keras
import numpy as np
import pytest

import keras_recipes
from keras_recipes import losses
from keras_recipes.testing import TestCase

BACKEND = keras.backend.backend()
NUM_CLASSES = 10


def classification_losses():
    return {
        "focal": lambda: losses.FocalLoss(),
        "label_smoothing": lambda: losses.LabelSmoothingCrossentropy(),
        "poly": lambda: losses.PolyLoss(),
        "class_weighted": lambda: losses.ClassWeightedLoss(
            keras.losses.SparseCategoricalCrossentropy(),
            class_weight={i: 1.0 + i for i in range(NUM_CLASSES)},
        ),
    }


def functional_losses():
    return {
        "focal_loss": keras_recipes.losses.focal_loss,
        "label_smoothing_crossentropy": (
            keras_recipes.losses.label_smoothing_crossentropy
        ),
        "poly_loss": keras_recipes.losses.poly_loss,
    }


def probabilities(n):
    rng = np.random.default_rng(0)
    p = rng.random((n, NUM_CLASSES)).astype("float32") + 0.1
    return p / p.sum(axis=1, keepdims=True)


class LabelCheckTest(TestCase):
    def test_eager_out_of_range_raises_naming_y_true(self):
        p = probabilities(3)
        for bad in ([1, 12, 3], [-1, 0, 2], [[1], [10], [2]]):
            for name, make in classification_losses().items():
                with self.subTest(loss=name, labels=bad):
                    with pytest.raises(ValueError, match=r"y_true.*\[0, 10\)"):
                        make()(np.array(bad), p)
            for name, fn in functional_losses().items():
                with self.subTest(loss=name, labels=bad):
                    with pytest.raises(ValueError, match="y_true"):
                        fn(np.array(bad), p)

    def test_eager_message_gives_the_bad_range(self):
        with pytest.raises(ValueError) as info:
            losses.FocalLoss()(np.array([1, 12, 3]), probabilities(3))
        self.assertIn("[1, 12]", str(info.value))

    def test_in_range_labels_unchanged(self):
        # The check adds nothing for valid labels: the value equals the
        # one-hot form of the same labels.
        y = np.array([0, 9, 3])
        p = probabilities(3)
        onehot = np.eye(NUM_CLASSES, dtype="float32")[y]
        for name, make in classification_losses().items():
            if name == "class_weighted":
                continue
            with self.subTest(loss=name):
                self.assertAllClose(
                    make()(y, p), make()(onehot, p), atol=1e-6
                )

    def test_compiled_step_gives_nan_loss(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(16, 4)).astype("float32")
        y = rng.integers(0, NUM_CLASSES, size=(16,))
        y[5] = 12
        for name, make in classification_losses().items():
            with self.subTest(loss=name):
                model = keras.Sequential([
                    keras.Input((4,)),
                    keras.layers.Dense(NUM_CLASSES, activation="softmax"),
                ])
                if BACKEND == "torch":
                    # torch's fit step runs eagerly: the values are visible,
                    # so the loss raises instead.
                    model.compile("sgd", make())
                    with pytest.raises(ValueError, match="y_true"):
                        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
                    continue
                model.compile("sgd", make(), jit_compile=True)
                # Valid labels in the same compiled model give a finite loss.
                y_ok = np.where(y >= NUM_CLASSES, 0, y)
                loss = model.evaluate(x, y_ok, batch_size=16, verbose=0)
                self.assertTrue(np.isfinite(loss))
                loss = model.evaluate(x, y, batch_size=16, verbose=0)
                self.assertTrue(np.isnan(loss))
                history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
                self.assertTrue(np.isnan(history.history["loss"][0]))

    def test_label_prediction_length_mismatch_names_both(self):
        with pytest.raises(ValueError, match=r"\(3,\).*\(4, 10\)"):
            losses.FocalLoss()(np.array([1, 2, 3]), probabilities(4))


class MetricLearningLengthTest(TestCase):
    def test_mismatch_raises_with_both_lengths(self):
        rng = np.random.default_rng(0)
        emb = rng.normal(size=(4, 3)).astype("float32")
        labels = np.array([0, 1, 0])
        for loss in (
            losses.TripletLoss(),
            losses.ContrastiveLoss(),
            losses.SupervisedContrastiveLoss(),
            losses.MultiSimilarityLoss(),
        ):
            with self.subTest(loss=type(loss).__name__):
                with pytest.raises(
                    ValueError, match=r"3 labels.*4 embeddings"
                ):
                    loss(labels, emb)

    def test_mismatch_raises_at_trace_time_in_fit(self):
        # A model whose embedding batch differs from the label batch: the
        # error names both lengths instead of failing inside the backend.
        with pytest.raises(ValueError, match="labels"):
            losses.triplet_loss(np.zeros((6,)), np.zeros((5, 2), "float32"))
