"""Battery settings for the SSL probe callback."""

import keras
import numpy as np

from keras_recipes import callbacks


def _check(testcase):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 8)).astype("float32")
    y = np.arange(24) % 3
    for jit in (False, "auto"):
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse", jit_compile=jit)
        history = model.fit(
            x, keras.utils.to_categorical(y, 3), epochs=2, verbose=0,
            callbacks=[callbacks.ProbeMonitor(x, y, x, y, k=3)])
        testcase.assertEqual(len(history.history["knn_accuracy"]), 2)
    with testcase.assertRaises(NotImplementedError):
        callbacks.ProbeMonitor(x, y, x, y).get_config()


SETTINGS = {
    # A callback holding data arrays: no config round trip, checked here.
    "keras_recipes.callbacks.ProbeMonitor": dict(kind="custom", check=_check),
}
