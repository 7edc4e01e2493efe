"""Battery settings for keras_recipes.schedules."""

import keras

from keras_recipes import schedules

SETTINGS = {
    "keras_recipes.schedules.OneCycle": dict(
        kind="schedule",
        make=lambda: schedules.OneCycle(0.01, total_steps=8, pct_start=0.5),
    ),
    "keras_recipes.schedules.Warmup": dict(
        kind="schedule",
        make=lambda: schedules.Warmup(
            keras.optimizers.schedules.ExponentialDecay(0.01, 4, 0.5),
            warmup_steps=2,
        ),
    ),
    "keras_recipes.schedules.WarmupCosineDecay": dict(
        kind="schedule",
        make=lambda: schedules.WarmupCosineDecay(
            0.01, total_steps=8, warmup_steps=2
        ),
    ),
}
