"""Battery settings for MAE (issue 15). `vit_encoder`, `patchify`,
`unpatchify` and `masked_patch_loss` are functions (no entry needed)."""

import keras
import numpy as np

from keras_recipes.ssl import MAE


def _make():
    return MAE(image_shape=(8, 8, 1), patch_size=4, encoder_dim=8,
               encoder_depth=1, encoder_heads=2, decoder_dim=8,
               decoder_heads=2, seed=0)


def _check(testcase):
    """Config round trip, a fit eagerly and compiled (unlabeled: the model
    takes no compiled loss), `.keras` round trip in safe mode."""
    testcase.run_serialization_test(_make())
    x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 1))
    x = x.astype("float32")
    for jit in (False, "auto"):
        keras.backend.clear_session()
        model = _make()
        model.compile(optimizer="adam", jit_compile=jit)
        history = model.fit(x, batch_size=8, epochs=1, verbose=0)
        testcase.assertTrue(np.all(np.isfinite(history.history["loss"])))
    testcase.run_model_saving_test(model, x, atol=1e-5)


SETTINGS = {
    "keras_recipes.ssl.MAE": dict(kind="custom", check=_check),
}
