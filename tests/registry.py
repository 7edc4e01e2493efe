"""Canonical test settings for every exported class.

Each family keeps its own file in `tests/settings/` defining a dict `SETTINGS`
that maps the public path (as given to `keras_recipes_export`) to an entry:

    "keras_recipes.losses.FocalLoss": dict(
        kind="loss",                      # see below
        make=lambda: FocalLoss(gamma=1.0),  # zero-arg factory
        data_fn=None,     # optional: () -> (x, y) NumPy arrays
        model_fn=None,    # optional: () -> uncompiled keras.Model for x
    )

Kinds, and what `tests/test_battery.py` does with each:
- "loss":      compile(loss=obj), fit 2 steps (eager and jit "auto"),
               save/load `.keras` in safe mode, same predictions and loss.
- "metric":    compile(metrics=[obj]), same as "loss".
- "schedule":  Adam(learning_rate=obj), same as "loss".
- "optimizer": compile(optimizer=obj), same as "loss".
- "layer":     Input -> obj -> Flatten -> Dense, same as "loss".
               `input_shape` in the entry sets the input (default (8, 8, 3)).
- "callback":  a 2-epoch fit with the callback; config round trip if the
               class defines `get_config`.
- "object":    config / serialization round trip only.
- "custom":    `check(testcase)` in the entry does everything.
Every kind except "callback" and "custom" also gets a config round trip.

Exported functions need no entry.
"""

import importlib
import inspect
import pkgutil

import tests.settings


def load_settings():
    settings = {}
    for info in pkgutil.iter_modules(tests.settings.__path__):
        module = importlib.import_module(f"tests.settings.{info.name}")
        for path, entry in module.SETTINGS.items():
            if path in settings:
                raise ValueError(f"Duplicate registry entry for {path}")
            settings[path] = entry
    return settings


def exported_classes():
    import keras_recipes  # noqa: F401  (imports every family)
    from keras_recipes.api_export import REGISTRY

    return {p: s for p, s in REGISTRY.items() if inspect.isclass(s)}
