"""Battery settings for keras_recipes.callbacks."""

import keras
import numpy as np

from keras_recipes import callbacks
from keras_recipes import losses


def _images():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(32, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 4, size=(32,)).astype("int32")
    return x, y


def _resizing_model():
    inputs = keras.Input((16, 16, 3))
    h = keras.layers.Resizing(16, 16, name="resize")(inputs)
    h = keras.layers.Conv2D(4, 3, padding="same")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(4, activation="softmax")(h)
    return keras.Model(inputs, outputs)


SETTINGS = {
    "keras_recipes.callbacks.LearningRateLogger": dict(
        kind="callback", make=lambda: callbacks.LearningRateLogger(),
    ),
    "keras_recipes.callbacks.LRFinder": dict(
        kind="callback", make=lambda: callbacks.LRFinder(num_steps=3),
    ),
    "keras_recipes.callbacks.SWA": dict(
        kind="callback", make=lambda: callbacks.SWA(start_epoch=0),
    ),
    "keras_recipes.callbacks.ModelEMA": dict(
        kind="callback", make=lambda: callbacks.ModelEMA(decay=0.9),
    ),
    "keras_recipes.callbacks.ProgressiveResizing": dict(
        kind="callback",
        make=lambda: callbacks.ProgressiveResizing(
            initial_scale=0.5, delay_fraction=0.0, finetune_fraction=0.5,
            layer="resize"),
        data_fn=_images,
        model_fn=_resizing_model,
    ),
}

SETTINGS["keras_recipes.callbacks.DeferredReweighting"] = dict(
    kind="callback",
    make=lambda: callbacks.DeferredReweighting(start_epoch=1, beta=0.99),
    compile_kwargs=dict(
        loss=losses.LDAMLoss([8, 8, 8, 8])),
)
