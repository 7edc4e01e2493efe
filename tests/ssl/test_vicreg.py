"""VICReg: the loss of given views against the NumPy reference, History
with the three terms, eager and compiled fit, tf.data, save/load."""

import keras
import numpy as np
import pytest

from keras_recipes import ssl
from keras_recipes.ssl.views import HorizontalFlip
from keras_recipes.testing import TestCase
from tests.losses.test_vicreg import np_terms
from tests.losses.test_vicreg import np_vicreg
from tests.ssl.test_simclr import JIT
from tests.ssl.test_simclr import check_encoder_reload
from tests.ssl.test_simclr import make_encoder
from tests.ssl.test_simclr import projections
from tests.ssl.test_simclr import tiny_images

KEYS = ["cov_loss", "loss", "sim_loss", "var_loss"]


class VICRegTest(TestCase):
    def test_view_loss_matches_numpy_reference(self):
        keras.utils.set_random_seed(0)
        model = ssl.VICReg(make_encoder(), projection_dim=6, sim_weight=10,
                           var_weight=5, cov_weight=2)
        view_a, view_b = tiny_images(8, seed=1), tiny_images(8, seed=2)
        z = projections(model, view_a, view_b)
        terms = model.view_loss(view_a, view_b)
        sim, var, cov = np_terms(z[0::2], z[1::2])
        self.assertAllClose(terms["sim_loss"], sim, rtol=1e-4)
        self.assertAllClose(terms["var_loss"], var, rtol=1e-4)
        self.assertAllClose(terms["cov_loss"], cov, rtol=1e-4)
        self.assertAllClose(terms["loss"],
                            np_vicreg(z[0::2], z[1::2], 10, 5, 2),
                            rtol=1e-4)
        # The expander: three layers, as in the paper.
        dense = [layer for layer in model.projector.layers
                 if isinstance(layer, keras.layers.Dense)]
        self.assertEqual([d.units for d in dense], [6, 6, 6])

    def test_fit_eager_history_has_terms(self):
        x = tiny_images(16)
        keras.utils.set_random_seed(1)
        model = ssl.VICReg(make_encoder(), projection_dim=8,
                           views=[HorizontalFlip()])
        model.compile(optimizer="adam", run_eagerly=True)
        history = model.fit(x, batch_size=16, epochs=2, verbose=0)
        self.assertEqual(sorted(history.history), KEYS)
        h = {k: np.array(v) for k, v in history.history.items()}
        for v in h.values():
            self.assertTrue(np.all(np.isfinite(v)))
        # One step per epoch: loss = 25 sim + 25 var + 1 cov.
        self.assertAllClose(
            h["loss"], 25 * h["sim_loss"] + 25 * h["var_loss"]
            + h["cov_loss"], rtol=1e-4)

    def test_fit_compiled_tf_data_and_save_load(self):
        x = tiny_images(32)
        keras.utils.set_random_seed(2)
        model = ssl.VICReg(make_encoder(), projection_dim=8, hidden_dim=10,
                           sim_weight=20.0, cov_weight=2.0)
        revived = self.run_serialization_test(model)
        self.assertEqual(revived.hidden_dim, 10)
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      jit_compile=JIT)
        before = [w.copy() for w in model.encoder.get_weights()]
        history = model.fit(x, batch_size=16, epochs=2, verbose=0)
        self.assertEqual(sorted(history.history), KEYS)
        after = model.encoder.get_weights()
        self.assertGreater(
            max(np.abs(a - b).max() for a, b in zip(after, before)), 1e-4)
        # With a y (ignored) through tf.data; evaluate draws views too.
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices(
            (x, np.zeros(32, "int32"))).batch(16)
        history = model.fit(ds, epochs=1, verbose=0, validation_data=ds)
        self.assertIn("val_var_loss", history.history)
        self.assertTrue(np.isfinite(history.history["val_loss"][0]))
        loaded = self.run_model_saving_test(model, x, atol=1e-5)
        self.assertIsInstance(loaded, ssl.VICReg)
        self.assertEqual(loaded.cov_weight, 2.0)
        view_a, view_b = tiny_images(4, seed=3), tiny_images(4, seed=4)
        self.assertAllClose(loaded.view_loss(view_a, view_b)["loss"],
                            model.view_loss(view_a, view_b)["loss"],
                            atol=1e-4)
        check_encoder_reload(self, model.encoder, x, fresh_process=False)

    def test_compiled_step_draws_new_views_every_step(self):
        # Learning rate 0: the weights stay put, so the invariance term of
        # the single batch changes only if the views are redrawn (on JAX
        # the seed states must be threaded through the pure step).
        x = tiny_images(16)
        model = ssl.VICReg(make_encoder(), projection_dim=8)
        model.compile(optimizer=keras.optimizers.SGD(0.0), jit_compile=JIT)
        history = model.fit(x, batch_size=16, epochs=3, shuffle=False,
                            verbose=0)
        sim = history.history["sim_loss"]
        self.assertGreater(np.std(sim), 1e-4 * np.mean(sim))

    def test_bad_arguments(self):
        enc = make_encoder()
        with pytest.raises(TypeError, match="encoder"):
            ssl.VICReg("resnet")
        with pytest.raises(ValueError, match="sim_weight"):
            ssl.VICReg(enc, sim_weight=-1)
        with pytest.raises(ValueError, match="var_weight"):
            ssl.VICReg(enc, var_weight=-0.1)
        with pytest.raises(ValueError, match="projection_dim"):
            ssl.VICReg(enc, projection_dim=-3)
        with pytest.raises(ValueError, match="at least 2"):
            ssl.VICReg(enc, projection_dim=4).view_loss(
                tiny_images(1), tiny_images(1))
        with pytest.raises(ValueError, match="loss"):
            ssl.VICReg(enc).compile(optimizer="adam",
                                    loss=keras.losses.MeanSquaredError())
