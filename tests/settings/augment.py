"""Battery settings for keras_recipes.augment."""

import keras
import numpy as np

from keras_recipes import augment


def _image_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (16, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 4, (16,)).astype("int32")
    return x, y


def _net():
    inputs = keras.Input((8, 8, 3))
    h = keras.layers.Rescaling(1 / 255.0)(inputs)
    h = keras.layers.Flatten()(h)
    return keras.Model(inputs, keras.layers.Dense(4, "softmax")(h))


def _mixing_check(make):
    """Label-mixing layers cannot sit inside a model: check them where they
    belong, inside AugmentedModel (compiled step), and save/load it."""

    def check(tc):
        tc.run_serialization_test(make())
        x, y = _image_data()
        for jit in (False, "auto"):
            keras.backend.clear_session()
            model = augment.AugmentedModel(_net(), augment=[make()])
            model.compile("adam", "categorical_crossentropy",
                          jit_compile=jit)
            history = model.fit(x, y, batch_size=8, verbose=0)
            tc.assertTrue(np.all(np.isfinite(history.history["loss"])))
        tc.run_model_saving_test(model, x, y)

    return check


def _augmented_model_check(tc):
    x, y = _image_data()
    for jit in (False, "auto"):
        keras.backend.clear_session()
        model = augment.AugmentedModel(
            _net(), augment=[augment.RandAugment(seed=0),
                             augment.CutMix(num_classes=4, seed=0)])
        model.compile("adam", "categorical_crossentropy", jit_compile=jit)
        model.fit(x, y, batch_size=8, verbose=0)
    revived = augment.AugmentedModel.from_config(model.get_config())
    tc.assertEqual(len(revived.augment), 2)
    tc.run_model_saving_test(model, x, y)


SETTINGS = {
    "keras_recipes.augment.MixUp": dict(
        kind="custom",
        check=_mixing_check(lambda: augment.MixUp(num_classes=4, seed=0)),
    ),
    "keras_recipes.augment.CutMix": dict(
        kind="custom",
        check=_mixing_check(lambda: augment.CutMix(num_classes=4, seed=0)),
    ),
    "keras_recipes.augment.MixUpOrCutMix": dict(
        kind="custom",
        check=_mixing_check(
            lambda: augment.MixUpOrCutMix(num_classes=4, seed=0)
        ),
    ),
    "keras_recipes.augment.AugmentedModel": dict(
        kind="custom", check=_augmented_model_check,
    ),
    "keras_recipes.augment.RandAugment": dict(
        kind="layer", make=lambda: augment.RandAugment(seed=0),
    ),
    "keras_recipes.augment.TrivialAugment": dict(
        kind="layer", make=lambda: augment.TrivialAugment(seed=0),
    ),
    "keras_recipes.augment.RandomErasing": dict(
        kind="layer", make=lambda: augment.RandomErasing(max_count=2,
                                                         seed=0),
    ),
    "keras_recipes.augment.CutOut": dict(
        kind="layer", make=lambda: augment.CutOut(3, count=2, seed=0),
    ),
    "keras_recipes.augment.RandomResizedCrop": dict(
        kind="layer", make=lambda: augment.RandomResizedCrop(6, 6, seed=0),
    ),
}
