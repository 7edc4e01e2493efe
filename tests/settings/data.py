"""Battery settings for the data family (issue 13)."""

import keras
import numpy as np

from keras_recipes import augment
from keras_recipes.data import BalancedBatches


def check_balanced_batches(test):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), [40, 12, 8, 4])
    x = rng.uniform(0, 255, size=(len(y), 6, 6, 1)).astype("float32")
    data = BalancedBatches(x, y, batch_size=16, seed=0, steps_per_epoch=2,
                           augment=[augment.MixUp(num_classes=4)])
    test.assertEqual(data.get_config()["sampling"], "oversample")
    test.assertEqual(data.class_counts.tolist(), [8] * 4)
    model = keras.Sequential([
        keras.Input((6, 6, 1)), keras.layers.Flatten(),
        keras.layers.Dense(4, activation="softmax"),
    ])
    for jit in (False, "auto"):
        model.compile("adam", "categorical_crossentropy", jit_compile=jit)
        hist = model.fit(data, epochs=1, shuffle=False, verbose=0)
        test.assertTrue(np.all(np.isfinite(hist.history["loss"])))


SETTINGS = {
    "keras_recipes.data.BalancedBatches": dict(
        kind="custom", check=check_balanced_batches
    ),
}
