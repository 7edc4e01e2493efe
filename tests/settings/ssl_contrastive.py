"""Battery settings for the two-view SSL methods and the VICReg loss
(issue 15)."""

import keras
import numpy as np

from keras_recipes import losses
from keras_recipes import ssl


def _encoder():
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
    ])


def _check_method(make):
    def check(testcase):
        x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 1))
        model = make()
        testcase.run_serialization_test(model)
        model.compile(optimizer="adam", jit_compile="auto")
        history = model.fit(x.astype("float32"), batch_size=8, epochs=1,
                            verbose=0)
        testcase.assertTrue(np.all(np.isfinite(history.history["loss"])))
        testcase.run_model_saving_test(model, x.astype("float32"),
                                       atol=1e-5)

    return check


SETTINGS = {
    "keras_recipes.ssl.SimCLR": dict(
        kind="custom",
        check=_check_method(
            lambda: ssl.SimCLR(_encoder(), projection_dim=8, hidden_dim=8)),
    ),
    "keras_recipes.ssl.VICReg": dict(
        kind="custom",
        check=_check_method(
            lambda: ssl.VICReg(_encoder(), projection_dim=8, hidden_dim=8)),
    ),
    "keras_recipes.losses.VICRegLoss": dict(
        kind="loss",
        make=lambda: losses.VICRegLoss(sim_weight=10.0, var_weight=5.0,
                                       cov_weight=0.5),
        model_fn=lambda: keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(4)]),
    ),
}
