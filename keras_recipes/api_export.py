"""One decorator that both exports a public symbol and registers it.

`keras_recipes_export("keras_recipes.losses.FocalLoss")` records the public
path in `REGISTRY` and registers the object with
`keras.saving.register_keras_serializable(package="keras_recipes")`, so that a
model using it loads back with `keras.saving.load_model` in safe mode. The test
battery (`tests/test_battery.py`) enumerates `REGISTRY`, so every exported
class must have canonical test settings.
"""

import keras

# Public path (e.g. "keras_recipes.losses.FocalLoss") -> exported object.
REGISTRY = {}


def keras_recipes_export(path):
    """Export `symbol` under the public `path` and register it with Keras."""
    if not isinstance(path, str) or not path.startswith("keras_recipes."):
        raise ValueError(
            "Expected `path` to be a string starting with 'keras_recipes.'. "
            f"Received: path={path!r}"
        )

    def decorator(symbol):
        name = path.rsplit(".", 1)[-1]
        registered = keras.saving.register_keras_serializable(
            package="keras_recipes", name=name
        )(symbol)
        REGISTRY[path] = registered
        return registered

    return decorator
