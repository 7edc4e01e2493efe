"""Search spaces over the fields of a `Recipe`.

A space maps recipe fields (and three augmentation strengths) to search
ranges: `{"learning_rate": LogUniform(1e-4, 1e-2), "loss":
Choice(["crossentropy", "focal"])}`. `sample(space, hp)` declares each range
as a KerasTuner hyperparameter of the same name and returns the values;
`apply(recipe, values)` returns the recipe with them. This module needs no
KerasTuner: `hp` is any object with KerasTuner's `Choice`, `Float` and `Int`
methods.
"""

import keras

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number

# Recipe fields a space may set directly.
RECIPE_FIELDS = (
    "optimizer", "learning_rate", "weight_decay", "lookahead", "schedule",
    "warmup_epochs", "loss", "label_smoothing", "ema_decay",
    "swa_start_epoch", "epochs", "batch_size",
)
# Augmentation strengths: they set (or add) an augmentation layer.
AUGMENT_FIELDS = ("erasing_prob", "mixup_prob", "randaugment_magnitude")
FIELDS = RECIPE_FIELDS + AUGMENT_FIELDS


class _Range:
    """Base class of the search ranges (serializable, KerasTuner-free)."""

    def declare(self, hp, name):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return (type(self) is type(other)
                and self.get_config() == other.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_bounds(low, high, positive=False):
    check_number("low", low, min_value=0.0 if positive else None,
                 min_inclusive=not positive)
    check_number("high", high)
    if not high > low:
        raise ValueError(
            f"Expected `high` > `low`. Received: low={low}, high={high}"
        )


@keras_recipes_export("keras_recipes.tuning.Choice")
class Choice(_Range):
    """One of a list of values (KerasTuner's `hp.Choice`).

    Args:
        values: a non-empty list of ints, floats, strings or bools, all of
            one type.

    Example:

    >>> keras_recipes.tuning.Choice(["crossentropy", "focal"])
    Choice(values=['crossentropy', 'focal'])
    """

    def __init__(self, values):
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(
                "Expected `values` to be a non-empty list. Received: "
                f"values={values!r}"
            )
        kinds = {bool if isinstance(v, bool) else
                 float if isinstance(v, float) else type(v) for v in values}
        if len(kinds) > 1 and kinds != {int, float}:
            raise TypeError(
                "Expected `values` of one type (int, float, str or bool). "
                f"Received: values={values!r}"
            )
        if not kinds <= {int, float, str, bool}:
            raise TypeError(
                "Expected `values` to hold ints, floats, strings or bools. "
                f"Received: values={values!r}"
            )
        if kinds == {int, float}:
            values = [float(v) for v in values]
        self.values = list(values)

    def declare(self, hp, name):
        return hp.Choice(name, self.values)

    def get_config(self):
        return {"values": list(self.values)}


@keras_recipes_export("keras_recipes.tuning.Uniform")
class Uniform(_Range):
    """A float drawn uniformly in `[low, high]` (KerasTuner's `hp.Float`).

    Args:
        low: float, the smallest value.
        high: float, the largest value, > `low`.
        step: float or `None`, the grid spacing (`GridSearch` visits every
            step; without one it visits 10 evenly spaced values). Defaults
            to `None`.

    Example:

    >>> keras_recipes.tuning.Uniform(0.0, 0.5)
    Uniform(low=0.0, high=0.5, step=None)
    """

    def __init__(self, low, high, step=None):
        _check_bounds(low, high)
        check_number("step", step, min_value=0.0, min_inclusive=False,
                     allow_none=True)
        self.low, self.high, self.step = float(low), float(high), step

    def declare(self, hp, name):
        return hp.Float(name, self.low, self.high, step=self.step)

    def get_config(self):
        return {"low": self.low, "high": self.high, "step": self.step}


@keras_recipes_export("keras_recipes.tuning.LogUniform")
class LogUniform(_Range):
    """A positive float drawn uniformly on a log scale in `[low, high]`
    (KerasTuner's `hp.Float(sampling="log")`), e.g. a learning rate.

    Args:
        low: float > 0, the smallest value.
        high: float, the largest value, > `low`.

    Example:

    >>> keras_recipes.tuning.LogUniform(1e-4, 1e-2)
    LogUniform(low=0.0001, high=0.01)
    """

    def __init__(self, low, high):
        _check_bounds(low, high, positive=True)
        self.low, self.high = float(low), float(high)

    def declare(self, hp, name):
        return hp.Float(name, self.low, self.high, sampling="log")

    def get_config(self):
        return {"low": self.low, "high": self.high}


@keras_recipes_export("keras_recipes.tuning.IntRange")
class IntRange(_Range):
    """An int in `[low, high]` on a grid of `step` (KerasTuner's `hp.Int`).

    Args:
        low: int, the smallest value.
        high: int, the largest value, > `low`.
        step: int >= 1. Defaults to `1`.

    Example:

    >>> keras_recipes.tuning.IntRange(5, 15, step=5)
    IntRange(low=5, high=15, step=5)
    """

    def __init__(self, low, high, step=1):
        check_number("low", low, integer=True)
        check_number("high", high, integer=True)
        _check_bounds(low, high)
        self.step = check_number("step", step, integer=True, min_value=1)
        self.low, self.high = int(low), int(high)

    def declare(self, hp, name):
        return hp.Int(name, self.low, self.high, step=self.step)

    def get_config(self):
        return {"low": self.low, "high": self.high, "step": self.step}


RANGES = {cls.__name__: cls for cls in (Choice, Uniform, LogUniform,
                                        IntRange)}


def check_space(space):
    """Check a space `{field: range}`; returns a new dict."""
    if not isinstance(space, dict):
        raise TypeError(
            "Expected `space` to be a dict mapping recipe fields to search "
            f"ranges. Received: space of type {type(space).__name__}"
        )
    out = {}
    for field, value in space.items():
        if field not in FIELDS:
            raise ValueError(
                f"Expected `space` keys among {list(FIELDS)}. Received: "
                f"{field!r}"
            )
        if isinstance(value, dict) and value.get("class_name") in RANGES:
            value = RANGES[value["class_name"]].from_config(value["config"])
        if not isinstance(value, _Range):
            raise TypeError(
                "Expected `space` values to be tuning.Choice, Uniform, "
                f"LogUniform or IntRange. Received: space[{field!r}]="
                f"{value!r}"
            )
        out[field] = value
    return out


def space_config(space):
    """A space as JSON-ready data."""
    return {field: {"class_name": type(r).__name__, "config": r.get_config()}
            for field, r in space.items()}


@keras_recipes_export("keras_recipes.tuning.default_space")
def default_space(preset):
    """The default search space of a preset (`"baseline"`, `"standard"` or
    `"strong"`): the learning rate, and the regularizers the preset uses.

    Example:

    >>> sorted(keras_recipes.tuning.default_space("standard"))
    ['erasing_prob', 'label_smoothing', 'learning_rate', 'mixup_prob', \
'weight_decay']
    """
    from keras_recipes.recipes.presets import PRESETS
    from keras_recipes.utils.validation import check_choice

    check_choice("preset", preset, PRESETS)
    if preset == "baseline":
        return {
            "learning_rate": LogUniform(3e-4, 3e-3),
            "label_smoothing": Choice([0.0, 0.1, 0.2]),
        }
    space = {
        "learning_rate": LogUniform(5e-4, 5e-3),
        "weight_decay": LogUniform(5e-3, 1e-1),
        "label_smoothing": Choice([0.0, 0.1, 0.2]),
        "erasing_prob": Uniform(0.0, 0.5, step=0.25),
        "mixup_prob": Uniform(0.0, 0.5, step=0.25),
    }
    if preset == "strong":
        space["mixup_prob"] = Uniform(0.0, 1.0, step=0.25)
        space["ema_decay"] = Choice([0.99, 0.999])
    return space


def sample(space, hp):
    """Declare every range of `space` on `hp`; returns `{field: value}`."""
    return {field: r.declare(hp, field) for field, r in space.items()}


def _layer_with(layer, **changes):
    config = keras.saving.serialize_keras_object(layer)
    config = dict(config, config={**config["config"], **changes})
    return keras.saving.deserialize_keras_object(config)


def _set_or_add(layers, cls, arg, value, make, first=False):
    """Set `arg` on the layers of type `cls`, or add `make()` if none."""
    found = False
    for i, layer in enumerate(layers):
        if isinstance(layer, cls):
            layers[i] = _layer_with(layer, **{arg: value})
            found = True
    if not found and make is not None:
        layers.insert(0 if first else len(layers), make())
    return layers


def apply(recipe, values):
    """`recipe` with the sampled `values` (a new `Recipe`).

    Recipe fields are set directly. The augmentation strengths set the
    probability of `RandomErasing` (`erasing_prob`), of `MixUpOrCutMix`
    (`mixup_prob`) and the magnitude of `RandAugment`
    (`randaugment_magnitude`) among the recipe's augmentations, or add the
    layer when the recipe has none (`RandAugment` first, `MixUpOrCutMix`
    last; a probability of 0 adds nothing).
    """
    from keras_recipes import augment
    from keras_recipes.recipes import Recipe

    config = recipe.get_config()
    config.update({k: v for k, v in values.items() if k in RECIPE_FIELDS})
    layers = list(Recipe.from_config(config).augment or [])
    value_range = next((layer.value_range for layer in layers
                        if hasattr(layer, "value_range")), (0, 255))
    if "erasing_prob" in values:
        p = float(values["erasing_prob"])
        _set_or_add(layers, augment.RandomErasing, "probability", p,
                    (lambda: augment.RandomErasing(
                        probability=p, value_range=value_range))
                    if p > 0 else None)
    if "mixup_prob" in values:
        p = float(values["mixup_prob"])
        _set_or_add(layers, augment.MixUpOrCutMix, "prob", p,
                    (lambda: augment.MixUpOrCutMix(
                        mixup_alpha=0.2, cutmix_alpha=1.0, prob=p,
                        label_smoothing=0.0))
                    if p > 0 else None)
    if "randaugment_magnitude" in values:
        m = values["randaugment_magnitude"]
        _set_or_add(layers, augment.RandAugment, "magnitude", m,
                    lambda: augment.RandAugment(magnitude=m,
                                                value_range=value_range),
                    first=True)
    config["augment"] = [keras.saving.serialize_keras_object(layer)
                         for layer in layers] or None
    return Recipe.from_config(config)
