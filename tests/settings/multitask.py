"""Battery settings for keras_recipes.multitask."""

import keras
import numpy as np

from keras_recipes import multitask

JIT = False if keras.backend.backend() == "torch" else True


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = {"label": rng.integers(0, 4, size=(32,)).astype("int32"),
         "value": x[:, :2].astype("float32")}
    return x, y


def _net():
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, {
        "label": keras.layers.Dense(4, name="label")(h),
        "value": keras.layers.Dense(2, name="value")(h),
    })


def _losses():
    return {
        "label": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "value": "mse",
    }


def _loss_check(tc):
    """The layer alone: config round trip, and its total as a function of
    the targets and predictions (the fit path is MultiTaskModel's)."""
    for weighting in ("uncertainty", "dwa", "equal", [0.5, 2.0]):
        tc.run_serialization_test(
            multitask.MultiTaskLoss(_losses(), weighting=weighting))
    x, y = _data()
    mtl = multitask.MultiTaskLoss(_losses())
    y_pred = {"label": np.zeros((32, 4), "float32"),
              "value": np.zeros((32, 2), "float32")}
    total = float(keras.ops.convert_to_numpy(mtl(y, y_pred)))
    expected = np.log(4.0) + 0.5 * np.mean(y["value"] ** 2)
    tc.assertAllClose(total, expected, rtol=1e-5)


def _model_check(tc):
    x, y = _data()
    for weighting in ("uncertainty", "dwa"):
        for jit in (False, JIT):
            keras.backend.clear_session()
            model = multitask.MultiTaskModel(_net(), _losses(),
                                             weighting=weighting)
            model.compile(optimizer="adam", jit_compile=jit)
            history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
            tc.assertTrue(np.all(np.isfinite(history.history["loss"])))
        revived = multitask.MultiTaskModel.from_config(model.get_config())
        tc.assertEqual(revived.multitask_loss.weighting, weighting)
        tc.run_model_saving_test(model, x, y, atol=1e-5)


SETTINGS = {
    "keras_recipes.multitask.MultiTaskLoss": dict(
        kind="custom", check=_loss_check,
    ),
    "keras_recipes.multitask.MultiTaskModel": dict(
        kind="custom", check=_model_check,
    ),
}
