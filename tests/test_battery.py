"""Every exported class: config round trip, 2-step fit, `.keras` round trip."""

import inspect

import keras
import numpy as np
import pytest

from keras_recipes.testing import TestCase
from tests.registry import exported_classes
from tests.registry import load_settings

SETTINGS = load_settings()
EXPORTED = exported_classes()


def default_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32")
    y = rng.integers(0, 4, size=(32,)).astype("int32")
    return x, y


def default_model(x, num_outputs=4, activation="softmax"):
    inputs = keras.Input(x.shape[1:])
    h = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Dense(num_outputs, activation=activation)(h)
    return keras.Model(inputs, outputs)


def test_every_exported_class_has_settings():
    missing = sorted(set(EXPORTED) - set(SETTINGS))
    assert not missing, (
        "Exported classes without an entry in tests/settings/*.py: "
        f"{missing}"
    )
    stale = sorted(set(SETTINGS) - set(EXPORTED))
    assert not stale, f"Settings for symbols that are not exported: {stale}"


class BatteryTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def _check(self, path):
        entry = SETTINGS[path]
        kind = entry["kind"]
        if kind == "custom":
            entry["check"](self)
            return
        make = entry["make"]
        obj = make()
        if kind != "callback" or "get_config" in vars(type(obj)):
            self.run_serialization_test(obj)
        if kind == "object":
            return

        if entry.get("data_fn"):
            x, y = entry["data_fn"]()
        elif kind == "layer":
            rng = np.random.default_rng(0)
            shape = entry.get("input_shape", (8, 8, 3))
            x = rng.uniform(0, 255, size=(16, *shape)).astype("float32")
            y = rng.integers(0, 4, size=(16,)).astype("int32")
        else:
            x, y = default_data()

        if entry.get("model_fn"):
            model = entry["model_fn"]()
        elif kind == "layer":
            inputs = keras.Input(x.shape[1:])
            h = make()(inputs)
            h = keras.layers.Flatten()(h)
            outputs = keras.layers.Dense(4, activation="softmax")(h)
            model = keras.Model(inputs, outputs)
        else:
            model = default_model(x)

        compile_kwargs = dict(
            optimizer="adam", loss="sparse_categorical_crossentropy"
        )
        compile_kwargs.update(entry.get("compile_kwargs", {}))
        callbacks = []
        if kind == "loss":
            compile_kwargs["loss"] = make()
        elif kind == "metric":
            compile_kwargs["metrics"] = [make()]
        elif kind == "schedule":
            compile_kwargs["optimizer"] = keras.optimizers.Adam(
                learning_rate=make()
            )
        elif kind == "optimizer":
            compile_kwargs["optimizer"] = make()
        elif kind == "callback":
            callbacks = [make()]

        for jit in (False, "auto"):
            keras.backend.clear_session()
            # A fresh optimizer (or schedule) per fit: an optimizer built for
            # one model cannot update the variables of its clone.
            if kind == "schedule":
                compile_kwargs["optimizer"] = keras.optimizers.Adam(
                    learning_rate=make()
                )
            elif kind == "optimizer":
                compile_kwargs["optimizer"] = make()
            m = model if jit is False else keras.models.clone_model(model)
            if kind == "layer" and jit == "auto":
                m = model
            m.compile(jit_compile=jit, **compile_kwargs)
            history = m.fit(
                x, y, batch_size=16, epochs=2 if kind == "callback" else 1,
                callbacks=callbacks, verbose=0,
            )
            self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        if kind != "callback":
            self.run_model_saving_test(m, x, y)


def _make_test(path):
    def test(self):
        self._check(path)

    return test


for _path in sorted(SETTINGS):
    setattr(
        BatteryTest, "test_" + _path.replace(".", "_"), _make_test(_path)
    )


def test_exported_objects_are_registered():
    for path, symbol in EXPORTED.items():
        name = keras.saving.get_registered_name(symbol)
        assert name == "keras_recipes>" + path.rsplit(".", 1)[-1], (
            path, name
        )
        assert inspect.getdoc(symbol), f"{path} has no docstring"
