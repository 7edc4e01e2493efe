"""Battery settings for keras_recipes.ensembles and the SnapshotEnsemble
callback."""

import tempfile

import keras
import numpy as np

from keras_recipes import callbacks
from keras_recipes import ensembles


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 4, size=(32,)).astype("int32")
    return x, y


def _member(seed, activation="softmax"):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8,))
    h = keras.layers.Dense(6, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(4, activation)(h))


def _ensemble_check(make, trainable=True, prepare=None):
    """Config round trip, a fit eager and compiled (when trainable), and a
    `.keras` round trip in safe mode."""

    def check(tc):
        x, y = _data()
        tc.run_serialization_test(make())
        model = None
        for jit in (False, "auto"):
            keras.backend.clear_session()
            model = make()
            if prepare is not None:
                prepare(model, x, y)
            if trainable:
                model.compile("adam", "sparse_categorical_crossentropy",
                              jit_compile=jit)
                history = model.fit(x, y, batch_size=16, verbose=0)
                tc.assertTrue(np.all(np.isfinite(history.history["loss"])))
        out = model.predict(x, verbose=0)
        tc.assertAllClose(out.sum(axis=1), np.ones(len(x)), atol=1e-5)
        tc.run_model_saving_test(model, x, y if trainable else None)

    return check


def _fit_meta(model, x, y):
    rng = np.random.default_rng(1)
    model.fit_meta(rng.dirichlet(np.ones(4), size=(len(x), 2)), y)


SETTINGS = {
    "keras_recipes.ensembles.AveragingEnsemble": dict(
        kind="custom",
        check=_ensemble_check(lambda: ensembles.AveragingEnsemble(
            [_member(0), _member(1)], weights=[2.0, 1.0],
            method="geometric")),
    ),
    "keras_recipes.ensembles.VotingEnsemble": dict(
        kind="custom",
        check=_ensemble_check(lambda: ensembles.VotingEnsemble(
            [_member(0, None), _member(1, None), _member(2, None)],
            voting="hard", from_logits=True), trainable=False),
    ),
    "keras_recipes.ensembles.StackingEnsemble": dict(
        kind="custom",
        check=_ensemble_check(
            lambda: ensembles.StackingEnsemble(
                [_member(0), _member(1)], features="log_probabilities"),
            prepare=_fit_meta),
    ),
    "keras_recipes.ensembles.LogisticRegression": dict(
        kind="layer",
        make=lambda: ensembles.LogisticRegression(4, C=0.5),
        input_shape=(6,),
    ),
    "keras_recipes.callbacks.SnapshotEnsemble": dict(
        kind="callback",
        make=lambda: callbacks.SnapshotEnsemble(2, tempfile.mkdtemp()),
    ),
}
