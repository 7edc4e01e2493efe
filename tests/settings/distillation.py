"""Battery settings for keras_recipes.distillation and the distillation
loss (issue 14)."""

import keras
import numpy as np

from keras_recipes import distillation
from keras_recipes import losses


def _teacher_logits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    return x, (2 * rng.normal(size=(32, 4))).astype("float32")


def _mlp(name, seed):
    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input((8,))
    h = keras.layers.Dense(6, activation="relu", name="hidden",
                           kernel_initializer=init)(inputs)
    outputs = keras.layers.Dense(4, name="logits", kernel_initializer=init)(h)
    return keras.Model(inputs, outputs, name=name)


def _make_distiller():
    return distillation.Distiller(
        _mlp("teacher", 1), _mlp("student", 2), temperature=2.0, alpha=0.7,
        student_loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=True),
        features=[("hidden", "hidden")], feature_weight=0.5,
    )


def _distiller_check(tc):
    tc.run_serialization_test(_make_distiller())
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 4, size=(32,)).astype("int32")
    for jit in (False, "auto"):
        keras.backend.clear_session()
        model = _make_distiller()
        model.compile(optimizer="adam", metrics=["accuracy"],
                      jit_compile=jit)
        history = model.fit(x, y, batch_size=16, verbose=0)
        tc.assertTrue(np.all(np.isfinite(history.history["loss"])))
    tc.run_model_saving_test(model, x, y)


SETTINGS = {
    "keras_recipes.distillation.Distiller": dict(
        kind="custom", check=_distiller_check,
    ),
    # y_true holds teacher logits of the shape of y_pred; the battery's
    # default model ends in a softmax, hence from_logits=False.
    "keras_recipes.losses.DistillationLoss": dict(
        kind="loss",
        make=lambda: losses.DistillationLoss(temperature=2.0,
                                             from_logits=False),
        data_fn=_teacher_logits,
    ),
}
