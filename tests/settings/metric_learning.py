"""Battery settings for the metric-learning family (issue 6)."""

import keras
import numpy as np

from keras_recipes.data import MPerClassBatches
from keras_recipes.losses import ArcFace
from keras_recipes.losses import ContrastiveLoss
from keras_recipes.losses import MultiSimilarityLoss
from keras_recipes.losses import NTXentLoss
from keras_recipes.losses import SupervisedContrastiveLoss
from keras_recipes.losses import TripletLoss
from keras_recipes.losses import distances
from keras_recipes.metrics import RecallAtK


def embedding_model():
    inputs = keras.Input((8,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(4)(h))


def check_arcface(test):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 3, size=(32,)).astype("int32")
    head = ArcFace(3, 4, margin=0.3, scale=16.0)
    test.run_serialization_test(head)
    for jit in (False, "auto"):
        keras.backend.clear_session()
        images = keras.Input((8,))
        labels = keras.Input((), dtype="int32")
        emb = keras.layers.Dense(4)(images)
        logits = ArcFace(3, 4, margin=0.3, scale=16.0)([emb, labels])
        model = keras.Model([images, labels], logits)
        model.compile(
            "adam",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit,
        )
        hist = model.fit([x, y], y, batch_size=16, epochs=1, verbose=0)
        test.assertTrue(np.all(np.isfinite(hist.history["loss"])))
    test.run_model_saving_test(model, [x, y], y)


def check_m_per_class(test):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = np.arange(64) % 8
    ds = MPerClassBatches(x, y, m=4, batch_size=16, steps_per_epoch=2,
                          seed=0)
    test.assertEqual(ds.get_config()["m"], 4)
    model = embedding_model()
    for jit in (False, "auto"):
        model.compile("adam", TripletLoss(), jit_compile=jit)
        hist = model.fit(ds, epochs=1, verbose=0)
        test.assertTrue(np.all(np.isfinite(hist.history["loss"])))


def _loss(make):
    return dict(kind="loss", make=make, model_fn=embedding_model)


SETTINGS = {
    "keras_recipes.losses.distances.Distance": dict(
        kind="object", make=lambda: distances.Distance(normalize=True)
    ),
    "keras_recipes.losses.distances.EuclideanDistance": dict(
        kind="object", make=lambda: distances.EuclideanDistance(squared=True)
    ),
    "keras_recipes.losses.distances.CosineSimilarity": dict(
        kind="object", make=distances.CosineSimilarity
    ),
    "keras_recipes.losses.distances.DotProductSimilarity": dict(
        kind="object", make=distances.DotProductSimilarity
    ),
    "keras_recipes.losses.TripletLoss": _loss(
        lambda: TripletLoss(
            margin=0.5, distance=distances.EuclideanDistance(squared=True)
        )
    ),
    "keras_recipes.losses.ContrastiveLoss": _loss(
        lambda: ContrastiveLoss(neg_margin=0.8, distance="cosine")
    ),
    "keras_recipes.losses.SupervisedContrastiveLoss": _loss(
        lambda: SupervisedContrastiveLoss(temperature=0.2)
    ),
    "keras_recipes.losses.NTXentLoss": _loss(lambda: NTXentLoss()),
    "keras_recipes.losses.MultiSimilarityLoss": _loss(
        lambda: MultiSimilarityLoss(distance="euclidean", base=1.0)
    ),
    "keras_recipes.losses.ArcFace": dict(kind="custom", check=check_arcface),
    "keras_recipes.metrics.RecallAtK": dict(
        kind="metric",
        make=lambda: RecallAtK(k=2, distance="cosine"),
        model_fn=embedding_model,
        compile_kwargs=dict(loss=TripletLoss()),
    ),
    "keras_recipes.data.MPerClassBatches": dict(
        kind="custom", check=check_m_per_class
    ),
}
