"""Linear warmup then cosine decay, stated in total steps."""

import math

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


def warmup_cosine_decay(step, peak_learning_rate, total_steps,
                        warmup_steps=0, final_learning_rate=0.0):
    """Learning rate at `step`: linear warmup from 0, then cosine decay.

    `step < warmup_steps`: `peak * step / warmup_steps`. Then, with
    `p = (step - warmup_steps) / (total_steps - warmup_steps)` clipped to
    `[0, 1]`: `final + (peak - final) * (1 + cos(pi * p)) / 2`.

    Args:
        step: Integer or float scalar or tensor.
        peak_learning_rate: Rate at the end of the warmup.
        total_steps: Step at which the rate reaches `final_learning_rate`.
        warmup_steps: Number of warmup steps.
        final_learning_rate: Rate at and after `total_steps`.

    Returns:
        A float32 tensor of the shape of `step`.
    """
    step = ops.cast(ops.convert_to_tensor(step), "float32")
    decay_steps = float(total_steps - warmup_steps)
    p = ops.clip(ops.divide(ops.subtract(step, float(warmup_steps)),
                            decay_steps), 0.0, 1.0)
    # (1 + cos(pi p)) / 2 == cos^2(pi p / 2) == sin^2(pi (1 - p) / 2); the
    # last form keeps its relative accuracy near the end of the decay.
    weight = ops.square(ops.sin(ops.multiply(ops.subtract(1.0, p),
                                             math.pi / 2.0)))
    decayed = ops.add(final_learning_rate,
                      ops.multiply(peak_learning_rate - final_learning_rate,
                                   weight))
    if warmup_steps == 0:
        return decayed
    ramp = ops.multiply(peak_learning_rate,
                        ops.divide(step, float(warmup_steps)))
    return ops.where(ops.less(step, float(warmup_steps)), ramp, decayed)


@keras_recipes_export("keras_recipes.schedules.WarmupCosineDecay")
class WarmupCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup to a peak rate, then cosine decay, in total steps.

    Keras's `CosineDecay(warmup_steps=...)` counts its `decay_steps` after
    the warmup; this schedule is stated the way papers and timm state it:
    the rate rises linearly from 0 to `peak_learning_rate` over
    `warmup_steps`, then follows half a cosine down to
    `final_learning_rate`, which it reaches at step `total_steps` and keeps.
    Compiles under XLA and accepts integer steps.

    Args:
        peak_learning_rate: Rate at the end of the warmup.
        total_steps: Total number of training steps (warmup included).
        warmup_steps: Number of warmup steps. Defaults to `0`.
        final_learning_rate: Rate at the end. Defaults to `0.0`.
        name: Optional name. Defaults to `"WarmupCosineDecay"`.

    Example:

    >>> schedule = keras_recipes.schedules.WarmupCosineDecay(
    ...     peak_learning_rate=1e-3, total_steps=100, warmup_steps=10)
    >>> [round(float(schedule(s)), 6) for s in (0, 5, 10, 55, 100)]
    [0.0, 0.0005, 0.001, 0.0005, 0.0]

    Reference:
        - [Loshchilov & Hutter, 2016](https://arxiv.org/abs/1608.03983)
        - [Goyal et al., 2017](https://arxiv.org/abs/1706.02677)
    """

    def __init__(self, peak_learning_rate, total_steps, warmup_steps=0,
                 final_learning_rate=0.0, name="WarmupCosineDecay"):
        super().__init__()
        check_number("peak_learning_rate", peak_learning_rate, min_value=0.0,
                     min_inclusive=False)
        check_number("total_steps", total_steps, min_value=1, integer=True)
        check_number("warmup_steps", warmup_steps, min_value=0,
                     max_value=total_steps - 1, integer=True)
        check_number("final_learning_rate", final_learning_rate,
                     min_value=0.0, max_value=peak_learning_rate)
        self.peak_learning_rate = peak_learning_rate
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.final_learning_rate = final_learning_rate
        self.name = name

    def __call__(self, step):
        return warmup_cosine_decay(
            step, self.peak_learning_rate, self.total_steps,
            warmup_steps=self.warmup_steps,
            final_learning_rate=self.final_learning_rate,
        )

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "final_learning_rate": self.final_learning_rate,
            "name": self.name,
        }
