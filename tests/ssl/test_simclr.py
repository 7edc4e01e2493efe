"""SimCLR: NT-Xent on the projections of interleaved views against NumPy,
views made in the compiled step, History, save/load, bad arguments."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_recipes import augment
from keras_recipes import data
from keras_recipes import ssl
from keras_recipes.ssl.views import HorizontalFlip
from keras_recipes.testing import TestCase

JIT = False if keras.backend.backend() == "torch" else True
MODES = (dict(run_eagerly=True), dict(jit_compile=JIT))
SHAPE = (8, 8, 1)


def make_encoder(shape=SHAPE, pool=True, width=6):
    layers = [keras.Input(shape),
              keras.layers.Conv2D(width, 3, padding="same",
                                  activation="relu"),
              keras.layers.Rescaling(1.0 / 255.0)]
    if pool:
        layers.append(keras.layers.GlobalAveragePooling2D())
    return keras.Sequential(layers)


def tiny_images(n=32, shape=SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (n,) + shape).astype("float32")


def np_ntxent(z, temperature):
    """Rows 2i, 2i+1 are positives; every other row is a negative."""
    z = np.asarray(z, "float64")
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n = len(z)
    total = 0.0
    for a in range(n):
        twin = a + 1 if a % 2 == 0 else a - 1
        logits = {j: z[a] @ z[j] / temperature for j in range(n) if j != a}
        denom = sum(np.exp(v) for v in logits.values())
        total += -np.log(np.exp(logits[twin]) / denom)
    return total / n


def projections(model, view_a, view_b):
    """Each view batch projected on its own (inference BatchNorm), then
    interleaved by hand."""
    za = keras.ops.convert_to_numpy(
        model.projector(model(view_a, training=False), training=False))
    zb = keras.ops.convert_to_numpy(
        model.projector(model(view_b, training=False), training=False))
    z = np.empty((2 * len(za), za.shape[1]), za.dtype)
    z[0::2], z[1::2] = za, zb
    return z


def check_encoder_reload(testcase, encoder, x, fresh_process):
    path = os.path.join(testcase.get_temp_dir(), "encoder.keras")
    encoder.save(path)
    expected = keras.ops.convert_to_numpy(encoder.predict(x, verbose=0))
    if not fresh_process:
        loaded = keras.saving.load_model(path)
        testcase.assertAllClose(loaded.predict(x, verbose=0), expected,
                                atol=1e-5)
        return
    np.save(path + ".x.npy", x)
    code = (
        "import sys, numpy as np, keras\n"
        f"m = keras.saving.load_model({path!r})\n"
        f"np.save({path!r} + '.out.npy', "
        f"keras.ops.convert_to_numpy(m.predict(np.load({path!r} + "
        "'.x.npy'), verbose=0)))\n"
        "assert 'keras_recipes' not in sys.modules\n"
    )
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(),
               TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", code], env=env, check=True,
                   cwd=testcase.get_temp_dir(), capture_output=True)
    testcase.assertAllClose(np.load(path + ".out.npy"), expected,
                            atol=1e-5)


class SimCLRTest(TestCase):
    def test_view_loss_matches_numpy_ntxent(self):
        keras.utils.set_random_seed(0)
        model = ssl.SimCLR(make_encoder(), projection_dim=5,
                           temperature=0.3)
        view_a, view_b = tiny_images(6, seed=1), tiny_images(6, seed=2)
        z = projections(model, view_a, view_b)
        loss = model.view_loss(view_a, view_b)["loss"]
        self.assertAllClose(loss, np_ntxent(z, 0.3), rtol=1e-4)
        # The functional NT-Xent on the same interleaved rows agrees.
        self.assertAllClose(
            keras.ops.mean(keras_ntxent(z, 0.3)), np_ntxent(z, 0.3),
            rtol=1e-4)

    def test_views_are_interleaved_and_per_image(self):
        x = tiny_images(4)
        # A pipeline that never changes the image: rows 2i, 2i+1 = x[i].
        model = ssl.SimCLR(make_encoder(),
                           views=[HorizontalFlip(probability=0.0)])
        self.assertAllClose(model.make_views(x), np.repeat(x, 2, axis=0))
        # The default pipeline: every view differs, for one same image.
        model = ssl.SimCLR(make_encoder())
        same = np.repeat(x[:1], 4, axis=0)
        views = keras.ops.convert_to_numpy(model.make_views(same))
        flat = views.reshape(8, -1)
        diffs = [np.abs(flat[i] - flat[j]).max()
                 for i in range(8) for j in range(i + 1, 8)]
        self.assertGreater(min(diffs), 1e-3)

    def test_fit_eager(self):
        # Eager JAX is slow: a one-layer view pipeline, one step per epoch.
        x = tiny_images(16)
        keras.utils.set_random_seed(1)
        model = ssl.SimCLR(make_encoder(), projection_dim=8,
                           views=[HorizontalFlip()])
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      run_eagerly=True)
        before = [w.copy() for w in model.encoder.get_weights()]
        history = model.fit(x, batch_size=16, epochs=2, verbose=0)
        self.assertEqual(sorted(history.history), ["loss"])
        self.assertEqual(len(history.history["loss"]), 2)
        self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        after = model.encoder.get_weights()
        self.assertGreater(
            max(np.abs(a - b).max() for a, b in zip(after, before)), 1e-4)

    def test_fit_compiled_then_save_load(self):
        x = tiny_images(32)
        keras.utils.set_random_seed(2)
        model = ssl.SimCLR(make_encoder(), projection_dim=8,
                           temperature=0.5, hidden_dim=12)
        revived = self.run_serialization_test(model)
        self.assertEqual(revived.hidden_dim, 12)
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      jit_compile=JIT)
        before = [w.copy() for w in model.encoder.get_weights()]
        history = model.fit(x, batch_size=16, epochs=2, verbose=0)
        self.assertEqual(sorted(history.history), ["loss"])
        self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        after = model.encoder.get_weights()
        self.assertGreater(
            max(np.abs(a - b).max() for a, b in zip(after, before)), 1e-4)
        # y is accepted and ignored; keras_recipes.data.batches works.
        model.fit(data.batches(x, np.zeros(32), 16), epochs=1, verbose=0)
        # predict gives the encoder's features.
        self.assertAllClose(model.predict(x, verbose=0),
                            model.encoder.predict(x, verbose=0), atol=1e-5)
        loaded = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertIsInstance(loaded, ssl.SimCLR)
        self.assertEqual(loaded.temperature, 0.5)
        view_a, view_b = tiny_images(4, seed=3), tiny_images(4, seed=4)
        self.assertAllClose(loaded.view_loss(view_a, view_b)["loss"],
                            model.view_loss(view_a, view_b)["loss"],
                            atol=1e-5)
        check_encoder_reload(self, model.encoder, x, fresh_process=True)

    def test_feature_map_encoder_is_pooled(self):
        x = tiny_images(8)
        model = ssl.SimCLR(make_encoder(pool=False), projection_dim=4)
        maps = keras.ops.convert_to_numpy(model.encoder(x))
        self.assertAllClose(model(x), maps.mean(axis=(1, 2)), atol=1e-5)
        self.assertEqual(model.hidden_dim, 6)
        # Every view layer supports jit: "auto" keeps jit on with JAX (on
        # TensorFlow "auto" means no XLA on CPU, whatever the layers).
        model.compile(optimizer="adam", jit_compile="auto")
        if keras.backend.backend() == "jax":
            self.assertTrue(model.jit_compile)

    def test_bad_arguments(self):
        enc = make_encoder()
        with pytest.raises(TypeError, match="encoder"):
            ssl.SimCLR(keras.layers.Dense(3))
        with pytest.raises(ValueError, match="temperature"):
            ssl.SimCLR(enc, temperature=0.0)
        with pytest.raises(ValueError, match="projection_dim"):
            ssl.SimCLR(enc, projection_dim=0)
        with pytest.raises(TypeError, match="hidden_dim"):
            ssl.SimCLR(enc, hidden_dim=2.5)
        with pytest.raises(TypeError, match="views"):
            ssl.SimCLR(enc, views=["flip"])
        with pytest.raises(ValueError, match="views"):
            ssl.SimCLR(enc, views=[])
        with pytest.raises(ValueError, match="mixes labels"):
            ssl.SimCLR(enc, views=[augment.MixUp(num_classes=3)])
        with pytest.raises(ValueError, match="loss"):
            ssl.SimCLR(enc).compile(optimizer="adam", loss="mse")


def keras_ntxent(z, temperature):
    from keras_recipes import losses

    return losses.ntxent_loss(None, z, temperature=temperature)
