"""Learning-rate schedules: one-cycle, warmup, warmup + cosine, plots."""

from keras_recipes.schedules.one_cycle import OneCycle as OneCycle
from keras_recipes.schedules.plot import plot as plot
from keras_recipes.schedules.warmup import Warmup as Warmup
from keras_recipes.schedules.warmup_cosine import (
    WarmupCosineDecay as WarmupCosineDecay,
)

__all__ = ["OneCycle", "Warmup", "WarmupCosineDecay", "plot"]
