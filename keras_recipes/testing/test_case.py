"""`TestCase`: the checks every keras_recipes object goes through."""

import os
import tempfile

import keras
import numpy as np
from absl.testing import parameterized


def _to_numpy(x):
    if isinstance(x, dict):
        return {k: _to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_to_numpy(v) for v in x)
    return np.asarray(keras.ops.convert_to_numpy(x))


class TestCase(parameterized.TestCase):
    """Base test case: clears the Keras session and seeds every test.

    Provides `assertAllClose` on backend tensors, a config round trip
    (`run_serialization_test`), a two-step `fit` (`run_fit_test`) and a
    `.keras` save/load round trip in safe mode (`run_model_saving_test`).
    """

    def setUp(self):
        super().setUp()
        keras.backend.clear_session()
        keras.utils.set_random_seed(1337)

    def get_temp_dir(self):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: __import__("shutil").rmtree(d, True))
        return d

    def assertAllClose(self, x1, x2, atol=1e-6, rtol=1e-6, msg=None):
        if isinstance(x1, dict) or isinstance(x2, dict):
            # Dicts (e.g. multi-output predictions) compare key by key.
            self.assertIsInstance(x1, dict, msg)
            self.assertIsInstance(x2, dict, msg)
            self.assertEqual(sorted(x1), sorted(x2), msg)
            for key in x1:
                self.assertAllClose(x1[key], x2[key], atol, rtol, msg)
            return
        if (
            isinstance(x1, (list, tuple))
            and isinstance(x2, (list, tuple))
            and len(x1) == len(x2)
            and any(np.ndim(_to_numpy(e)) > 0 for e in x1)
        ):
            # Structures of tensors (e.g. (images, labels)) compare leaf by
            # leaf; a list of scalars compares as one array.
            for a, b in zip(x1, x2):
                self.assertAllClose(a, b, atol, rtol, msg)
            return
        np.testing.assert_allclose(
            _to_numpy(x1), _to_numpy(x2), atol=atol, rtol=rtol,
            err_msg=msg or "",
        )

    def assertAllEqual(self, x1, x2, msg=None):
        np.testing.assert_array_equal(
            _to_numpy(x1), _to_numpy(x2), err_msg=msg or ""
        )

    def run_serialization_test(self, instance):
        """`get_config` round-trips through `from_config` and Keras's
        `serialize_keras_object` / `deserialize_keras_object`."""
        cls = instance.__class__
        config = instance.get_config()
        revived = cls.from_config(config)
        self.assertEqual(
            keras.saving.serialize_keras_object(revived),
            keras.saving.serialize_keras_object(instance),
        )
        serialized = keras.saving.serialize_keras_object(instance)
        revived = keras.saving.deserialize_keras_object(
            serialized, safe_mode=True
        )
        self.assertIsInstance(revived, cls)
        self.assertEqual(revived.get_config(), config)
        self.assertEqual(
            sorted(n for n in dir(revived) if not n.startswith("_")),
            sorted(n for n in dir(instance) if not n.startswith("_")),
        )
        return revived

    def run_fit_test(self, model, x, y, *, jit_compile="auto", epochs=1,
                     batch_size=None, **compile_kwargs):
        """Compile (if `compile_kwargs`) and fit for a couple of steps;
        the loss must be finite."""
        if compile_kwargs:
            model.compile(jit_compile=jit_compile, **compile_kwargs)
        history = model.fit(
            x, y, epochs=epochs, batch_size=batch_size, verbose=0
        )
        for value in history.history["loss"]:
            self.assertTrue(np.isfinite(value), f"loss is {value}")
        return history

    def run_model_saving_test(self, model, x, y=None, atol=1e-6):
        """Save `model` to `.keras`, load it back in safe mode, and check
        predictions (and the loss, when compiled and `y` is given)."""
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        self.assertAllClose(
            model.predict(x, verbose=0), loaded.predict(x, verbose=0),
            atol=atol, rtol=atol,
        )
        if y is not None and model.compiled and loaded.compiled:
            self.assertAllClose(
                model.evaluate(x, y, verbose=0),
                loaded.evaluate(x, y, verbose=0),
                atol=1e-5, rtol=1e-5,
            )
        return loaded
