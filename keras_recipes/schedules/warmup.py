"""Linear warmup in front of any schedule or constant."""

import numbers

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number

_Schedule = keras.optimizers.schedules.LearningRateSchedule


def warmup(step, schedule, warmup_steps, initial_learning_rate=0.0):
    """Learning rate at `step` of `schedule` preceded by a linear warmup.

    For `step < warmup_steps` the rate goes linearly from
    `initial_learning_rate` to `schedule(0)`; afterwards it is
    `schedule(step - warmup_steps)`, so the wrapped schedule starts where
    the warmup ends.

    Args:
        step: Integer or float scalar or tensor.
        schedule: A `LearningRateSchedule`, a callable `step -> rate`, or a
            float.
        warmup_steps: Number of warmup steps (`0` disables the warmup).
        initial_learning_rate: Rate at step 0.

    Returns:
        A float32 tensor of the shape of `step`.
    """
    step = ops.cast(ops.convert_to_tensor(step), "float32")
    if isinstance(schedule, numbers.Real):
        target = ops.cast(float(schedule), "float32")
        after = ops.full_like(step, float(schedule))
    else:
        target = ops.cast(schedule(ops.zeros((), "int32")), "float32")
        shifted = ops.maximum(ops.subtract(step, float(warmup_steps)), 0.0)
        after = ops.cast(schedule(shifted), "float32")
        after = ops.broadcast_to(after, ops.shape(step))
    if warmup_steps == 0:
        return after
    fraction = ops.divide(ops.minimum(step, float(warmup_steps)),
                          float(warmup_steps))
    ramp = ops.add(
        initial_learning_rate,
        ops.multiply(ops.subtract(target, initial_learning_rate), fraction),
    )
    return ops.where(ops.less(step, float(warmup_steps)), ramp, after)


@keras_recipes_export("keras_recipes.schedules.Warmup")
class Warmup(keras.optimizers.schedules.LearningRateSchedule):
    """Adds a linear warmup in front of any learning-rate schedule or constant.

    Keras 3 offers warmup only on `CosineDecay`. `Warmup` wraps any
    `LearningRateSchedule` (for example `ExponentialDecay`) or a float:
    during the first `warmup_steps` steps the rate rises linearly from
    `initial_learning_rate` to the wrapped schedule's value at step 0, then
    the wrapped schedule runs, shifted by `warmup_steps` (its step 0 is the
    first step after the warmup). Compiles under XLA and accepts integer
    steps.

    Args:
        schedule: A `keras.optimizers.schedules.LearningRateSchedule` or a
            float (a constant rate after the warmup).
        warmup_steps: Number of warmup steps, a positive integer.
        initial_learning_rate: Rate at step 0. Defaults to `0.0`.
        name: Optional name. Defaults to `"Warmup"`.

    Example:

    >>> decay = keras.optimizers.schedules.ExponentialDecay(
    ...     0.1, decay_steps=10, decay_rate=0.5)
    >>> schedule = keras_recipes.schedules.Warmup(decay, warmup_steps=5)
    >>> [round(float(schedule(s)), 4) for s in (0, 1, 5, 15)]
    [0.0, 0.02, 0.1, 0.05]
    >>> constant = keras_recipes.schedules.Warmup(1e-3, warmup_steps=4)
    >>> [round(float(constant(s)), 6) for s in (2, 100)]
    [0.0005, 0.001]

    Reference:
        - [Goyal et al., 2017](https://arxiv.org/abs/1706.02677)
    """

    def __init__(self, schedule, warmup_steps, initial_learning_rate=0.0,
                 name="Warmup"):
        super().__init__()
        if isinstance(schedule, dict):
            schedule = keras.optimizers.schedules.deserialize(schedule)
        if isinstance(schedule, bool) or not (
            isinstance(schedule, (numbers.Real, _Schedule))
        ):
            raise TypeError(
                "Expected `schedule` to be a float or a "
                "`keras.optimizers.schedules.LearningRateSchedule`. "
                f"Received: schedule={schedule!r}"
            )
        if isinstance(schedule, numbers.Real):
            check_number("schedule", schedule, min_value=0.0)
            schedule = float(schedule)
        check_number("warmup_steps", warmup_steps, min_value=1, integer=True)
        check_number("initial_learning_rate", initial_learning_rate,
                     min_value=0.0)
        self.schedule = schedule
        self.warmup_steps = warmup_steps
        self.initial_learning_rate = initial_learning_rate
        self.name = name

    def __call__(self, step):
        return warmup(step, self.schedule, self.warmup_steps,
                      self.initial_learning_rate)

    def get_config(self):
        schedule = self.schedule
        if isinstance(schedule, _Schedule):
            schedule = keras.optimizers.schedules.serialize(schedule)
        return {
            "schedule": schedule,
            "warmup_steps": self.warmup_steps,
            "initial_learning_rate": self.initial_learning_rate,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("schedule"), dict):
            config["schedule"] = keras.saving.deserialize_keras_object(
                config["schedule"]
            )
        return cls(**config)
